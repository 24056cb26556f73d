/* A library plugin whose write() crashes: the flash fails, the daemon (here
 * the test process) lives on. */
#include <stdlib.h>

#include "otagw_plugin.h"

static int context;

static void* crash_start(const otagw_plugin_device* dev, const char* target_version, uint64_t image_size) {
  (void)dev;
  (void)target_version;
  (void)image_size;
  return &context;
}

static int crash_write(void* ctx, const void* data, size_t length, uint64_t offset) {
  (void)ctx;
  (void)data;
  (void)length;
  (void)offset;
  abort();
}

static int crash_stop(void* ctx, int success) {
  (void)ctx;
  (void)success;
  return 0;
}

static const otagw_plugin_v1 plugin = {
    .abi_version = OTAGW_PLUGIN_ABI_VERSION,
    .name = "crashing",
    .start = crash_start,
    .write = crash_write,
    .stop = crash_stop,
    .version = NULL,
};

const otagw_plugin_v1* otagw_plugin_entry(void) { return &plugin; }
