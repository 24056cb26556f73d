/* Parsing of a Link platform MQTT client id (docs/protocol.md §1):
 *
 *     {pk}.{dn}|securemode=2,signmethod=hmacsha256,timestamp=2524608000000|
 *
 * The result holds views (pointer + length) into the caller's string, so it lives only as
 * long as that string. Pure and thread-safe; never reads past OTAGW_CLIENT_ID_MAX bytes. */
#ifndef OTAGW_MQTT_AUTH_CLIENT_ID_H
#define OTAGW_MQTT_AUTH_CLIENT_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "sign.h"

/* Real ids are under 200 bytes; MQTT allows 65535. Anything longer than this is refused
 * before it is looked at. */
#define OTAGW_CLIENT_ID_MAX 1024

struct otagw_client_id {
	const char *pk;         /* product key: before the first '.' */
	size_t pk_len;
	const char *dn;         /* device name: after the first '.', up to the first '|' */
	size_t dn_len;
	const char *timestamp;  /* NULL when the client id has none */
	size_t timestamp_len;
	enum otagw_sign_method method;
	int securemode;         /* 2 (TLS) or 3 (plain TCP) */
	bool auto_subscribe;    /* `_ss=1` between the bars: the platform delivers downstream
	                         * messages without a SUBSCRIBE (see auto_sub.h) */
};

enum otagw_client_id_error {
	OTAGW_CLIENT_ID_OK = 0,
	OTAGW_CLIENT_ID_MISSING,        /* NULL or empty */
	OTAGW_CLIENT_ID_TOO_LONG,
	OTAGW_CLIENT_ID_NO_BARS,        /* no `|...|` section closing the id */
	OTAGW_CLIENT_ID_BAD_DEVICE,     /* the part before '|' is not `{pk}.{dn}` */
	OTAGW_CLIENT_ID_BAD_PAIR,       /* a pair without '=' or with an empty key */
	OTAGW_CLIENT_ID_DUPLICATE_KEY,
	OTAGW_CLIENT_ID_BAD_SECUREMODE, /* missing, or not 2 / 3 */
	OTAGW_CLIENT_ID_BAD_SIGNMETHOD, /* missing, or not hmacsha256/hmacsha1/hmacmd5 */
	OTAGW_CLIENT_ID_BAD_TIMESTAMP,  /* present but empty, not digits, or over 20 digits */
};

/* Fills *out on success. `_ss` sets auto_subscribe when its value is exactly `1`; other
 * keys (`_v`, `lan`, ...) are ignored. */
enum otagw_client_id_error otagw_client_id_parse(const char *client_id, struct otagw_client_id *out);

/* A short English reason for logs; never NULL. */
const char *otagw_client_id_strerror(enum otagw_client_id_error error);

#endif
