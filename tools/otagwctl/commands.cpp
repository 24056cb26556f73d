#include "tools/otagwctl/commands.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include "tools/otagwctl/request.hpp"
#include "tools/otagwctl/status_table.hpp"
#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/text_cells.hpp"

namespace otagw::ctl {
namespace {

using nlohmann::ordered_json;

void print(std::FILE* to, const std::string& text) {
  std::fputs(text.c_str(), to);
  std::fflush(to);
}

std::size_t terminal_columns(std::FILE* out) {
  winsize size{};
  if (::isatty(::fileno(out)) == 0) return 0;
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

// The answer for `line`, or the exit code with its message printed.
tl::expected<Answer, int> answer_for(const Target& target, const std::string& line, Streams streams) {
  auto answer = ask(target.socket, line, target.timeout);
  if (!answer) {
    print(streams.err, "otagwctl: " + answer.error().message + "\n");
    return tl::unexpected(static_cast<int>(answer.error().code));
  }
  if (!answer->ok) {
    print(streams.err, "otagwctl: " + answer->refusal() + "\n");
    return tl::unexpected(static_cast<int>(exit_refused));
  }
  return std::move(*answer);
}

std::vector<std::string> names(const ordered_json& body, const char* key) {
  std::vector<std::string> out;
  const auto it = body.find(key);
  if (it == body.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(printable(item.get<std::string>()));
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

bool flag(const ordered_json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

int run_status(const Target& target, bool json, Streams streams) {
  auto answer = answer_for(target, request_line("status"), streams);
  if (!answer) return answer.error();
  const auto status = answer->body.find("status");
  if (status == answer->body.end() || !status->is_object()) {
    print(streams.err, "otagwctl: otagwd's answer holds no status object\n");
    return exit_unreachable;
  }
  if (json) {
    print(streams.out, status->dump(2) + "\n");
    return exit_ok;
  }
  auto view = parse_status(nlohmann::json(*status));
  if (!view) {
    print(streams.err, "otagwctl: " + view.error() + "\n");
    return exit_unreachable;
  }
  print(streams.out, render_status(*view, TableOptions{terminal_columns(streams.out), TimeZone::local,
                                                       std::chrono::system_clock::now()}));
  return exit_ok;
}

int run_sweep(const Target& target, Streams streams) {
  auto answer = answer_for(target, request_line("sweep"), streams);
  if (!answer) return answer.error();
  if (flag(answer->body, "started")) {
    print(streams.out, "a pass starts now\n");
    return exit_ok;
  }
  std::string which;
  if (const auto pass = answer->body.find("pass"); pass != answer->body.end()) {
    if (pass->is_number_integer()) which = " " + std::to_string(pass->get<std::int64_t>());
    if (pass->is_object() && pass->contains("number") && (*pass)["number"].is_number_integer()) {
      which = " " + std::to_string((*pass)["number"].get<std::int64_t>());
    }
  }
  print(streams.out, "pass" + which + " is running already; it goes on\n");
  return exit_ok;
}

int run_check(const Target& target, const std::string& device, Streams streams) {
  auto answer = answer_for(target, request_line("check", device), streams);
  if (!answer) return answer.error();
  std::string name = device;
  if (const auto it = answer->body.find("device"); it != answer->body.end() && it->is_string()) name = *it;
  std::int64_t position = 1;
  if (const auto it = answer->body.find("position"); it != answer->body.end() && it->is_number_integer()) {
    position = it->get<std::int64_t>();
  }
  if (position <= 1) {
    print(streams.out, printable(name) + " is visited next\n");
  } else {
    const std::int64_t before = position - 1;
    print(streams.out, printable(name) + " is queued: " + std::to_string(before) +
                           (before == 1 ? " check comes" : " checks come") + " before it\n");
  }
  return exit_ok;
}

int run_reload(const Target& target, Streams streams) {
  auto answer = ask(target.socket, request_line("reload"), target.timeout);
  if (!answer) {
    print(streams.err, "otagwctl: " + answer.error().message + "\n");
    return answer.error().code;
  }
  const ordered_json& body = answer->body;
  if (!answer->ok) {
    if (answer->error_code == "reload_refused") {
      // The error lines sit in the error object; a top-level `errors` is read too.
      std::vector<std::string> errors;
      if (const auto error = body.find("error"); error != body.end()) errors = names(*error, "errors");
      if (errors.empty()) errors = names(body, "errors");
      if (errors.empty()) errors.push_back(printable(answer->error_message));
      std::string text = "otagwctl: otagwd refused the new configuration and keeps the old one:\n";
      for (const auto& error : errors) text += error + "\n";
      print(streams.err, text);
    } else {
      print(streams.err, "otagwctl: " + answer->refusal() + "\n");
    }
    return exit_refused;
  }
  const auto changed = names(body, "changed");
  const auto added = names(body, "added");
  const auto removed = names(body, "removed");
  const auto updated = names(body, "updated");
  std::string text = changed.empty() ? "reloaded: nothing changed\n" : "reloaded: changed " + joined(changed) + "\n";
  if (!added.empty()) text += "added: " + joined(added) + "\n";
  if (!removed.empty()) text += "removed: " + joined(removed) + "\n";
  if (!updated.empty()) text += "updated: " + joined(updated) + "\n";
  if (flag(body, "reconnect")) text += "the MQTT session reconnects with the new settings\n";
  if (flag(body, "pending")) text += "the sub-devices change once the visit under way is done\n";
  for (const auto& key : names(body, "warnings")) text += "warning: " + key + " applies only at a restart\n";
  print(streams.out, text);
  return exit_ok;
}

}  // namespace otagw::ctl
