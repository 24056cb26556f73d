#pragma once
// Walking a YAML map while recording key paths and lines for error messages.
//
// A MapReader checks a map's keys once, on construction (unknown, repeated and
// non-string keys are errors), then hands out typed values; every value that
// is missing, of the wrong type or out of range adds one error and reads as
// nullopt, so the caller keeps its default and goes on to the next key.
//
// Public: otagwd's config loader and the simulator's scenario loader
// (tools/cloudsim) both read with it, each with its own ErrorSink, so both
// follow one set of rules with one wording (docs/configuration.md "Errors").
// yaml-cpp can still throw on a malformed tree (a key that is an alias to
// nothing): the caller catches YAML::Exception at its parsing seam.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/error_sink.hpp"

namespace otagw::config {

// 1-based line of `node`, 0 when it has none (an empty document, a node that
// is not there).
[[nodiscard]] int line_of(const YAML::Node& node);

// "mqtt" + "port" -> "mqtt.port"; "" + "gateway" -> "gateway"; an empty key
// shows as "" (the simulator's default module: modules."").
[[nodiscard]] std::string join_path(std::string_view parent, std::string_view key);
// "subdevices" + 3 -> "subdevices[3]"; "" + 3 -> "[3]".
[[nodiscard]] std::string index_path(std::string_view parent, std::size_t index);

// What a node is, for "expected X, got Y": "a map", "a list", "nothing",
// "the quoted string '...'" or the plain scalar in quotes. Quotes scalars:
// never call it on a secret.
[[nodiscard]] std::string describe(const YAML::Node& node);

struct MapEntry {
  std::string key;
  int key_line = 0;
  YAML::Node value;
};

// The entries of `map` in document order. A repeated key is an error (the
// first one is kept), so is a key that is not a string.
[[nodiscard]] std::vector<MapEntry> map_entries(const YAML::Node& map, std::string_view path, ErrorSink& errors);

struct StringRule {
  bool required = false;
  bool empty_ok = false;  // "" and an empty value read as "", e.g. ca_file: "" = system store
  // Further rules on the text: nullopt when valid, else the message
  // (identifiers.hpp has otagwd's).
  std::optional<std::string> (*check)(std::string_view value) = nullptr;
};

class MapReader {
 public:
  // `node` at `path` ("" for the document root), `line` being where its key is
  // (used when the map itself has no position, e.g. an empty section). An empty
  // value reads as an empty map: `ota:` alone means all defaults.
  MapReader(const YAML::Node& node, std::string path, int line, ErrorSink& errors,
            std::initializer_list<std::string_view> known_keys);

  // False when the node was not a map (already reported).
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] bool has(std::string_view key) const { return find_entry(key) != nullptr; }
  // The value of `key`; an empty node (YAML null) when absent.
  [[nodiscard]] YAML::Node value(std::string_view key) const;
  [[nodiscard]] std::string path(std::string_view key) const { return join_path(path_, key); }
  // Line of `key`, or of the map when the key is absent.
  [[nodiscard]] int line(std::string_view key) const;
  [[nodiscard]] int map_line() const noexcept { return line_; }
  [[nodiscard]] const std::string& map_path() const noexcept { return path_; }

  // Adds an error at `key` (its line if present, the map's otherwise).
  void error(std::string_view key, std::string message) const;
  // "missing required key" at the map's line.
  void missing(std::string_view key, std::string_view hint = {}) const;

  [[nodiscard]] std::optional<std::string> string(std::string_view key, StringRule rule = {}) const;
  // A string that is never quoted back in any message.
  [[nodiscard]] std::optional<std::string> secret_string(std::string_view key) const;
  // A plain decimal integer in [min, max].
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  // Plain true or false only (not yes/no/on/off, which YAML 1.1 tools differ on).
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
  // One of `choices`, spelt exactly (quoted or not).
  [[nodiscard]] std::optional<std::string> choice(std::string_view key,
                                                  std::initializer_list<std::string_view> choices) const;

 private:
  [[nodiscard]] const MapEntry* find_entry(std::string_view key) const;

  std::string path_;
  int line_;
  ErrorSink* errors_;
  bool ok_ = true;
  std::vector<MapEntry> entries_;
};

}  // namespace otagw::config
