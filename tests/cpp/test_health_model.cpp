// Model construction, JSON round trips and rejections with field paths.

#include <gtest/gtest.h>

#include "cases.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"

namespace fv = firstvalue;

TEST(HealthModel, DefaultReproducesTheSeedTable) {
  const auto m = fv::HealthModel::default_model();
  ASSERT_EQ(m.factors().size(), 4u);
  const char* names[] = {"milestone_progress", "user_adoption", "engagement_quality", "value_realization"};
  const double weights[] = {30, 25, 25, 20};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(m.factors()[k].name, names[k]);
    EXPECT_EQ(m.factors()[k].weight, weights[k]);
  }
  EXPECT_EQ(m.total_weight(), 100);
  // Curve end points from the issue: (0,0)->(1,1), (0,0)->(0.8,1), (0,0)->(5,1), (0,0)->(1,1).
  EXPECT_EQ(m.factors()[1].curve.points().back().x, 0.8);
  EXPECT_EQ(m.factors()[2].curve.points().back().x, 5);
  ASSERT_EQ(m.bands().size(), 4u);
  EXPECT_EQ(m.bands()[0].name, "excellent");
  EXPECT_EQ(m.bands()[0].color, "green");
  EXPECT_EQ(m.bands()[0].min, 80);
  EXPECT_EQ(m.bands()[3].name, "critical");
  EXPECT_EQ(m.bands()[3].min, 0);
  EXPECT_EQ(m.missing_policy(), fv::MissingPolicy::renormalize);
}

TEST(HealthModel, BandBoundariesAreInclusive) {
  const auto m = fv::HealthModel::default_model();
  EXPECT_EQ(m.band_name(m.band_of(100)), "excellent");
  EXPECT_EQ(m.band_name(m.band_of(80.0)), "excellent");
  EXPECT_EQ(m.band_name(m.band_of(79.99)), "on_track");
  EXPECT_EQ(m.band_name(m.band_of(60.0)), "on_track");
  EXPECT_EQ(m.band_name(m.band_of(59.99)), "at_risk");
  EXPECT_EQ(m.band_name(m.band_of(40.0)), "at_risk");
  EXPECT_EQ(m.band_name(m.band_of(39.99)), "critical");
  EXPECT_EQ(m.band_name(m.band_of(0)), "critical");
  EXPECT_EQ(m.band_of(fv::kNaN), -1);
  EXPECT_EQ(m.band_name(-1), "unknown");
}

TEST(HealthModel, JsonRoundTrips) {
  for (const char* name : {"default", "default_zero.json", "default_neutral.json", "tiers.json"}) {
    const auto m = fvtest::load_model(name);
    const auto again = fv::HealthModel::from_json(m.to_json());
    EXPECT_EQ(m, again) << name;
    EXPECT_EQ(m.to_json(), again.to_json()) << name;
    EXPECT_EQ(fv::HealthModel::from_json(m.to_json(-1)), m) << "compact form of " << name;
  }
}

TEST(HealthModel, CurveKindAndPolicySurviveJson) {
  const auto m = fvtest::load_model("tiers.json");
  EXPECT_EQ(m.factors()[0].curve.kind(), fv::Curve::Kind::steps);
  EXPECT_EQ(m.factors()[1].curve.kind(), fv::Curve::Kind::linear);
  EXPECT_EQ(fvtest::load_model("default_neutral.json").missing_policy(), fv::MissingPolicy::neutral);
}

TEST(HealthModel, BandsDefaultToTheSeedBands) {
  const auto m = fv::HealthModel::from_json(R"({"factors":[{"name":"a","weight":1,"curve":{"points":[[0,0],[1,1]]}}]})");
  EXPECT_EQ(m.bands(), fv::HealthModel::default_model().bands());
  EXPECT_EQ(m.name(), "custom");
}

class InvalidModels : public ::testing::TestWithParam<fvtest::InvalidModel> {};

TEST_P(InvalidModels, RejectedWithThePath) {
  const auto& c = GetParam();
  try {
    (void)fv::HealthModel::from_json(c.json);
    FAIL() << c.name << " was accepted";
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid);
    EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << "got: " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, InvalidModels, ::testing::ValuesIn(fvtest::invalid_models()),
                         [](const auto& p) { return p.param.name; });

TEST(HealthModel, ProgrammaticConstructionValidatesToo) {
  EXPECT_THROW(fv::HealthModel("m", {{"a", -1, fv::Curve::linear({{0, 0}, {1, 1}}), ""}}, {{"all", "", 0}}),
               fv::Error);
  try {
    (void)fv::Curve::linear({{0, 0}, {2, 1}, {1, 1}});
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_STREQ(e.what(), "points[2]: x must be increasing");
  }
}

namespace {

std::vector<double> col(std::initializer_list<double> v) { return v; }

}  // namespace

TEST(HealthScoring, MissingFactorInputNamesTheFactor) {
  const auto m = fv::HealthModel::default_model();
  const auto a = col({1}), b = col({0.5}), c = col({3});
  const std::vector<fv::Column> cols{{"milestone_progress", a}, {"user_adoption", b}, {"engagement_quality", c}};
  try {
    (void)m.score(cols);
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid);
    EXPECT_EQ(e.path(), "inputs.value_realization");
    EXPECT_STREQ(e.what(), "inputs.value_realization: missing input for factor \"value_realization\"");
  }
}

TEST(HealthScoring, UnknownDuplicateAndMisSizedInputsAreRejectedBeforeWriting) {
  const auto m = fv::HealthModel::default_model();
  const auto one = col({1}), two = col({1, 1});
  std::vector<double> score{-7};
  const fv::ScoreOutput out{score, {}, {}, {}, {}, {}};
  auto expect_path = [&](const std::vector<fv::Column>& cols, const std::string& message) {
    try {
      m.score(cols, out);
      FAIL() << message;
    } catch (const fv::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(message, 0), 0u) << e.what();
    }
    EXPECT_EQ(score[0], -7) << "a failed call must not write outputs";
  };
  expect_path({{"milestone_progress", one}, {"user_adoption", one}, {"engagement_quality", one},
               {"value_realization", one}, {"nps", one}},
              "inputs.nps: unknown factor \"nps\"");
  expect_path({{"milestone_progress", one}, {"milestone_progress", one}}, "inputs.milestone_progress: given twice");
  expect_path({{"milestone_progress", one}, {"user_adoption", two}}, "inputs.user_adoption: has 2 values");
  std::vector<double> small(0);
  const fv::ScoreOutput bad{small, {}, {}, {}, {}, {}};
  const std::vector<fv::Column> ok{{"milestone_progress", one}, {"user_adoption", one},
                                   {"engagement_quality", one}, {"value_realization", one}};
  EXPECT_THROW(m.score(ok, bad), fv::Error);
}

TEST(HealthScoring, ZeroAccountsIsFine) {
  const auto m = fv::HealthModel::default_model();
  const std::vector<double> none;
  const std::vector<fv::Column> cols{{"milestone_progress", none}, {"user_adoption", none},
                                     {"engagement_quality", none}, {"value_realization", none}};
  EXPECT_TRUE(m.score(cols).score.empty());
}

TEST(HealthScoring, ExplainRejectsMissingAndUnknownInputs) {
  const auto m = fv::HealthModel::default_model();
  const std::vector<fv::NamedValue> partial{{"milestone_progress", 1}};
  EXPECT_THROW((void)m.explain(partial), fv::Error);
  const std::vector<fv::NamedValue> typo{{"milestone_progress", 1}, {"user_adoptoin", 1},
                                         {"engagement_quality", 1}, {"value_realization", 1}};
  try {
    (void)m.explain(typo);
    FAIL();
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.path(), "inputs.user_adoptoin");
  }
}

TEST(HealthScoring, InfiniteInputsClampLikeOutOfRangeOnes) {
  const auto m = fv::HealthModel::default_model();
  const auto hi = col({INFINITY}), lo = col({-INFINITY});
  const std::vector<fv::Column> cols{{"milestone_progress", hi}, {"user_adoption", hi},
                                     {"engagement_quality", lo}, {"value_realization", lo}};
  EXPECT_DOUBLE_EQ(m.score(cols).score[0], 55);
}

TEST(HealthScoring, ExplanationJsonCarriesEveryField) {
  const auto m = fv::HealthModel::default_model();
  const std::vector<fv::NamedValue> row{{"milestone_progress", 0.6}, {"user_adoption", fv::kNaN},
                                        {"engagement_quality", 3}, {"value_realization", 0.5}};
  const std::string json = m.explain(row, 70).to_json();
  for (const char* key : {"\"score\"", "\"band\"", "\"coverage\"", "\"weakest\"", "\"max_points\"",
                          "\"weight_share\"", "\"fraction\"", "\"input\": null", "\"delta\"", "\"band_change\""})
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
}
