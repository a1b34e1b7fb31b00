// PII masking throughput: the JSON worklist of a generated portfolio (its
// causes name planned users by address), CSM notes dense with addresses and
// phone numbers, and prose with none. Run: build/benchmarks/fv_bench_pii
#include <benchmark/benchmark.h>

#include <string>

#include "firstvalue/generator.hpp"
#include "firstvalue/pii.hpp"
#include "firstvalue/portfolio.hpp"

namespace fv = firstvalue;

namespace {

const std::string& worklist_json() {
  static const std::string json = [] {
    fv::GeneratorOptions o;
    o.accounts = 2000;
    const fv::GeneratedPortfolio g = fv::generate_portfolio(o);
    fv::PortfolioConfig config;
    config.organization = o.organization;
    fv::Portfolio p = fv::make_portfolio(g, config);
    p.ingest(g.events.batch());
    return p.results_json(p.evaluate(o.as_of));
  }();
  return json;
}

std::string repeated(const std::string& unit, std::size_t bytes) {
  std::string s;
  while (s.size() < bytes) s += unit;
  return s;
}

const std::string kNotes =
    "Call with ana.silva@acme.com (+1 415 555 0100 ext. 12) on 2026-11-24: ARR $120,000, ticket #48213, "
    "v2.14.3 rolled out. Sponsor jean [at] societe [dot] fr, +33 1 23 45 67 89, asked to postpone; "
    "finance@client.co.uk or 020 7946 0958 for the invoice 2026-000123. ";
const std::string kProse =
    "The sponsor has not replied in 12 days and the kickoff was postponed twice; 3 of 4 planned users "
    "have not logged in 14 days after signature, so the go-live of 2026-12-01 is at risk. ";

void run(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    fv::PiiMasker m;
    benchmark::DoNotOptimize(m.mask(text));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}

void BM_MaskNotes(benchmark::State& state) { run(state, repeated(kNotes, 1 << 20)); }
void BM_MaskProse(benchmark::State& state) { run(state, repeated(kProse, 1 << 20)); }
void BM_MaskResultsJson(benchmark::State& state) {
  const std::string& json = worklist_json();
  for (auto _ : state) {
    fv::PiiMasker m;
    benchmark::DoNotOptimize(m.mask_json(json));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(json.size()));
}

}  // namespace

BENCHMARK(BM_MaskNotes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskProse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskResultsJson)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
