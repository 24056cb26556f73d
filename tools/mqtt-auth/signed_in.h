/* Devices signed in right now, so that the end of a device's connection can be told to
 * the simulated platform: the real platform sees a gateway's connection close and takes
 * its sub-devices offline (they must log in again), and the simulator can only learn it
 * from the broker. When a recorded client disconnects, the plugin publishes its client id
 * on OTAGW_DISCONNECTED_PREFIX "{pk}/{dn}" (QoS 1, to subscribers of that topic: the
 * simulator). Clients cannot publish there themselves (the ACL check refuses it).
 *
 * Keyed like auto_sub.h by the broker's client pointer, compared, never dereferenced. Not
 * thread-safe: mosquitto 2.0 calls plugins from its single main thread. */
#ifndef OTAGW_MQTT_AUTH_SIGNED_IN_H
#define OTAGW_MQTT_AUTH_SIGNED_IN_H

#include <stdbool.h>
#include <stddef.h>

#define OTAGW_DISCONNECTED_PREFIX "$otagw/disconnected/"

struct otagw_signed_in_client {
	const void *client;
	char *topic;     /* OTAGW_DISCONNECTED_PREFIX "{pk}/{dn}" */
	char *client_id;
};

struct otagw_signed_in {
	struct otagw_signed_in_client *items;
	size_t count;
	size_t cap;
};

/* Records a device that signed in (replacing a record for the same pointer). False when
 * out of memory. */
bool otagw_signed_in_add(struct otagw_signed_in *table, const void *client, const char *client_id, const char *pk,
                         size_t pk_len, const char *dn, size_t dn_len);

/* Removes the client's record and hands it over (the caller frees `topic` and
 * `client_id`); false, with *out untouched, when there is none. */
bool otagw_signed_in_take(struct otagw_signed_in *table, const void *client, struct otagw_signed_in_client *out);

/* Forgets the client without announcing it (a new sign-in on a reused pointer). */
void otagw_signed_in_forget(struct otagw_signed_in *table, const void *client);

/* Frees every record. */
void otagw_signed_in_clear(struct otagw_signed_in *table);

#endif
