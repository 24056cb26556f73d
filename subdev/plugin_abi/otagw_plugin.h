/*
 * otagw library plugin ABI, version 1. Installed as <otagw/otagw_plugin.h>.
 *
 * A library plugin is a shared object that exports
 *
 *     const otagw_plugin_v1* otagw_plugin_entry(void);
 *
 * It mirrors the Link Kit SDK's firmware HAL (HAL_Firmware_Persistence_Start,
 * _Write, _Stop), with a per-device context instead of globals, so vendor code
 * written for that HAL ports with little change.
 *
 * The daemon never loads the object itself: it runs `otagw-plugin-host
 * --library PATH flash|version` as a child process, which loads it, streams the
 * verified image through start/write/stop and exits. A crash or hang in the
 * plugin costs one failed flash. Each process serves exactly one call sequence
 * (start, writes, stop; or one version call), on one thread, so the plugin
 * needs no locking and may keep state in globals if it must.
 *
 * All strings are NUL-terminated UTF-8 and valid only during the call.
 * See docs/plugins.md for the full contract.
 */
#ifndef OTAGW_PLUGIN_H
#define OTAGW_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTAGW_PLUGIN_ABI_VERSION 1

/* The device a call is for: the sub-device's identity and its configuration. */
typedef struct otagw_plugin_device {
  const char* product_key;
  const char* device_name;
  const char* module;        /* "" = the default module */
  const char* params_json;   /* the device's `params` from the config, a JSON object */
  const char* ext_data_json; /* the firmware offer's extData, a JSON object ("{}" if none) */
  int is_diff;               /* 1: the image is a delta package, 0: a full image */
} otagw_plugin_device;

typedef struct otagw_plugin_v1 {
  unsigned abi_version; /* must be OTAGW_PLUGIN_ABI_VERSION */
  const char* name;     /* for log messages */

  /* Begins writing an image of `image_size` bytes for `target_version`.
   * Returns the context passed to write and stop, or NULL on failure (then
   * neither write nor stop is called). Like HAL_Firmware_Persistence_Start. */
  void* (*start)(const otagw_plugin_device* dev, const char* target_version, uint64_t image_size);

  /* Writes the next `length` bytes (at most 64 KiB), which start at `offset`
   * in the image; offsets are consecutive. Returns 0 on success; anything else
   * fails the flash (stop is then called with success = 0). Like
   * HAL_Firmware_Persistence_Write. */
  int (*write)(void* ctx, const void* data, size_t length, uint64_t offset);

  /* Ends the sequence and releases `ctx`; called exactly once after a
   * successful start. success = 1: all bytes were written, commit the image
   * and return 0 if the device now runs (or will boot) it. success = 0: abort
   * and clean up; the return value is ignored. Like
   * HAL_Firmware_Persistence_Stop. */
  int (*stop)(void* ctx, int success);

  /* Writes the device's current version (1..32 printable characters, no
   * whitespace) NUL-terminated into `out` and returns 0; anything else means
   * "cannot tell". May be NULL: the plugin never can tell. */
  int (*version)(const otagw_plugin_device* dev, char* out, size_t out_size);
} otagw_plugin_v1;

/* The one symbol a library plugin exports (build with -fvisibility=hidden:
 * the declaration below keeps this one visible). Returns a pointer to a static
 * structure (never freed), or NULL if the plugin cannot work at all. Its
 * first member, abi_version, stays first in every future ABI version. */
#if defined(__GNUC__)
#define OTAGW_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define OTAGW_PLUGIN_EXPORT
#endif
OTAGW_PLUGIN_EXPORT const otagw_plugin_v1* otagw_plugin_entry(void);

typedef const otagw_plugin_v1* (*otagw_plugin_entry_fn)(void);
#define OTAGW_PLUGIN_ENTRY_SYMBOL "otagw_plugin_entry"

#ifdef __cplusplus
}
#endif

#endif /* OTAGW_PLUGIN_H */
