#pragma once
// Where the YAML readers (yaml_map_reader.hpp, yaml_to_json.hpp) put their
// errors: otagwd's config loader (SourceContext, which adds the file) and the
// simulator's scenario loader each have one.
#include <string>

namespace otagw::config {

class ErrorSink {
 public:
  // `key_path` as join_path()/index_path() build it ("" for the document),
  // `line` 1-based (0 when unknown).
  virtual void error(std::string key_path, int line, std::string message) = 0;

 protected:
  ErrorSink() = default;
  ErrorSink(const ErrorSink&) = default;
  ErrorSink& operator=(const ErrorSink&) = default;
  ~ErrorSink() = default;
};

}  // namespace otagw::config
