// Scheduling behaviour beyond the shared hand-worked cases of
// tests/data/schedule_cases.json (see test_schedule_cases.cpp): error paths,
// conditions, completions over time, and properties. Dates are real:
// 2026-11-02, -09, -16, -23 and -30 are Mondays; the US calendar here takes
// Thanksgiving (Thu 26) and the day after off.

#include <gtest/gtest.h>

#include <set>

#include "cases.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/random.hpp"
#include "firstvalue/schedule.hpp"

namespace fv = firstvalue;

namespace {

fv::Day D(const char* s) { return *fv::parse_date(s); }


fv::TemplateSet one(const std::string& tasks, const std::string& milestone_extra = "") {
  return fv::TemplateSet({fv::Template::from_json(R"({"id":"t","phases":[{"id":"p","milestones":[{"id":"m","kind":"go_live","tasks":[)" +
                                                  tasks + "]" + milestone_extra + "}]}]}")},
                         "t");
}

const fv::NodeReport& node(const fv::PlanReport& r, const std::string& id) {
  for (const auto& n : r.nodes)
    if (n.id == id) return n;
  throw std::runtime_error("no node " + id);
}

fv::AccountPlan account(fv::Day start, fv::Attributes attrs = {}) {
  fv::AccountPlan a;
  a.account = "acme";
  a.start = start;
  a.attributes = std::move(attrs);
  return a;
}

}  // namespace

TEST(Schedule, ConditionalTaskSwitchedOff) {
  const auto set = one(R"({"id":"s","from":"start","duration":2},
                          {"id":"sso","depends_on":["s"],"duration":5,"condition":"sso"},
                          {"id":"y","depends_on":["sso"],"duration":1})");
  const fv::Scheduler s(set, fv::Calendar());
  const auto off = s.evaluate(account(D("2026-11-02"), {{"sso", false}}), D("2026-11-02"));
  EXPECT_FALSE(node(off, "sso").active);
  EXPECT_EQ(node(off, "sso").status, fv::Status::not_applicable);
  EXPECT_EQ(node(off, "y").planned_start, D("2026-11-04"));  // waits only for s
  EXPECT_EQ(node(off, "y").planned_due, D("2026-11-05"));
  const auto on = s.evaluate(account(D("2026-11-02"), {{"sso", true}}), D("2026-11-02"));
  EXPECT_EQ(node(on, "y").planned_start, D("2026-11-11"));   // s, then 5 days of SSO
  try {
    (void)s.evaluate(account(D("2026-11-02")), D("2026-11-02"));
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_STREQ(e.what(), "phases[0].milestones[0].tasks[1].condition: unknown attribute \"sso\"");
  }
}

TEST(Schedule, ActualsRedatesAndSkips) {
  const fv::Scheduler s(one(R"({"id":"p","from":"start","duration":2},
                                {"id":"q","depends_on":["p"],"duration":2},
                                {"id":"x","depends_on":["q"],"duration":3},
                                {"id":"r","depends_on":["x"],"duration":2})"),
                        fv::Calendar());
  auto a = account(D("2026-11-02"));
  a.progress["p"].done = D("2026-11-03");                              // a day early
  a.progress["q"].redates = {{D("2026-11-04"), D("2026-11-13")},       // +7 days: a slip
                             {D("2026-11-06"), D("2026-11-12")}};      // pulled in: not a slip
  a.progress["x"].skipped = true;
  // As of Thu 5 the second re-date (made on Fri 6) has not happened yet.
  const auto before = s.evaluate(a, D("2026-11-05"));
  EXPECT_EQ(node(before, "q").due, D("2026-11-13"));
  EXPECT_EQ(node(before, "q").slip_days, 7);
  const auto r = s.evaluate(a, D("2026-11-06"));
  EXPECT_EQ(node(r, "p").status, fv::Status::done);
  EXPECT_EQ(node(r, "p").completion, fv::Completion::declared);
  EXPECT_EQ(node(r, "q").planned_due, D("2026-11-06"));
  EXPECT_EQ(node(r, "q").due, D("2026-11-12"));
  EXPECT_EQ(node(r, "q").slip_count, 1);
  EXPECT_EQ(node(r, "q").slip_days, 7);
  EXPECT_EQ(node(r, "q").status, fv::Status::slipped);
  // q could finish Thu 5 after p's actual finish (Tue 3) but keeps its new date, Thu 12.
  EXPECT_EQ(node(r, "q").forecast, D("2026-11-12"));
  // x is skipped: r waits only for q.
  EXPECT_EQ(node(r, "x").status, fv::Status::skipped);
  EXPECT_EQ(node(r, "r").forecast, D("2026-11-16"));
  EXPECT_NEAR(r.percent_done, 100.0 / 3, 1e-12);  // p of p, q, r (x is skipped)
  // A completion dated after as_of has not happened yet.
  a.progress["p"].done = D("2026-11-20");
  EXPECT_EQ(node(s.evaluate(a, D("2026-11-05")), "p").status, fv::Status::overdue);
  // Unknown ids are reported, never ignored.
  a.progress["qq"].skipped = true;
  try {
    (void)s.evaluate(a, D("2026-11-05"));
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_STREQ(e.what(), "progress.qq: unknown task or milestone \"qq\" in template \"t\"");
  }
}

TEST(Schedule, PlanStatusStuckAfterTenBusinessDaysOverdue) {
  const fv::Scheduler s(one(R"({"id":"p","from":"start","duration":2})"), fv::Calendar());
  const auto a = account(D("2026-11-02"));
  EXPECT_EQ(s.evaluate(a, D("2026-11-03")).status, fv::PlanStatus::on_track);
  const auto behind = s.evaluate(a, D("2026-11-10"));  // due Wed 4, 4 business days late
  EXPECT_EQ(behind.status, fv::PlanStatus::behind);
  EXPECT_EQ(behind.reason, "milestone \"m\" overdue by 4 business days");
  const auto stuck = s.evaluate(a, D("2026-11-18"));  // 10 business days late
  EXPECT_EQ(stuck.status, fv::PlanStatus::stuck);
  EXPECT_EQ(stuck.reason, "milestone \"m\" overdue by 10 business days");
  auto done = a;
  done.progress["p"].done = D("2026-11-05");
  const auto concluded = s.evaluate(done, D("2026-11-18"));
  EXPECT_TRUE(concluded.concluded);
  EXPECT_EQ(concluded.status, fv::PlanStatus::on_track);
  EXPECT_EQ(node(concluded, "m").completion, fv::Completion::tasks);
  EXPECT_EQ(node(concluded, "m").done, D("2026-11-05"));
}

TEST(Schedule, MilestoneVerifiedInTheData) {
  const fv::Scheduler s(one(R"({"id":"invite","from":"start","duration":2})", R"(,"done_when":"active_users >= 5")"),
                        fv::Calendar());
  auto a = account(D("2026-11-02"));
  a.progress["invite"].done = D("2026-11-03");
  // Tasks done, but the data does not say so yet: not done.
  EXPECT_EQ(node(s.evaluate(a, D("2026-11-10")), "m").status, fv::Status::overdue);
  // Metrics that never mention the criterion's metric: not measured yet, said in a warning.
  a.metrics = {{D("2026-11-09"), {{"logins", 3.0}}}};
  const auto unmeasured = s.evaluate(a, D("2026-11-10"));
  EXPECT_EQ(node(unmeasured, "m").completion, fv::Completion::open);
  EXPECT_EQ(unmeasured.warnings,
            (std::vector<std::string>{"phases[0].milestones[0].done_when: \"active_users\" has not been measured yet"}));
  a.metrics = {{D("2026-11-12"), {{"active_users", 5.0}}}, {D("2026-11-09"), {{"active_users", 3.0}}},
               {D("2026-11-13"), {{"logins", 40.0}}}};
  const auto r = s.evaluate(a, D("2026-11-20"));
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(node(r, "m").done, D("2026-11-12"));
  EXPECT_EQ(node(r, "m").completion, fv::Completion::detected);
  // As of the 11th the criterion had not held yet.
  EXPECT_EQ(node(s.evaluate(a, D("2026-11-11")), "m").completion, fv::Completion::open);
  // Manual completion still works.
  a.progress["m"].done = D("2026-11-10");
  EXPECT_EQ(node(s.evaluate(a, D("2026-11-20")), "m").completion, fv::Completion::declared);
}

TEST(Schedule, GoalCriteriaAndTheFirstValueMilestone) {
  // The seed goal: 5 meetings per SDR per week to 10 by week 8.
  const fv::TemplateSet set({fv::Template::from_json(R"({"id":"t","phases":[{"id":"v","milestones":[
      {"id":"seven","kind":"adoption","done_when":"goal.meetings_per_sdr >= 7"},
      {"id":"fv","kind":"first_value","tasks":[{"id":"review","from":"start","duration":1}]}]}]})")},
                            "t");
  const fv::Scheduler s(set, fv::Calendar());
  const fv::Day d0 = D("2026-11-02");
  auto a = account(d0);
  a.goals = fv::SuccessPlan({fv::Goal{"meetings", "meetings_per_sdr", "meetings/week", 5, 10, d0, d0 + 56,
                                      fv::GoalDirection::up, true,
                                      {{d0, 5}, {d0 + 14, 6.3}, {d0 + 28, 7.5}, {d0 + 49, 10.2}}}});
  a.progress["review"].done = d0 + 1;
  const auto r28 = s.evaluate(a, d0 + 28);
  EXPECT_EQ(node(r28, "seven").done, d0 + 28);  // 7.5 >= 7 on day 28, not on day 14
  EXPECT_EQ(node(r28, "seven").completion, fv::Completion::detected);
  ASSERT_EQ(r28.goals.size(), 1u);
  EXPECT_EQ(r28.goals[0].status, fv::GoalStatus::on_track);
  EXPECT_DOUBLE_EQ(r28.goals[0].progress, 0.5);
  // Its review done, the first-value milestone still waits for the goal.
  EXPECT_EQ(node(r28, "fv").completion, fv::Completion::open);
  const auto r50 = s.evaluate(a, d0 + 50);
  EXPECT_EQ(node(r50, "fv").done, d0 + 49);
  EXPECT_EQ(node(r50, "fv").completion, fv::Completion::detected);
}

// In any valid DAG no task is scheduled before every predecessor has finished,
// in the plan and in the forecast.
TEST(Schedule, PropertyNoTaskStartsBeforeItsPredecessorsFinish) {
  fv::SplitMix64 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 2 + static_cast<int>(rng.below(25));
    std::string tasks;
    std::vector<std::vector<int>> deps(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      std::string d;
      for (int j = 0; j < i; ++j)
        if (rng.chance(0.2)) {
          deps[static_cast<std::size_t>(i)].push_back(j);
          d += (d.empty() ? "\"t" : ",\"t") + std::to_string(j) + "\"";
        }
      tasks += (i ? "," : "") + std::string(R"({"id":"t)") + std::to_string(i) + R"(","depends_on":[)" + d +
               R"(],"duration":)" + std::to_string(rng.below(6)) + R"(,"offset":)" + std::to_string(rng.below(4)) +
               R"(,"days":")" + (rng.chance(0.5) ? "business" : "calendar") + R"(","from":")" +
               (rng.chance(0.5) ? "start" : "predecessors") + "\"}";
    }
    const fv::Scheduler s(one(tasks), fv::Calendar({false, false, false, false, false, true, true}, {D("2026-11-26")}));
    auto a = account(D("2026-11-02") + static_cast<fv::Day>(rng.below(7)));
    for (int i = 0; i < n; ++i)
      if (rng.chance(0.2)) a.progress["t" + std::to_string(i)].done = a.start + static_cast<fv::Day>(rng.below(20));
    const auto r = s.evaluate(a, a.start + static_cast<fv::Day>(rng.below(30)));
    for (int i = 0; i < n; ++i) {
      const auto& t = node(r, "t" + std::to_string(i));
      ASSERT_GE(t.planned_start, a.start);
      ASSERT_GE(t.planned_due, t.planned_start);
      for (int j : deps[static_cast<std::size_t>(i)]) {
        const auto& p = node(r, "t" + std::to_string(j));
        ASSERT_GE(t.planned_start, p.planned_due) << "trial " << trial;
        if (t.done == fv::kNoDay) {
          ASSERT_GE(t.forecast, p.forecast) << "trial " << trial;
        }
      }
    }
  }
}

TEST(Schedule, DefaultSetSchedulesEveryTier) {
  const fv::Scheduler s(fv::TemplateSet::default_set(), fv::Calendar());
  for (double arr : {250000.0, 50000.0, 9000.0}) {
    const auto a = account(D("2026-11-02"), {{"lifecycle", std::string("new_customer")}, {"arr", arr}, {"sso", true},
                                             {"migrate_data", true}, {"integrations", 2.0}});
    const auto r = s.evaluate(a, D("2026-11-02"));
    EXPECT_EQ(r.status, fv::PlanStatus::on_track) << r.reason;
    // The kickoff meeting within 5 business days of close (Monday 2 -> Monday 9).
    EXPECT_EQ(node(r, arr >= 10000 ? "kickoff_meeting" : "kickoff_webinar").planned_due, D("2026-11-09")) << r.template_id;
    // The handoff meeting within a day.
    if (arr >= 10000) {
      EXPECT_EQ(node(r, "handoff_meeting").planned_due, D("2026-11-03"));
    }
    // The onboarding ends at the handoff; full value (enterprise, day 90) comes later.
    ASSERT_FALSE(r.critical_path.empty());
    EXPECT_EQ(r.critical_path.back(), "handoff");
    EXPECT_EQ(r.planned_finish, node(r, "handoff").planned_due);
    EXPECT_EQ(fv::AccountPlan::from_json(a.to_json()), a);
  }
}

TEST(Schedule, AccountJsonRejectsBadInputWithPaths) {
  auto error_of = [](const std::string& j) {
    try {
      (void)fv::AccountPlan::from_json(j);
    } catch (const fv::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of(R"({"account":"a","start":"2026-13-01"})"), "start: not a date \"2026-13-01\" (expected YYYY-MM-DD)");
  EXPECT_EQ(error_of(R"({"account":"a","start":"2026-11-02","progress":{"x":{"done":"soon"}}})"),
            "progress.x.done: not a date \"soon\" (expected YYYY-MM-DD)");
  EXPECT_EQ(error_of(R"({"account":"a","start":"2026-11-02","attributes":{"tags":[1]}})"),
            "attributes.tags: expected a number, string or boolean, got array");
  EXPECT_EQ(error_of(R"({"account":"a","start":-5})"), "start: day -5 is outside 1970-2100");
  EXPECT_EQ(error_of(R"({"account":"a","start":"2026-11-02","goals":[{"id":"g","metric":"m","baseline":1,"target":2,"start":"2026-11-02","due":"2026-1-02"}]})"),
            "goals[0].due: not a date \"2026-1-02\" (expected YYYY-MM-DD)");
  EXPECT_EQ(error_of(R"({"account":"a","start":"2026-11-02","progres":{}})"), "progres: unknown key");
  EXPECT_EQ(error_of(R"({"account":"a","start":"2026-11-02","metrics":[{"day":"2026-11-03","values":{"u":1}},{"day":"2026-11-04","values":{"u":1,"u":2}}]})"),
            "metrics[1].values.u: duplicate key");
}

// Regressions from review: each of these once gave a wrong or unexplained answer.
TEST(ScheduleReview, DatesThatRunPastTheCalendarNameTheTask) {
  std::string tasks;
  for (int i = 0; i < 40; ++i)
    tasks += (i ? "," : "") + std::string(R"({"id":"t)") + std::to_string(i) + R"(","days":"calendar","offset":100000,"duration":100000)" +
             (i ? R"(,"depends_on":["t)" + std::to_string(i - 1) + "\"]" : std::string()) + "}";
  const fv::Scheduler s(one(tasks), fv::Calendar());
  try {
    (void)s.evaluate(account(D("2026-11-02")), D("2026-11-02"));
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("phases[0].milestones[0].tasks[", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("outside 0001-01-01 .. 9999-12-31"), std::string::npos);
  }
}

TEST(ScheduleReview, AsOfIsValidatedWithItsOwnPath) {
  const fv::Scheduler s(one(R"({"id":"a","from":"start","duration":1})"), fv::Calendar());
  fvtest::expect_invalid([&] { (void)s.evaluate(account(D("2026-11-02")), -5); }, "as_of: day -5 is outside 1970-2100");
  const std::vector<fv::AccountPlan> none;
  fvtest::expect_invalid([&] { (void)s.evaluate(none, 5'000'000); }, "as_of: day 5000000 is outside 1970-2100");
}

TEST(ScheduleReview, ExitCriterionReadsMetricsInDayOrder) {
  const fv::TemplateSet set({fv::Template::from_json(R"({"id":"t","exit":"u >= 5","phases":[{"id":"p","milestones":[
      {"id":"m","tasks":[{"id":"a","from":"start","duration":20}]}]}]})")}, "t");
  const fv::Scheduler s(set, fv::Calendar());
  auto a = account(D("2026-11-02"));
  a.metrics = {{D("2026-11-10"), {{"u", 9.0}}}, {D("2026-11-05"), {{"u", 0.0}}}};  // listed out of order
  const auto r = s.evaluate(a, D("2026-11-12"));
  EXPECT_TRUE(r.concluded);
  EXPECT_EQ(r.reason, "concluded early: exit criterion met");
}

TEST(ScheduleReview, GatesWaitForTheirDateAndDependencies) {
  const fv::TemplateSet set({fv::Template::from_json(R"({"id":"t","phases":[{"id":"p","milestones":[
      {"id":"k","tasks":[{"id":"kt","from":"start","duration":5}]},
      {"id":"day30","offset":30,"days":"calendar"},
      {"id":"handoff","kind":"handoff","depends_on":["k"],"tasks":[{"id":"ht","from":"start","duration":1}]}]}]})")},
                            "t");
  const fv::Scheduler s(set, fv::Calendar());
  auto a = account(D("2026-11-02"));
  a.progress["ht"].skipped = true;  // every task of the handoff skipped, while k is still open
  const auto r = s.evaluate(a, D("2026-11-20"));
  EXPECT_EQ(node(r, "day30").done, fv::kNoDay);  // its date (Dec 2) has not come
  EXPECT_EQ(node(r, "handoff").done, fv::kNoDay);
  EXPECT_FALSE(r.concluded);
  EXPECT_EQ(node(s.evaluate(a, D("2026-12-03")), "day30").done, D("2026-12-02"));
  a.progress["kt"].done = D("2026-11-06");
  const auto later = s.evaluate(a, D("2026-11-20"));
  EXPECT_EQ(node(later, "handoff").done, D("2026-11-06"));  // k done, the handoff's own date (day 0) long past
}

TEST(ScheduleReview, CriteriaOverAttributesHoldFromThePlanStart) {
  const fv::Scheduler s(one(R"({"id":"sso","from":"start","duration":3,"done_when":"sso_logins > 0"})"), fv::Calendar());
  const auto r = s.evaluate(account(D("2026-11-02"), {{"sso_logins", 3.0}}), D("2026-11-10"));
  EXPECT_EQ(node(r, "sso").done, D("2026-11-02"));
  EXPECT_EQ(node(r, "sso").completion, fv::Completion::detected);
}

TEST(ScheduleReview, PolicyIsValidatedWhenTheSchedulerIsBuilt) {
  fvtest::expect_invalid([] { (void)fv::PlanPolicy::from_json(R"({"goals":{"grace_days":-1}})"); },
                         "goals.grace_days: must be a whole number of days within [0, 3650]");
  fvtest::expect_invalid([] { (void)fv::PlanPolicy::from_json(R"({"goals":{"grace_days":2.9}})"); },
                         "goals.grace_days: must be a whole number of days within [0, 3650]");
  fvtest::expect_invalid([] { (void)fv::PlanPolicy::from_json(R"({"goals":{"at_risk_ratio":7}})"); },
                         "goals.at_risk_ratio: must be within [0, 1]");
  fv::PlanPolicy bad;
  bad.goals.grace_days = -1;
  fvtest::expect_invalid([&] { fv::Scheduler s(fv::TemplateSet::default_set(), fv::Calendar(), bad); },
                         "policy.goals.grace_days: must be >= 0");
}
