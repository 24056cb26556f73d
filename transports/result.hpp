#pragma once
// Results on the I/O paths the daemon must survive: a value, or an error code
// with context. This alias is the one place to switch to std::expected.
#include <string>
#include <system_error>
#include <utility>

#include <tl/expected.hpp>

namespace otagw {

struct Error {
  std::error_code code;
  std::string context;  // what was being done, e.g. "open /var/lib/otagw/state.json"

  [[nodiscard]] std::string message() const {
    return context.empty() ? code.message() : context + ": " + code.message();
  }
};

template <typename T>
using Expected = tl::expected<T, Error>;

using Unexpected = tl::unexpected<Error>;

[[nodiscard]] inline Unexpected make_error(std::error_code code, std::string context = {}) {
  return Unexpected(Error{code, std::move(context)});
}

}  // namespace otagw
