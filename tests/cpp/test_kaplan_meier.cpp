// Kaplan–Meier on hand-worked cases; tests/python/test_kaplan_meier.py holds
// the comparison with lifelines itself.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "firstvalue/kaplan_meier.hpp"

namespace fv = firstvalue;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string path_of(auto&& call) {
  try {
    call();
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid);
    return e.path();
  }
  return "(no error)";
}

// Six subjects: events at 2, 3, 3; censored at 3 and 5; event at 7.
const std::vector<int> kDays{2, 3, 3, 3, 5, 7};
const std::vector<std::uint8_t> kEvents{1, 1, 1, 0, 0, 1};

}  // namespace

TEST(KaplanMeier, HandWorkedCurve) {
  const fv::SurvivalCurve c = fv::kaplan_meier<int, std::uint8_t>(kDays, kEvents);
  EXPECT_EQ(c.time, (std::vector<double>{0, 2, 3, 5, 7}));
  EXPECT_EQ(c.at_risk, (std::vector<std::int64_t>{6, 6, 5, 2, 1}));
  EXPECT_EQ(c.events, (std::vector<std::int64_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(c.censored, (std::vector<std::int64_t>{0, 0, 1, 1, 0}));
  EXPECT_EQ(c.entered, (std::vector<std::int64_t>{6, 0, 0, 0, 0}));
  // The censored subject at 3 is still at risk at 3: S(3) = 5/6 · 3/5 = 1/2.
  const std::vector<double> s{1, 5.0 / 6, 0.5, 0.5, 0};
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(c.survival[i], s[i], 1e-15) << i;
  // Greenwood at 3: 1/(6·5) + 2/(5·3) = 1/6, and log(−log S) ± z·√(1/6)/log S.
  const double z = 1.959963984540054, v = std::log(0.5);
  EXPECT_NEAR(c.greenwood[2], 1.0 / 6, 1e-15);
  const fv::SurvivalBand band = c.band();
  ASSERT_EQ(band.lower.size(), c.size());
  EXPECT_NEAR(band.lower[2], std::exp(-std::exp(std::log(-v) - z * std::sqrt(1.0 / 6) / v)), 1e-15);
  EXPECT_NEAR(band.upper[2], std::exp(-std::exp(std::log(-v) + z * std::sqrt(1.0 / 6) / v)), 1e-15);
  EXPECT_EQ(band.lower[0], 1.0);  // S = 1: both bounds 1
  EXPECT_EQ(band.upper[4], 0.0);  // S = 0: both bounds 0
  for (std::size_t i = 0; i < c.size(); ++i) {
    EXPECT_NEAR(c.bounds(i).first, band.lower[i], 1e-15) << i;
    EXPECT_NEAR(c.bounds(i).second, band.upper[i], 1e-15) << i;
  }
  EXPECT_EQ(c.median(), 3);    // S is exactly 1/2 at 3
  EXPECT_EQ(c.quantile(0.9), 2);
  EXPECT_EQ(c.quantile(0.0), 7);
  EXPECT_EQ(c.predict(4.9), 0.5);
  EXPECT_EQ(c.predict(-1), 1.0);
  EXPECT_EQ(c.predict(100), 0.0);
}

TEST(KaplanMeier, QuantileIntervalsReadTheBounds) {
  const fv::SurvivalCurve c = fv::kaplan_meier<int, std::uint8_t>(kDays, kEvents);
  const auto [lo, hi] = c.median_ci();
  // The first time each bound is at or below 1/2.
  auto first = [&](const std::vector<double>& b) {
    for (std::size_t i = 0; i < b.size(); ++i)
      if (b[i] <= 0.5) return c.time[i];
    return kInf;
  };
  const fv::SurvivalBand band = c.band();
  EXPECT_EQ(lo, first(band.lower));
  EXPECT_EQ(hi, first(band.upper));
  EXPECT_LE(lo, c.median());
  EXPECT_GE(hi, c.median());
}

TEST(KaplanMeier, AMedianThatIsNeverReachedIsInfinite) {
  const std::vector<double> d{1, 2, 3, 4};
  const std::vector<std::uint8_t> e{1, 0, 0, 0};
  const fv::SurvivalCurve c = fv::kaplan_meier<double, std::uint8_t>(d, e);
  EXPECT_EQ(c.median(), kInf);
  EXPECT_EQ(c.survival.back(), 0.75);
}

TEST(KaplanMeier, LateEntryJoinsAfterTheEventsOfItsTime) {
  // A enters at 0 and dies at 2; B enters at 0, censored at 4; C enters at 2, dies at 3.
  // At 2, C is not at risk for A's death: S(2) = 1/2. At 3: only B and C, S = 1/2 · 1/2.
  const std::vector<double> d{2, 4, 3}, entry{0, 0, 2};
  const std::vector<std::uint8_t> e{1, 0, 1};
  const fv::SurvivalCurve c = fv::kaplan_meier<double, std::uint8_t>(d, e, entry);
  EXPECT_EQ(c.time, (std::vector<double>{0, 2, 3, 4}));
  EXPECT_EQ(c.at_risk, (std::vector<std::int64_t>{2, 3, 2, 1}));  // lifelines' at_risk counts entrants
  EXPECT_EQ(c.survival, (std::vector<double>{1, 0.5, 0.25, 0.25}));
}

TEST(KaplanMeier, EventsOfSubjectsEnteringThenAfterTheFirstTimeLeaveSAlone) {
  // D enters and dies at 5, when no one else is at risk: more events than the
  // risk set before the entrants; lifelines leaves S unchanged there.
  const std::vector<double> d{1, 5}, entry{0, 5};
  const std::vector<std::uint8_t> e{0, 1};
  const fv::SurvivalCurve c = fv::kaplan_meier<double, std::uint8_t>(d, e, entry);
  EXPECT_EQ(c.survival, (std::vector<double>{1, 1, 1}));
}

TEST(KaplanMeier, DenseAndSortedCountingAgree) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t n = 1 + rng() % 3000;
    std::vector<std::int64_t> d(n), entry(n);
    std::vector<std::uint8_t> e(n);
    for (std::size_t i = 0; i < n; ++i) {
      entry[i] = trial % 2 ? static_cast<std::int64_t>(rng() % 10) : 0;
      d[i] = entry[i] + static_cast<std::int64_t>(rng() % 200);
      e[i] = static_cast<std::uint8_t>(rng() % 3 != 0);
    }
    // Days are counted in a dense table; the same days shifted by half a day
    // are sorted instead, and must give the same rows at the shifted times.
    std::vector<double> shifted(n), shifted_entry(n);
    for (std::size_t i = 0; i < n; ++i) {
      shifted[i] = static_cast<double>(d[i]) + 0.5;
      shifted_entry[i] = static_cast<double>(entry[i]) + 0.5;
    }
    const auto a = fv::count_survival<std::int64_t, std::uint8_t>(d, e, entry);
    const auto b = fv::count_survival<double, std::uint8_t>(shifted, e, shifted_entry);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a.time[i] + 0.5, b.time[i]);
      EXPECT_EQ(a.events[i], b.events[i]);
      EXPECT_EQ(a.censored[i], b.censored[i]);
      EXPECT_EQ(a.entered[i], b.entered[i]);
    }
    if (trial % 2 == 0) {  // entry all 0 is the same as no entry, on both paths
      EXPECT_EQ(a, (fv::count_survival<std::int64_t, std::uint8_t>(d, e)));
      std::vector<double> as_double(d.begin(), d.end()), zeros(n, 0.0);
      as_double.push_back(1e15);  // too wide for the dense table
      zeros.push_back(0);
      std::vector<std::uint8_t> e2 = e;
      e2.push_back(0);
      EXPECT_EQ((fv::count_survival<double, std::uint8_t>(as_double, e2, zeros)),
                (fv::count_survival<double, std::uint8_t>(as_double, e2)));
    }
  }
}

TEST(KaplanMeier, ManyTimesAreSortedInBucketsOnEveryCore) {
  // Enough subjects for several threads and two thousand buckets: runs of
  // tied times, times of 0 and −0, tiny and huge times, all of them split
  // across buckets and threads. The counts must equal those of the general
  // path (entry times all 0), whatever the threads.
  std::mt19937_64 rng(29);
  const std::size_t n = 1'300'000;
  std::vector<double> d(n), zeros(n, 0.0);
  std::vector<std::uint8_t> e(n);
  std::exponential_distribution<double> exponential(0.05);
  for (std::size_t i = 0; i < n; ++i) {
    const auto kind = rng() % 10;
    const double x = exponential(rng);
    d[i] = kind < 4 ? x : kind < 8 ? std::round(x * 4) / 4 : kind == 8 ? (rng() % 2 ? 0.0 : -0.0) : x * 1e300;
    e[i] = static_cast<std::uint8_t>(rng() % 3 != 0);
  }
  d[17] = 5e-324;  // the smallest subnormal
  const auto general = fv::count_survival<double, std::uint8_t>(d, e, zeros);
  for (const unsigned threads : {0u, 1u, 3u}) {
    const auto packed = fv::count_survival<double, std::uint8_t>(d, e, {}, threads);
    EXPECT_EQ(packed, general) << threads;
  }
  EXPECT_EQ(general.time[0], 0.0);
  EXPECT_EQ(general.entered[0], static_cast<std::int64_t>(n));
  // Without any time 0, row 0 is still time 0, where everyone enters.
  for (double& x : d) x = std::abs(x) + 1;
  const auto shifted = fv::count_survival<double, std::uint8_t>(d, e, {}, 2);
  EXPECT_EQ(shifted, (fv::count_survival<double, std::uint8_t>(d, e, zeros)));
  EXPECT_EQ(shifted.time[0], 0.0);
  EXPECT_EQ(shifted.events[0] + shifted.censored[0], 0);
  // The curve and its band do not depend on the threads either.
  const auto one = fv::kaplan_meier(shifted, 0.05, 1), two = fv::kaplan_meier(shifted, 0.05, 2);
  EXPECT_EQ(one.survival, two.survival);
  EXPECT_EQ(one.greenwood, two.greenwood);
  EXPECT_EQ(one.band(1).lower, two.band(2).lower);
  EXPECT_EQ(one.band(1).upper, two.band(2).upper);
}

TEST(KaplanMeier, TimesArrivingInOrderGrowTheDenseTable) {
  // Increasing days over many blocks: the table grows as they come.
  std::vector<std::int32_t> d(200000);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::int32_t>(i / 3);
  const auto c = fv::count_survival<std::int32_t, std::uint8_t>(d);
  ASSERT_EQ(c.size(), 66667u);
  EXPECT_EQ(c.entered[0], 200000);
  EXPECT_EQ(c.events[0], 3);
  EXPECT_EQ(c.events.back(), 200000 - 3 * 66666);
  // And backwards.
  std::reverse(d.begin(), d.end());
  EXPECT_EQ(c, (fv::count_survival<std::int32_t, std::uint8_t>(d)));
}

TEST(KaplanMeier, CountsMergeToTheCountsOfTheUnion) {
  std::mt19937_64 rng(3);
  std::vector<double> d(5000);
  std::vector<std::uint8_t> e(5000);
  for (std::size_t i = 0; i < d.size(); ++i) {
    d[i] = i % 2 ? static_cast<double>(rng() % 90) : static_cast<double>(rng() % 100000) / 7.0;
    e[i] = static_cast<std::uint8_t>(rng() % 2);
  }
  const std::span<const double> all(d);
  const std::span<const std::uint8_t> flags(e);
  fv::SurvivalCounts merged = fv::count_survival(all.first(1234), flags.first(1234));
  merged.merge(fv::count_survival(all.subspan(1234), flags.subspan(1234)));
  EXPECT_EQ(merged, fv::count_survival(all, flags));
  EXPECT_EQ(merged.subjects(), 5000);
}

TEST(KaplanMeier, NormalQuantile) {
  EXPECT_NEAR(fv::normal_quantile(0.975), 1.959963984540054, 1e-15);
  EXPECT_NEAR(fv::normal_quantile(0.5), 0.0, 1e-16);
  EXPECT_NEAR(fv::normal_quantile(0.05), -1.6448536269514729, 1e-15);
  EXPECT_NEAR(fv::normal_quantile(1e-10), -6.361340902404056, 1e-13);
  EXPECT_EQ(fv::normal_quantile(1.0), kInf);
  EXPECT_TRUE(std::isnan(fv::normal_quantile(1.5)));
}

TEST(KaplanMeier, BadInputNamesTheRow) {
  const std::vector<double> nan_at_1{1, std::nan(""), 3}, neg_at_2{1, 2, -3}, d{1, 2, 3}, late_entry{0, 5, 1};
  const std::vector<int> flags_2{1, 2, 0};
  const std::vector<std::uint8_t> short_flags{1, 0};
  EXPECT_EQ(path_of([&] { fv::count_survival<double>(nan_at_1); }), "durations[1]");
  EXPECT_EQ(path_of([&] { fv::count_survival<double>(neg_at_2); }), "durations[2]");
  EXPECT_EQ(path_of([&] { fv::count_survival<double, int>(d, flags_2); }), "events[1]");
  EXPECT_EQ(path_of([&] { fv::count_survival<double, std::uint8_t>(d, short_flags); }), "events");
  EXPECT_EQ(path_of([&] { fv::count_survival<double, std::uint8_t>(d, {}, late_entry); }), "entry[1]");
  EXPECT_EQ(path_of([&] { fv::kaplan_meier<double>(d, {}, {}, 0.0); }), "alpha");
  EXPECT_EQ(path_of([&] { (void)fv::kaplan_meier<double>(d).quantile(1.5); }), "q");
  fv::SurvivalCounts ragged = fv::count_survival<double>(d);
  ragged.censored.pop_back();
  EXPECT_EQ(path_of([&] { fv::kaplan_meier(ragged); }), "counts.censored");
  EXPECT_EQ(fv::kaplan_meier<double>(std::span<const double>{}).size(), 0u);
  EXPECT_TRUE(std::isnan(fv::kaplan_meier<double>(std::span<const double>{}).median()));
}
