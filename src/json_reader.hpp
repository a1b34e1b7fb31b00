#pragma once
// Strict reading of JSON documents: every key must be known, every value must
// have the expected type, and every complaint carries the field path.

#include <cmath>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "firstvalue/calendar.hpp"
#include "firstvalue/error.hpp"

namespace firstvalue::json_detail {

using nlohmann::json;

// The deepest nesting a document may have: every document we read is a few
// levels deep, and deeper ones would recurse without bound when printed or
// walked (a million brackets overflow the stack after parsing succeeded).
inline constexpr std::size_t kMaxJsonDepth = 256;

// Parses a whole document; syntax errors report the byte offset, and nesting
// deeper than kMaxJsonDepth is refused at the path where it goes too deep.
json parse_document(std::string_view text, std::string_view what);

// Reads one JSON object. Construction rejects any key outside `allowed`, so a
// typo (`wieght`) is reported as itself rather than as a missing field.
class ObjectReader {
 public:
  ObjectReader(const json& value, std::string path, std::initializer_list<std::string_view> allowed);

  const std::string& path() const noexcept { return path_; }
  std::string field_path(std::string_view key) const { return join_path(path_, key); }
  bool has(std::string_view key) const;

  const json& required(std::string_view key) const;
  double number(std::string_view key) const;
  double number_or(std::string_view key, double fallback) const;
  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string fallback) const;
  const json& array(std::string_view key) const;

 private:
  const json& value_;
  std::string path_;
};

double as_number(const json& value, const std::string& path);
// A number, or null where JSON has none (NaN, ±inf).
inline json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
// A day as YYYY-MM-DD, or null for none (kNever and kNoDay, the smallest Day).
inline json day_or_null(Day d) { return d == std::numeric_limits<Day>::min() ? json(nullptr) : json(format_date(d)); }
// A date: "YYYY-MM-DD", or a whole number of days since 1970-01-01. Anything
// before 1970 or after 2100 is a unit mistake (seconds, milliseconds), not an
// onboarding date, and is rejected.
std::int32_t as_date(const json& value, const std::string& path);
std::string as_string(const json& value, const std::string& path);
const json& as_array(const json& value, const std::string& path);

}  // namespace firstvalue::json_detail
