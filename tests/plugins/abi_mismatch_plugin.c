/* A library plugin built for a future ABI version: the host must refuse it
 * (exit 3) without calling anything. */
#include <stddef.h>

#include "otagw_plugin.h"

static const otagw_plugin_v1 plugin = {
    .abi_version = 99,
    .name = "abi-mismatch",
};

const otagw_plugin_v1* otagw_plugin_entry(void) { return &plugin; }
