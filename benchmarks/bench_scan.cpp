// The nightly scan in C++: cold ingestion of a generated portfolio's events,
// the last night's ingestion alone, and tonight's evaluation. Accounts are up to 14 days old, about 100 events
// each (the 1M / 100M ratio of the issue). Run: build/benchmarks/fv_bench_scan
// The same work against DuckDB and pandas: benchmarks/scan_vs_duckdb.py.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>

#include "firstvalue/generator.hpp"
#include "firstvalue/portfolio.hpp"

namespace fv = firstvalue;

namespace {

const fv::GeneratedPortfolio& sample(std::size_t accounts) {
  static std::map<std::size_t, std::unique_ptr<fv::GeneratedPortfolio>> cache;
  auto& g = cache[accounts];
  if (!g) {
    fv::GeneratorOptions o;
    o.accounts = accounts;
    o.max_age_days = 14;
    g = std::make_unique<fv::GeneratedPortfolio>(fv::generate_portfolio(o));
  }
  return *g;
}

fv::PortfolioConfig config() {
  fv::PortfolioConfig c;
  c.organization = "bench";
  return c;
}

void BM_IngestCold(benchmark::State& state) {
  const auto& g = sample(static_cast<std::size_t>(state.range(0)));
  const fv::EventBatch batch = g.events.batch();
  fv::IngestOptions options;
  options.threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    state.PauseTiming();
    fv::Portfolio p = fv::make_portfolio(g, config());
    state.ResumeTiming();
    benchmark::DoNotOptimize(p.ingest(batch, options));
    state.PauseTiming();
    p = fv::Portfolio(config());  // the teardown is not part of ingestion
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(g.events.size()));
  state.counters["events"] = static_cast<double>(g.events.size());
}
BENCHMARK(BM_IngestCold)->ArgNames({"accounts", "threads"})->ArgsProduct({{2000, 100000}, {1, 2}})->Unit(benchmark::kMillisecond);

// One night: the last day's rows into a portfolio that holds the earlier
// ones. Compare with BM_IngestCold at the same size: the issue asks for a
// cost proportional to the new rows (items/s should match).
void BM_IngestNight(benchmark::State& state) {
  const auto& g = sample(static_cast<std::size_t>(state.range(0)));
  const fv::EventBatch batch = g.events.batch();
  const auto cut = static_cast<std::size_t>(
      std::lower_bound(g.events.ts.begin(), g.events.ts.end(), std::int64_t{g.options.as_of} * 86400) -
      g.events.ts.begin());
  fv::IngestOptions options;
  options.threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    state.PauseTiming();
    fv::Portfolio p = fv::make_portfolio(g, config());
    p.ingest(batch.slice(0, cut), options);
    state.ResumeTiming();
    benchmark::DoNotOptimize(p.ingest(batch.slice(cut, batch.size()), options));
    state.PauseTiming();
    p = fv::Portfolio(config());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size() - cut));
  state.counters["events"] = static_cast<double>(batch.size() - cut);
}
BENCHMARK(BM_IngestNight)->ArgNames({"accounts", "threads"})->ArgsProduct({{2000, 100000}, {1, 2}})->Unit(benchmark::kMillisecond);

void BM_Evaluate(benchmark::State& state) {
  const auto& g = sample(static_cast<std::size_t>(state.range(0)));
  fv::Portfolio p = fv::make_portfolio(g, config());
  p.ingest(g.events.batch());
  const auto threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(p.evaluate(g.options.as_of, threads));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Evaluate)->ArgNames({"accounts", "threads"})->ArgsProduct({{2000, 100000}, {1, 2}})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
