// The loops of Kaplan–Meier that run over every subject or every time:
// sorting durations into per-time counts, the curve, and its band
// (include/firstvalue/kaplan_meier.hpp). On 10M distinct times most of the
// cost is memory: the columns of the result are all the memory these use, and
// each is touched first by two threads at once.

#include "firstvalue/kaplan_meier.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

#include "fresh_pages.hpp"
#include "parallel.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
// glibc's libmvec has vector exp and log (within 4 ulp) that GCC calls from
// a vectorized loop once the functions are declared SIMD-enabled, which
// <math.h> does only under -ffast-math. Clones for AVX2 and the baseline are
// picked at load time.
extern "C" {
double exp(double) noexcept __attribute__((__simd__("notinbranch")));
double log(double) noexcept __attribute__((__simd__("notinbranch")));
}
#define FV_VECTOR_MATH __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FV_VECTOR_MATH
#endif

namespace firstvalue {
namespace km_detail {
namespace {

// Below this many items per thread, a thread costs more than it saves.
constexpr std::size_t kPerThread = std::size_t{1} << 18;

struct Part {
  std::size_t begin, end;
};
Part part(std::size_t n, unsigned parts, unsigned t) { return {n * t / parts, n * (t + 1) / parts}; }

// Resizes the columns on `threads` threads: their pages, most of the cost at
// this size, are populated by every thread for its part of each column, then
// zeroed by the thread a column falls to.
template <class... Column>
void allocate(unsigned threads, std::size_t n, Column&... columns) {
  (columns.reserve(n), ...);
  detail::on_threads(threads, [&](unsigned t) {
    const Part p = part(n, threads, t);
    (detail::populate_for_write(columns.data() + p.begin, (p.end - p.begin) * sizeof(columns[0])), ...);
  });
  const unsigned used = std::min<unsigned>(threads, sizeof...(Column));
  detail::on_threads(used, [&](unsigned t) {
    unsigned c = 0;
    ((c++ % used == t ? columns.resize(n) : void()), ...);
  });
}

// LSD radix sort of keys below 2^bits in digits of kDigit bits, all counted
// in one read, a digit every key shares skipped. Ends with the keys in `a`.
// Small digits suit keys in cache, 11 bits whole columns.
template <int kDigit>
void radix_sort(std::uint64_t* a, std::uint64_t* tmp, std::size_t n, int bits) {
  constexpr std::size_t kBuckets = std::size_t{1} << kDigit, kMask = kBuckets - 1;
  const auto digits = static_cast<std::size_t>((bits + kDigit - 1) / kDigit);
  std::vector<std::size_t> count(digits * kBuckets);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t d = 0; d < digits; ++d) ++count[d * kBuckets + ((a[i] >> (kDigit * d)) & kMask)];
  std::uint64_t *src = a, *dst = tmp;
  for (std::size_t d = 0; d < digits; ++d) {
    std::size_t* c = count.data() + d * kBuckets;
    const std::size_t shift = kDigit * d;
    if (c[(src[0] >> shift) & kMask] == n) continue;
    std::size_t sum = 0;
    for (std::size_t x = 0; x < kBuckets; ++x) sum += std::exchange(c[x], sum);
    for (std::size_t i = 0; i < n; ++i) dst[c[(src[i] >> shift) & kMask]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a) std::copy(src, src + n, a);
}

void insertion_sort(std::uint64_t* a, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t k = a[i];
    std::size_t j = i;
    for (; j > 0 && a[j - 1] > k; --j) a[j] = a[j - 1];
    a[j] = k;
  }
}

// Sorts a bucket's keys, all below 2^bits, in cache. A bucket is a narrow
// range of a smooth distribution, so its keys are spread about evenly: one
// counting pass on their top bits into at least n slots leaves runs of a key
// or two, which insertion finishes. A run that is long after all (keys
// bunched in part of the range) gets the radix sort.
struct BucketSorter {
  std::vector<std::uint64_t> tmp;
  std::vector<std::uint32_t> slot_end;

  void sort(std::uint64_t* a, std::size_t n, int bits) {
    if (n <= 32) return insertion_sort(a, n);
    if (n > std::numeric_limits<std::uint32_t>::max()) {  // beyond the slot counters
      if (tmp.size() < n) tmp.resize(n);
      return radix_sort<8>(a, tmp.data(), n, bits);
    }
    if (tmp.size() < n) tmp.resize(n);
    const int slot_bits = std::min(bits, static_cast<int>(std::bit_width(n - 1)));
    const int drop = bits - slot_bits;
    const std::size_t slots = std::size_t{1} << slot_bits;
    slot_end.assign(slots, 0);
    for (std::size_t i = 0; i < n; ++i) ++slot_end[a[i] >> drop];
    std::uint32_t sum = 0;
    for (std::uint32_t& x : slot_end) sum += std::exchange(x, sum);
    for (std::size_t i = 0; i < n; ++i) tmp[slot_end[a[i] >> drop]++] = a[i];
    if (drop > 0) {  // otherwise each run is one key repeated
      std::size_t begin = 0;
      for (const std::uint32_t end : slot_end) {
        const std::size_t len = end - begin;
        if (len > 32) radix_sort<8>(tmp.data() + begin, a + begin, len, drop);
        else if (len > 1) insertion_sort(tmp.data() + begin, len);
        begin = end;
      }
    }
    std::copy(tmp.data(), tmp.data() + n, a);
  }
};

// The buckets: one radix digit over the top bits of (time bits − lo), chosen
// so that an average bucket holds a few thousand keys.
struct Buckets {
  std::uint64_t lo;
  int shift;          // digit = ((key >> 1) − lo) >> shift
  std::size_t count;  // digits in use

  Buckets(TimeBits r, std::size_t n) : lo(r.lo) {
    const std::size_t want = std::clamp<std::size_t>(std::bit_ceil(n / 4096 + 1), 1, 2048);
    const int range_bits = std::bit_width(r.hi - r.lo);
    shift = std::max(0, range_bits - std::countr_zero(want));
    count = static_cast<std::size_t>((r.hi - r.lo) >> shift) + 1;
  }
  std::size_t of(std::uint64_t key) const noexcept { return static_cast<std::size_t>(((key >> 1) - lo) >> shift); }
  // The smallest key of bucket b: keys minus it fit in shift + 1 bits.
  std::uint64_t base(std::size_t b) const noexcept { return (lo + (std::uint64_t{b} << shift)) << 1; }
};

std::uint64_t key_at(const std::vector<std::int64_t>& column, std::size_t i) noexcept {
  return static_cast<std::uint64_t>(column[i]);
}

}  // namespace

void sort_keys(std::vector<std::uint64_t>& keys) {
  if (keys.size() < 1024) return std::sort(keys.begin(), keys.end());
  std::vector<std::uint64_t> tmp(keys.size());
  radix_sort<11>(keys.data(), tmp.data(), keys.size(), 64);
}

std::optional<SurvivalCounts> count_packed(std::size_t n, PackKeys pack, const void* input, unsigned threads) {
  const unsigned T = detail::usable_threads(threads, n, kPerThread);
  SurvivalCounts out;
  // Row 0 is time 0, where everyone enters, so the result has at most n + 1
  // rows. Until they are counted, the keys are kept in `events` as packed and
  // in `censored` by bucket, at 1 + their rank; a bucket's rows are written
  // only after the bucket is read, and never past it.
  allocate(T, n + 1, out.events, out.censored, out.time, out.entered);

  std::vector<TimeBits> ranges(T);
  detail::on_threads(T, [&](unsigned t) {
    const Part p = part(n, T, t);
    ranges[t] = pack(input, p.begin, p.end, out.events.data());
  });
  TimeBits r;
  for (const TimeBits& x : ranges) r.lo = std::min(r.lo, x.lo), r.hi = std::max(r.hi, x.hi);
  if (r.hi >= kNotFinite) return std::nullopt;

  const Buckets buckets(r, n);
  std::vector<std::vector<std::size_t>> offset(T, std::vector<std::size_t>(buckets.count));
  detail::on_threads(T, [&](unsigned t) {
    const Part p = part(n, T, t);
    auto& c = offset[t];
    for (std::size_t i = p.begin; i < p.end; ++i) ++c[buckets.of(key_at(out.events, i))];
  });
  // start[b]: where bucket b begins; each thread scatters to its own slice of it.
  std::vector<std::size_t> start(buckets.count + 1);
  std::size_t at = 1;
  for (std::size_t b = 0; b < buckets.count; ++b) {
    start[b] = at;
    for (unsigned t = 0; t < T; ++t) at += std::exchange(offset[t][b], at);
  }
  start[buckets.count] = at;
  detail::on_threads(T, [&](unsigned t) {
    const Part p = part(n, T, t);
    auto& c = offset[t];
    for (std::size_t i = p.begin; i < p.end; ++i) {
      const std::int64_t k = out.events[i];
      out.censored[c[buckets.of(static_cast<std::uint64_t>(k))]++] = k;
    }
  });

  // Each thread sorts and counts a run of buckets holding about n / T keys,
  // writing its rows from the first position its buckets held.
  std::vector<std::size_t> first_bucket(T + 1, buckets.count), first_row(T), rows(T);
  for (unsigned t = 0; t < T; ++t)
    first_bucket[t] = static_cast<std::size_t>(
        std::lower_bound(start.begin(), start.end() - 1, 1 + n * t / T) - start.begin());
  first_bucket[0] = 0;
  detail::on_threads(T, [&](unsigned t) {
    const std::size_t b0 = first_bucket[t], b1 = std::max(b0, first_bucket[t + 1]);
    std::size_t largest = 0;
    for (std::size_t b = b0; b < b1; ++b) largest = std::max(largest, start[b + 1] - start[b]);
    std::vector<std::uint64_t> keys(largest);
    BucketSorter sorter;
    // Time 0 belongs in row 0, which is otherwise kept for it.
    std::size_t row = t == 0 ? (r.lo == 0 ? 0 : 1) : start[b0];
    first_row[t] = row;
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t size = start[b + 1] - start[b];
      if (size == 0) continue;
      const std::uint64_t base = buckets.base(b);
      for (std::size_t i = 0; i < size; ++i) keys[i] = key_at(out.censored, start[b] + i) - base;
      sorter.sort(keys.data(), size, buckets.shift + 1);
      // Within a time, censored (flag 0) sorts before observed (flag 1).
      for (std::size_t i = 0; i < size;) {
        const std::uint64_t time = keys[i] >> 1;
        std::size_t j = i, observed = 0;
        for (; j < size && keys[j] >> 1 == time; ++j) observed += keys[j] & 1;
        out.time[row] = std::bit_cast<double>((base >> 1) + time);
        out.events[row] = static_cast<std::int64_t>(observed);
        out.censored[row] = static_cast<std::int64_t>(j - i - observed);
        ++row, i = j;
      }
    }
    rows[t] = row - first_row[t];
  });

  // Close the gaps ties left between the threads' rows.
  std::size_t m = first_row[0] + rows[0];
  for (unsigned t = 1; t < T; ++t) {
    if (first_row[t] != m) {
      auto move_down = [&](auto& column) {
        std::memmove(column.data() + m, column.data() + first_row[t], rows[t] * sizeof(column[0]));
      };
      move_down(out.time), move_down(out.events), move_down(out.censored);
    }
    m += rows[t];
  }
  if (r.lo != 0) out.time[0] = 0, out.events[0] = 0, out.censored[0] = 0;
  out.entered[0] = static_cast<std::int64_t>(n);
  out.time.resize(m), out.events.resize(m), out.censored.resize(m), out.entered.resize(m);
  return out;
}

}  // namespace km_detail

namespace {

// band()'s loop: km_detail::greenwood_bounds row by row, branch-free so that
// it vectorizes with the math library's vector exp and log.
FV_VECTOR_MATH
void greenwood_band(const double* s, const double* g, double* lower, double* upper, std::size_t n, double z) {
  for (std::size_t i = 0; i < n; ++i) {
    const double v = ::log(s[i]);
    const double e = ::exp(z * std::sqrt(g[i]) / v);
    const bool flat = s[i] == 1 || s[i] == 0;
    const double lo = ::exp(v / e), hi = ::exp(v * e);
    lower[i] = flat ? s[i] : lo;
    upper[i] = flat ? s[i] : hi;
  }
}

}  // namespace

SurvivalBand SurvivalCurve::band(unsigned threads) const {
  const std::size_t m = size();
  const unsigned T = detail::usable_threads(threads, m, km_detail::kPerThread);
  SurvivalBand b;
  km_detail::allocate(T, m, b.lower, b.upper);
  const double z = normal_quantile(1 - alpha / 2);
  // Parts start at multiples of 64 rows, so that every row but the last few
  // goes through the vector loop whatever the threads: vector and scalar exp
  // may differ in the last bit.
  detail::on_threads(T, [&](unsigned t) {
    auto p = km_detail::part(m / 64, T, t);
    p.begin *= 64, p.end = t + 1 == T ? m : p.end * 64;
    greenwood_band(survival.data() + p.begin, greenwood.data() + p.begin, b.lower.data() + p.begin,
                   b.upper.data() + p.begin, p.end - p.begin, z);
  });
  return b;
}

void SurvivalCounts::check_columns(const std::string& path) const {
  const std::pair<const char*, std::size_t> columns[] = {
      {"events", events.size()}, {"censored", censored.size()}, {"entered", entered.size()}};
  for (const auto& [name, n] : columns)
    if (n != size())
      throw_invalid(path + "." + name, std::to_string(n) + " values for " + std::to_string(size()) + " times");
}

SurvivalCurve kaplan_meier(SurvivalCounts counts, double alpha, unsigned threads) {
  if (!(alpha > 0 && alpha < 1)) throw_invalid("alpha", km_detail::show(alpha) + " is not in (0, 1)");
  counts.check_columns("counts");
  const std::size_t m = counts.size();
  SurvivalCurve c;
  c.alpha = alpha;
  km_detail::allocate(detail::usable_threads(threads, m, km_detail::kPerThread), m, c.at_risk, c.survival,
                      c.greenwood);
  std::int64_t present = 0;  // entered so far, less removed before this time
  double s = 1, greenwood = 0;
  for (std::size_t i = 0; i < m; ++i) {
    present += counts.entered[i];
    c.at_risk[i] = present;  // lifelines counts those entering at t as at risk at t
    const std::int64_t population = present - (i == 0 ? 0 : counts.entered[i]);
    const std::int64_t d = counts.events[i];
    present -= d + counts.censored[i];
    // More events than subjects at risk happens only to subjects entering and
    // leaving at the same time after the first: lifelines leaves S alone there.
    // Rows without events multiply by 1 and add 0, exactly; selects rather
    // than branches, since events and censoring alternate at random.
    const auto p = static_cast<double>(population), left = static_cast<double>(population - d);
    const bool step = d > 0 && d < population;
    s *= step ? left / p : 1.0;
    greenwood += step ? static_cast<double>(d) / (p * left) : 0.0;
    s = d > 0 && d == population ? 0.0 : s;
    c.survival[i] = s;
    c.greenwood[i] = greenwood;
  }
  c.time = std::move(counts.time);
  c.events = std::move(counts.events);
  c.censored = std::move(counts.censored);
  c.entered = std::move(counts.entered);
  return c;
}

}  // namespace firstvalue
