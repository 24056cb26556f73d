#include "tests/cloudsim/sim_process.hpp"

#include <signal.h>

namespace otagw::cloudsim_test {
namespace {

std::vector<std::string> command_line(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {OTAGW_CLOUDSIM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

SimProcess::SimProcess(const std::vector<std::string>& args, const std::filesystem::path& stderr_file)
    : child_(command_line(args), stderr_file.parent_path(), {}, stderr_file) {}

std::string SimProcess::read_all_stdout(std::chrono::milliseconds timeout) {
  (void)child_.wait(timeout);
  return child_.stdout_text();
}

std::optional<int> SimProcess::signal_and_wait(int signal, std::chrono::milliseconds timeout) {
  if (signal != 0) child_.signal(signal);
  const auto status = child_.wait(timeout);
  if (!status) {
    child_.signal(SIGKILL);
    (void)child_.wait(std::chrono::seconds(5));
  }
  return status;
}

RunResult run_sim(const std::vector<std::string>& args, const std::filesystem::path& scratch_dir) {
  static int counter = 0;
  SimProcess process(args, scratch_dir / ("run-" + std::to_string(++counter) + ".err"));
  RunResult result;
  result.status = process.wait(std::chrono::seconds(10)).value_or(-1);
  result.out = process.read_all_stdout(std::chrono::milliseconds(0));
  result.err = process.stderr_text();
  return result;
}

}  // namespace otagw::cloudsim_test
