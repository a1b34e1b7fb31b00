#pragma once
// Splitting a loop over [0, n) across threads, shared by batch scoring and
// scheduling so both cap and chunk the same way.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace firstvalue::detail {

// The threads worth starting for n items, each thread taking at least
// `per_thread` of them: `threads` = 0 means one per core, and more threads
// than cores only add overhead to CPU-bound work.
inline unsigned usable_threads(unsigned threads, std::size_t n, std::size_t per_thread) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  threads = threads == 0 ? cores : std::min(threads, cores);
  return static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, n / per_thread)));
}

// Calls run(t) for t in [0, threads), t = 0 on the calling thread, and waits for all.
template <class Run>
void run_on_threads(unsigned threads, Run& run) {
  std::vector<std::jthread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
}

inline void rethrow_first(const std::vector<std::exception_ptr>& errors) {
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Calls fn(t) for t in [0, threads), each on its own thread (t = 0 on the
// caller's), and waits. Every call finishes; the exception of the lowest t is
// rethrown.
template <class F>
void on_threads(unsigned threads, F&& fn) {
  std::vector<std::exception_ptr> errors(threads);
  auto run = [&](unsigned t) {
    try {
      fn(t);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  run_on_threads(threads, run);
  rethrow_first(errors);
}

// Calls fn(begin, end) on contiguous ranges covering [0, n), one per thread.
// `threads` = 0 means one per core, and a range is never shorter than
// `min_per_range`. Range starts are multiples of `align`. If ranges throw,
// every range still finishes and the exception of the lowest range is
// rethrown, so the error a caller sees does not depend on timing.
template <class F>
void parallel_ranges(std::size_t n, unsigned threads, std::size_t min_per_range, std::size_t align, F&& fn) {
  threads = usable_threads(threads, n, min_per_range);
  if (threads <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  const std::size_t chunk = ((n + threads - 1) / threads + align - 1) / align * align;
  on_threads(threads, [&](unsigned t) {
    const std::size_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

// Like parallel_ranges, but the threads take chunks of `chunk` items in turn
// rather than one range each, so that a thread slowed down (another process
// on its core, slower accounts) does less of the work instead of holding the
// others up. Each thread calls init() once and then fn(state, begin, end) for
// each chunk it takes. Every chunk runs; the exception of the lowest failing
// chunk is rethrown, so, as with parallel_ranges, the error a caller sees is
// the one of the lowest failing item whatever the timing.
template <class Init, class F>
void parallel_chunks(std::size_t n, unsigned threads, std::size_t chunk, Init&& init, F&& fn) {
  chunk = std::max<std::size_t>(1, chunk);
  threads = usable_threads(threads, n, chunk);
  if (threads <= 1) {
    auto state = init();
    fn(state, std::size_t{0}, n);
    return;
  }
  const std::size_t chunks = (n + chunk - 1) / chunk;
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(chunks);
  std::vector<std::exception_ptr> init_errors(threads);
  auto run = [&](unsigned t) {
    try {
      auto state = init();
      for (;;) {
        const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
        if (c >= chunks) break;
        try {
          fn(state, c * chunk, std::min(n, (c + 1) * chunk));
        } catch (...) {
          errors[c] = std::current_exception();
        }
      }
    } catch (...) {
      init_errors[t] = std::current_exception();
    }
  };
  run_on_threads(threads, run);
  rethrow_first(errors);
  rethrow_first(init_errors);
}

}  // namespace firstvalue::detail
