// Batch health scoring throughput: 1M and 10M accounts, on one thread and on
// every hardware thread. Run: build/benchmarks/fv_bench_health
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include "firstvalue/health.hpp"
#include "firstvalue/random.hpp"

namespace fv = firstvalue;

namespace {

struct Data {
  std::vector<std::vector<double>> cols;
  std::vector<double> score, coverage;
  std::vector<std::int8_t> band, weakest;
};

// Same distribution as benchmarks/health_vs_numpy.py: uniform over a little
// more than each curve's range, 5% missing.
const Data& data(std::size_t n) {
  static std::map<std::size_t, Data> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Data d;
  fv::SplitMix64 rng(42);
  const double hi[] = {1.2, 1.0, 7.0, 1.2};
  d.cols.assign(4, std::vector<double>(n));
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < n; ++i) d.cols[k][i] = rng.chance(0.05) ? fv::kNaN : rng.uniform(-0.1, hi[k]);
  d.score.resize(n);
  d.coverage.resize(n);
  d.band.resize(n);
  d.weakest.resize(n);
  return cache.emplace(n, std::move(d)).first->second;
}

void BM_Score(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  const fv::HealthModel model = fv::HealthModel::default_model();
  Data& d = const_cast<Data&>(data(n));
  const std::vector<fv::Column> cols{{"milestone_progress", d.cols[0]},
                                     {"user_adoption", d.cols[1]},
                                     {"engagement_quality", d.cols[2]},
                                     {"value_realization", d.cols[3]}};
  const fv::ScoreOutput out{d.score, d.band, d.coverage, d.weakest, {}, {}};
  fv::ScoreOptions options;
  options.threads = threads;
  for (auto _ : state) {
    model.score(cols, out, options);
    benchmark::DoNotOptimize(d.score.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.counters["threads_used"] = static_cast<double>(threads);
}

}  // namespace

BENCHMARK(BM_Score)
    ->ArgNames({"accounts", "threads"})
    ->Args({1024, 1})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->Args({10'000'000, 1})
    ->Args({10'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
