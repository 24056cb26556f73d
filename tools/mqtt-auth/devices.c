#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#pragma GCC visibility push(default)
#include <mosquitto_broker.h>
#pragma GCC visibility pop
#include <mosquitto.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Copies the next whitespace-delimited token of *cursor into dst (capacity max + 1).
 * Returns 1 for a token, 0 at the end of the line or at a `#` comment, -1 for a token
 * longer than max. */
static int next_token(const char **cursor, char *dst, size_t max)
{
	const char *p = *cursor;
	size_t n = 0;

	while(is_space(*p)) p++;
	if(*p == '\0' || *p == '#') return 0;
	while(p[n] != '\0' && !is_space(p[n])) n++;
	*cursor = p + n;
	if(n > max) return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 1;
}

/* 1: a device; 0: blank or comment; -1: malformed. */
static int parse_line(const char *line, struct otagw_device *dev)
{
	const char *cursor = line;
	char extra[2];
	int rc;

	rc = next_token(&cursor, dev->pk, OTAGW_DEVICE_PK_MAX);
	if(rc <= 0) return rc;
	if(next_token(&cursor, dev->dn, OTAGW_DEVICE_DN_MAX) != 1) return -1;
	if(next_token(&cursor, dev->secret, OTAGW_DEVICE_SECRET_MAX) != 1) return -1;
	/* A fourth field means the line is not what we think it is. */
	if(next_token(&cursor, extra, 1) != 0) return -1;
	/* The client id splits {pk}.{dn} at the first '.', so such a pk could never sign in. */
	if(strchr(dev->pk, '.') != NULL) return -1;
	return 1;
}

static void free_items(struct otagw_device *items, size_t count)
{
	if(items == NULL) return;
	OPENSSL_cleanse(items, count * sizeof(*items));
	free(items);
}

/* Reads the whole file into a fresh table; on any error the table is empty. */
static void load(struct otagw_devices *devices)
{
	FILE *f;
	char *line = NULL;
	size_t line_cap = 0, cap = 0, count = 0, line_no = 0;
	struct otagw_device *items = NULL;
	struct otagw_device dev;

	free_items(devices->items, devices->count);
	devices->items = NULL;
	devices->count = 0;

	f = fopen(devices->path, "r");
	if(f == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "otagw_mqtt_auth: cannot read devices_file %s: %s; no device can sign in",
		                     devices->path, strerror(errno));
		return;
	}
	while(getline(&line, &line_cap, f) != -1){
		int rc;

		line_no++;
		rc = parse_line(line, &dev);
		if(rc == 0) continue;
		if(rc < 0){
			/* Never echo the line: it may hold a secret. */
			mosquitto_log_printf(MOSQ_LOG_WARNING,
			                     "otagw_mqtt_auth: %s:%zu: malformed line skipped (want: product_key device_name device_secret)",
			                     devices->path, line_no);
			continue;
		}
		if(count == cap){
			size_t new_cap = cap ? 2 * cap : 16;
			struct otagw_device *grown = calloc(new_cap, sizeof(*grown));
			if(grown == NULL){
				mosquitto_log_printf(MOSQ_LOG_ERR, "otagw_mqtt_auth: out of memory reading %s", devices->path);
				free_items(items, count);
				items = NULL;
				count = 0;
				break;
			}
			/* calloc + copy rather than realloc, so no stale copy of a secret is left. */
			if(items != NULL) memcpy(grown, items, count * sizeof(*items));
			free_items(items, count);
			items = grown;
			cap = new_cap;
		}
		items[count++] = dev;
	}
	OPENSSL_cleanse(&dev, sizeof(dev));
	if(line != NULL){
		OPENSSL_cleanse(line, line_cap);
		free(line);
	}
	fclose(f);
	devices->items = items;
	devices->count = count;
	mosquitto_log_printf(MOSQ_LOG_INFO, "otagw_mqtt_auth: %zu device(s) read from %s", count, devices->path);
}

bool otagw_devices_open(struct otagw_devices *devices, const char *path)
{
	memset(devices, 0, sizeof(*devices));
	devices->path = strdup(path);
	if(devices->path == NULL) return false;
	otagw_devices_refresh(devices);
	return true;
}

void otagw_devices_close(struct otagw_devices *devices)
{
	free_items(devices->items, devices->count);
	free(devices->path);
	memset(devices, 0, sizeof(*devices));
}

void otagw_devices_refresh(struct otagw_devices *devices)
{
	struct stat st;

	if(stat(devices->path, &st) != 0){
		/* Gone: fail closed (empty table), say so once, re-read as soon as it is back. */
		if(!devices->missing){
			devices->missing = true;
			devices->seen = false;
			load(devices);
		}
		return;
	}
	devices->missing = false;
	if(devices->seen && st.st_dev == devices->st_dev && st.st_ino == devices->st_ino
	   && st.st_size == devices->st_size && st.st_mtim.tv_sec == devices->st_mtim.tv_sec
	   && st.st_mtim.tv_nsec == devices->st_mtim.tv_nsec){
		return;
	}
	devices->seen = true;
	devices->st_dev = st.st_dev;
	devices->st_ino = st.st_ino;
	devices->st_size = st.st_size;
	devices->st_mtim = st.st_mtim;
	load(devices);
}

const struct otagw_device *otagw_devices_find(const struct otagw_devices *devices,
                                              const char *pk, size_t pk_len,
                                              const char *dn, size_t dn_len)
{
	if(pk_len > OTAGW_DEVICE_PK_MAX || dn_len > OTAGW_DEVICE_DN_MAX) return NULL;
	for(size_t i = devices->count; i-- > 0;){
		const struct otagw_device *d = &devices->items[i];
		if(strlen(d->pk) == pk_len && memcmp(d->pk, pk, pk_len) == 0
		   && strlen(d->dn) == dn_len && memcmp(d->dn, dn, dn_len) == 0){
			return d;
		}
	}
	return NULL;
}
