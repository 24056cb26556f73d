// What holds otagwd's memory per sub-device: builds the daemon's long-lived
// structures from a config and a state_dir, as otagwd does at start, and
// prints the heap bytes each one holds (glibc's mallinfo2: bytes in use, so
// malloc's own overhead per chunk is counted, free memory is not).
//
//   otagw-bench-memory-breakdown CONFIG STATE_DIR
//
// tools/bench/memory-bench.sh runs it on its 2000-device config.
#include <malloc.h>

#include <cstdio>
#include <memory>

#include "config/load.hpp"
#include "subdev/device_state.hpp"
#include "subdev/fleet_status.hpp"
#include "subdev/registry.hpp"
#include "transports/asio.hpp"

namespace {

std::size_t heap_in_use() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

class Meter {
 public:
  explicit Meter(std::size_t devices) : devices_(devices), last_(heap_in_use()) {}
  void print(const char* what) {
    const std::size_t now = heap_in_use();
    const double bytes = static_cast<double>(now) - static_cast<double>(last_);
    std::printf("  %-44s %8.0f KiB  %5.0f B a device\n", what, bytes / 1024, bytes / static_cast<double>(devices_));
    last_ = now;
  }

 private:
  std::size_t devices_;
  std::size_t last_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: otagw-bench-memory-breakdown CONFIG STATE_DIR\n");
    return 2;
  }
  const std::size_t before_load = heap_in_use();
  otagw::config::LoadResult loaded = otagw::config::load_config_file(argv[1]);
  if (!loaded.config) {
    std::fprintf(stderr, "%s: %zu error(s)\n", argv[1], loaded.errors.size());
    return 1;
  }
  const std::size_t devices = loaded.config->subdevices.size();
  std::printf("heap in use per structure, %zu sub-devices:\n", devices);
  {
    // As the daemon holds them after the start: the config (kept for a
    // reload's comparison), the registry, the device state, the status table.
    const double bytes = static_cast<double>(heap_in_use()) - static_cast<double>(before_load);
    std::printf("  %-44s %8.0f KiB  %5.0f B a device\n", "config (config::Config, kept for reloads)", bytes / 1024,
                bytes / static_cast<double>(devices));
  }
  Meter meter(devices);
  const otagw::subdev::Registry registry(loaded.config->subdevices);
  meter.print("registry (subdev::Registry)");
  otagw::subdev::DeviceStateStore state(argv[2]);
  state.load();
  meter.print("device state (subdev::DeviceStateStore)");
  boost::asio::io_context io;
  otagw::subdev::FleetStatus fleet(io.get_executor());
  fleet.sync(registry, state);
  meter.print("status table (subdev::FleetStatus)");
  const std::string saved = state.serialise();
  std::printf("  (a state save builds %zu KiB of text, and its JSON tree before)\n", saved.size() / 1024);
  return 0;
}
