/* The devices file: one device a line, `product_key device_name device_secret`,
 * whitespace separated; `#` starts a comment; blank lines are fine.
 *
 * The table is re-read when the file's identity, size or mtime changes, so a simulator can
 * append devices while the broker runs. Not thread-safe: mosquitto 2.0 calls plugins from
 * its single main thread. */
#ifndef OTAGW_MQTT_AUTH_DEVICES_H
#define OTAGW_MQTT_AUTH_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Limits per field; a longer field makes its line malformed (the platform's own limits
 * are far lower: pk 11 chars, dn 32, secret 32). */
#define OTAGW_DEVICE_PK_MAX 64
#define OTAGW_DEVICE_DN_MAX 128
#define OTAGW_DEVICE_SECRET_MAX 128

struct otagw_device {
	char pk[OTAGW_DEVICE_PK_MAX + 1];
	char dn[OTAGW_DEVICE_DN_MAX + 1];
	char secret[OTAGW_DEVICE_SECRET_MAX + 1];
};

struct otagw_devices {
	char *path;
	struct otagw_device *items;
	size_t count;
	bool missing;  /* the last stat() failed (already logged) */
	/* What the table was read from; any difference triggers a re-read. A rewrite to the
	 * same size within one kernel timestamp tick goes unnoticed; appends never do. */
	bool seen;
	dev_t st_dev;
	ino_t st_ino;
	off_t st_size;
	struct timespec st_mtim;
};

/* Copies `path`; reads the file once. Returns false only when out of memory; an unreadable
 * file is logged and gives an empty table (every device is then unknown). */
bool otagw_devices_open(struct otagw_devices *devices, const char *path);

/* Frees the table and wipes the secrets. */
void otagw_devices_close(struct otagw_devices *devices);

/* Re-reads the file if it changed since the last read. Call before each lookup. */
void otagw_devices_refresh(struct otagw_devices *devices);

/* The device with this pk and dn (not NUL-terminated), or NULL. Later lines win, so
 * appending a device again changes its secret. */
const struct otagw_device *otagw_devices_find(const struct otagw_devices *devices,
                                              const char *pk, size_t pk_len,
                                              const char *dn, size_t dn_len);

#endif
