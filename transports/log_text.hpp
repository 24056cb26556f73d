#pragma once
// Text from the cloud on its way into the log: one line, no terminal control,
// bounded. A platform `message`, a topic, a file name or a URL could
// otherwise forge log lines (a newline), fake a journald priority ("\n<3>"),
// or drive a terminal (ESC, C1 controls).
#include <cstddef>
#include <string>
#include <string_view>

namespace otagw {

// `text` with backslash, C0 and C1 controls, DEL and bytes that are not UTF-8
// written as escapes (\\, \n, \r, \t, \xNN, \u0085), cut after `max_bytes` of
// input at a character boundary (then "...[N bytes more]"). Valid UTF-8 out.
[[nodiscard]] std::string log_text(std::string_view text, std::size_t max_bytes = 256);

}  // namespace otagw
