// Scheduling and forecasting account plans built from the default template
// set (about 20 tasks each). Run: build/benchmarks/fv_bench_schedule
#include <benchmark/benchmark.h>

#include <vector>

#include "firstvalue/random.hpp"
#include "firstvalue/schedule.hpp"

namespace fv = firstvalue;

namespace {

// Accounts across the three tiers, a third of the way through their plans:
// some tasks done, a few re-dated or skipped, so the forecast pass has work.
bool has_node(const fv::Template& t, const std::string& id) {
  for (const auto& p : t.phases)
    for (const auto& m : p.milestones) {
      if (m.id == id) return true;
      for (const auto& task : m.tasks)
        if (task.id == id) return true;
    }
  return false;
}

std::vector<fv::AccountPlan> make_accounts(std::size_t n) {
  fv::SplitMix64 rng(11);
  const fv::TemplateSet set = fv::TemplateSet::default_set();
  const fv::Day start0 = *fv::parse_date("2026-09-01");
  std::vector<fv::AccountPlan> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    fv::AccountPlan& a = out[i];
    a.account = "acct-" + std::to_string(i);
    a.start = start0 + static_cast<fv::Day>(rng.below(60));
    // Mostly the enterprise and mid-market playbooks (about 20 tasks each).
    const double u = rng.uniform();
    const double arr = u < 0.5 ? 150000 : (u < 0.9 ? 40000 : 12000);
    a.attributes = {{"lifecycle", std::string("new_customer")}, {"arr", arr}, {"sso", rng.chance(0.5)},
                    {"migrate_data", rng.chance(0.5)}, {"integrations", static_cast<double>(rng.below(3))}};
    const fv::Template& t = set.templates()[set.select(a.attributes).index];
    auto progress = [&](const char* id) -> fv::Progress* { return has_node(t, id) ? &a.progress[id] : nullptr; };
    if (auto* p = progress("welcome_email")) p->done = a.start + 1;
    if (auto* p = progress("provision_users"); p && rng.chance(0.7)) p->done = a.start + 9;
    if (auto* p = progress("setup_wizard"); p && rng.chance(0.7)) p->done = a.start + 6;
    if (auto* p = progress("configure_workspace"); p && rng.chance(0.2)) p->redates = {{a.start + 10, a.start + 20}};
    if (auto* p = progress("admin_training"); p && rng.chance(0.1)) p->skipped = true;
    a.metrics = {{a.start + 20, {{"active_users", static_cast<double>(rng.below(8))}, {"seat_activation", rng.uniform()}}}};
  }
  return out;
}

std::size_t active_tasks(const std::vector<fv::PlanReport>& reports) {
  std::size_t n = 0;
  for (const auto& r : reports)
    for (const auto& x : r.nodes) n += !x.is_milestone && x.active;
  return n;
}

// Streaming: one reused report per thread, as a nightly job would run it.
void BM_ScheduleAndForecastStreaming(benchmark::State& state) {
  const auto accounts = make_accounts(static_cast<std::size_t>(state.range(0)));
  const fv::Scheduler scheduler(fv::TemplateSet::default_set(), fv::Calendar());
  const fv::Day as_of = *fv::parse_date("2026-10-15");
  std::vector<std::size_t> per_thread_tasks(accounts.size());
  for (auto _ : state) {
    scheduler.evaluate(accounts, as_of, [&](std::size_t i, const fv::PlanReport& r) {
      std::size_t n = 0;
      for (const auto& x : r.nodes) n += !x.is_milestone && x.active;
      per_thread_tasks[i] = n;
    }, static_cast<unsigned>(state.range(1)));
  }
  std::size_t tasks = 0;
  for (std::size_t n : per_thread_tasks) tasks += n;
  state.counters["tasks_per_account"] = static_cast<double>(tasks) / static_cast<double>(state.range(0));
  state.counters["ns_per_task"] = benchmark::Counter(static_cast<double>(tasks) * static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_ScheduleAndForecast(benchmark::State& state) {
  const auto accounts = make_accounts(static_cast<std::size_t>(state.range(0)));
  const fv::Scheduler scheduler(fv::TemplateSet::default_set(), fv::Calendar());
  const fv::Day as_of = *fv::parse_date("2026-10-15");
  std::size_t tasks = 0;
  for (auto _ : state) {
    auto reports = scheduler.evaluate(accounts, as_of, static_cast<unsigned>(state.range(1)));
    tasks = active_tasks(reports);
    benchmark::DoNotOptimize(reports.data());
  }
  state.counters["tasks_per_account"] = static_cast<double>(tasks) / static_cast<double>(state.range(0));
  state.counters["ns_per_task"] = benchmark::Counter(static_cast<double>(tasks) * static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(BM_ScheduleAndForecast)
    ->ArgNames({"accounts", "threads"})
    ->Args({1000, 1})
    ->Args({100'000, 1})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

BENCHMARK(BM_ScheduleAndForecastStreaming)
    ->ArgNames({"accounts", "threads"})
    ->Args({1000, 1})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

BENCHMARK_MAIN();
