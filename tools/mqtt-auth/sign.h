/* The Link platform's password: hex(HMAC-<method>(device secret, message)).
 *
 * Pure functions over caller-owned buffers; no state, no logging, thread-safe. */
#ifndef OTAGW_MQTT_AUTH_SIGN_H
#define OTAGW_MQTT_AUTH_SIGN_H

#include <stdbool.h>
#include <stddef.h>

enum otagw_sign_method {
	OTAGW_SIGN_HMACSHA256,
	OTAGW_SIGN_HMACSHA1,
	OTAGW_SIGN_HMACMD5,
};

/* Parses a client id's `signmethod` value (hmacsha256, hmacsha1, hmacmd5; any case).
 * `text` need not be NUL-terminated. Returns false for anything else. */
bool otagw_sign_method_parse(const char *text, size_t len, enum otagw_sign_method *out);

/* True if `password` is the hex HMAC of `message` keyed with `secret`, in either case.
 * The digest comparison runs in constant time; only the password's length (public: it is
 * fixed per method) decides early. A NULL password is false. */
bool otagw_sign_check(enum otagw_sign_method method, const char *secret,
                      const char *message, size_t message_len, const char *password);

/* String equality whose run time depends on neither the contents nor the lengths of the
 * two strings (both are hashed first), for the platform superuser's credentials. */
bool otagw_equal_ct(const char *a, const char *b);

#endif
