#pragma once
// Runs the built otagwctl as a child process (stdout and stderr to files in
// `dir`, so stdout is no terminal), for the tests of its command line.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/child_process.hpp"

namespace otagw::ctl_test {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::unique_ptr<test_support::ChildProcess> start_otagwctl(std::vector<std::string> args,
                                                                  const std::filesystem::path& dir,
                                                                  std::vector<std::string> wrapper = {}) {
  args.insert(args.begin(), OTAGWCTL_PATH);
  args.insert(args.begin(), wrapper.begin(), wrapper.end());
  return std::make_unique<test_support::ChildProcess>(std::move(args), dir);
}

inline Outcome finish(test_support::ChildProcess& process,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto code = process.wait(timeout);
  REQUIRE(code);
  return {*code, process.stdout_text(), process.stderr_text()};
}

inline Outcome run_otagwctl(std::vector<std::string> args, const std::filesystem::path& dir) {
  auto process = start_otagwctl(std::move(args), dir);
  return finish(*process);
}

}  // namespace otagw::ctl_test
