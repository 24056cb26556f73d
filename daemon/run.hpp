#pragma once
// otagwd from its command line to its exit code.
#include <span>

namespace otagw::daemon {

[[nodiscard]] int run_otagwd(std::span<const char* const> args);

}  // namespace otagw::daemon
