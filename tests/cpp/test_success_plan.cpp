// Success-plan goals: the seed example by hand, the status rules one by one,
// validation and JSON rejections with their paths.

#include <gtest/gtest.h>

#include "cases.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "firstvalue/error.hpp"
#include "firstvalue/success_plan.hpp"

namespace fv = firstvalue;

namespace {

constexpr double kExact = 1e-12;


fv::Goal goal(double baseline, double target, fv::Day start, fv::Day due,
              std::vector<fv::Observation> observations,
              fv::GoalDirection direction = fv::GoalDirection::up) {
  fv::Goal g;
  g.id = std::string("g");
  g.metric = std::string("m");
  g.baseline = baseline;
  g.target = target;
  g.start = start;
  g.due = due;
  g.direction = direction;
  g.observations = std::move(observations);
  return g;
}

fv::GoalReport report(const fv::Goal& g, fv::Day as_of, const fv::GoalPolicy& policy = {}) {
  const auto reports = fv::SuccessPlan({g}).evaluate(as_of, policy);
  EXPECT_EQ(reports.size(), 1u);
  return reports.at(0);
}

// Baseline 5 meetings per SDR per week, target 10 by week 8.
fv::Goal seed_goal() {
  fv::Goal g = goal(5, 10, 0, 56, {{0, 5}, {14, 6.3}, {28, 7.5}});
  g.id = std::string("meetings");
  g.metric = std::string("meetings_per_sdr");
  g.unit = std::string("meetings/week");
  g.first_value = true;
  return g;
}

const char* const kSeedJson = R"({"goals": [{"id": "meetings", "metric": "meetings_per_sdr",
  "unit": "meetings/week", "baseline": 5, "target": 10, "start": 20000, "due": 20056,
  "direction": "up", "first_value": true,
  "observations": [[20000, 5], [20014, 6.3], [20028, 7.5]]}]})";

}  // namespace

// By hand, days x = 0, 14, 28 and values y = 5, 6.3, 7.5:
//   mean x = 14, mean y = 18.8 / 3
//   Sxx = 14² + 0 + 14² = 392
//   Sxy = (−14)(5) + 0·6.3 + 14·7.5 = 35   (centred y gives the same)
//   slope = 35 / 392 = 5 / 56 = 0.0892857…/day
//   intercept = 18.8/3 − 14·5/56 = 18.8/3 − 1.25 = 301/60 = 5.01666…
//   projected at day 56 = 301/60 + 56·5/56 = 301/60 + 5 = 601/60 = 10.01666…
//   progress = (7.5 − 5) / (10 − 5) = 0.5; projected progress = (601/60 − 5)/5 = 301/300
TEST(GoalSeed, ReproducesTheHandComputation) {
  const fv::GoalReport r = report(seed_goal(), 28);
  EXPECT_EQ(r.id, "meetings");
  EXPECT_TRUE(r.first_value);
  EXPECT_EQ(r.actual, 7.5);
  EXPECT_EQ(r.progress, 0.5);
  EXPECT_NEAR(r.slope, 35.0 / 392.0, kExact);
  EXPECT_NEAR(r.slope, 0.08928571428571429, kExact);
  EXPECT_NEAR(r.projected - 56 * r.slope, 301.0 / 60.0, kExact);  // the intercept
  EXPECT_NEAR(r.projected, 601.0 / 60.0, kExact);
  EXPECT_NEAR(r.projected, 10.016666666666667, kExact);
  EXPECT_GE(r.projected, 10.0);
  EXPECT_NEAR(r.projected_progress, 301.0 / 300.0, kExact);
  EXPECT_EQ(r.status, fv::GoalStatus::on_track);
  EXPECT_FALSE(r.achieved_on.has_value());
}

TEST(GoalSeed, RealDatesGiveTheSameNumbers) {
  const auto plan = fv::SuccessPlan::from_json(kSeedJson);
  const auto reports = plan.evaluate(20028);
  ASSERT_EQ(reports.size(), 1u);
  const fv::GoalReport& r = reports[0];
  EXPECT_EQ(r.progress, 0.5);
  EXPECT_NEAR(r.slope, 35.0 / 392.0, kExact);
  EXPECT_NEAR(r.projected, 601.0 / 60.0, kExact);
  EXPECT_EQ(r.status, fv::GoalStatus::on_track);
}

// As of day 14 only two readings count: slope 1.3/14, projected 5 + 56·1.3/14 = 10.2.
TEST(GoalTrend, IgnoresObservationsAfterAsOf) {
  const fv::GoalReport r = report(seed_goal(), 14);
  EXPECT_EQ(r.actual, 6.3);
  EXPECT_NEAR(r.progress, 0.26, kExact);
  EXPECT_NEAR(r.slope, 1.3 / 14, kExact);
  EXPECT_NEAR(r.projected, 10.2, kExact);
  EXPECT_EQ(r.status, fv::GoalStatus::on_track);
}

// Backlog 200 → 50 by day 60; readings 200, 170, 140 on days 0, 10, 20:
// slope −3/day, projected 170 − 3·(60 − 10) = 20, p = (20 − 200)/(50 − 200) = 1.2.
TEST(GoalTrend, DownGoalsAreDirectionAware) {
  const auto g = goal(200, 50, 0, 60, {{0, 200}, {10, 170}, {20, 140}}, fv::GoalDirection::down);
  const fv::GoalReport r = report(g, 20);
  EXPECT_NEAR(r.progress, 0.4, kExact);
  EXPECT_NEAR(r.slope, -3, kExact);
  EXPECT_NEAR(r.projected, 20, kExact);
  EXPECT_NEAR(r.projected_progress, 1.2, kExact);
  EXPECT_EQ(r.status, fv::GoalStatus::on_track);
}

// One reading day: the pace from (0, 0) to (50, 45) is 0.9/day, so 90 at day 100.
TEST(GoalTrend, SingleReadingDayProjectsThePaceSinceStart) {
  const fv::GoalReport r = report(goal(0, 100, 0, 100, {{50, 45}}), 60);
  EXPECT_EQ(r.actual, 45);
  EXPECT_NEAR(r.slope, 0.9, kExact);
  EXPECT_NEAR(r.projected, 90, kExact);
  EXPECT_NEAR(r.projected_progress, 0.9, kExact);
  EXPECT_EQ(r.status, fv::GoalStatus::at_risk);
}

TEST(GoalTrend, RepeatedDayTakesTheLastReadingListed) {
  const fv::GoalReport r = report(goal(0, 100, 0, 100, {{50, 40}, {50, 45}}), 50);
  EXPECT_EQ(r.actual, 45);
  EXPECT_NEAR(r.projected, 90, kExact);
}

// Two readings of 0 and 10 on day 10 and 10 on day 20: centred days −10/3, −10/3, 20/3;
// Sxx = 2·100/9 + 400/9 = 600/9; Sxy = −10/3·(0 + 10) + 20/3·10 = 100/3; slope = 0.5.
TEST(GoalTrend, RepeatedDaysAllCountInTheLeastSquaresLine) {
  const fv::GoalReport r = report(goal(0, 100, 0, 100, {{10, 0}, {10, 10}, {20, 10}}), 20);
  EXPECT_NEAR(r.slope, 0.5, kExact);
  // mean y = 20/3 at mean day 40/3: projected = 20/3 + 0.5·(100 − 40/3) = 50.
  EXPECT_NEAR(r.projected, 50, kExact);
  EXPECT_EQ(r.status, fv::GoalStatus::off_track);
}

TEST(GoalStatus, ThresholdsAreInclusive) {
  // Pace 1/day reaches exactly 100 at day 100; 0.8/day reaches exactly 80.
  EXPECT_EQ(report(goal(0, 100, 0, 100, {{50, 50}}), 50).status, fv::GoalStatus::on_track);
  EXPECT_EQ(report(goal(0, 100, 0, 100, {{50, 40}}), 50).status, fv::GoalStatus::at_risk);
  EXPECT_EQ(report(goal(0, 100, 0, 100, {{50, 39}}), 50).status, fv::GoalStatus::off_track);
}

TEST(GoalStatus, AtRiskRatioIsConfigurable) {
  const auto g = goal(0, 100, 0, 100, {{50, 30}});  // projects 60
  EXPECT_EQ(report(g, 50).status, fv::GoalStatus::off_track);
  fv::GoalPolicy policy;
  policy.at_risk_ratio = 0.6;
  EXPECT_EQ(report(g, 50, policy).status, fv::GoalStatus::at_risk);
}

TEST(GoalStatus, AchievedIsStickyAndDated) {
  const auto g = goal(5, 10, 0, 56, {{0, 5}, {20, 9}, {30, 10}, {40, 10.5}, {50, 8}});
  const fv::GoalReport before = report(g, 29);
  EXPECT_NE(before.status, fv::GoalStatus::achieved);
  EXPECT_FALSE(before.achieved_on.has_value());

  const fv::GoalReport on = report(g, 30);
  EXPECT_EQ(on.status, fv::GoalStatus::achieved);
  EXPECT_EQ(on.achieved_on, 30);
  EXPECT_EQ(on.progress, 1);

  // The reading fell back to 8 on day 50 and the goal is past due; it stays achieved.
  const fv::GoalReport later = report(g, 90);
  EXPECT_EQ(later.status, fv::GoalStatus::achieved);
  EXPECT_EQ(later.achieved_on, 30);
  EXPECT_EQ(later.actual, 8);
  EXPECT_NEAR(later.progress, 0.6, kExact);
}

TEST(GoalStatus, DownGoalIsAchievedAtOrBelowTarget) {
  const auto g = goal(200, 50, 0, 60, {{0, 200}, {30, 50}}, fv::GoalDirection::down);
  const fv::GoalReport r = report(g, 30);
  EXPECT_EQ(r.status, fv::GoalStatus::achieved);
  EXPECT_EQ(r.achieved_on, 30);
  EXPECT_EQ(r.progress, 1);
}

TEST(GoalStatus, PastDueWithoutReachingTargetIsOffTrack) {
  // The trend would reach the target, but the due day has passed.
  const auto g = goal(0, 100, 0, 100, {{50, 60}, {100, 99}});
  EXPECT_EQ(report(g, 100).status, fv::GoalStatus::at_risk);  // on the due day: 99 projected
  EXPECT_EQ(report(g, 101).status, fv::GoalStatus::off_track);
}

TEST(GoalStatus, NoObservationGetsTheGracePeriod) {
  const auto g = goal(5, 10, 100, 200, {});
  for (const fv::Day as_of : {90, 100, 114}) {
    const fv::GoalReport r = report(g, as_of);
    EXPECT_EQ(r.status, fv::GoalStatus::on_track) << as_of;
    EXPECT_TRUE(std::isnan(r.actual));
    EXPECT_TRUE(std::isnan(r.progress));
    EXPECT_TRUE(std::isnan(r.projected));
    EXPECT_TRUE(std::isnan(r.projected_progress));
    EXPECT_TRUE(std::isnan(r.slope));
  }
  EXPECT_EQ(report(g, 115).status, fv::GoalStatus::off_track);
  fv::GoalPolicy policy;
  policy.grace_days = 30;
  EXPECT_EQ(report(g, 130, policy).status, fv::GoalStatus::on_track);
  EXPECT_EQ(report(g, 131, policy).status, fv::GoalStatus::off_track);
}

TEST(GoalStatus, ReadingsOnTheStartDayAloneGiveNoPace) {
  const auto g = goal(5, 10, 100, 200, {{100, 5}});
  const fv::GoalReport r = report(g, 110);
  EXPECT_EQ(r.actual, 5);
  EXPECT_EQ(r.progress, 0);
  EXPECT_TRUE(std::isnan(r.projected));
  EXPECT_EQ(r.status, fv::GoalStatus::on_track);
  EXPECT_EQ(report(g, 115).status, fv::GoalStatus::off_track);
}

TEST(GoalStatus, ProgressIsClampedBelowBaseline) {
  const fv::GoalReport r = report(goal(5, 10, 0, 56, {{0, 5}, {14, 4}}), 14);
  EXPECT_EQ(r.progress, 0);
  EXPECT_EQ(r.status, fv::GoalStatus::off_track);
}

TEST(GoalStatus, Names) {
  EXPECT_EQ(fv::to_string(fv::GoalStatus::on_track), "on_track");
  EXPECT_EQ(fv::to_string(fv::GoalStatus::at_risk), "at_risk");
  EXPECT_EQ(fv::to_string(fv::GoalStatus::off_track), "off_track");
  EXPECT_EQ(fv::to_string(fv::GoalStatus::achieved), "achieved");
  EXPECT_EQ(fv::to_string(fv::GoalDirection::down), "down");
  EXPECT_EQ(fv::parse_goal_direction("up"), fv::GoalDirection::up);
  EXPECT_FALSE(fv::parse_goal_direction("sideways").has_value());
}

TEST(GoalPolicy, OutOfRangeIsRejected) {
  const fv::SuccessPlan plan({seed_goal()});
  fv::GoalPolicy ratio;
  ratio.at_risk_ratio = 1.5;
  fvtest::expect_invalid([&] { (void)plan.evaluate(0, ratio); }, "at_risk_ratio: must be within [0, 1]");
  fv::GoalPolicy grace;
  grace.grace_days = -1;
  fvtest::expect_invalid([&] { (void)plan.evaluate(0, grace); }, "grace_days: must not be negative");
}

TEST(SuccessPlan, LooksUpGoals) {
  fv::Goal other = goal(0, 1, 0, 10, {});
  other.id = std::string("logins");
  const fv::SuccessPlan plan({other, seed_goal()});
  ASSERT_NE(plan.find("logins"), nullptr);
  EXPECT_EQ(plan.find("logins")->target, 1);
  EXPECT_EQ(plan.find("nope"), nullptr);
  ASSERT_NE(plan.first_value_goal(), nullptr);
  EXPECT_EQ(plan.first_value_goal()->id, "meetings");
  EXPECT_EQ(fv::SuccessPlan({other}).first_value_goal(), nullptr);
  EXPECT_TRUE(fv::SuccessPlan().evaluate(0).empty());
}

TEST(SuccessPlan, ValidationNamesThePath) {
  const fv::Goal ok = seed_goal();
  auto with = [&](auto change) {
    fv::Goal second = ok;
    second.id = std::string("second");
    second.first_value = false;
    change(second);
    return std::vector<fv::Goal>{ok, second};
  };
  fvtest::expect_invalid(
      [&] { fv::SuccessPlan(with([](fv::Goal& g) { g.id = std::string("meetings"); })); },
                 "goals[1].id: duplicate id \"meetings\" (also goals[0])");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.id = std::string(" "); })); },
                 "goals[1].id: must not be blank");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.metric = std::string(""); })); },
                 "goals[1].metric: must not be blank");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.due = g.start; })); },
                 "goals[1].due: must be after start (day 0)");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.target = 5; })); },
                 "goals[1].target: must differ from baseline");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.target = 4; })); },
                 "goals[1].target: must be above baseline for an \"up\" goal");
  fvtest::expect_invalid(
      [&] { fv::SuccessPlan(with([](fv::Goal& g) { g.direction = fv::GoalDirection::down; })); },
      "goals[1].target: must be below baseline for a \"down\" goal");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.baseline = std::nan(""); })); },
                 "goals[1].baseline: must be finite");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.target = INFINITY; })); },
                 "goals[1].target: must be finite");
  fvtest::expect_invalid(
      [&] { fv::SuccessPlan(with([](fv::Goal& g) { g.observations[2].value = std::nan(""); })); },
      "goals[1].observations[2][1]: must be finite");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.observations[0].day = -1; })); },
                 "goals[1].observations[0][0]: must not precede the goal's start (day 0)");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.observations[2].day = 13; })); },
                 "goals[1].observations[2][0]: observations must be in day order (the previous one "
                 "is day 14)");
  fvtest::expect_invalid([&] { fv::SuccessPlan(with([](fv::Goal& g) { g.first_value = true; })); },
                 "goals[1].first_value: only one goal may define first value "
                 "(goals[0] already does)");
}

TEST(SuccessPlan, JsonReadsTheSeedDocument) {
  const auto plan = fv::SuccessPlan::from_json(kSeedJson);
  ASSERT_EQ(plan.goals().size(), 1u);
  const fv::Goal& g = plan.goals()[0];
  EXPECT_EQ(g.id, "meetings");
  EXPECT_EQ(g.metric, "meetings_per_sdr");
  EXPECT_EQ(g.unit, "meetings/week");
  EXPECT_EQ(g.baseline, 5);
  EXPECT_EQ(g.target, 10);
  EXPECT_EQ(g.start, 20000);
  EXPECT_EQ(g.due, 20056);
  EXPECT_EQ(g.direction, fv::GoalDirection::up);
  EXPECT_TRUE(g.first_value);
  const std::vector<fv::Observation> expected{{20000, 5}, {20014, 6.3}, {20028, 7.5}};
  EXPECT_EQ(g.observations, expected);
}

TEST(SuccessPlan, JsonRoundTrips) {
  fv::Goal backlog = goal(200, 50, 20000, 20060, {{20000, 200}, {20010, 170}},
                          fv::GoalDirection::down);
  backlog.id = std::string("backlog");
  const fv::SuccessPlan plan({fv::SuccessPlan::from_json(kSeedJson).goals()[0], backlog});
  const auto again = fv::SuccessPlan::from_json(plan.to_json());
  EXPECT_EQ(again, plan);
  EXPECT_EQ(again.to_json(), plan.to_json());
  EXPECT_EQ(fv::SuccessPlan::from_json(plan.to_json(-1)), plan);
}

TEST(SuccessPlan, JsonOptionalKeysHaveDefaults) {
  const auto plan = fv::SuccessPlan::from_json(
      R"({"goals": [{"id": "a", "metric": "m", "baseline": 0, "target": 1, "start": 0,
                     "due": 7, "direction": "up"}]})");
  const fv::Goal& g = plan.goals()[0];
  EXPECT_EQ(g.unit, "");
  EXPECT_FALSE(g.first_value);
  EXPECT_TRUE(g.observations.empty());
  EXPECT_TRUE(fv::SuccessPlan::from_json(R"({"goals": []})").goals().empty());
}

namespace {

// A one-goal document whose goal holds `fields`.
std::string one_goal(const std::string& fields) { return R"({"goals": [{)" + fields + "}]}"; }

// The fields of a valid goal, ahead of whatever a test appends.
const std::string kGoalFields =
    R"("id": "a", "metric": "m", "baseline": 0, "target": 1, "start": 0, "due": 7, )"
    R"("direction": "up")";

void expect_rejected(const std::string& json, const std::string& message) {
  fvtest::expect_invalid([&] { (void)fv::SuccessPlan::from_json(json); }, message);
}

}  // namespace

TEST(SuccessPlan, JsonRejectionsNameThePath) {
  const std::string upto_target = R"("id": "a", "metric": "m", "baseline": 0, "target": 1)";
  expect_rejected(one_goal(kGoalFields + R"(, "tagret": 2)"), "goals[0].tagret: unknown key");
  expect_rejected(R"({"goal": []})", "goal: unknown key");
  expect_rejected("{}", "goals: is required");
  expect_rejected(R"({"goals": {}})", "goals: expected an array, got object");
  expect_rejected(R"({"goals": [3]})", "goals[0]: expected an object, got number");
  expect_rejected(one_goal(R"("id": "a")"), "goals[0].metric: is required");
  expect_rejected(one_goal(R"("id": "a", "metric": "m", "baseline": "5")"),
                  "goals[0].baseline: expected a number, got string");
  expect_rejected(one_goal(upto_target + R"(, "start": 0.5)"),
                  "goals[0].start: expected a date (\"YYYY-MM-DD\" or a whole day number), got a fractional number");
  expect_rejected(one_goal(upto_target + R"(, "start": "2024-13-01")"),
                  "goals[0].start: not a date \"2024-13-01\" (expected YYYY-MM-DD)");
  expect_rejected(one_goal(upto_target + R"(, "start": 3000000000)"),
                  "goals[0].start: day 3000000000 is outside 1970-2100");
  expect_rejected(one_goal(upto_target + R"(, "start": 0, "due": 7, "direction": "sideways")"),
                  "goals[0].direction: unknown direction \"sideways\" "
                  "(expected \"up\" or \"down\")");
  expect_rejected(one_goal(kGoalFields + R"(, "first_value": "yes")"),
                  "goals[0].first_value: expected a boolean, got string");
  expect_rejected(one_goal(kGoalFields + R"(, "observations": [[0, 0], [1]])"),
                  "goals[0].observations[1]: expected a pair [day, value]");
  expect_rejected(one_goal(kGoalFields + R"(, "observations": [[0, 0], [1, null]])"),
                  "goals[0].observations[1][1]: expected a number, got null");
  expect_rejected(one_goal(kGoalFields + R"(, "observations": [[-1, 0]])"),
                  "goals[0].observations[0][0]: day -1 is outside 1970-2100");
  expect_rejected(R"({"goals": [{)" + kGoalFields + "}, {" + kGoalFields + "}]}",
                  "goals[1].id: duplicate id \"a\" (also goals[0])");
  try {
    (void)fv::SuccessPlan::from_json("{\"goals\": [");
    ADD_FAILURE() << "malformed JSON accepted";
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid);
    EXPECT_EQ(std::string(e.what()).rfind("success plan is not valid JSON", 0), 0u) << e.what();
  }
}

TEST(SuccessPlan, ReportJson) {
  const fv::GoalReport pace = report(goal(0, 100, 0, 100, {{50, 45}}), 60);
  EXPECT_EQ(pace.to_json(-1),
            R"({"achieved_on":null,"actual":45.0,"first_value":false,"id":"g","progress":0.45,)"
            R"("projected":90.0,"projected_progress":0.9,"slope":0.9,"status":"at_risk"})");

  const fv::GoalReport none = report(goal(0, 100, 0, 100, {}), 0);
  const fv::GoalReport done = report(goal(0, 100, 0, 100, {{10, 100}}), 10);
  EXPECT_EQ(fv::goal_reports_to_json({none, done}, -1),
            R"([{"achieved_on":null,"actual":null,"first_value":false,"id":"g","progress":null,)"
            R"("projected":null,"projected_progress":null,"slope":null,"status":"on_track"},)"
            R"({"achieved_on":10,"actual":100.0,"first_value":false,"id":"g","progress":1.0,)"
            R"("projected":1000.0,"projected_progress":10.0,"slope":10.0,"status":"achieved"}])");
}
