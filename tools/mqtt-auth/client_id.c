#include "client_id.h"

#include <stdbool.h>
#include <string.h>

/* Timestamps are milliseconds (since 1970, or since boot for Linkkit v3.2): 20 digits
 * covers any 64-bit value. */
#define TIMESTAMP_MAX_DIGITS 20

static bool key_is(const char *key, size_t key_len, const char *name)
{
	return key_len == strlen(name) && memcmp(key, name, key_len) == 0;
}

static bool all_digits(const char *s, size_t len)
{
	for(size_t i = 0; i < len; i++){
		if(s[i] < '0' || s[i] > '9') return false;
	}
	return true;
}

/* Walks the `k=v,k=v` list between the bars; [begin, end) excludes both bars. */
static enum otagw_client_id_error parse_pairs(const char *begin, const char *end,
                                              struct otagw_client_id *out)
{
	bool have_securemode = false, have_signmethod = false;
	const char *p = begin;

	while(p < end){
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *pair_end = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(pair_end - p));
		const char *value;
		size_t key_len, value_len;

		if(eq == NULL || eq == p) return OTAGW_CLIENT_ID_BAD_PAIR;
		key_len = (size_t)(eq - p);
		value = eq + 1;
		value_len = (size_t)(pair_end - value);

		if(key_is(p, key_len, "securemode")){
			if(have_securemode) return OTAGW_CLIENT_ID_DUPLICATE_KEY;
			have_securemode = true;
			/* Only the two modes a device uses for MQTT; the platform's others (-2 for
			 * direct ID2, ...) do not apply to this simulator. */
			if(value_len != 1 || (value[0] != '2' && value[0] != '3')){
				return OTAGW_CLIENT_ID_BAD_SECUREMODE;
			}
			out->securemode = value[0] - '0';
		}else if(key_is(p, key_len, "signmethod")){
			if(have_signmethod) return OTAGW_CLIENT_ID_DUPLICATE_KEY;
			have_signmethod = true;
			if(!otagw_sign_method_parse(value, value_len, &out->method)){
				return OTAGW_CLIENT_ID_BAD_SIGNMETHOD;
			}
		}else if(key_is(p, key_len, "timestamp")){
			if(out->timestamp != NULL) return OTAGW_CLIENT_ID_DUPLICATE_KEY;
			if(value_len == 0 || value_len > TIMESTAMP_MAX_DIGITS || !all_digits(value, value_len)){
				return OTAGW_CLIENT_ID_BAD_TIMESTAMP;
			}
			out->timestamp = value;
			out->timestamp_len = value_len;
		}else if(key_is(p, key_len, "_ss")){
			/* Not part of the sign; like other SDK keys it may repeat (any `_ss=1` wins). */
			if(value_len == 1 && value[0] == '1') out->auto_subscribe = true;
		}
		/* Any other key (_v, lan, ...) is the SDK's business, not the sign's. */

		p = comma ? comma + 1 : end;
	}
	if(!have_securemode) return OTAGW_CLIENT_ID_BAD_SECUREMODE;
	if(!have_signmethod) return OTAGW_CLIENT_ID_BAD_SIGNMETHOD;
	return OTAGW_CLIENT_ID_OK;
}

enum otagw_client_id_error otagw_client_id_parse(const char *client_id, struct otagw_client_id *out)
{
	size_t len;
	const char *bar, *close, *dot, *end;

	memset(out, 0, sizeof(*out));
	if(client_id == NULL || client_id[0] == '\0') return OTAGW_CLIENT_ID_MISSING;
	/* Bounded: never scan past the limit, whatever the broker hands us. */
	len = strnlen(client_id, OTAGW_CLIENT_ID_MAX + 1);
	if(len > OTAGW_CLIENT_ID_MAX) return OTAGW_CLIENT_ID_TOO_LONG;
	end = client_id + len;

	bar = memchr(client_id, '|', len);
	if(bar == NULL) return OTAGW_CLIENT_ID_NO_BARS;
	close = memchr(bar + 1, '|', (size_t)(end - (bar + 1)));
	/* Exactly two bars, the second one last: `{pk}.{dn}|...|`. */
	if(close == NULL || close != end - 1) return OTAGW_CLIENT_ID_NO_BARS;

	dot = memchr(client_id, '.', (size_t)(bar - client_id));
	if(dot == NULL || dot == client_id || dot + 1 == bar) return OTAGW_CLIENT_ID_BAD_DEVICE;
	out->pk = client_id;
	out->pk_len = (size_t)(dot - client_id);
	out->dn = dot + 1;
	out->dn_len = (size_t)(bar - out->dn);

	return parse_pairs(bar + 1, close, out);
}

const char *otagw_client_id_strerror(enum otagw_client_id_error error)
{
	switch(error){
		case OTAGW_CLIENT_ID_OK: return "ok";
		case OTAGW_CLIENT_ID_MISSING: return "malformed client id: empty";
		case OTAGW_CLIENT_ID_TOO_LONG: return "malformed client id: too long";
		case OTAGW_CLIENT_ID_NO_BARS: return "malformed client id: expected {pk}.{dn}|k=v,...|";
		case OTAGW_CLIENT_ID_BAD_DEVICE: return "malformed client id: expected {pk}.{dn} before '|'";
		case OTAGW_CLIENT_ID_BAD_PAIR: return "malformed client id: a pair is not key=value";
		case OTAGW_CLIENT_ID_DUPLICATE_KEY: return "malformed client id: duplicate key";
		case OTAGW_CLIENT_ID_BAD_SECUREMODE: return "malformed client id: securemode must be 2 or 3";
		case OTAGW_CLIENT_ID_BAD_SIGNMETHOD: return "malformed client id: signmethod must be hmacsha256, hmacsha1 or hmacmd5";
		case OTAGW_CLIENT_ID_BAD_TIMESTAMP: return "malformed client id: timestamp must be 1..20 digits";
	}
	return "malformed client id";
}
