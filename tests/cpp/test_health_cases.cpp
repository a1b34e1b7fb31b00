// The hand-worked cases of tests/data/health_cases.tsv through the C++ API:
// batch scoring and explain must both give the hand-computed answers.

#include <gtest/gtest.h>

#include <numeric>

#include "cases.hpp"
#include "firstvalue/health.hpp"

namespace fv = firstvalue;
using fvtest::same;

class HealthCases : public ::testing::TestWithParam<fvtest::HealthCase> {};

TEST_P(HealthCases, BatchScoreMatchesHandComputation) {
  const auto& c = GetParam();
  const fv::HealthModel model = fvtest::load_model(c.model);
  std::vector<std::vector<double>> values;
  std::vector<fv::Column> cols;
  values.reserve(c.inputs.size());
  for (const auto& [name, v] : c.inputs) values.push_back({v});
  for (std::size_t k = 0; k < c.inputs.size(); ++k) cols.push_back({c.inputs[k].first, values[k]});
  const std::vector<double> previous{c.previous};
  fv::ScoreOptions options;
  if (c.has_previous) options.previous = previous;
  const fv::ScoreResult r = model.score(cols, options);

  ASSERT_EQ(r.score.size(), 1u);
  EXPECT_TRUE(same(r.score[0], c.score, 1e-9)) << c.why << ": got " << r.score[0];
  EXPECT_EQ(model.band_name(r.band[0]), c.band) << c.why;
  EXPECT_TRUE(same(r.coverage[0], c.coverage, 1e-12));
  const std::string weakest = r.weakest[0] < 0 ? "-" : model.factors()[static_cast<std::size_t>(r.weakest[0])].name;
  EXPECT_EQ(weakest, c.weakest);
  if (c.has_previous) {
    EXPECT_TRUE(same(r.delta[0], c.delta, 1e-9)) << "delta " << r.delta[0];
    EXPECT_EQ(r.band_change[0], c.band_change);
  }
}

TEST_P(HealthCases, ExplanationAgreesWithBatchAndAddsUp) {
  const auto& c = GetParam();
  const fv::HealthModel model = fvtest::load_model(c.model);
  std::vector<fv::NamedValue> row;
  for (const auto& [name, v] : c.inputs) row.push_back({name, v});
  const fv::Explanation e = model.explain(row, c.has_previous ? c.previous : fv::kNaN);

  EXPECT_TRUE(same(e.score, c.score, 1e-9));
  EXPECT_EQ(e.band_name, c.band);
  EXPECT_EQ(e.weakest_name.empty() ? "-" : e.weakest_name, c.weakest);
  ASSERT_EQ(e.factors.size(), model.factors().size());
  double points = 0, max_points = 0, share = 0;
  for (const auto& f : e.factors) {
    points += f.points;
    max_points += f.max_points;
    share += f.weight_share;
    EXPECT_NEAR(f.lost, f.max_points - f.points, 1e-12);
  }
  if (std::isnan(c.score)) {
    EXPECT_EQ(points, 0);
    EXPECT_EQ(max_points, 0);
  } else {
    EXPECT_NEAR(points, c.score, 1e-9) << "factor points must add up to the score";
    EXPECT_NEAR(max_points, 100, 1e-9);
    EXPECT_NEAR(share, 1, 1e-12);
  }
  if (e.weakest >= 0) {
    for (const auto& f : e.factors) {
      EXPECT_LE(f.lost, e.factors[static_cast<std::size_t>(e.weakest)].lost + 1e-12);
    }
  }
  if (c.has_previous) {
    EXPECT_TRUE(same(e.delta, c.delta, 1e-9));
    EXPECT_EQ(e.band_change, c.band_change);
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, HealthCases, ::testing::ValuesIn(fvtest::health_cases()),
                         [](const auto& p) { return p.param.name; });

TEST(HealthCasesFile, HasTheCoverageTheIssueAsksFor) {
  const auto cases = fvtest::health_cases();
  ASSERT_GE(cases.size(), 30u);
  bool policies[3] = {false, false, false};
  for (const auto& c : cases) {
    if (c.model == "default") policies[0] = true;
    if (c.model == "default_zero.json") policies[1] = true;
    if (c.model == "default_neutral.json") policies[2] = true;
  }
  EXPECT_TRUE(policies[0] && policies[1] && policies[2]);
}
