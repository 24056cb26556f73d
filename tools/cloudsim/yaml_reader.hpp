#pragma once
// A small checked walk over a YAML map for the scenario loader: known keys
// only, typed values, and one ScenarioError (path + line) for each problem. A
// bad value reads as nullopt so the caller keeps its default and goes on, and
// the user sees every error at once.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tools/cloudsim/scenario_load.hpp"

namespace otagw::cloudsim::detail {

// 1-based line of `node`; 0 when it has none.
[[nodiscard]] int line_of(const YAML::Node& node);
[[nodiscard]] std::string join_path(std::string_view parent, std::string_view key);
[[nodiscard]] std::string index_path(std::string_view parent, std::size_t index);

class YamlErrors;

// ASCII case-insensitive equality.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

// A YAML value as JSON the way otagwd types `params` (config/yaml_to_json.hpp):
// plain scalars by the YAML 1.2 core schema, quoted or tagged ones as strings.
// nullopt (with an error) past 32 levels of nesting or on a non-string key.
[[nodiscard]] std::optional<nlohmann::json> typed_json(const YAML::Node& node, const std::string& path,
                                                       YamlErrors& errors, int depth = 0);

class YamlErrors {
 public:
  void add(std::string path, int line, std::string message) {
    list_.push_back(ScenarioError{std::move(path), line, std::move(message)});
  }
  [[nodiscard]] std::size_t count() const noexcept { return list_.size(); }
  [[nodiscard]] std::vector<ScenarioError> take() { return std::move(list_); }

 private:
  std::vector<ScenarioError> list_;
};

class MapReader {
 public:
  // `node` must be a map (a null node reads as an empty map when `null_ok`);
  // anything else is one error and ok() is false. Keys outside `known` are
  // errors, each naming the key and the keys allowed there.
  MapReader(const YAML::Node& node, std::string path, YamlErrors& errors,
            std::initializer_list<std::string_view> known, bool null_ok = false);

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] YAML::Node node(std::string_view key) const;
  [[nodiscard]] std::string path(std::string_view key) const { return join_path(path_, key); }
  [[nodiscard]] int line(std::string_view key) const;

  void error(std::string_view key, std::string message) const;

  // A scalar as text; `required` adds "missing required key" when absent.
  // Empty strings are refused unless `empty_ok`.
  [[nodiscard]] std::optional<std::string> string(std::string_view key, bool required, bool empty_ok = false) const;
  // A decimal integer in [min, max].
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                    bool required = false) const;
  // true or false (unquoted, the YAML 1.2 core spellings true/True/TRUE, ...).
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
  // One of `choices` (exact spelling).
  [[nodiscard]] std::optional<std::string> choice(std::string_view key,
                                                  std::initializer_list<std::string_view> choices) const;

 private:
  YAML::Node map_;
  std::string path_;
  YamlErrors* errors_;
  bool ok_ = true;
  std::vector<std::pair<std::string, YAML::Node>> entries_;  // key -> the key's node (for its line)
};

}  // namespace otagw::cloudsim::detail
