// The hand-worked schedules of tests/data/schedule_cases.json through the C++
// API. The comparison goes through the report's JSON, whose field names the
// case file uses, so the Python and C ABI suites check exactly the same thing.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cases.hpp"
#include "firstvalue/schedule.hpp"

namespace fv = firstvalue;
using nlohmann::json;

namespace {

struct ScheduleCase {
  std::string name;
  json doc;
};

std::vector<ScheduleCase> schedule_cases() {
  const json all = json::parse(fvtest::read_file(fvtest::data_path("schedule_cases.json")));
  std::vector<ScheduleCase> out;
  for (const json& c : all.at("cases")) out.push_back({c.at("name").get<std::string>(), c});
  return out;
}

void PrintTo(const ScheduleCase& c, std::ostream* os) { *os << c.name; }

void expect_fields(const json& expected, const json& actual, const std::string& where) {
  for (const auto& item : expected.items()) {
    ASSERT_TRUE(actual.contains(item.key())) << where << ": no field " << item.key();
    const json& got = actual.at(item.key());
    if (item.value().is_number_float()) {
      EXPECT_NEAR(got.get<double>(), item.value().get<double>(), 1e-9) << where << "." << item.key();
    } else {
      EXPECT_EQ(got, item.value()) << where << "." << item.key();
    }
  }
}

}  // namespace

class ScheduleCases : public ::testing::TestWithParam<ScheduleCase> {};

TEST_P(ScheduleCases, MatchTheHandWorkedSchedule) {
  const json& c = GetParam().doc;
  const fv::Scheduler s(fv::TemplateSet::from_json(c.at("templates").dump()),
                        c.contains("calendar") ? fv::Calendar::from_json(c.at("calendar").dump()) : fv::Calendar());
  const fv::PlanReport r = s.evaluate(fv::AccountPlan::from_json(c.at("account").dump()),
                                      *fv::parse_date(c.at("as_of").get<std::string>()));
  const json report = json::parse(r.to_json());
  const json& expect = c.at("expect");
  if (expect.contains("nodes")) {
    for (const auto& item : expect.at("nodes").items()) {
      const json* found = nullptr;
      for (const json& n : report.at("nodes"))
        if (n.at("id") == item.key()) found = &n;
      ASSERT_NE(found, nullptr) << item.key();
      expect_fields(item.value(), *found, item.key());
    }
  }
  if (expect.contains("plan")) expect_fields(expect.at("plan"), report, "plan");
  if (expect.contains("goals")) {
    for (const auto& item : expect.at("goals").items()) {
      const json* found = nullptr;
      for (const json& g : report.at("goals"))
        if (g.at("id") == item.key()) found = &g;
      ASSERT_NE(found, nullptr) << item.key();
      expect_fields(item.value(), *found, "goals." + item.key());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, ScheduleCases, ::testing::ValuesIn(schedule_cases()),
                         [](const auto& p) { return p.param.name; });
