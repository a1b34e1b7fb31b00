// The nightly scan's memory: resident set above the portfolio and the input
// arrays, sampled every 2 ms during a cold ingestion of a generated portfolio
// (accounts up to 14 days old, about 100 events each) and during tonight's
// evaluation, either streamed (Portfolio::scan, copying the metrics into
// columns the host allocated beforehand, as it allocates its inputs) or held
// (Portfolio::evaluate). The goal: peak <= inputs + 256 B/account.
//
//   build/benchmarks/fv_scan_memory [accounts=1000000] [held]
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "firstvalue/generator.hpp"
#include "firstvalue/portfolio.hpp"

namespace fv = firstvalue;

namespace {

long resident_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 1000000;
  const bool held = argc > 2 && std::string_view(argv[2]) == "held";
  fv::GeneratorOptions o;
  o.accounts = n;
  o.max_age_days = 14;
  std::printf("generating %zu accounts ...\n", n);
  const fv::GeneratedPortfolio g = fv::generate_portfolio(o);
  fv::PortfolioConfig config;
  config.organization = "bench";
  fv::Portfolio p = fv::make_portfolio(g, config);
  const fv::EventBatch batch = g.events.batch();
  std::vector<double> out(n * fv::kMetricNames.size());  // the host's output columns
  malloc_trim(0);
  const long base = resident_bytes();
  std::atomic<long> peak{base};
  std::atomic<bool> stop{false};
  std::thread sampler([&] {
    while (!stop) {
      peak = std::max(peak.load(), resident_bytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  auto per_account = [&](long bytes) { return static_cast<double>(bytes - base) / static_cast<double>(n); };

  fv::IngestOptions options;
  options.threads = 2;
  const auto t0 = std::chrono::steady_clock::now();
  const fv::IngestReport report = p.ingest(batch, options);
  const double ingest_s = seconds_since(t0);
  std::size_t blocks = 0;
  for (std::size_t i = 0; i < p.size(); ++i) blocks += p.activity(i).bytes();
  peak = std::max(peak.load(), resident_bytes());
  const long ingest_peak = peak.exchange(resident_bytes());
  std::printf("ingest: %zu events in %.2f s; state blocks %.0f B/account, resident after %+.0f, peak %+.0f\n",
              report.accepted, ingest_s, static_cast<double>(blocks) / static_cast<double>(n),
              per_account(resident_bytes()), per_account(ingest_peak));

  const auto t1 = std::chrono::steady_clock::now();
  fv::ScanResult r;
  if (held) {
    r = p.evaluate(o.as_of, 2);
  } else {
    r = p.scan(o.as_of, [&](std::span<fv::AccountResult> results) {
      for (const fv::AccountResult& x : results)
        std::copy(x.values.begin(), x.values.end(), out.begin() + static_cast<std::ptrdiff_t>(x.account * x.values.size()));
    }, {2, 16384, 1000});
  }
  const double evaluate_s = seconds_since(t1);
  peak = std::max(peak.load(), resident_bytes());
  stop = true;
  sampler.join();
  std::printf("%s: %.2f s; peak %+.0f B/account; worklist %zu (stalled %zu, at risk %zu)\n",
              held ? "evaluate (every result held)" : "scan (blocks of 16,384 streamed)", evaluate_s,
              per_account(peak), r.worklist_total, r.by_state[2], r.by_state[1]);
  std::printf("peak above the accounts and the inputs, ingest + %s: %+.0f B/account (goal 256)\n",
              held ? "evaluate" : "scan", per_account(std::max(ingest_peak, peak.load())));
  return 0;
}
