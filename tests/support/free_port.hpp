#pragma once
// A loopback TCP port that is free right now, so integration tests can run in parallel
// (the anchors' fixed ports cannot).

#include <cstdint>

namespace otagw::test_support {

// Binds 127.0.0.1:0, reads the port the kernel chose, closes the socket. The port is only
// likely to stay free: whoever binds it next should retry with a new one if it is taken.
// Throws std::system_error if no socket can be bound.
std::uint16_t free_loopback_port();

}  // namespace otagw::test_support
