// Time-to-value and cohorts in C++: Kaplan–Meier on 10M durations (whole days
// and continuous), and the cohort summaries and reports of a portfolio of up
// to 1M accounts signed over the last 120 days, with their events ingested.
// Run: build/benchmarks/fv_bench_cohort
// Kaplan–Meier against lifelines in the same process: benchmarks/km_vs_lifelines.py.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "firstvalue/cohort.hpp"
#include "firstvalue/generator.hpp"
#include "firstvalue/kaplan_meier.hpp"
#include "firstvalue/portfolio.hpp"

namespace fv = firstvalue;

namespace {

constexpr std::size_t kBlock = 20000;  // accounts generated once, then copied under other keys

// Durations as TTV data looks (whole days) or as a continuous clock gives them,
// with about 30% censored, as in benchmarks/km_vs_lifelines.py.
struct Durations {
  std::vector<double> days, continuous;
  std::vector<std::uint8_t> events;
};
const Durations& durations() {
  static const Durations d = [] {
    Durations x;
    std::mt19937_64 rng(5);
    std::exponential_distribution<double> wait(1.0 / 20);
    std::bernoulli_distribution reached(0.7);
    const std::size_t n = 10'000'000;
    x.days.reserve(n);
    x.continuous.reserve(n);
    x.events.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double t = wait(rng);
      x.continuous.push_back(t);
      x.days.push_back(std::floor(t));
      x.events.push_back(reached(rng) ? 1 : 0);
    }
    return x;
  }();
  return d;
}

void BM_KaplanMeier(benchmark::State& state) {
  const Durations& d = durations();
  const std::vector<double>& t = state.range(0) == 0 ? d.days : d.continuous;
  for (auto _ : state) {
    const fv::SurvivalCurve km = fv::kaplan_meier<double, std::uint8_t>(t, d.events);
    benchmark::DoNotOptimize(km.median());
    benchmark::DoNotOptimize(km.median_ci());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(t.size()));
}
BENCHMARK(BM_KaplanMeier)->ArgName("continuous")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

const fv::GeneratedPortfolio& block() {
  static const fv::GeneratedPortfolio g = [] {
    fv::GeneratorOptions o;
    o.accounts = kBlock;
    o.max_age_days = 120;
    return fv::generate_portfolio(o);
  }();
  return g;
}

// A portfolio of `accounts` accounts: copies of the generated block under
// other keys, each with the block's events.
const fv::Portfolio& portfolio(std::size_t accounts) {
  static std::map<std::size_t, std::unique_ptr<fv::Portfolio>> cache;
  auto& p = cache[accounts];
  if (p) return *p;
  const fv::GeneratedPortfolio& g = block();
  p = std::make_unique<fv::Portfolio>(fv::PortfolioConfig{});
  fv::EventTable events = g.events;
  fv::IngestOptions options;
  options.threads = 2;
  for (std::size_t copy = 0; copy * kBlock < accounts; ++copy) {
    const std::string prefix = "c" + std::to_string(copy) + "-";
    std::vector<fv::Account> list = g.accounts;
    for (fv::Account& a : list) a.key = prefix + a.key;
    for (std::size_t k = 0; k < events.accounts.size(); ++k) events.accounts[k] = prefix + g.events.accounts[k];
    p->add_accounts(std::move(list));
    p->ingest(events.batch(), options);
  }
  return *p;
}

void BM_CohortSummaries(benchmark::State& state) {
  const fv::Portfolio& p = portfolio(static_cast<std::size_t>(state.range(0)));
  const fv::Day as_of = block().options.as_of;
  fv::CohortOptions o;
  o.by = fv::CohortBy::signature_month;
  const auto threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(p.cohort_summaries(as_of, o, threads));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(p.size()));
}
BENCHMARK(BM_CohortSummaries)
    ->ArgNames({"accounts", "threads"})
    ->ArgsProduct({{20000, 1000000}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// From summaries to reports (KM per cohort and point, percentiles, verdicts):
// independent of the portfolio's size once summarized.
void BM_CohortReports(benchmark::State& state) {
  const fv::Portfolio& p = portfolio(static_cast<std::size_t>(state.range(0)));
  fv::CohortOptions o;
  o.by = fv::CohortBy::signature_month;
  const fv::CohortSummaries s = p.cohort_summaries(block().options.as_of, o, 2);
  for (auto _ : state) benchmark::DoNotOptimize(fv::cohort_reports(s));
}
BENCHMARK(BM_CohortReports)->ArgNames({"accounts"})->Arg(20000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

// Merging two partitions' summaries, through JSON as between processes.
void BM_CohortMergeJson(benchmark::State& state) {
  const fv::Portfolio& p = portfolio(kBlock);
  fv::CohortOptions o;
  o.by = fv::CohortBy::signature_month;
  const std::string json = p.cohort_summaries(block().options.as_of, o, 2).to_json();
  for (auto _ : state) {
    fv::CohortSummaries a = fv::CohortSummaries::from_json(json);
    a.merge(fv::CohortSummaries::from_json(json));
    benchmark::DoNotOptimize(a.to_json());
  }
}
BENCHMARK(BM_CohortMergeJson)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
