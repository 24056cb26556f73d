// `otagwctl status --watch` (commands.hpp): one connection that asked for
// `watch`, read until a signal ends it or the daemon goes away.
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstring>

#include "tools/otagwctl/commands.hpp"
#include "tools/otagwctl/request.hpp"
#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/watch_live.hpp"
#include "tools/otagwctl/watch_plain.hpp"

namespace otagw::ctl {
namespace {

// Progress events come up to 4 a second per job; with many jobs a redraw per
// event would flood a slow terminal (a serial console): at most 10 frames a second.
constexpr auto kFrameInterval = std::chrono::milliseconds(100);

void print(std::FILE* to, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), to);
  std::fflush(to);
}

// SIGINT, SIGTERM and SIGWINCH as readable events on a descriptor, so the
// wait for the daemon's next line also waits for them.
class SignalEvents {
 public:
  SignalEvents() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGWINCH);
    ::sigprocmask(SIG_BLOCK, &set, &previous_);
    fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~SignalEvents() {
    if (fd_ >= 0) ::close(fd_);
    ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
  }
  SignalEvents(const SignalEvents&) = delete;
  SignalEvents& operator=(const SignalEvents&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }

  // The next pending signal's number, or 0.
  int take() const {
    signalfd_siginfo info{};
    if (::read(fd_, &info, sizeof(info)) != static_cast<ssize_t>(sizeof(info))) return 0;
    return static_cast<int>(info.ssi_signo);
  }

 private:
  int fd_ = -1;
  sigset_t previous_{};
};

TerminalSize terminal_size(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0 && size.ws_row > 0) {
    return {size.ws_col, size.ws_row};
  }
  return {};
}

// How the events are shown; each mode gets the model after every change.
class WatchView {
 public:
  enum class Mode { live, plain, json };
  WatchView(Mode mode, std::FILE* out) : mode_(mode), out_(out), plain_(TimeZone::local) {}

  void start(const StatusView& status, const std::string& answer_line) {
    switch (mode_) {
      case Mode::json: print(out_, answer_line + "\n"); break;
      case Mode::plain: print_plain(plain_.start(status)); break;
      case Mode::live: draw(status); break;
    }
  }

  // After `event` changed the status. Live: a frame is due (the caller
  // draws it now or at the next frame time).
  void on_event(const WatchEvent& event, const std::string& line) {
    switch (mode_) {
      case Mode::json: print(out_, line + "\n"); break;
      case Mode::plain: print_plain(plain_.event(event)); break;
      case Mode::live: due_ = true; break;
    }
  }

  [[nodiscard]] bool frame_due() const noexcept { return due_; }
  [[nodiscard]] Clock::time_point next_frame() const noexcept { return last_frame_ + kFrameInterval; }

  void draw(const StatusView& status) {
    if (mode_ != Mode::live) return;
    print(out_, screen_.draw(
                    live_frame(status, terminal_size(out_), TimeZone::local, std::chrono::system_clock::now())));
    last_frame_ = Clock::now();
    due_ = false;
  }

  void resized(const StatusView& status) {
    screen_.resized();
    draw(status);
  }

 private:
  void print_plain(const std::vector<std::string>& lines) {
    const auto now = std::chrono::system_clock::now();
    std::string text;
    for (const auto& line : lines) text += with_time(now, TimeZone::local, line) + "\n";
    if (!text.empty()) print(out_, text);
  }

  Mode mode_;
  std::FILE* out_;
  PlainWatch plain_;
  LiveScreen screen_;
  Clock::time_point last_frame_{};
  bool due_ = false;
};

}  // namespace

int run_watch(const Target& target, bool json, Streams streams) {
  const auto deadline = Clock::now() + target.timeout;
  auto client = ControlClient::connect(target.socket, deadline);
  if (!client) {
    print(streams.err, "otagwctl: " + client.error().message() + "\n");
    return exit_unreachable;
  }
  (void)client->send_line(request_line("watch"), deadline);
  auto answer = await_answer(*client, deadline, target.timeout);
  if (!answer) {
    print(streams.err, "otagwctl: " + answer.error().message + "\n");
    return answer.error().code;
  }
  if (!answer->ok) {
    print(streams.err, "otagwctl: " + answer->refusal() + "\n");
    return exit_refused;
  }
  const auto status_json = answer->body.find("status");
  auto parsed = status_json == answer->body.end() ? parse_status(nlohmann::json())
                                                  : parse_status(nlohmann::json(*status_json));
  if (!parsed) {
    print(streams.err, "otagwctl: otagwd's answer to watch holds no status object\n");
    return exit_unreachable;
  }
  StatusView status = std::move(*parsed);
  // From here on SIGINT and SIGTERM end the watch with exit 0 (before, they
  // end otagwctl as any program).
  const SignalEvents signals;
  if (signals.fd() < 0) {
    print(streams.err, std::string("otagwctl: cannot watch for signals: ") + std::strerror(errno) + "\n");
    return exit_unreachable;
  }

  const auto mode = json ? WatchView::Mode::json
                         : (::isatty(::fileno(streams.out)) != 0 ? WatchView::Mode::live : WatchView::Mode::plain);
  WatchView view(mode, streams.out);
  view.start(status, answer->line);

  for (;;) {
    const auto wait_until = view.frame_due() ? view.next_frame() : Clock::time_point::max();
    auto received = client->read_line(wait_until, signals.fd());
    using Kind = ControlClient::Received::Kind;
    switch (received.kind) {
      case Kind::timed_out: view.draw(status); continue;
      case Kind::woken: {
        const int signal_number = signals.take();
        if (signal_number == SIGWINCH) {
          view.resized(status);
          continue;
        }
        if (signal_number == SIGINT || signal_number == SIGTERM) {
          if (view.frame_due()) view.draw(status);
          return exit_ok;
        }
        continue;
      }
      case Kind::closed:
      case Kind::failed:
        if (view.frame_due()) view.draw(status);
        print(streams.err, "otagwctl: otagwd closed the watch connection on '" + target.socket.string() +
                               "' (stopped or restarted?). Try: systemctl status otagwd\n");
        return exit_unreachable;
      case Kind::line: break;
    }
    const auto line = nlohmann::json::parse(received.text, nullptr, false);
    if (!line.is_object()) continue;
    if (line.contains("event")) {
      const WatchEvent event = parse_event(line);
      apply_event(status, event);
      view.on_event(event, received.text);
      if (view.frame_due() && Clock::now() >= view.next_frame()) view.draw(status);
      continue;
    }
    // An error line on the watching connection (the daemon gives up on us).
    if (const auto error = parse_answer(std::move(received.text)); error && !error->ok) {
      print(streams.err, "otagwctl: " + error->refusal() + "\n");
    }
  }
}

}  // namespace otagw::ctl
