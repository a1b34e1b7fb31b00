#pragma once
// Dates and business-day calendars. A date is a count of days since
// 1970-01-01 (int32), so date arithmetic is integer arithmetic and arrays of
// dates cross the C ABI and numpy (datetime64[D]) without conversion.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace firstvalue {

using Day = std::int32_t;

// The dates the calendar works with: 0001-01-01 to 9999-12-31. Arithmetic that
// would leave this range is an error rather than an int32 overflow.
inline constexpr Day kFirstDay = -719162;
inline constexpr Day kLastDay = 2932896;

// The dates of onboarding history: 1970-01-01 to 2099-12-31. A date outside
// is a unit mistake (seconds, milliseconds) or a corrupt row.
inline constexpr Day kFirstHistoryDay = 0;
inline constexpr Day kLastHistoryDay = 47482;

// 1970-01-01 was a Thursday. 0 = Monday … 6 = Sunday.
inline int weekday(Day d) noexcept { return static_cast<int>(((static_cast<std::int64_t>(d) % 7) + 7 + 3) % 7); }

Day day_from_ymd(int year, unsigned month, unsigned day);
// "YYYY-MM-DD"; nullopt when malformed or not a real date.
std::optional<Day> parse_date(std::string_view text) noexcept;
std::string format_date(Day d);

// Weekend days and holidays. All operations are O(log holidays) or better, so
// scheduling millions of tasks stays cheap.
class Calendar {
 public:
  // Monday to Friday, no holidays.
  Calendar();
  // weekend[i] is true when weekday i (0 = Monday) is not worked. Holidays may
  // repeat or fall on weekends; both are harmless. Throws Error(invalid) when
  // no weekday is worked.
  Calendar(std::array<bool, 7> weekend, std::vector<Day> holidays);

  // {"weekend": ["sat", "sun"], "holidays": ["2026-12-25", ...]}; both keys optional.
  static Calendar from_json(std::string_view json);
  std::string to_json(int indent = 2) const;

  bool is_business_day(Day d) const noexcept { return !weekend_[static_cast<std::size_t>(weekday(d))] && !is_holiday(d); }
  bool is_holiday(Day d) const noexcept;

  // Every operation below throws Error(invalid) when a date or the result
  // falls outside [kFirstDay, kLastDay].

  // The first business day on or after d (on or before, for roll_backward).
  Day roll_forward(Day d) const;
  Day roll_backward(Day d) const;

  // The n-th business day after d (n > 0), or before d (n < 0); d itself need
  // not be a business day. n = 0 returns d unchanged.
  Day add_business_days(Day d, int n) const;

  // Business days in (a, b] when b >= a, and minus those in [b, a) when b < a:
  // the inverse of add_business_days in both directions, so that
  // business_days_between(a, add_business_days(a, n)) == n for every a and n.
  int business_days_between(Day a, Day b) const;

  const std::array<bool, 7>& weekend() const noexcept { return weekend_; }
  // Sorted, unique holidays that fall on worked weekdays (the only ones that matter).
  const std::vector<Day>& holidays() const noexcept { return holidays_; }

  bool operator==(const Calendar& other) const noexcept {
    return weekend_ == other.weekend_ && holidays_ == other.holidays_;
  }

 private:
  // Worked weekdays in (a, b] ignoring holidays.
  std::int64_t weekdays_between(Day a, Day b) const noexcept;
  std::int64_t holidays_in(Day a, Day b) const noexcept;  // worked holidays in (a, b]

  std::array<bool, 7> weekend_{};
  std::vector<Day> holidays_;
  int worked_per_week_ = 5;
  std::array<int, 8> worked_prefix_{};  // worked days among weekdays [0, i)
  // Without holidays: from a day of weekday w, days to the first worked day on
  // or after it, and to its k-th worked day after it (k in 1..worked_per_week_).
  std::array<std::int8_t, 7> to_worked_{};
  std::array<std::array<std::int8_t, 8>, 7> to_nth_worked_{};
};

}  // namespace firstvalue
