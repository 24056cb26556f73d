/* `_ss=1` clients: the platform subscribes a device that sends `_ss=1` in its client id to
 * its downstream topics itself, and the vendor SDKs rely on it (they never SUBSCRIBE their
 * reply topics). The plugin imitates that: every message the platform user publishes is
 * also handed to every connected `_ss=1` client that has no SUBSCRIBE filter matching its
 * topic (a subscribed client gets it from the broker as usual, so once, not twice).
 *
 * The table is keyed by the broker's client pointer, which is compared but never
 * dereferenced: a record is added when a client with `_ss=1` signs in and removed by
 * MOSQ_EVT_DISCONNECT. Each record keeps a copy of the client id (deliveries go by id) and
 * the filters the client subscribed (seen through MOSQ_EVT_ACL_CHECK). Not thread-safe:
 * mosquitto 2.0 calls plugins from its single main thread. */
#ifndef OTAGW_MQTT_AUTH_AUTO_SUB_H
#define OTAGW_MQTT_AUTH_AUTO_SUB_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on what one client can make the plugin keep. Past OTAGW_AUTO_SUB_FILTERS_MAX the
 * client's filters are no longer recorded and it may get a message twice (once by its own
 * subscription, once from the plugin). */
#define OTAGW_AUTO_SUB_FILTERS_MAX 256
#define OTAGW_AUTO_SUB_FILTER_LEN_MAX 1024

struct otagw_auto_sub_client {
	const void *client;   /* the broker's `struct mosquitto *`; identity only */
	char *client_id;
	char **filters;
	size_t filter_count;
	size_t filter_cap;
	bool filters_overflowed;
};

struct otagw_auto_sub {
	struct otagw_auto_sub_client *items;
	size_t count;
	size_t cap;
};

/* Records `client` (replacing a record for the same pointer). False when out of memory. */
bool otagw_auto_sub_add(struct otagw_auto_sub *table, const void *client, const char *client_id);

/* Forgets `client`; harmless for a client that has no record. */
void otagw_auto_sub_remove(struct otagw_auto_sub *table, const void *client);

/* The record for `client`, or NULL. Valid until the next add or remove. */
struct otagw_auto_sub_client *otagw_auto_sub_find(struct otagw_auto_sub *table, const void *client);

/* Notes a SUBSCRIBE / UNSUBSCRIBE filter of a recorded client. */
void otagw_auto_sub_subscribed(struct otagw_auto_sub_client *record, const char *filter);
void otagw_auto_sub_unsubscribed(struct otagw_auto_sub_client *record, const char *filter);

/* True if one of the client's recorded filters matches `topic`. */
bool otagw_auto_sub_covers(const struct otagw_auto_sub_client *record, const char *topic);

/* Frees every record. */
void otagw_auto_sub_clear(struct otagw_auto_sub *table);

#endif
