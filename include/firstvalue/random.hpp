#pragma once
// A small deterministic generator. The standard library's distributions differ
// between implementations, so generated portfolios use their own arithmetic
// and stay identical on every platform for a given seed.

#include <cstdint>

namespace firstvalue {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform on [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  // Uniform integer on [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  bool chance(double p) noexcept { return uniform() < p; }

 private:
  std::uint64_t state_;
};

}  // namespace firstvalue
