#pragma once
// A program run under a pseudo-terminal, as an operator runs it: its stdin,
// stdout and stderr are the terminal, it is the terminal's foreground
// process, Ctrl-C typed on it is SIGINT. What it writes is fed to a
// TerminalScreen, so tests look at the screen, not at escape sequences.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/otagwctl/terminal_screen.hpp"

namespace otagw::ctl_test {

class PtyProcess {
 public:
  PtyProcess(std::vector<std::string> argv, unsigned short columns, unsigned short rows);
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // Reads the program's output until `done(screen)` holds (true) or
  // `timeout` passes or the program exits without it holding (false).
  bool wait_for(const std::function<bool(const TerminalScreen&)>& done, std::chrono::milliseconds timeout);
  // Shorthand: the screen shows `text` somewhere.
  bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout);

  // Types `bytes` on the terminal ("\x03" is Ctrl-C).
  void type(const std::string& bytes);
  // Resizes the terminal (the program gets SIGWINCH) and the screen.
  void resize(unsigned short columns, unsigned short rows);

  // The exit status (exit code, or 128 + signal) once it exited within
  // `timeout`, reading its output meanwhile.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  [[nodiscard]] const TerminalScreen& screen() const noexcept { return screen_; }
  // Everything it wrote, as bytes.
  [[nodiscard]] const std::string& output() const noexcept { return output_; }

 private:
  // Reads what is there within `timeout`; false once the terminal is closed.
  bool pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int master_ = -1;
  std::optional<int> status_;
  TerminalScreen screen_;
  std::string output_;
};

}  // namespace otagw::ctl_test
