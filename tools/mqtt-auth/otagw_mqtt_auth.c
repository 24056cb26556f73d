/* otagw_mqtt_auth: a mosquitto 2.0 plugin (API v5) that signs devices in the way the
 * Alibaba Cloud IoT Platform does (docs/protocol.md §1), so tests and the cloud simulator
 * exercise otagw's real login against a real broker.
 *
 * Options (mosquitto.conf, after `plugin .../otagw_mqtt_auth.so`):
 *   plugin_opt_devices_file      required; see devices.h
 *   plugin_opt_platform_username optional, with platform_password: a superuser login
 *   plugin_opt_platform_password accepted as-is (the simulator's own connection)
 *
 * A device whose client id carries `_ss=1` gets every message the platform user publishes
 * without subscribing, as the platform's auto-subscription does (see auto_sub.h). When a
 * signed-in device's connection ends, its client id is published on
 * `$otagw/disconnected/{pk}/{dn}` for the simulated platform (see signed_in.h).
 *
 * Every refusal is MOSQ_ERR_AUTH (CONNACK 5) with a notice-level log line saying why;
 * secrets and expected passwords are never logged. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* mosquitto_plugin.h declares the three entry points without a visibility attribute on
 * Linux; the target builds with hidden visibility, so re-open default visibility for the
 * broker's headers to export exactly those. */
#pragma GCC visibility push(default)
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#pragma GCC visibility pop
#include <mosquitto.h>

#include "auto_sub.h"
#include "client_id.h"
#include "devices.h"
#include "sign.h"
#include "signed_in.h"

#define PLUGIN_API_VERSION 5

/* Longest signed message: "clientId" pk "." dn "deviceName" dn "productKey" pk
 * "timestamp" ts, with the field limits of devices.h. */
#define MESSAGE_MAX (8 + OTAGW_DEVICE_PK_MAX + 1 + OTAGW_DEVICE_DN_MAX + 10 + OTAGW_DEVICE_DN_MAX \
                     + 10 + OTAGW_DEVICE_PK_MAX + 9 + 20 + 1)

/* How much of a client id or username a log line shows. */
#define LOG_FIELD_MAX 96

struct plugin_state {
	mosquitto_plugin_id_t *pid;
	struct otagw_devices devices;
	char *platform_username; /* both NULL or both set */
	char *platform_password;
	struct otagw_auto_sub auto_sub; /* connected `_ss=1` clients */
	struct otagw_signed_in signed_in; /* connected devices, announced when they go */
};

/* Copies untrusted text for a log line: bounded, control bytes replaced, so a client
 * cannot forge log lines or flood the log. */
static const char *printable(const char *text, char out[LOG_FIELD_MAX + 4])
{
	size_t i = 0;

	if(text == NULL) return "(none)";
	for(; i < LOG_FIELD_MAX && text[i] != '\0'; i++){
		unsigned char c = (unsigned char)text[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if(text[i] != '\0'){
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static int refuse(const char *client_id, const char *username, const char *why)
{
	char id_buf[LOG_FIELD_MAX + 4], user_buf[LOG_FIELD_MAX + 4];

	mosquitto_log_printf(MOSQ_LOG_NOTICE, "otagw_mqtt_auth: refused client '%s' user '%s': %s",
	                     printable(client_id, id_buf), printable(username, user_buf), why);
	return MOSQ_ERR_AUTH;
}

/* True if username is exactly `{dn}&{pk}`. */
static bool username_matches(const char *username, const struct otagw_client_id *id)
{
	size_t want = id->dn_len + 1 + id->pk_len;

	if(strnlen(username, want + 1) != want) return false;
	return memcmp(username, id->dn, id->dn_len) == 0 && username[id->dn_len] == '&'
	       && memcmp(username + id->dn_len + 1, id->pk, id->pk_len) == 0;
}

/* The signed text: `clientId{pk}.{dn}deviceName{dn}productKey{pk}[timestamp{ts}]`, the
 * parameters sorted by name. Lengths are bounded by the device table, so it always fits. */
static size_t build_message(char *out, size_t cap, const struct otagw_device *dev,
                            const struct otagw_client_id *id)
{
	int n;

	if(id->timestamp != NULL){
		n = snprintf(out, cap, "clientId%s.%sdeviceName%sproductKey%stimestamp%.*s", dev->pk, dev->dn,
		             dev->dn, dev->pk, (int)id->timestamp_len, id->timestamp);
	}else{
		n = snprintf(out, cap, "clientId%s.%sdeviceName%sproductKey%s", dev->pk, dev->dn, dev->dn, dev->pk);
	}
	if(n < 0 || (size_t)n >= cap) return 0;
	return (size_t)n;
}

static int check_device(struct plugin_state *st, const struct mosquitto *client, const char *client_id,
                        const char *username, const char *password)
{
	struct otagw_client_id id;
	enum otagw_client_id_error parse_rc;
	const struct otagw_device *dev;
	char message[MESSAGE_MAX];
	size_t message_len;
	bool ok;

	parse_rc = otagw_client_id_parse(client_id, &id);
	if(parse_rc != OTAGW_CLIENT_ID_OK) return refuse(client_id, username, otagw_client_id_strerror(parse_rc));
	if(username == NULL) return refuse(client_id, username, "no username");
	if(!username_matches(username, &id)) return refuse(client_id, username, "wrong username: want {dn}&{pk}");

	otagw_devices_refresh(&st->devices);
	dev = otagw_devices_find(&st->devices, id.pk, id.pk_len, id.dn, id.dn_len);
	if(dev == NULL) return refuse(client_id, username, "unknown device");
	if(password == NULL) return refuse(client_id, username, "no password");

	message_len = build_message(message, sizeof(message), dev, &id);
	if(message_len == 0) return refuse(client_id, username, "internal error building the sign");
	ok = otagw_sign_check(id.method, dev->secret, message, message_len, password);
	OPENSSL_cleanse(message, sizeof(message));
	if(!ok) return refuse(client_id, username, "bad sign (password does not match the device secret)");
	if(!otagw_signed_in_add(&st->signed_in, client, client_id, id.pk, id.pk_len, id.dn, id.dn_len)){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "otagw_mqtt_auth: out of memory: the end of this connection will"
		                     " not be announced");
	}
	if(id.auto_subscribe){
		char id_buf[LOG_FIELD_MAX + 4];

		if(otagw_auto_sub_add(&st->auto_sub, client, client_id)){
			mosquitto_log_printf(MOSQ_LOG_DEBUG, "otagw_mqtt_auth: client '%s' asked for _ss=1: the platform user's"
			                     " messages will be delivered to it", printable(client_id, id_buf));
		}else{
			mosquitto_log_printf(MOSQ_LOG_WARNING, "otagw_mqtt_auth: out of memory: client '%s' admitted without _ss=1",
			                     printable(client_id, id_buf));
		}
	}
	return MOSQ_ERR_SUCCESS;
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	struct plugin_state *st = userdata;
	const char *client_id = mosquitto_client_id(ed->client);

	(void)event;
	/* A context the broker freed without a disconnect event could come back at the same
	 * address: a new sign-in always starts without a record. */
	otagw_auto_sub_remove(&st->auto_sub, ed->client);
	otagw_signed_in_forget(&st->signed_in, ed->client);
	if(st->platform_username != NULL && ed->username != NULL
	   && otagw_equal_ct(ed->username, st->platform_username)){
		if(otagw_equal_ct(ed->password, st->platform_password)) return MOSQ_ERR_SUCCESS;
		return refuse(client_id, ed->username, "wrong platform password");
	}
	return check_device(st, ed->client, client_id, ed->username, ed->password);
}

/* Every connected client has passed on_basic_auth, and the simulated platform does not
 * restrict topics. mosquitto 2.0.11 already allows everything when no plugin registers an
 * ACL check (checked), but that is an accident of security.c's loop; saying so explicitly
 * keeps authenticated clients working on brokers that default to deny. */
static int on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	struct plugin_state *st = userdata;
	struct otagw_auto_sub_client *record;

	(void)event;
	/* The disconnect announcements come from the plugin only. */
	if(ed->access == MOSQ_ACL_WRITE && ed->topic != NULL
	   && strncmp(ed->topic, OTAGW_DISCONNECTED_PREFIX, strlen(OTAGW_DISCONNECTED_PREFIX)) == 0){
		return MOSQ_ERR_ACL_DENIED;
	}
	/* Only the filters of `_ss=1` clients are kept, so the platform's messages reach them
	 * once: by their own subscription or by the plugin, not both. */
	if(ed->topic == NULL || (ed->access != MOSQ_ACL_SUBSCRIBE && ed->access != MOSQ_ACL_UNSUBSCRIBE)){
		return MOSQ_ERR_SUCCESS;
	}
	record = otagw_auto_sub_find(&st->auto_sub, ed->client);
	if(record == NULL) return MOSQ_ERR_SUCCESS;
	if(ed->access == MOSQ_ACL_SUBSCRIBE){
		otagw_auto_sub_subscribed(record, ed->topic);
	}else{
		otagw_auto_sub_unsubscribed(record, ed->topic);
	}
	return MOSQ_ERR_SUCCESS;
}

static bool is_platform(const struct plugin_state *st, const struct mosquitto *client)
{
	const char *username;

	if(st->platform_username == NULL || client == NULL) return false;
	username = mosquitto_client_username(client);
	return username != NULL && strcmp(username, st->platform_username) == 0;
}

/* A publish from the platform user goes, besides its subscribers, to every `_ss=1` client
 * that has no filter matching it. The broker queues the copy and sends it on its next loop
 * turn, at the publish's QoS, never retained. */
static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	struct plugin_state *st = userdata;

	(void)event;
	if(st->auto_sub.count == 0 || ed->topic == NULL || ed->topic[0] == '$') return MOSQ_ERR_SUCCESS;
	if(ed->payloadlen > INT_MAX || (ed->payloadlen > 0 && ed->payload == NULL)) return MOSQ_ERR_SUCCESS;
	if(!is_platform(st, ed->client)) return MOSQ_ERR_SUCCESS;
	for(size_t i = 0; i < st->auto_sub.count; i++){
		const struct otagw_auto_sub_client *record = &st->auto_sub.items[i];
		char id_buf[LOG_FIELD_MAX + 4], topic_buf[LOG_FIELD_MAX + 4];
		int rc;

		if(record->client == ed->client || otagw_auto_sub_covers(record, ed->topic)) continue;
		rc = mosquitto_broker_publish_copy(record->client_id, ed->topic, (int)ed->payloadlen, ed->payload,
		                                   ed->qos <= 2 ? ed->qos : 0, false, NULL);
		mosquitto_log_printf(MOSQ_LOG_DEBUG, "otagw_mqtt_auth: _ss=1 delivery of '%s' to '%s'%s",
		                     printable(ed->topic, topic_buf), printable(record->client_id, id_buf),
		                     rc == MOSQ_ERR_SUCCESS ? "" : " failed");
	}
	/* Never refuse the platform's publish because of the copies. */
	return MOSQ_ERR_SUCCESS;
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	struct plugin_state *st = userdata;

	struct otagw_signed_in_client gone;

	(void)event;
	otagw_auto_sub_remove(&st->auto_sub, ed->client);
	if(otagw_signed_in_take(&st->signed_in, ed->client, &gone)){
		char topic_buf[LOG_FIELD_MAX + 4];
		int rc = mosquitto_broker_publish_copy(NULL, gone.topic, (int)strlen(gone.client_id), gone.client_id, 1,
		                                       false, NULL);

		mosquitto_log_printf(MOSQ_LOG_DEBUG, "otagw_mqtt_auth: announced '%s'%s", printable(gone.topic, topic_buf),
		                     rc == MOSQ_ERR_SUCCESS ? "" : " (failed)");
		free(gone.topic);
		free(gone.client_id);
	}
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == PLUGIN_API_VERSION) return PLUGIN_API_VERSION;
	}
	return -1;
}

static void free_state(struct plugin_state *st)
{
	if(st == NULL) return;
	otagw_devices_close(&st->devices);
	otagw_auto_sub_clear(&st->auto_sub);
	otagw_signed_in_clear(&st->signed_in);
	if(st->platform_password != NULL){
		OPENSSL_cleanse(st->platform_password, strlen(st->platform_password));
		free(st->platform_password);
	}
	free(st->platform_username);
	free(st);
}

/* Takes the options into *st; returns a mosquitto error code. */
static int read_options(struct plugin_state *st, const struct mosquitto_opt *opts, int opt_count,
                        const char **devices_file)
{
	*devices_file = NULL;
	for(int i = 0; i < opt_count; i++){
		char **slot = NULL;

		if(!strcmp(opts[i].key, "devices_file")){
			*devices_file = opts[i].value;
			continue;
		}else if(!strcmp(opts[i].key, "platform_username")){
			slot = &st->platform_username;
		}else if(!strcmp(opts[i].key, "platform_password")){
			slot = &st->platform_password;
		}else{
			mosquitto_log_printf(MOSQ_LOG_ERR, "otagw_mqtt_auth: unknown option plugin_opt_%s", opts[i].key);
			return MOSQ_ERR_INVAL;
		}
		free(*slot);
		*slot = strdup(opts[i].value);
		if(*slot == NULL) return MOSQ_ERR_NOMEM;
	}
	if(*devices_file == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "otagw_mqtt_auth: plugin_opt_devices_file is required");
		return MOSQ_ERR_INVAL;
	}
	if((st->platform_username == NULL) != (st->platform_password == NULL)){
		mosquitto_log_printf(MOSQ_LOG_ERR,
		                     "otagw_mqtt_auth: plugin_opt_platform_username and plugin_opt_platform_password go together");
		return MOSQ_ERR_INVAL;
	}
	return MOSQ_ERR_SUCCESS;
}

static const struct {
	int event;
	MOSQ_FUNC_generic_callback cb;
} callbacks[] = {
	{MOSQ_EVT_BASIC_AUTH, on_basic_auth},
	{MOSQ_EVT_ACL_CHECK, on_acl_check},
	{MOSQ_EVT_MESSAGE, on_message},
	{MOSQ_EVT_DISCONNECT, on_disconnect},
};
#define CALLBACK_COUNT (sizeof(callbacks) / sizeof(callbacks[0]))

/* Unregisters the first `count` callbacks. */
static void unregister_callbacks(mosquitto_plugin_id_t *identifier, size_t count)
{
	for(size_t i = 0; i < count; i++){
		mosquitto_callback_unregister(identifier, callbacks[i].event, callbacks[i].cb, NULL);
	}
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                          struct mosquitto_opt *opts, int opt_count)
{
	struct plugin_state *st = calloc(1, sizeof(*st));
	const char *devices_file;
	int rc;

	if(st == NULL) return MOSQ_ERR_NOMEM;
	st->pid = identifier;
	rc = read_options(st, opts, opt_count, &devices_file);
	if(rc == MOSQ_ERR_SUCCESS && !otagw_devices_open(&st->devices, devices_file)) rc = MOSQ_ERR_NOMEM;
	for(size_t i = 0; rc == MOSQ_ERR_SUCCESS && i < CALLBACK_COUNT; i++){
		rc = mosquitto_callback_register(identifier, callbacks[i].event, callbacks[i].cb, NULL, st);
		if(rc != MOSQ_ERR_SUCCESS) unregister_callbacks(identifier, i);
	}
	if(rc != MOSQ_ERR_SUCCESS){
		free_state(st);
		return rc;
	}
	*userdata = st;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int opt_count)
{
	struct plugin_state *st = userdata;

	(void)opts;
	(void)opt_count;
	if(st == NULL) return MOSQ_ERR_SUCCESS;
	unregister_callbacks(st->pid, CALLBACK_COUNT);
	free_state(st);
	return MOSQ_ERR_SUCCESS;
}
