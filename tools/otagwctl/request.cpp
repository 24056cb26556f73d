#include "tools/otagwctl/request.hpp"

#include <cstring>

#include "tools/otagwctl/text_cells.hpp"

namespace otagw::ctl {
namespace {

const char* const kServiceHint = "Try: systemctl status otagwd; journalctl -u otagwd";

std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// The hint that goes with an error code, if there is one.
std::string hint_for(std::string_view code) {
  if (code == "not_permitted") {
    return "otagwctl must run as root or as a member of group otagwctl (sudo usermod -aG otagwctl $USER, "
           "then log in again)";
  }
  if (code == "too_many_clients") return "too many otagwctl connections at once; try again in a moment";
  if (code == "reload_busy") return "another reload is being checked; try again in a moment";
  if (code == "unsupported_version") {
    return "this otagwctl speaks protocol version " + std::to_string(kProtocolVersion) +
           "; use the otagwctl installed with otagwd";
  }
  if (code == "stopping") return "otagwd is stopping";
  return {};
}

}  // namespace

std::string Answer::refusal() const {
  const auto& cmd = body.is_object() && body.contains("cmd") && body["cmd"].is_string()
                        ? body["cmd"].get<std::string>()
                        : std::string();
  std::string text = "otagwd refused" + (cmd.empty() ? std::string() : " '" + printable(cmd) + "'") + ": " +
                     (error_message.empty() ? "no reason given" : printable(error_message)) + " (" + printable(error_code) + ")";
  if (const std::string hint = hint_for(error_code); !hint.empty()) text += "; " + hint;
  return text;
}

std::string request_line(std::string_view cmd, const std::optional<std::string>& device) {
  nlohmann::ordered_json request = {{"v", kProtocolVersion}, {"cmd", cmd}};
  if (device) request["device"] = *device;
  return request.dump();
}

std::optional<std::string> device_argument(std::string_view text) {
  std::size_t split = text.find('/');
  // A product key has no dot (letters and digits): the first one ends it;
  // the device name may hold more.
  if (split == std::string_view::npos) split = text.find('.');
  if (split == std::string_view::npos || split == 0 || split + 1 == text.size()) return std::nullopt;
  return std::string(text.substr(0, split)) + "/" + std::string(text.substr(split + 1));
}

std::optional<Answer> parse_answer(std::string line) {
  Answer answer;
  answer.line = std::move(line);
  answer.body = nlohmann::ordered_json::parse(answer.line, nullptr, false);
  if (!answer.body.is_object()) return std::nullopt;
  const auto ok = answer.body.find("ok");
  answer.ok = ok != answer.body.end() && ok->is_boolean() && ok->get<bool>();
  if (answer.ok) return answer;
  if (const auto error = answer.body.find("error"); error != answer.body.end() && error->is_object()) {
    if (auto code = error->find("code"); code != error->end() && code->is_string()) answer.error_code = *code;
    if (auto text = error->find("message"); text != error->end() && text->is_string()) answer.error_message = *text;
  }
  if (answer.error_code.empty()) answer.error_code = "unknown";
  return answer;
}

tl::expected<Answer, Failure> await_answer(ControlClient& client, Clock::time_point deadline,
                                           std::chrono::milliseconds timeout) {
  for (;;) {
    auto received = client.read_line(deadline);
    switch (received.kind) {
      case ControlClient::Received::Kind::line: break;
      case ControlClient::Received::Kind::timed_out:
        return tl::unexpected(Failure{exit_unreachable, "otagwd did not answer on '" + client.socket().string() +
                                                            "' within " + seconds_text(timeout) +
                                                            " (busy or hung?). " + kServiceHint});
      case ControlClient::Received::Kind::closed:
        return tl::unexpected(Failure{exit_unreachable,
                                      "otagwd closed the connection on '" + client.socket().string() +
                                          "' before answering (stopping or restarting?). " + kServiceHint});
      case ControlClient::Received::Kind::woken:
      case ControlClient::Received::Kind::failed:
        return tl::unexpected(Failure{exit_unreachable, "reading from '" + client.socket().string() +
                                                            "' failed: " + std::strerror(received.error) + ". " +
                                                            kServiceHint});
    }
    auto answer = parse_answer(std::move(received.text));
    if (!answer) {
      return tl::unexpected(Failure{exit_unreachable, "the answer on '" + client.socket().string() +
                                                          "' is not a JSON object; is otagwd listening there?"});
    }
    // An event line before the answer is not the answer (there is none on a
    // fresh connection; a newer daemon might send some).
    if (answer->body.contains("event") && !answer->body.contains("ok")) continue;
    return std::move(*answer);
  }
}

tl::expected<Answer, Failure> ask(const std::filesystem::path& socket, const std::string& line,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto client = ControlClient::connect(socket, deadline);
  if (!client) return tl::unexpected(Failure{exit_unreachable, client.error().message()});
  // A daemon that refuses the peer (not_permitted, too_many_clients) writes
  // its error and closes: the send may fail, and the error still waits to be read.
  (void)client->send_line(line, deadline);
  return await_answer(*client, deadline, timeout);
}

}  // namespace otagw::ctl
