#include "config/yaml_document.hpp"

#include <yaml-cpp/eventhandler.h>

#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace otagw::config::detail {

namespace {

// yaml-cpp appends the offending character or code point to two of its
// messages; inside a quoted secret that would leak part of it.
std::string without_quoted_text(const std::string& message) {
  for (const char* prefix : {YAML::ErrorMsg::INVALID_ESCAPE, YAML::ErrorMsg::INVALID_UNICODE}) {
    const std::string_view p(prefix);
    if (message.compare(0, p.size(), p) == 0) {
      // Drop the trailing ": " and what followed it.
      return std::string(p.substr(0, p.find_last_not_of(": ") + 1));
    }
  }
  return message;
}

// yaml-cpp 0.7 accepts a quoted scalar that is never closed and takes the
// rest of the file as its text: `device_secret: "abc` on the last line would
// load as a wrong secret with no error. Such a scalar runs to the end of the
// file, so it is found by scanning each quoted scalar's source for its end.
bool quote_is_closed(std::string_view text, std::size_t start) {
  const char quote = text[start];
  for (std::size_t i = start + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is an escaped quote
      } else {
        return true;
      }
    }
  }
  return false;
}

class UnclosedQuoteFinder {
 public:
  // Marks count from after a UTF-8 byte order mark.
  explicit UnclosedQuoteFinder(std::string_view text)
      : text_(text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text) {}

  // The first quoted scalar under `node` that is not closed, if any.
  std::optional<YAML::Mark> find(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (node.IsScalar()) {
      const bool quoted =
          node.Tag() == "!" && mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < text_.size() &&
          (text_[static_cast<std::size_t>(mark.pos)] == '"' || text_[static_cast<std::size_t>(mark.pos)] == '\'');
      if (quoted && !quote_is_closed(text_, static_cast<std::size_t>(mark.pos))) return mark;
      return std::nullopt;
    }
    if (!node.IsMap() && !node.IsSequence()) return std::nullopt;
    // Aliases share their anchor's node: visit each once, which also stops
    // an alias that contains itself.
    if (!visited_.emplace(mark.pos, node.IsMap()).second) return std::nullopt;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (node.IsMap()) {
        if (auto found = find(it->first)) return found;
        if (auto found = find(it->second)) return found;
      } else if (auto found = find(*it)) {
        return found;
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  std::set<std::pair<int, bool>> visited_;
};

// Far deeper than any config (params may nest 32 levels below depth 3) and
// far below yaml-cpp's own recursion guard (500 levels, "bad file").
constexpr int kMaxNesting = 64;

struct TooDeep {
  YAML::Mark mark;
};

// A first pass over the events, before yaml-cpp builds nodes: it stops at the
// first collection nested deeper than kMaxNesting (yaml-cpp's parser recurses
// once per level) and records where each document starts.
class Prescan final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> document_starts;

  void OnDocumentStart(const YAML::Mark& mark) override { document_starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

 private:
  void enter(const YAML::Mark& mark) {
    if (++depth_ > kMaxNesting) throw TooDeep{mark};
  }
  int depth_ = 0;
};

// Reads at most three documents' events. yaml-cpp 0.7 does not consume a
// token that cannot start a document (a ',' where one should start: found by
// the config fuzz target) and returns empty documents at that spot for ever,
// so YAML::LoadAll never ends; a document starting where the one before it
// started is that stuck token. Returns false after reporting an error.
bool prescan(std::string_view text, SourceContext& src) {
  std::istringstream stream{std::string(text)};
  YAML::Parser parser(stream);
  Prescan events;
  while (events.document_starts.size() < 3 && parser.HandleNextDocument(events)) {
    const auto& starts = events.document_starts;
    if (starts.size() >= 2 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos) {
      src.error("", starts.back().line + 1, "YAML syntax error: unexpected character at column " +
                                                std::to_string(starts.back().column + 1));
      return false;
    }
  }
  if (events.document_starts.size() > 1) {
    src.error("", events.document_starts[1].line + 1, "more than one YAML document ('---'); put everything in one");
    return false;
  }
  return true;
}

}  // namespace

std::optional<YAML::Node> parse_yaml_document(std::string_view text, SourceContext& src) {
  try {
    if (!prescan(text, src)) return std::nullopt;
    // One document, not nested too deeply: yaml-cpp's node builder is safe now.
    YAML::Node document = YAML::Load(std::string(text));
    if (auto unclosed = UnclosedQuoteFinder(text).find(document)) {
      src.error("", unclosed->line + 1, "YAML syntax error: quoted string not closed");
      return std::nullopt;
    }
    return document;
  } catch (const TooDeep& e) {
    src.error("", e.mark.line + 1, "nested deeper than " + std::to_string(kMaxNesting) + " levels");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    src.error("", line, "YAML syntax error: " + without_quoted_text(e.msg));
    return std::nullopt;
  }
}

}  // namespace otagw::config::detail
