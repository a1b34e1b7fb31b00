// Time-to-value and cohort KPIs: a hand-worked four-account cohort, the
// Kaplan–Meier pieces against the estimator run on the raw durations, and
// mergeable summaries on random splits.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cases.hpp"
#include "firstvalue/firstvalue.hpp"

namespace fv = firstvalue;

namespace {

fv::Day D(const char* s) { return *fv::parse_date(s); }
const fv::Day kSig = D("2026-09-01");  // a Tuesday; Monday 2026-09-07 is a holiday below
std::int64_t at(fv::Day d) { return std::int64_t{d} * 86400 + 10 * 3600; }

// Every milestone has one task, so that declared task days drive it:
//   ko (kickoff)       k1: from the start, 3 business days   → due Fri 09-04
//   fv (first_value)   f1: after k1, 5 business days         → due Mon 09-14
//   gl (go_live)       g1: after f1, 5 business days         → due Mon 09-21; only when has_golive
//   hand (handoff)     h1: after f1, 2 business days         → due Wed 09-16; the plan's finish
//   full (full_value)  q1: day 60 from the start, 1 calendar → due Sun 11-01
fv::PortfolioConfig config() {
  fv::PortfolioConfig c;
  c.organization = "acme";
  c.calendar = fv::Calendar({false, false, false, false, false, true, true}, {D("2026-09-07")});
  c.templates = fv::TemplateSet({fv::Template::from_json(R"({"id": "t", "phases": [{"id": "p", "milestones": [
      {"id": "ko", "name": "Kickoff", "kind": "kickoff", "tasks": [{"id": "k1", "from": "start", "duration": 3}]},
      {"id": "fv", "name": "First value", "kind": "first_value", "tasks": [{"id": "f1", "depends_on": ["k1"], "duration": 5}]},
      {"id": "gl", "name": "Go-live", "kind": "go_live", "condition": "has_golive",
       "tasks": [{"id": "g1", "depends_on": ["f1"], "duration": 5}]},
      {"id": "full", "name": "Full value", "kind": "full_value",
       "tasks": [{"id": "q1", "from": "start", "offset": 60, "days": "calendar", "duration": 1}]},
      {"id": "hand", "name": "Handoff", "kind": "handoff", "tasks": [{"id": "h1", "depends_on": ["f1"], "duration": 2}]}
  ]}]})")},
                                "t");
  return c;
}

fv::Account account(std::string key, bool golive, std::vector<std::pair<std::string, const char*>> done,
                    std::optional<fv::Day> exit = std::nullopt) {
  fv::Account a;
  a.key = std::move(key);
  a.tier = golive ? "mid_market" : "smb";
  a.signature = kSig;
  a.planned_seats = a.provisioned_seats = 4;
  a.planned_users = {"u1", "u2", "u3", "u4"};
  a.plan.attributes = {{"has_golive", golive}, {"segment", std::string(golive ? "retail" : "health")}};
  for (const auto& [task, day] : done) a.plan.progress[task].done = D(day);
  a.exit = exit;
  if (exit) a.exit_reason = "churned";
  return a;
}

fv::Portfolio hand_worked() {
  fv::Portfolio p(config());
  std::vector<fv::Account> list = {
      account("A", true, {{"k1", "2026-09-04"}, {"f1", "2026-09-15"}, {"h1", "2026-09-16"}}),
      account("B", true, {{"k1", "2026-09-08"}, {"f1", "2026-09-12"}}, D("2026-09-10")),
      account("C", true, {}, D("2026-10-15")),
      account("D", false, {{"k1", "2026-09-11"}, {"f1", "2026-09-11"}, {"h1", "2026-09-18"}}),
  };
  // A goal met on day 20 (A) and one met on day 95 (D), for goals by day 90.
  list[0].plan.goals = fv::SuccessPlan({fv::Goal{"g", "m", "", 0, 10, kSig, kSig + 60, fv::GoalDirection::up, false,
                                                 {{kSig + 20, 10}}}});
  list[3].plan.goals = fv::SuccessPlan({fv::Goal{"g", "m", "", 0, 10, kSig, kSig + 120, fv::GoalDirection::up, false,
                                                 {{kSig + 95, 12}}}});
  p.add_accounts(std::move(list));
  fv::EventTable t;
  // A: two planned users and a stranger by day 30 (10-01); B one; C none;
  // D all four and a fifth user, which its four seats cap.
  t.add(at(D("2026-09-02")), "A", "login", "u1");
  t.add(at(D("2026-09-20")), "A", "login", "u2");
  t.add(at(D("2026-10-01")), "A", "login", "x9");
  t.add(at(D("2026-10-02")), "A", "login", "u3");  // day 31: too late for day 30
  t.add(at(D("2026-09-03")), "B", "login", "u1");
  for (const char* u : {"u1", "u2", "u3", "u4", "u5"}) t.add(at(D("2026-09-05")), "D", "login", u);
  EXPECT_EQ(p.ingest(t.batch()).rejected.size(), 0u);
  return p;
}

const fv::Day kAsOf = D("2026-10-01");  // day 30, a Thursday

}  // namespace

TEST(Ttv, HandWorkedWithCensoringAndExits) {
  const fv::Portfolio p = hand_worked();
  // The planned dues the hand-worked numbers below rest on.
  const fv::PlanReport ra = p.plan_report(0, kAsOf);
  std::map<std::string, fv::Day, std::less<>> due;
  for (const auto& n : ra.nodes) due[std::string(n.id)] = n.planned_due;
  EXPECT_EQ(due["ko"], D("2026-09-04"));
  EXPECT_EQ(due["fv"], D("2026-09-14"));
  EXPECT_EQ(due["gl"], D("2026-09-21"));
  EXPECT_EQ(due["hand"], D("2026-09-16"));
  EXPECT_EQ(due["full"], D("2026-11-01"));
  EXPECT_EQ(ra.concluded_on, D("2026-09-16"));

  using S = fv::TtvState;
  const auto ttv = p.time_to_value(kAsOf);
  auto expect = [&](std::size_t i, fv::ValuePoint v, S state, int duration, const char* day) {
    const fv::TtvPoint& x = ttv[i][v];
    EXPECT_EQ(x.state, state) << i << " " << fv::to_string(v);
    EXPECT_EQ(x.duration, duration) << i << " " << fv::to_string(v);
    if (day) {
      EXPECT_EQ(x.day, D(day)) << i << " " << fv::to_string(v);
    }
  };
  using V = fv::ValuePoint;
  // A: kickoff Fri 09-04 is 3 business days; first value 09-15 is 14 days;
  // go-live and full value still open on day 30.
  expect(0, V::kickoff, S::reached, 3, "2026-09-04");
  expect(0, V::first_value, S::reached, 14, "2026-09-15");
  expect(0, V::go_live, S::open, 30, "2026-10-01");
  expect(0, V::full_value, S::open, 30, "2026-10-01");
  // B left on 09-10: kickoff Tue 09-08 is 4 business days (09-07 is a
  // holiday); its first value, declared for 09-12, came after it left.
  expect(1, V::kickoff, S::reached, 4, "2026-09-08");
  expect(1, V::first_value, S::exited, 9, "2026-09-10");
  expect(1, V::go_live, S::exited, 9, nullptr);
  // C leaves after the as-of day, so it is censored on the as-of day: 21
  // business days in (09-01, 10-01].
  expect(2, V::kickoff, S::open, 21, "2026-10-01");
  expect(2, V::first_value, S::open, 30, nullptr);
  // D has no go-live (its condition is off).
  expect(3, V::kickoff, S::reached, 7, "2026-09-11");
  expect(3, V::first_value, S::reached, 10, nullptr);
  expect(3, V::go_live, S::not_planned, 0, nullptr);

  // In business days: A's first value is 9 business days (09-02..04, 08..11, 14, 15).
  const auto business = p.time_to_value(kAsOf, fv::DayCount::business);
  EXPECT_EQ(business[0][V::first_value].duration, 9);
  EXPECT_EQ(business[0][V::kickoff].duration, 3);
  EXPECT_EQ(business[0].unit_of(V::first_value), fv::DayCount::business);
}

TEST(Ttv, FirstValueGoalCountsWhenEarlier) {
  fv::Portfolio p(config());
  fv::Account a = account("G", true, {});
  a.plan.goals = fv::SuccessPlan({fv::Goal{"v", "m", "", 0, 5, kSig, kSig + 30, fv::GoalDirection::up, true,
                                           {{kSig + 6, 5}}}});
  p.add_accounts({a});
  const auto ttv = p.time_to_value(kAsOf);
  EXPECT_EQ(ttv[0][fv::ValuePoint::first_value].state, fv::TtvState::reached);
  EXPECT_EQ(ttv[0][fv::ValuePoint::first_value].duration, 6);
}

TEST(Cohort, HandWorkedKpisAndBottlenecks) {
  const fv::Portfolio p = hand_worked();
  fv::CohortOptions o;
  o.by = fv::CohortBy::all;
  const fv::CohortSummaries s = p.cohort_summaries(kAsOf, o);
  ASSERT_EQ(s.cohorts.size(), 1u);
  const fv::CohortSummary& all = s.cohorts.at("all");
  EXPECT_EQ(all.accounts, 4u);
  // Milestones due before 10-01 or done (B's stop at its exit on 09-10):
  // A ko fv hand done, gl open; B ko; C ko fv gl hand open; D ko fv hand.
  EXPECT_EQ(all.milestone_completion, (fv::Tally{7, 12}));
  // Planned finish 09-16 (the handoff): only A concluded by then.
  EXPECT_EQ(all.completion_on_time, (fv::Tally{1, 4}));
  EXPECT_EQ(all.implementation_on_time, (fv::Tally{0, 2}));  // A and C's go-live late
  EXPECT_EQ(all.kickoff_within_sla, (fv::Tally{2, 4}));      // 3 and 4 days; C open at 21, D at 7
  EXPECT_EQ(all.seat_activation_day30, (fv::Tally{8, 16}));  // 3 + 1 + 0 + min(5, 4)
  EXPECT_EQ(all.adoption_day30, (fv::Tally{7, 16}));         // 2 + 1 + 0 + 4 planned users
  EXPECT_EQ(all.seat_activation_day60, (fv::Tally{0, 0}));   // nobody is 60 days old
  EXPECT_EQ(all.goals_day90, (fv::Tally{0, 0}));

  const fv::CohortReport r = fv::cohort_report("all", all, kAsOf, o);
  // Kickoff (business days): 3, 4, 7 reached and 21 censored: S = 3/4, then 1/2 at 4.
  const fv::TtvSummary& ko = r.ttv[0];
  EXPECT_EQ(ko.median, 4);
  EXPECT_EQ(ko.naive_median, 4);
  EXPECT_EQ(r.kpi("kickoff_business_days")->meets, std::optional<bool>(true));  // 4 < 5
  // First value: 9 exited, 10, 14 reached, 30 open: S = 2/3 at 10, 1/3 at 14.
  const fv::TtvSummary& fvs = r.ttv[1];
  EXPECT_EQ(fvs.median, 14);
  EXPECT_EQ(fvs.naive_median, 12);
  EXPECT_EQ(fvs.reached, 2u);
  EXPECT_EQ(fvs.censored, 2u);
  EXPECT_EQ(r.kpi("first_value_days")->meets, std::optional<bool>(true));  // 14 <= 14
  // Go-live: nobody yet, and the longest wait (30 days) says nothing about "<= 14"... it has no target.
  EXPECT_TRUE(std::isinf(r.ttv[2].median));
  EXPECT_TRUE(std::isnan(r.ttv[2].naive_median));
  EXPECT_EQ(r.kpi("milestone_completion")->value, 7.0 / 12);
  EXPECT_EQ(r.kpi("milestone_completion")->meets, std::optional<bool>(false));
  EXPECT_EQ(r.kpi("completion_on_time")->meets, std::optional<bool>(false));
  EXPECT_EQ(r.kpi("seat_activation_day60")->meets, std::nullopt);  // nothing to measure
  EXPECT_EQ(r.kpi("seat_activation_day30")->meets, std::nullopt);  // no target by default
  EXPECT_EQ(r.kpi("adoption_day30")->value, 7.0 / 16);

  // Late by (business days): ko B 1, C 18, D 4; gl A 8, C 8; fv A 1, C 13;
  // hand C 11, D 2. Most accounts delayed first, then the longest median.
  ASSERT_EQ(r.bottlenecks.size(), 4u);
  EXPECT_EQ(r.bottlenecks[0].id, "ko");
  EXPECT_EQ(r.bottlenecks[0].delayed, 3u);
  EXPECT_EQ(r.bottlenecks[0].due, 4u);
  EXPECT_DOUBLE_EQ(r.bottlenecks[0].median_delay, 4);
  EXPECT_DOUBLE_EQ(r.bottlenecks[0].p90_delay, 4 + 0.8 * 14);  // numpy: ranks 1.8 of [1, 4, 18]
  EXPECT_EQ(r.bottlenecks[1].id, "gl");
  EXPECT_DOUBLE_EQ(r.bottlenecks[1].median_delay, 8);
  EXPECT_EQ(r.bottlenecks[2].id, "fv");
  EXPECT_DOUBLE_EQ(r.bottlenecks[2].median_delay, 7);
  EXPECT_DOUBLE_EQ(r.bottlenecks[2].p90_delay, 1 + 0.9 * 12);
  EXPECT_EQ(r.bottlenecks[3].id, "hand");
  EXPECT_DOUBLE_EQ(r.bottlenecks[3].median_delay, 6.5);
  EXPECT_EQ(r.bottlenecks[3].on_time, 1u);
}

TEST(Cohort, GoalsByDay90AndGrouping) {
  const fv::Portfolio p = hand_worked();
  fv::CohortOptions o;
  o.by = fv::CohortBy::segment;
  const fv::Day late = kSig + 105;
  const fv::CohortSummaries s = p.cohort_summaries(late, o);
  ASSERT_EQ(s.cohorts.size(), 2u);
  EXPECT_EQ(s.cohorts.at("retail").accounts, 3u);
  EXPECT_EQ(s.cohorts.at("retail").goals_day90, (fv::Tally{1, 1}));  // A's, met on day 20
  EXPECT_EQ(s.cohorts.at("health").goals_day90, (fv::Tally{0, 1}));  // D's, met on day 95
  EXPECT_EQ(s.total().goals_day90, (fv::Tally{1, 2}));
  o.by = fv::CohortBy::tier;
  EXPECT_EQ(p.cohort_summaries(late, o).cohorts.count("smb"), 1u);
  o.by = fv::CohortBy::signature_month;
  EXPECT_EQ(p.cohort_summaries(late, o).cohorts.count("2026-09"), 1u);
  o.by = fv::CohortBy::template_id;
  EXPECT_EQ(p.cohort_summaries(late, o).cohorts.at("t").accounts, 4u);
  o.by = fv::CohortBy::segment;
  o.segment_attribute = "region";
  EXPECT_EQ(p.cohort_summaries(late, o).cohorts.at("(none)").accounts, 4u);
  // The report ends with the total.
  const auto reports = fv::cohort_reports(s);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports.back().cohort, "(total)");
  EXPECT_EQ(reports.back().accounts, 4u);
}

TEST(Cohort, ExitedAccountsLeaveTheWorklist) {
  const fv::Portfolio p = hand_worked();
  const fv::ScanResult r = p.evaluate(D("2026-09-30"));
  for (const std::uint32_t i : r.worklist) EXPECT_NE(p.account(i).key, "B");
  EXPECT_EQ(p.account(1).exit, D("2026-09-10"));
  // And exits round-trip through JSON, with their errors named.
  EXPECT_EQ(fv::Account::from_json(p.account(1).to_json()), p.account(1));
  fv::Portfolio q(config());
  fv::Account bad = account("X", true, {}, kSig - 1);
  fvtest::expect_invalid_at([&] { q.add_accounts({bad}); }, "accounts[0].exit");
  bad.exit.reset();
  fvtest::expect_invalid_at([&] { q.add_accounts({bad}); }, "accounts[0].exit_reason");
  EXPECT_EQ(q.size(), 0u);
}

// The summary's KM counts equal count_survival over the accounts' own
// durations, and the report's medians equal the estimator's on them.
TEST(Cohort, KaplanMeierAgreesWithTheEstimatorOnRawDurations) {
  fv::GeneratorOptions go;
  go.accounts = 300;
  const fv::GeneratedPortfolio g = fv::generate_portfolio(go);
  fv::Portfolio p = fv::make_portfolio(g, fv::PortfolioConfig{});
  p.ingest(g.events.batch());
  fv::CohortOptions o;
  o.by = fv::CohortBy::all;
  const fv::CohortSummaries s = p.cohort_summaries(go.as_of, o, 2);
  const auto ttv = p.time_to_value(go.as_of);
  const fv::CohortReport r = fv::cohort_report("all", s.cohorts.at("all"), go.as_of, o);
  for (std::size_t k = 0; k < fv::kValuePoints.size(); ++k) {
    std::vector<double> d, e;
    std::vector<double> reached;
    for (const auto& t : ttv) {
      const fv::TtvPoint& x = t.points[k];
      if (!x.planned()) continue;
      d.push_back(x.duration);
      e.push_back(x.state == fv::TtvState::reached);
      if (x.state == fv::TtvState::reached) reached.push_back(x.duration);
    }
    ASSERT_FALSE(d.empty());
    EXPECT_EQ(s.cohorts.at("all").ttv[k].survival(), (fv::count_survival<double, double>(d, e))) << k;
    const fv::SurvivalCurve km = fv::kaplan_meier<double, double>(d, e);
    EXPECT_EQ(r.ttv[k].median, km.median()) << k;
    const auto [lo, hi] = km.median_ci();
    EXPECT_EQ(r.ttv[k].lower, lo) << k;
    EXPECT_EQ(r.ttv[k].upper, hi) << k;
    std::sort(reached.begin(), reached.end());
    const std::size_t n = reached.size();
    const double naive = n == 0 ? NAN : n % 2 ? reached[n / 2] : (reached[n / 2 - 1] + reached[n / 2]) / 2;
    if (n) {
      EXPECT_EQ(r.ttv[k].naive_median, naive) << k;
    }
  }
  // Most of the generated accounts kick off; the median is a number.
  EXPECT_TRUE(std::isfinite(r.ttv[0].median));
}

// Summaries of the two sides of any split merge into the summary of the whole,
// exactly, and so do their JSON forms.
TEST(Cohort, SummariesMergeExactlyOnRandomSplits) {
  fv::GeneratorOptions go;
  go.accounts = 160;
  go.seed = 11;
  const fv::GeneratedPortfolio g = fv::generate_portfolio(go);
  fv::CohortOptions o;
  o.by = fv::CohortBy::tier;
  auto summarize = [&](const std::vector<fv::Account>& accounts) {
    fv::Portfolio p(fv::PortfolioConfig{});
    p.add_accounts(accounts);
    fv::IngestOptions quiet;
    p.ingest(g.events.batch(), quiet);  // the other side's rows are rejected as unknown accounts
    return p.cohort_summaries(go.as_of, o);
  };
  const fv::CohortSummaries whole = summarize(g.accounts);
  fv::SplitMix64 rng(5);
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<fv::Account> a, b;
    for (const fv::Account& x : g.accounts) (rng.chance(0.5) ? a : b).push_back(x);
    fv::CohortSummaries left = summarize(a);
    const fv::CohortSummaries right = summarize(b);
    fv::CohortSummaries merged = left;
    merged.merge(right);
    EXPECT_EQ(merged, whole) << trial;
    fv::CohortSummaries other_way = right;
    other_way.merge(left);
    EXPECT_EQ(other_way, whole) << trial;
    fv::CohortSummaries via_json = fv::CohortSummaries::from_json(left.to_json());
    via_json.merge(fv::CohortSummaries::from_json(right.to_json()));
    EXPECT_EQ(via_json, whole) << trial;
    EXPECT_EQ(fv::cohort_reports_json(fv::cohort_reports(merged)), fv::cohort_reports_json(fv::cohort_reports(whole)));
  }
}

TEST(Cohort, MergeRefusesUnlikeSummariesAndKeepsItself) {
  fv::CohortSummaries a, b;
  a.as_of = b.as_of = 20000;
  a.cohorts["x"].accounts = 1;
  b.options.kickoff_sla = 3;
  const fv::CohortSummaries before = a;
  fvtest::expect_invalid_at([&] { a.merge(b); }, "options");
  b.options = a.options;
  b.as_of = 20001;
  fvtest::expect_invalid_at([&] { a.merge(b); }, "as_of");
  EXPECT_EQ(a, before);
}

TEST(Cohort, JsonErrorsNameTheField) {
  fvtest::expect_invalid_at([] { fv::CohortOptions::from_json(R"({"by": "region"})"); }, "by");
  fvtest::expect_invalid_at([] { fv::CohortOptions::from_json(R"({"unit": "weeks"})"); }, "unit");
  fvtest::expect_invalid_at([] { fv::CohortOptions::from_json(R"({"kickoff_sla": -1})"); }, "kickoff_sla");
  fvtest::expect_invalid_at([] { fv::CohortBenchmarks::from_json(R"({"first_value_dayz": 3})"); }, "first_value_dayz");
  EXPECT_TRUE(std::isnan(fv::CohortBenchmarks::from_json(R"({"goals_day90": null})").goals_day90));
  EXPECT_EQ(fv::CohortBenchmarks::from_json(R"({"first_value_days": 21})").first_value_days, 21);
  fvtest::expect_invalid_at(
      [] {
        fv::CohortSummaries::from_json(
            R"({"as_of": "2026-10-01", "cohorts": {"x": {"accounts": 1, "tallies": {"goals_day90": [3, 2]}}}})");
      },
      "cohorts.x.tallies.goals_day90");
  fvtest::expect_invalid_at(
      [] {
        fv::CohortSummaries::from_json(
            R"({"as_of": "2026-10-01", "cohorts": {"x": {"accounts": 1, "milestones": {"m": {"due": 2, "on_time": 1}}}}})");
      },
      "cohorts.x.milestones.m");
  const fv::Portfolio p = hand_worked();
  fv::CohortOptions o;
  o.kickoff_sla = -2;
  fvtest::expect_invalid_at([&] { p.cohort_summaries(kAsOf, o); }, "options.kickoff_sla");
  fvtest::expect_invalid_at([&] { fv::cohort_reports(p.cohort_summaries(kAsOf), {}, 1.5); }, "alpha");
}

TEST(Cohort, HistogramPercentileIsNumpys) {
  // numpy.percentile([1, 1, 2, 5, 9], [0, 25, 50, 90, 100]) = 1, 1, 2, 7.4, 9
  const std::map<int, std::uint64_t> h{{1, 2}, {2, 1}, {5, 1}, {9, 1}};
  EXPECT_EQ(fv::histogram_percentile(h, 0), 1);
  EXPECT_EQ(fv::histogram_percentile(h, 0.25), 1);
  EXPECT_EQ(fv::histogram_percentile(h, 0.5), 2);
  EXPECT_DOUBLE_EQ(fv::histogram_percentile(h, 0.9), 7.4);
  EXPECT_EQ(fv::histogram_percentile(h, 1), 9);
  EXPECT_TRUE(std::isnan(fv::histogram_percentile({}, 0.5)));
}
