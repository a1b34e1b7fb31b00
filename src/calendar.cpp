#include "firstvalue/calendar.hpp"

#include <algorithm>
#include <cstdio>

#include "firstvalue/error.hpp"
#include "json_reader.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

constexpr std::array<const char*, 7> kShortNames{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<const char*, 7> kLongNames{"monday", "tuesday", "wednesday", "thursday",
                                                "friday", "saturday", "sunday"};

// Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Ymd {
  std::int64_t y;
  unsigned m, d;
};

Ymd civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

void check_day(std::int64_t d, const char* what) {
  if (d < kFirstDay || d > kLastDay)
    throw_invalid(what, "day " + std::to_string(d) + " is outside 0001-01-01 .. 9999-12-31");
}

// weekday(d) for d >= -719166 (a day before kFirstDay) and d <= kLastDay, in
// unsigned 32-bit arithmetic: 719166 is a multiple of 7.
inline int weekday_fast(std::int64_t d) noexcept {
  return static_cast<int>((static_cast<std::uint32_t>(d + 719166) + 3u) % 7u);
}

int weekday_index(std::string_view name) {
  for (std::size_t i = 0; i < 7; ++i)
    if (name == kShortNames[i] || name == kLongNames[i]) return static_cast<int>(i);
  return -1;
}

}  // namespace

Day day_from_ymd(int year, unsigned month, unsigned day) {
  return static_cast<Day>(days_from_civil(year, month, day));
}

std::optional<Day> parse_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t count, unsigned& out) {
    out = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
  };
  unsigned y = 0, m = 0, d = 0;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  if (y < 1) return std::nullopt;  // the calendar's range starts at 0001-01-01
  const std::int64_t days = days_from_civil(y, m, d);
  const Ymd back = civil_from_days(days);  // rejects 2026-02-30 and friends
  if (back.m != m || back.d != d) return std::nullopt;
  return static_cast<Day>(days);
}

std::string format_date(Day day) {
  const Ymd c = civil_from_days(day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.y), c.m, c.d);
  return buf;
}

Calendar::Calendar() : Calendar({false, false, false, false, false, true, true}, {}) {}

Calendar::Calendar(std::array<bool, 7> weekend, std::vector<Day> holidays) : weekend_(weekend) {
  worked_per_week_ = 0;
  for (bool off : weekend_) worked_per_week_ += off ? 0 : 1;
  if (worked_per_week_ == 0) throw_invalid("weekend", "at least one day of the week must be worked");
  worked_prefix_[0] = 0;
  for (std::size_t i = 0; i < 7; ++i) worked_prefix_[i + 1] = worked_prefix_[i] + (weekend_[i] ? 0 : 1);
  for (std::size_t w = 0; w < 7; ++w) {
    int ahead = 0;
    while (weekend_[(w + static_cast<std::size_t>(ahead)) % 7]) ++ahead;
    to_worked_[w] = static_cast<std::int8_t>(ahead);
    int k = 0;
    for (int step = 1; k < worked_per_week_; ++step)
      if (!weekend_[(w + static_cast<std::size_t>(step)) % 7]) to_nth_worked_[w][static_cast<std::size_t>(++k)] = static_cast<std::int8_t>(step);
  }
  std::sort(holidays.begin(), holidays.end());
  holidays.erase(std::unique(holidays.begin(), holidays.end()), holidays.end());
  // A holiday on a weekend changes nothing; dropping it keeps the counts simple.
  for (Day h : holidays)
    if (!weekend_[static_cast<std::size_t>(weekday(h))]) holidays_.push_back(h);
}

bool Calendar::is_holiday(Day d) const noexcept {
  return std::binary_search(holidays_.begin(), holidays_.end(), d);
}

Day Calendar::roll_forward(Day d) const {
  if (holidays_.empty() && d >= kFirstDay && d <= kLastDay - 7)
    return d + to_worked_[static_cast<std::size_t>(weekday_fast(d))];
  check_day(d, "day");
  std::int64_t x = d;
  while (!is_business_day(static_cast<Day>(x))) check_day(++x, "result");
  return static_cast<Day>(x);
}

Day Calendar::roll_backward(Day d) const {
  check_day(d, "day");
  std::int64_t x = d;
  while (!is_business_day(static_cast<Day>(x))) check_day(--x, "result");
  return static_cast<Day>(x);
}

std::int64_t Calendar::weekdays_between(Day a, Day b) const noexcept {
  const std::int64_t n = static_cast<std::int64_t>(b) - a;
  const std::int64_t full_weeks = n / 7;
  const auto rem = static_cast<int>(n % 7);
  // Days a+1 … a+rem have weekdays w+1 … w+rem (mod 7).
  const int w = weekday_fast(a);  // a >= kFirstDay - 1
  auto worked_upto = [&](int i) {  // worked days among weekday indices [0, i), i in [0, 14]
    return i <= 7 ? worked_prefix_[static_cast<std::size_t>(i)]
                  : worked_per_week_ + worked_prefix_[static_cast<std::size_t>(i - 7)];
  };
  return full_weeks * worked_per_week_ + worked_upto(w + rem + 1) - worked_upto(w + 1);
}

std::int64_t Calendar::holidays_in(Day a, Day b) const noexcept {
  return std::upper_bound(holidays_.begin(), holidays_.end(), b) -
         std::upper_bound(holidays_.begin(), holidays_.end(), a);
}

int Calendar::business_days_between(Day a, Day b) const {
  check_day(a, "a");
  check_day(b, "b");
  if (b >= a) return static_cast<int>(weekdays_between(a, b) - holidays_in(a, b));
  // [b, a) = (b − 1, a − 1]: mirrors add_business_days going backwards.
  return -static_cast<int>(weekdays_between(b - 1, a - 1) - holidays_in(b - 1, a - 1));
}

Day Calendar::add_business_days(Day d, int n) const {
  // Without holidays, whole weeks then the remaining worked days in one step:
  // the loop below, where it cannot leave the range.
  if (holidays_.empty() && n > 0 && d >= kFirstDay && d <= kLastDay) {
    const std::int64_t weeks = (static_cast<std::int64_t>(n) - 1) / worked_per_week_;
    const auto rem = static_cast<std::size_t>(n - weeks * worked_per_week_);
    const std::int64_t x = d + 7 * weeks + to_nth_worked_[static_cast<std::size_t>(weekday_fast(d))][rem];
    if (x <= kLastDay) return static_cast<Day>(x);
  }
  check_day(d, "day");
  const int step = n >= 0 ? 1 : -1;
  std::int64_t remaining = n >= 0 ? std::int64_t{n} : -std::int64_t{n};
  // Beyond this many business days the result cannot be in range.
  if (remaining > static_cast<std::int64_t>(kLastDay) - kFirstDay)
    throw_invalid("n", std::to_string(n) + " business days leads outside 0001-01-01 .. 9999-12-31");
  std::int64_t x = d;
  while (remaining > 0) {
    if (remaining > worked_per_week_) {
      // Whole weeks never overshoot: they hold at most weeks × worked days.
      const std::int64_t weeks = (remaining - 1) / worked_per_week_;
      const std::int64_t y = x + step * 7 * weeks;
      check_day(y, "result");
      remaining -= step * business_days_between(static_cast<Day>(x), static_cast<Day>(y));
      x = y;
      continue;
    }
    x += step;
    check_day(x, "result");
    if (is_business_day(static_cast<Day>(x))) --remaining;
  }
  return static_cast<Day>(x);
}

Calendar Calendar::from_json(std::string_view text) {
  const auto doc = json_detail::parse_document(text, "calendar");
  const json_detail::ObjectReader r(doc, "", {"weekend", "holidays"});
  std::array<bool, 7> weekend{false, false, false, false, false, true, true};
  if (r.has("weekend")) {
    weekend.fill(false);
    const auto& list = r.array("weekend");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = index_path("weekend", i);
      const std::string name = json_detail::as_string(list[i], path);
      const int w = weekday_index(name);
      if (w < 0) throw_invalid(path, "unknown day " + detail::quoted(name) + " (expected mon, tue, … sun)");
      weekend[static_cast<std::size_t>(w)] = true;
    }
  }
  std::vector<Day> holidays;
  if (r.has("holidays")) {
    const auto& list = r.array("holidays");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = index_path("holidays", i);
      const std::string text_date = json_detail::as_string(list[i], path);
      const auto day = parse_date(text_date);
      if (!day) throw_invalid(path, "not a date " + detail::quoted(text_date) + " (expected YYYY-MM-DD)");
      holidays.push_back(*day);
    }
  }
  return Calendar(weekend, std::move(holidays));
}

std::string Calendar::to_json(int indent) const {
  json_detail::json weekend = json_detail::json::array();
  for (std::size_t i = 0; i < 7; ++i)
    if (weekend_[i]) weekend.push_back(kShortNames[i]);
  json_detail::json holidays = json_detail::json::array();
  for (Day h : holidays_) holidays.push_back(format_date(h));
  return json_detail::json{{"weekend", weekend}, {"holidays", holidays}}.dump(indent);
}

}  // namespace firstvalue
