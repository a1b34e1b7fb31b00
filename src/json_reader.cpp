#include "json_reader.hpp"

#include <cmath>
#include <functional>
#include <set>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "text.hpp"

namespace firstvalue::json_detail {
namespace {

const char* type_name(const json& v) {
  return v.type_name();
}

}  // namespace

namespace {

// Tracks where the parser is, so that a repeated key, which nlohmann would
// silently resolve last-wins, is rejected with its path.
class DuplicateKeyGuard {
 public:
  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    (void)depth;
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (frames_.size() >= kMaxJsonDepth)
          throw_invalid(path(), "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        frames_.push_back(Frame{event == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::key: {
        Frame& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.seen.insert(f.key).second) throw_invalid(path(), "duplicate key");
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t index;
    std::string key;
    std::set<std::string> seen;
  };
  void element_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  std::string path() const {
    std::string p;
    for (const Frame& f : frames_) p = f.array ? index_path(p, f.index) : join_path(p, f.key);
    return p;
  }
  std::vector<Frame> frames_;
};

}  // namespace

json parse_document(std::string_view text, std::string_view what) {
  try {
    DuplicateKeyGuard guard;
    return json::parse(text.begin(), text.end(), std::ref(guard));
  } catch (const json::parse_error& e) {
    throw Error(Errc::invalid, "",
                std::string(what) + " is not valid JSON (byte " + std::to_string(e.byte) +
                    "): " + e.what());
  } catch (const json::exception& e) {
    // A number too large for a double (out_of_range 406), found by fuzzing:
    // only fv::Error leaves a parser.
    throw Error(Errc::invalid, "", std::string(what) + " is not valid JSON: " + e.what());
  }
}

ObjectReader::ObjectReader(const json& value, std::string path,
                           std::initializer_list<std::string_view> allowed)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object())
    throw_invalid(path_, std::string("expected an object, got ") + type_name(value_));
  for (const auto& item : value_.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || item.key() == a;
    if (!known) throw_invalid(join_path(path_, item.key()), "unknown key");
  }
}

bool ObjectReader::has(std::string_view key) const {
  return value_.find(key) != value_.end();
}

const json& ObjectReader::required(std::string_view key) const {
  const auto it = value_.find(key);
  if (it == value_.end()) throw_invalid(join_path(path_, key), "is required");
  return *it;
}

double ObjectReader::number(std::string_view key) const {
  return as_number(required(key), field_path(key));
}

double ObjectReader::number_or(std::string_view key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

std::string ObjectReader::string(std::string_view key) const {
  return as_string(required(key), field_path(key));
}

std::string ObjectReader::string_or(std::string_view key, std::string fallback) const {
  return has(key) ? string(key) : std::move(fallback);
}

const json& ObjectReader::array(std::string_view key) const {
  return as_array(required(key), field_path(key));
}

double as_number(const json& value, const std::string& path) {
  if (!value.is_number())
    throw_invalid(path, std::string("expected a number, got ") + type_name(value));
  const double d = value.get<double>();
  if (!std::isfinite(d)) throw_invalid(path, "must be finite");
  return d;
}

std::int32_t as_date(const json& value, const std::string& path) {
  constexpr std::int64_t kLast = kLastHistoryDay;
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    const auto day = parse_date(text);
    if (!day) throw_invalid(path, "not a date " + detail::quoted(text) + " (expected YYYY-MM-DD)");
    if (*day < kFirstHistoryDay || *day > kLast) throw_invalid(path, "date " + text + " is outside 1970-2100");
    return *day;
  }
  if (value.is_number_integer()) {
    const bool fits = value.is_number_unsigned() ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(kLast)
                                                 : value.get<std::int64_t>() >= 0 && value.get<std::int64_t>() <= kLast;
    if (!fits) throw_invalid(path, "day " + value.dump() + " is outside 1970-2100");
    return static_cast<std::int32_t>(value.get<std::int64_t>());
  }
  throw_invalid(path, std::string("expected a date (\"YYYY-MM-DD\" or a whole day number), got ") +
                          (value.is_number() ? "a fractional number" : value.type_name()));
}

std::string as_string(const json& value, const std::string& path) {
  if (!value.is_string())
    throw_invalid(path, std::string("expected a string, got ") + type_name(value));
  return value.get<std::string>();
}

const json& as_array(const json& value, const std::string& path) {
  if (!value.is_array())
    throw_invalid(path, std::string("expected an array, got ") + type_name(value));
  return value;
}

}  // namespace firstvalue::json_detail
