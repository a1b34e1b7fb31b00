#include <gtest/gtest.h>

#include "firstvalue/calendar.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/random.hpp"

namespace fv = firstvalue;

namespace {
fv::Day D(const char* s) { return *fv::parse_date(s); }
}  // namespace

TEST(Calendar, CivilDates) {
  EXPECT_EQ(fv::day_from_ymd(1970, 1, 1), 0);
  EXPECT_EQ(fv::weekday(0), 3);  // a Thursday
  EXPECT_EQ(D("2026-11-23"), 20780);
  EXPECT_EQ(fv::weekday(D("2026-11-23")), 0);  // Monday
  EXPECT_EQ(fv::format_date(20780), "2026-11-23");
  EXPECT_EQ(fv::format_date(-1), "1969-12-31");
  EXPECT_EQ(D("2024-02-29"), fv::day_from_ymd(2024, 2, 29));
  EXPECT_FALSE(fv::parse_date("2026-02-29"));
  EXPECT_FALSE(fv::parse_date("2026-13-01"));
  EXPECT_FALSE(fv::parse_date("2026-1-01"));
  EXPECT_FALSE(fv::parse_date("yesterday"));
  EXPECT_FALSE(fv::parse_date("0000-01-01"));  // before the calendar's range
  EXPECT_EQ(fv::parse_date("0001-01-01"), fv::kFirstDay);
  EXPECT_EQ(fv::parse_date("9999-12-31"), fv::kLastDay);
  for (fv::Day d = -700000; d < 2900000; d += 997) EXPECT_EQ(*fv::parse_date(fv::format_date(d)), d);
}

TEST(Calendar, WeekendsAndHolidaysHandWorked) {
  const fv::Calendar plain;
  // Friday 2026-11-27 + 1 business day is Monday 2026-11-30.
  EXPECT_EQ(plain.add_business_days(D("2026-11-27"), 1), D("2026-11-30"));
  EXPECT_EQ(plain.add_business_days(D("2026-11-23"), 5), D("2026-11-30"));
  EXPECT_EQ(plain.add_business_days(D("2026-11-28"), 1), D("2026-11-30"));  // from a Saturday
  EXPECT_EQ(plain.add_business_days(D("2026-11-30"), -1), D("2026-11-27"));
  EXPECT_EQ(plain.add_business_days(D("2026-11-28"), 0), D("2026-11-28"));
  EXPECT_EQ(plain.business_days_between(D("2026-11-23"), D("2026-11-30")), 5);
  EXPECT_EQ(plain.business_days_between(D("2026-11-30"), D("2026-11-23")), -5);
  EXPECT_EQ(plain.business_days_between(D("2026-11-30"), D("2026-11-28")), 0);  // [Sat, Mon) holds no business day
  EXPECT_EQ(plain.roll_forward(D("2026-11-28")), D("2026-11-30"));
  EXPECT_EQ(plain.roll_backward(D("2026-11-29")), D("2026-11-27"));

  // Thanksgiving (Thu 26th) and the day after are off.
  const fv::Calendar us({false, false, false, false, false, true, true}, {D("2026-11-26"), D("2026-11-27")});
  EXPECT_EQ(us.add_business_days(D("2026-11-25"), 1), D("2026-11-30"));
  EXPECT_EQ(us.add_business_days(D("2026-11-23"), 5), D("2026-12-02"));
  EXPECT_EQ(us.business_days_between(D("2026-11-23"), D("2026-11-30")), 3);
  EXPECT_EQ(us.roll_forward(D("2026-11-26")), D("2026-11-30"));
  EXPECT_FALSE(us.is_business_day(D("2026-11-27")));
  // Christmas to New Year: 2026-12-24 (Thu) + 1 with 12-25 and 2027-01-01 off.
  const fv::Calendar eoy({false, false, false, false, false, true, true}, {D("2026-12-25"), D("2027-01-01")});
  EXPECT_EQ(eoy.add_business_days(D("2026-12-24"), 1), D("2026-12-28"));
  EXPECT_EQ(eoy.add_business_days(D("2026-12-24"), 6), D("2027-01-05"));
}

TEST(Calendar, FridaySaturdayWeekend) {
  const fv::Calendar gulf({false, false, false, false, true, true, false}, {});
  EXPECT_EQ(gulf.add_business_days(D("2026-11-26"), 1), D("2026-11-29"));  // Thu + 1 = Sun
  EXPECT_TRUE(gulf.is_business_day(D("2026-11-29")));
  EXPECT_THROW(fv::Calendar({true, true, true, true, true, true, true}, {}), fv::Error);
}

// Against a day-by-day reference on random calendars, days and offsets.
TEST(Calendar, AgreesWithBruteForce) {
  fv::SplitMix64 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    std::array<bool, 7> weekend{};
    for (auto& w : weekend) w = rng.chance(0.3);
    weekend[rng.below(7)] = false;
    std::vector<fv::Day> holidays;
    const fv::Day base = 20000 + static_cast<fv::Day>(rng.below(2000));
    for (int h = 0; h < 30; ++h) holidays.push_back(base - 200 + static_cast<fv::Day>(rng.below(400)));
    const fv::Calendar cal(weekend, holidays);
    auto worked = [&](fv::Day d) {
      if (weekend[static_cast<std::size_t>(fv::weekday(d))]) return false;
      for (fv::Day h : holidays)
        if (h == d) return false;
      return true;
    };
    for (int q = 0; q < 50; ++q) {
      const fv::Day a = base - 100 + static_cast<fv::Day>(rng.below(200));
      const int n = static_cast<int>(rng.below(81)) - 40;
      fv::Day x = a;
      for (int left = n > 0 ? n : -n; left > 0;) {
        x += n > 0 ? 1 : -1;
        if (worked(x)) --left;
      }
      ASSERT_EQ(cal.add_business_days(a, n), x) << "trial " << trial << " a " << a << " n " << n;
      ASSERT_EQ(cal.business_days_between(a, x), n);
      const fv::Day b = a + static_cast<fv::Day>(rng.below(120)) - 60;
      int count = 0;
      if (b >= a)
        for (fv::Day d = a + 1; d <= b; ++d) count += worked(d);
      else
        for (fv::Day d = b; d < a; ++d) count += worked(d);
      ASSERT_EQ(cal.business_days_between(a, b), b >= a ? count : -count);
      ASSERT_EQ(cal.is_business_day(a), worked(a));
    }
  }
}

TEST(Calendar, OutOfRangeArithmeticIsAnErrorNotAnOverflow) {
  const fv::Calendar cal;
  EXPECT_THROW((void)cal.add_business_days(20000, 2147483647), fv::Error);
  EXPECT_THROW((void)cal.add_business_days(20000, -2147483647 - 1), fv::Error);
  EXPECT_THROW((void)cal.add_business_days(fv::kLastDay, 1), fv::Error);
  EXPECT_THROW((void)cal.roll_forward(2147483647), fv::Error);
  EXPECT_THROW((void)cal.business_days_between(-2147483647 - 1, 2147483647), fv::Error);
  // The whole range itself works: 9999-12-31 is a Friday.
  EXPECT_EQ(cal.add_business_days(fv::kLastDay - 1, 1), fv::kLastDay);
  // numpy.busday_count(0001-01-02, 10000-01-01), i.e. (first, last], says 2608614.
  EXPECT_EQ(cal.business_days_between(fv::kFirstDay, fv::kLastDay), 2608614);
  try {
    (void)cal.add_business_days(20000, 2147483647);
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.path(), "n");
  }
}

TEST(Calendar, JsonRoundTripAndErrors) {
  const auto cal = fv::Calendar::from_json(R"({"weekend":["fri","saturday"],"holidays":["2026-12-24","2026-12-24","2026-12-25"]})");
  EXPECT_TRUE(cal.weekend()[4] && cal.weekend()[5] && !cal.weekend()[6]);
  EXPECT_EQ(cal.holidays().size(), 1u);  // a duplicate, and a holiday on the (Friday) weekend
  EXPECT_EQ(fv::Calendar::from_json(cal.to_json()), cal);
  EXPECT_EQ(fv::Calendar::from_json("{}"), fv::Calendar());
  try {
    (void)fv::Calendar::from_json(R"({"holidays":["2026-12-25","2026-02-30"]})");
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_STREQ(e.what(), "holidays[1]: not a date \"2026-02-30\" (expected YYYY-MM-DD)");
  }
  try {
    (void)fv::Calendar::from_json(R"({"weekend":["sat","caturday"]})");
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.path(), "weekend[1]");
  }
  EXPECT_THROW((void)fv::Calendar::from_json(R"({"weekends":[]})"), fv::Error);
}
