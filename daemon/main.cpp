// otagwd: keeps the firmware of a gateway's sub-devices current.
#include <cstdio>
#include <span>

#include "daemon/run.hpp"

int main(int argc, char** argv) {
  return otagw::daemon::run_otagwd(std::span<const char* const>(argv, static_cast<std::size_t>(argc)));
}
