#pragma once
// Keeping otagwd's resident memory near what it holds (docs/benchmarks.md,
// "Memory"). glibc's malloc keeps freed memory for reuse and returns pages to
// the kernel only from the top of a heap. Bulk that lives briefly (the config's
// YAML tree, about 5 KiB a sub-device; a pass's state saves and messages) is
// freed around long-lived objects made at the same time, and its pages stayed
// resident: a heap of 13 MiB with 2000 sub-devices, 4 MiB of it in use.

namespace otagw::daemon {

// Hands the free pages of every malloc arena back to the kernel
// (malloc_trim(0), which also releases whole free pages inside a heap):
// 0.6-0.9 ms with 2000 sub-devices. For the moments after bulk was freed (a
// config load, the end of a pass), not for a hot path.
void release_free_heap();

}  // namespace otagw::daemon
