#include "daemon/heap.hpp"

#include <malloc.h>

namespace otagw::daemon {

void release_free_heap() { ::malloc_trim(0); }

}  // namespace otagw::daemon
