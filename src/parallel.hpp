#pragma once
// Splitting a loop over [0, n) across threads, shared by batch scoring and
// scheduling so both cap and chunk the same way.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace firstvalue::detail {

// Calls fn(begin, end) on contiguous ranges covering [0, n), one per thread.
// `threads` = 0 means one per core; more threads than cores only add overhead
// to CPU-bound work, and a range is never shorter than `min_per_range`.
// Range starts are multiples of `align`. If ranges throw, every range still
// finishes and the exception of the lowest range is rethrown, so the error a
// caller sees does not depend on timing.
template <class F>
void parallel_ranges(std::size_t n, unsigned threads, std::size_t min_per_range, std::size_t align, F&& fn) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  threads = threads == 0 ? cores : std::min(threads, cores);
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, n / min_per_range)));
  if (threads <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  const std::size_t chunk = ((n + threads - 1) / threads + align - 1) / align * align;
  std::vector<std::exception_ptr> errors(threads);
  {
    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    auto run = [&](unsigned t) {
      const std::size_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
      if (begin >= end) return;
      try {
        fn(begin, end);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    };
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(run, t);
    run(0);
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace firstvalue::detail
