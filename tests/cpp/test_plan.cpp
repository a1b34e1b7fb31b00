// Template parsing and validation: every rejection names its path.

#include <gtest/gtest.h>

#include "firstvalue/error.hpp"
#include "firstvalue/plan.hpp"

namespace fv = firstvalue;

namespace {

std::string one_milestone(const std::string& tasks, const std::string& extra = "") {
  return R"({"id":"t","phases":[{"id":"p","milestones":[{"id":"m","tasks":[)" + tasks + "]" + extra + "}]}]}";
}

std::string error_of(const std::string& json) {
  try {
    (void)fv::Template::from_json(json);
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid);
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(PlanTemplate, ParsesAndRoundTrips) {
  const auto t = fv::Template::from_json(one_milestone(
      R"({"id":"a","owner":"customer","role":"admin","offset":2,"duration":3,"days":"calendar","from":"start"},
         {"id":"b","depends_on":["a"],"condition":"sso and arr >= 1000"})",
      R"(,"kind":"go_live","done_when":"active_users >= 5")"));
  ASSERT_EQ(t.phases[0].milestones[0].tasks.size(), 2u);
  const fv::Task& a = t.phases[0].milestones[0].tasks[0];
  EXPECT_EQ(a.owner, fv::Owner::customer);
  EXPECT_EQ(a.days, fv::DayCount::calendar);
  EXPECT_EQ(a.from, fv::Anchor::plan_start);
  EXPECT_EQ(a.offset, 2);
  EXPECT_EQ(t.phases[0].milestones[0].kind, "go_live");
  EXPECT_EQ(t.variables(), (std::vector<std::string>{"active_users", "sso", "arr"}));
  const auto again = fv::Template::from_json(t.to_json());
  EXPECT_EQ(again.to_json(), t.to_json());
}

TEST(PlanTemplate, ValidationNamesThePath) {
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","depends_on":["b"]},{"id":"b","depends_on":["c"]},{"id":"c","depends_on":["a"]})")),
            "phases[0].milestones[0].tasks[2].depends_on[0]: dependency cycle: c \u2192 a \u2192 b \u2192 c");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","depends_on":["go_live2"]})")),
            "phases[0].milestones[0].tasks[0].depends_on[0]: unknown task or milestone \"go_live2\"");
  EXPECT_EQ(error_of(R"({"id":"t","phases":[{"id":"p","milestones":[{"id":"m1","tasks":[]},{"id":"m2","depends_on":["m1","go_live2"]}]}]})"),
            "phases[0].milestones[1].depends_on[1]: unknown milestone \"go_live2\"");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a"},{"id":"a"})")),
            "phases[0].milestones[0].tasks[1].id: duplicate id \"a\" (already used at phases[0].milestones[0].tasks[0])");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"m"})")),
            "phases[0].milestones[0].tasks[0].id: duplicate id \"m\" (already used at phases[0].milestones[0])");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","duration":-2})")), "phases[0].milestones[0].tasks[0].duration: must be >= 0");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","offset":1.5})")),
            "phases[0].milestones[0].tasks[0].offset: must be a whole number of days >= 0");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","condition":"arr >= "})")).rfind("phases[0].milestones[0].tasks[0].condition: column ", 0), 0u);
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","owner":"partner"})")),
            "phases[0].milestones[0].tasks[0].owner: unknown value \"partner\" (expected internal, customer)");
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","duraton":2})")), "phases[0].milestones[0].tasks[0].duraton: unknown key");
  // A task that depends on its own milestone waits for itself.
  EXPECT_EQ(error_of(one_milestone(R"({"id":"a","depends_on":["m"]})")),
            "phases[0].milestones[0].tasks[0].depends_on[0]: dependency cycle: a \u2192 m \u2192 a");
  EXPECT_EQ(error_of(R"({"id":"t","phases":[]})"), "phases: a template needs at least one phase");
  EXPECT_EQ(error_of(R"({"id":"t","phases":[{"id":"p","milestones":[]},{"id":"p","milestones":[]}]})"),
            "phases[1].id: duplicate phase \"p\" (already used at phases[0])");
}

TEST(PlanTemplateSet, DefaultSetFollowsTheSeeds) {
  const auto set = fv::TemplateSet::default_set();
  ASSERT_EQ(set.templates().size(), 3u);
  for (const auto& t : set.templates()) {
    ASSERT_EQ(t.phases.size(), 5u) << t.id;  // transition, kickoff, implementation, adoption, value
    EXPECT_EQ(t.phases[0].id, "transition");
    EXPECT_EQ(t.phases[4].id, "value");
    std::size_t tasks = 0;
    std::set<std::string> kinds;
    for (const auto& p : t.phases)
      for (const auto& m : p.milestones) {
        tasks += m.tasks.size();
        kinds.insert(m.kind);
      }
    for (const char* k : {"kickoff", "technical_setup", "first_active_users", "training", "first_value", "go_live", "handoff"})
      EXPECT_TRUE(kinds.count(k)) << t.id << " lacks " << k;
    EXPECT_GE(tasks, t.id == "smb" ? 8u : 16u) << t.id;
  }
  EXPECT_EQ(fv::TemplateSet::from_json(set.to_json()).to_json(), set.to_json());
}

TEST(PlanTemplateSet, SelectsByEntryTierArrThenFallback) {
  const auto set = fv::TemplateSet::default_set();
  auto pick = [&](fv::Attributes a) {
    const auto s = set.select(a);
    return set.templates()[s.index].id + "/" + s.reason;
  };
  EXPECT_EQ(pick({{"lifecycle", std::string("new_customer")}, {"arr", 150000.0}}), "enterprise/entry criteria");
  EXPECT_EQ(pick({{"lifecycle", std::string("new_customer")}, {"arr", 30000.0}}), "mid_market/entry criteria");
  EXPECT_EQ(pick({{"lifecycle", std::string("renewal")}, {"arr", 150000.0}, {"tier", std::string("mid_market")}}),
            "mid_market/tier");
  EXPECT_EQ(pick({{"lifecycle", std::string("renewal")}, {"arr", 150000.0}}), "enterprise/arr");
  EXPECT_EQ(pick({{"lifecycle", std::string("renewal")}}), "smb/fallback");
  try {
    (void)set.select({{"arr", 1.0}});
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_STREQ(e.what(), "templates[0].entry: unknown attribute \"lifecycle\"");
  }
}
