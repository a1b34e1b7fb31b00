#pragma once
// Kaplan–Meier survival curves with lifelines' conventions, so a data team
// can check a firstvalue number against the reference they already trust.
//
// The estimate is computed from per-time counts (`SurvivalCounts`), which are
// the curve's sufficient statistic: counts of two partitions add up to the
// counts of their union, so summaries built apart merge exactly.
//
// Conventions (lifelines' KaplanMeierFitter):
// - Ties are grouped: every event at t counts in one factor (1 − d/n).
// - A subject censored at t is still at risk at t.
// - Late entry: a subject entering at t joins the risk set after the events
//   at t, except at the first time of the table, where it is at risk for them.
//   `at_risk` reports the subjects present at t including those entering then,
//   as lifelines' event table does. Where more events happen at t than
//   subjects are at risk (only those entering and leaving at t, after the
//   first time), S is left unchanged, as lifelines leaves it.
// - Without entry times, every subject enters at time 0 and durations must
//   not be negative.
// - Confidence intervals are exponential Greenwood (log(−log S)) at level
//   1 − alpha; where S is 1 both bounds are 1. The curve keeps S and the
//   Greenwood sum; the bounds are computed from them when asked.
// - A quantile q is the first time t with S(t) ≤ q, and +inf when S never gets
//   there. S(t) within kQuantileTolerance above q counts as reaching it, so a
//   curve that is 0.5 by hand but 0.5000000000000001 in floating point has its
//   median there. lifelines compares without tolerance and can then answer the
//   next time instead (tests/python/test_kaplan_meier.py shows such a case).
//   The quantile's interval is the first time each bound reaches q.
// - predict(t) is S at the last table time ≤ t, and 1 before the first time
//   (lifelines answers NaN there).

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "firstvalue/error.hpp"

namespace firstvalue {

inline constexpr double kQuantileTolerance = 1e-12;

// The standard normal quantile Φ⁻¹(p), accurate to a few ulps: Acklam's
// rational approximation refined by one Halley step.
inline double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) {
    if (p == 0) return -std::numeric_limits<double>::infinity();
    if (p == 1) return std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN();
  }
  // The upper half by symmetry: 1 − p is exact there, and the refinement
  // below is accurate only where Φ(x) is small.
  if (p > 0.5) return -normal_quantile(1 - p);
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // Halley: e = Φ(x) − p, with Φ from erfc for accuracy in the lower tail.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * 3.14159265358979323846) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

// Per-time counts, ascending by time, one row per distinct time at which
// something happens.
struct SurvivalCounts {
  std::vector<double> time;
  std::vector<std::int64_t> events;    // subjects whose event happened at time
  std::vector<std::int64_t> censored;  // subjects censored at time
  std::vector<std::int64_t> entered;   // subjects entering at time

  std::size_t size() const noexcept { return time.size(); }
  // Counts built by hand or deserialized may not be rows at all: throws
  // Errc::invalid naming `path`.<column> when a column's length is not size().
  void check_columns(const std::string& path) const;
  std::int64_t subjects() const noexcept {
    std::int64_t n = 0;
    for (const std::int64_t e : entered) n += e;
    return n;
  }
  void push(double t, std::int64_t ev, std::int64_t ce, std::int64_t en) {
    time.push_back(t);
    events.push_back(ev);
    censored.push_back(ce);
    entered.push_back(en);
  }
  // Adds another partition's counts: the result is the counts of the union.
  void merge(const SurvivalCounts& other) {
    SurvivalCounts out;
    std::size_t i = 0, j = 0;
    while (i < size() || j < other.size()) {
      if (j == other.size() || (i < size() && time[i] < other.time[j])) {
        out.push(time[i], events[i], censored[i], entered[i]);
        ++i;
      } else if (i == size() || other.time[j] < time[i]) {
        out.push(other.time[j], other.events[j], other.censored[j], other.entered[j]);
        ++j;
      } else {
        out.push(time[i], events[i] + other.events[j], censored[i] + other.censored[j],
                 entered[i] + other.entered[j]);
        ++i, ++j;
      }
    }
    *this = std::move(out);
  }
  bool operator==(const SurvivalCounts&) const = default;
};

namespace km_detail {

template <class T>
concept Time = std::integral<T> || std::floating_point<T>;
template <class T>
concept Flag = std::integral<T> || std::floating_point<T>;

[[noreturn]] inline void bad(const char* column, std::size_t i, const std::string& detail) {
  throw_invalid(index_path(column, i), detail);
}

inline std::string show(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::string s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  bool finite = true, integral = true;
};

template <Time T>
Range range_of(std::span<const T> v) {
  Range r;
  if (v.empty()) return r;
  if constexpr (std::integral<T>) {
    T lo = v[0], hi = v[0];
    for (const T x : v) lo = std::min(lo, x), hi = std::max(hi, x);  // a reduction the compiler vectorizes
    r.lo = static_cast<double>(lo), r.hi = static_cast<double>(hi);
  } else {
    for (const T x : v) {
      const double t = static_cast<double>(x);
      r.finite &= std::isfinite(t);
      r.integral &= t == std::trunc(t);
      r.lo = std::min(r.lo, t), r.hi = std::max(r.hi, t);
    }
  }
  return r;
}

// Whether every flag is 0 or 1, as one OR over the bits, which vectorizes.
template <Flag E>
bool flags_are_0_or_1(std::span<const E> events) {
  if constexpr (std::same_as<E, bool>) {
    return true;
  } else if constexpr (std::integral<E>) {
    using U = std::make_unsigned_t<E>;
    U bits = 0;
    for (const E e : events) bits |= static_cast<U>(e);
    return bits <= 1;
  } else {
    bool ok = true;
    for (const E e : events) ok &= e == 0 || e == 1;
    return ok;
  }
}

template <class T, class Bad>
std::size_t first_row(std::span<const T> v, Bad is_bad) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (is_bad(static_cast<double>(v[i]))) return i;
  return v.size();
}

template <Time T>
[[noreturn]] void not_finite(const char* column, std::span<const T> v) {
  const std::size_t i = first_row(v, [](double t) { return !std::isfinite(t); });
  bad(column, i, show(static_cast<double>(v[i])) + " is not a finite time");
}

// Without entry times, count_packed refuses only a time that is negative, NaN
// or infinite: names the first such row.
template <Time D>
[[noreturn]] void reject_durations(std::span<const D> durations) {
  if (!range_of(durations).finite) not_finite("durations", durations);
  const std::size_t i = first_row(durations, [](double t) { return t < 0; });
  bad("durations", i, show(static_cast<double>(durations[i])) + " is negative, and without entry times every subject enters at 0");
}

// An order-preserving map from doubles (no NaN, −0 as +0) to unsigned keys.
inline std::uint64_t key_of(double x) noexcept {
  const std::uint64_t b = std::bit_cast<std::uint64_t>(x + 0.0);
  return (b >> 63) ? ~b : b | (std::uint64_t{1} << 63);
}
inline double time_of(std::uint64_t k) noexcept {
  return std::bit_cast<double>((k >> 63) ? k & ~(std::uint64_t{1} << 63) : ~k);
}

// Sorts keys in place (src/kaplan_meier.cpp): LSD radix in 11-bit digits,
// the radix sort that also finishes count_packed's buckets.
void sort_keys(std::vector<std::uint64_t>& keys);

// How many leading keys equal keys[i], from i.
inline std::size_t run_length(const std::vector<std::uint64_t>& keys, std::size_t i) {
  std::size_t j = i;
  while (j < keys.size() && keys[j] == keys[i]) ++j;
  return j - i;
}

// Integer times spanning at most this many values are counted in dense
// arrays, without sorting: days, weeks and business days always are.
inline std::size_t dense_limit(std::size_t n) { return std::max<std::size_t>(std::size_t{1} << 20, 4 * n); }

// Counts integer times in a table indexed by time, without sorting: days,
// weeks and business days always qualify. Rows are read in blocks that stay
// in cache between finding their range and counting them, so the input is
// read from memory once. Gives up (nullopt) on anything else, including rows
// the general path rejects with an error: a time that is not an integer or
// not finite, a negative duration without entry, an entry after its duration,
// or a range wider than dense_limit(n).
template <Time D, Flag E>
std::optional<SurvivalCounts> count_dense(std::span<const D> durations, std::span<const E> events,
                                          std::span<const D> entry) {
  const std::size_t n = durations.size();
  const double limit = static_cast<double>(dense_limit(n));
  constexpr std::size_t kBlock = 1 << 14;
  constexpr double kExactInteger = 9007199254740992.0;  // 2^53
  // Censored and observed counts side by side: the flag picks the slot, no
  // branch. Few distinct times mean long chains of increments to the same
  // counter, so four interleaved copies take turns while the table is small.
  constexpr std::size_t kCopies = 4, kSmall = 2048;
  std::int64_t base = 0;
  std::size_t span = 0, copies = kCopies;
  std::vector<std::int64_t> removed, en;  // removed: copies × (2 × span)
  double lo = entry.empty() ? 0.0 : std::numeric_limits<double>::infinity(), hi = -lo;
  auto regrow = [&](double new_lo, double new_hi) {
    const auto nb = static_cast<std::int64_t>(new_lo);
    const auto ns = static_cast<std::size_t>(static_cast<std::int64_t>(new_hi) - nb) + 1;
    const std::size_t nc = 2 * ns <= kSmall ? kCopies : 1;
    std::vector<std::int64_t> r(nc * 2 * ns), e(ns);
    for (std::size_t c = 0; c < copies && span; ++c)
      for (std::size_t k = 0; k < 2 * span; ++k)
        r[(c % nc) * 2 * ns + 2 * static_cast<std::size_t>(base - nb) + k] += removed[c * 2 * span + k];
    for (std::size_t k = 0; k < span; ++k) e[static_cast<std::size_t>(base - nb) + k] = en[k];
    removed.swap(r), en.swap(e), base = nb, span = ns, copies = nc;
  };
  for (std::size_t begin = 0; begin < n; begin += kBlock) {
    const std::size_t end = std::min(n, begin + kBlock);
    const Range r = range_of(durations.subspan(begin, end - begin));
    double blo = r.lo, bhi = r.hi;
    bool ok = r.finite && r.integral;
    if (entry.empty()) {
      ok = ok && r.lo >= 0;
    } else {
      const Range re = range_of(entry.subspan(begin, end - begin));
      bool ordered = true;
      for (std::size_t i = begin; i < end; ++i) ordered &= entry[i] <= durations[i];
      ok = ok && re.finite && re.integral && ordered;
      blo = std::min(blo, re.lo), bhi = std::max(bhi, re.hi);
    }
    // Integers beyond 2^53 are not all doubles, and not all int64 casts are defined.
    if (!ok || blo < -kExactInteger || bhi > kExactInteger) return std::nullopt;
    if (blo < lo || bhi > hi || span == 0) {
      lo = std::min(lo, blo), hi = std::max(hi, bhi);
      if (hi - lo >= limit) return std::nullopt;
      // The table grows by at least its size each time, so times arriving in
      // increasing order cost amortized O(1) each; it never exceeds the limit.
      double new_lo = lo, new_hi = hi;
      if (span > 0) {
        const double size = static_cast<double>(span), tlo = static_cast<double>(base), thi = tlo + size - 1;
        new_lo = lo >= tlo ? tlo : std::min(lo, tlo - size);
        new_hi = hi <= thi ? thi : std::max(hi, thi + size);
        if (new_hi - new_lo >= limit) new_lo = lo, new_hi = hi;
      }
      regrow(new_lo, new_hi);
    }
    const std::size_t stride = 2 * span, mask = copies - 1;
    auto slot = [&](D t) { return static_cast<std::size_t>(static_cast<std::int64_t>(t) - base); };
    if (events.empty()) {
      for (std::size_t i = begin; i < end; ++i) ++removed[(i & mask) * stride + 2 * slot(durations[i]) + 1];
    } else {
      for (std::size_t i = begin; i < end; ++i)
        ++removed[(i & mask) * stride + 2 * slot(durations[i]) + static_cast<std::size_t>(events[i] != 0)];
    }
    if (!entry.empty())
      for (std::size_t i = begin; i < end; ++i) ++en[slot(entry[i])];
  }
  if (entry.empty()) en[static_cast<std::size_t>(-base)] = static_cast<std::int64_t>(n);
  for (std::size_t c = 1; c < copies; ++c)
    for (std::size_t k = 0; k < 2 * span; ++k) removed[k] += removed[c * 2 * span + k];
  SurvivalCounts out;
  for (std::size_t k = 0; k < span; ++k)
    if (removed[2 * k] | removed[2 * k + 1] | en[k])
      out.push(static_cast<double>(base + static_cast<std::int64_t>(k)), removed[2 * k + 1], removed[2 * k], en[k]);
  return out;
}

// Exponential Greenwood bounds of S given the Greenwood sum g, at the normal
// quantile z: lifelines' exp(−exp(log(−v) ∓ z√g / v)) with v = log S, written
// exp(v·e^{∓h}). Where S is 1 or 0 both bounds are S.
inline std::pair<double, double> greenwood_bounds(double s, double g, double z) {
  if (s == 1 || s == 0) return {s, s};
  const double v = std::log(s), e = std::exp(z * std::sqrt(g) / v);
  return {std::exp(v / e), std::exp(v * e)};
}

// Durations without entry times, packed as sortable keys: the double's bits
// (non-negative times order like their bits) shifted left, the event flag in
// bit 0. `pack` writes keys[begin, end) and returns the range of the times'
// bits; a time that is negative, NaN or infinite shows as hi ≥ kNotFinite.
struct TimeBits {
  std::uint64_t lo = ~std::uint64_t{0}, hi = 0;
};
inline constexpr std::uint64_t kNotFinite = 0x7FF0000000000000;
using PackKeys = TimeBits (*)(const void* input, std::size_t begin, std::size_t end, std::int64_t* keys);

// Counts n durations packed by `pack` (src/kaplan_meier.cpp): one radix pass
// on the top bits of the times spreads the keys into buckets small enough to
// sort in cache, each thread sorts and counts its share of the buckets. The
// keys live in the columns of the result, so no memory is taken beyond it.
// nullopt when a time is not a finite non-negative number.
std::optional<SurvivalCounts> count_packed(std::size_t n, PackKeys pack, const void* input, unsigned threads);

template <Time D, Flag E>
struct PackInput {
  std::span<const D> durations;
  std::span<const E> events;
};

template <Time D, Flag E>
TimeBits pack_keys(const void* input, std::size_t begin, std::size_t end, std::int64_t* keys) {
  const auto& in = *static_cast<const PackInput<D, E>*>(input);
  std::uint64_t lo = ~std::uint64_t{0}, hi = 0;
  auto bits = [&](std::size_t i) {
    const std::uint64_t b = std::bit_cast<std::uint64_t>(static_cast<double>(in.durations[i]) + 0.0);  // −0 as +0
    lo = std::min(lo, b), hi = std::max(hi, b);
    return b << 1;
  };
  if (in.events.empty()) {
    for (std::size_t i = begin; i < end; ++i) keys[i] = static_cast<std::int64_t>(bits(i) | 1);
  } else {
    for (std::size_t i = begin; i < end; ++i)
      keys[i] = static_cast<std::int64_t>(bits(i) | static_cast<std::uint64_t>(in.events[i] != 0));
  }
  return {lo, hi};
}

}  // namespace km_detail

// Counts subjects by time. `events` may be empty (every event observed, as in
// lifelines); otherwise each flag must be 0 or 1. `entry` may be empty (all
// enter at 0); otherwise entry[i] ≤ durations[i]. Errors name the column and
// row, e.g. `durations[3]: NaN is not a finite time`. `threads` = 0 uses
// every core on large inputs; the counts do not depend on it.
template <km_detail::Time D, km_detail::Flag E = std::uint8_t>
SurvivalCounts count_survival(std::span<const D> durations, std::span<const E> events = {},
                              std::span<const D> entry = {}, unsigned threads = 0) {
  using namespace km_detail;
  const std::size_t n = durations.size();
  if (!events.empty() && events.size() != n)
    throw_invalid("events", std::to_string(events.size()) + " flags for " + std::to_string(n) + " durations");
  if (!entry.empty() && entry.size() != n)
    throw_invalid("entry", std::to_string(entry.size()) + " entry times for " + std::to_string(n) + " durations");
  SurvivalCounts out;
  if (n == 0) return out;

  if (!events.empty() && !flags_are_0_or_1(events)) {
    const std::size_t i = first_row(events, [](double e) { return e != 0 && e != 1; });
    bad("events", i, show(static_cast<double>(events[i])) + " is not 0 or 1");
  }
  if (auto dense = count_dense(durations, events, entry)) return std::move(*dense);
  if (entry.empty()) {
    const PackInput<D, E> input{durations, events};
    if (auto sorted = count_packed(n, &pack_keys<D, E>, &input, threads)) return std::move(*sorted);
    reject_durations(durations);
  }

  // With entry times. Validation in plain loops; the row of an error is
  // looked for only once one is known to exist.
  if (!range_of(durations).finite) not_finite("durations", durations);
  if (!range_of(entry).finite) not_finite("entry", entry);
  bool ordered = true;
  for (std::size_t i = 0; i < n; ++i) ordered &= entry[i] <= durations[i];
  if (!ordered)
    for (std::size_t i = 0; i < n; ++i)
      if (entry[i] > durations[i])
        bad("entry", i, show(static_cast<double>(entry[i])) + " is after the duration " + show(static_cast<double>(durations[i])));
  auto observed = [&](std::size_t i) { return events.empty() || events[i] != 0; };

  // Sort each kind of time, then walk the sorted lists.
  std::vector<std::uint64_t> ev, ce, en;
  const std::size_t n_events = events.empty() ? n : static_cast<std::size_t>(std::count_if(
      events.begin(), events.end(), [](E e) { return e != 0; }));
  ev.reserve(n_events);
  ce.reserve(n - n_events);
  en.reserve(n);
  for (std::size_t i = 0; i < n; ++i) (observed(i) ? ev : ce).push_back(key_of(static_cast<double>(durations[i])));
  for (std::size_t i = 0; i < n; ++i) en.push_back(key_of(static_cast<double>(entry[i])));
  sort_keys(ev);
  sort_keys(ce);
  sort_keys(en);
  constexpr std::uint64_t kEnd = ~std::uint64_t{0};
  std::size_t a = 0, b = 0, c = 0;
  out.time.reserve(n);
  out.events.reserve(n);
  out.censored.reserve(n);
  out.entered.reserve(n);
  while (a < ev.size() || b < ce.size() || c < en.size()) {
    const std::uint64_t k = std::min({a < ev.size() ? ev[a] : kEnd, b < ce.size() ? ce[b] : kEnd,
                                      c < en.size() ? en[c] : kEnd});
    const std::size_t de = a < ev.size() && ev[a] == k ? run_length(ev, a) : 0;
    const std::size_t dc = b < ce.size() && ce[b] == k ? run_length(ce, b) : 0;
    const std::size_t dn = c < en.size() && en[c] == k ? run_length(en, c) : 0;
    out.push(time_of(k), static_cast<std::int64_t>(de), static_cast<std::int64_t>(dc), static_cast<std::int64_t>(dn));
    a += de, b += dc, c += dn;
  }
  return out;
}

// The confidence band of a curve: both bounds at every row.
struct SurvivalBand {
  std::vector<double> lower, upper;
};

// A fitted curve: one row per time of its counts. The band is not stored:
// each bound is a function of S and the Greenwood sum at its row, computed
// when asked (`band()` for every row, `bounds(i)` for one), so a curve keeps
// 7 columns rather than 9 and a fit that only wants S and a median never
// computes a band of 10M rows.
struct SurvivalCurve {
  double alpha = 0.05;  // the intervals are at level 1 − alpha
  std::vector<double> time;
  std::vector<std::int64_t> at_risk, events, censored, entered;
  std::vector<double> survival;
  std::vector<double> greenwood;  // Σ d / (n (n − d)) over the times up to t: the variance of log S

  std::size_t size() const noexcept { return time.size(); }

  double predict(double t) const noexcept {
    if (std::isnan(t)) return t;
    const auto it = std::upper_bound(time.begin(), time.end(), t);
    return it == time.begin() ? 1.0 : survival[static_cast<std::size_t>(it - time.begin()) - 1];
  }
  // The first time the curve is at or below q; +inf when it never is, NaN for
  // an empty curve.
  double quantile(double q) const {
    return first_at_or_below(q, [&](std::size_t i) { return survival[i]; });
  }
  double median() const { return quantile(0.5); }
  // The bounds at row i, as band() has them.
  std::pair<double, double> bounds(std::size_t i) const {
    return km_detail::greenwood_bounds(survival[i], greenwood[i], normal_quantile(1 - alpha / 2));
  }
  // Every row's bounds (src/kaplan_meier.cpp); `threads` = 0 uses every core
  // on long curves.
  SurvivalBand band(unsigned threads = 0) const;
  // The quantile's confidence interval: when the lower and the upper bound
  // reach q.
  std::pair<double, double> quantile_ci(double q) const {
    const double z = normal_quantile(1 - alpha / 2);
    auto bound = [&](std::size_t i, bool upper) {
      const auto b = km_detail::greenwood_bounds(survival[i], greenwood[i], z);
      return upper ? b.second : b.first;
    };
    return {first_at_or_below(q, [&](std::size_t i) { return bound(i, false); }),
            first_at_or_below(q, [&](std::size_t i) { return bound(i, true); })};
  }
  std::pair<double, double> median_ci() const { return quantile_ci(0.5); }

 private:
  template <class Curve>
  double first_at_or_below(double q, Curve curve) const {
    if (!(q >= 0 && q <= 1)) throw_invalid("q", km_detail::show(q) + " is not a probability in [0, 1]");
    if (time.empty()) return std::numeric_limits<double>::quiet_NaN();
    // S and its bounds never rise, so the first row at or below q is a partition point.
    std::size_t lo = 0, hi = size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (curve(mid) > q + kQuantileTolerance) lo = mid + 1;
      else hi = mid;
    }
    return lo == size() ? std::numeric_limits<double>::infinity() : time[lo];
  }
};

// The curve of per-time counts (src/kaplan_meier.cpp). S and the Greenwood
// sum are one product and one sum taken in time order, so the curve does not
// depend on `threads`.
SurvivalCurve kaplan_meier(SurvivalCounts counts, double alpha = 0.05, unsigned threads = 0);

template <km_detail::Time D, km_detail::Flag E = std::uint8_t>
SurvivalCurve kaplan_meier(std::span<const D> durations, std::span<const E> events = {},
                           std::span<const D> entry = {}, double alpha = 0.05, unsigned threads = 0) {
  if (!(alpha > 0 && alpha < 1)) throw_invalid("alpha", km_detail::show(alpha) + " is not in (0, 1)");
  return kaplan_meier(count_survival(durations, events, entry, threads), alpha, threads);
}

}  // namespace firstvalue
