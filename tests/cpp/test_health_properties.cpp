// Properties that must hold for any account: range, monotonicity, policy
// agreement, thread-count independence, and agreement with a plain
// re-computation of the formula written independently here.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "firstvalue/health.hpp"
#include "firstvalue/random.hpp"

namespace fv = firstvalue;

namespace {

fv::HealthModel with_policy(fv::MissingPolicy p) {
  const auto d = fv::HealthModel::default_model();
  return fv::HealthModel("d", d.factors(), d.bands(), p);
}

// Inputs spread beyond the curves' ends, with a share of NaN.
std::vector<std::vector<double>> random_inputs(std::size_t n, std::uint64_t seed, double nan_share) {
  fv::SplitMix64 rng(seed);
  const double hi[] = {1.3, 1.1, 7.5, 1.3};
  std::vector<std::vector<double>> cols(4, std::vector<double>(n));
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < n; ++i)
      cols[k][i] = rng.chance(nan_share) ? fv::kNaN : rng.uniform(-0.2, hi[k]);
  return cols;
}

std::vector<fv::Column> as_columns(const fv::HealthModel& m, const std::vector<std::vector<double>>& v) {
  std::vector<fv::Column> cols;
  for (std::size_t k = 0; k < v.size(); ++k) cols.push_back({m.factors()[k].name, v[k]});
  return cols;
}

// The definition, written from scratch: points = 100 × w/Σw × curve(x).
double interp(double x, double x1, double y1) {  // the default curves are (0,0)->(x1,y1)
  if (x <= 0) return 0;
  if (x >= x1) return y1;
  return x / x1 * y1;
}

}  // namespace

TEST(HealthProperties, ScoreStaysWithin0And100) {
  for (auto policy : {fv::MissingPolicy::renormalize, fv::MissingPolicy::zero, fv::MissingPolicy::neutral}) {
    const auto m = with_policy(policy);
    auto v = random_inputs(20000, 11, 0.3);
    v[0][0] = INFINITY;
    v[1][1] = -INFINITY;
    v[2][2] = 1e308;
    const auto r = m.score(as_columns(m, v));
    for (std::size_t i = 0; i < r.score.size(); ++i) {
      if (std::isnan(r.score[i])) {
        EXPECT_EQ(r.band[i], -1);
        EXPECT_EQ(r.coverage[i], 0);
        continue;
      }
      ASSERT_GE(r.score[i], 0);
      ASSERT_LE(r.score[i], 100);
      ASSERT_GE(r.coverage[i], 0);
      ASSERT_LE(r.coverage[i], 1);
    }
  }
}

TEST(HealthProperties, MonotoneInEachInput) {
  for (auto policy : {fv::MissingPolicy::renormalize, fv::MissingPolicy::zero, fv::MissingPolicy::neutral}) {
    const auto m = with_policy(policy);
    fv::SplitMix64 rng(5);
    for (int trial = 0; trial < 20000; ++trial) {
      double x[4];
      for (double& xi : x) xi = rng.chance(0.2) ? fv::kNaN : rng.uniform(-0.5, 6);
      const std::size_t k = rng.below(4);
      if (std::isnan(x[k])) x[k] = rng.uniform(-0.5, 6);
      const double before = m.score_one(x).score;
      x[k] += rng.uniform(0, 2);
      const double after = m.score_one(x).score;
      ASSERT_GE(after, before) << "factor " << k << " policy " << fv::to_string(policy);
    }
  }
}

TEST(HealthProperties, PoliciesAgreeWhenNothingIsMissing) {
  const auto v = random_inputs(50000, 3, 0.0);
  const auto renorm = with_policy(fv::MissingPolicy::renormalize);
  const auto zero = with_policy(fv::MissingPolicy::zero);
  const auto neutral = with_policy(fv::MissingPolicy::neutral);
  const auto a = renorm.score(as_columns(renorm, v));
  const auto b = zero.score(as_columns(zero, v));
  const auto c = neutral.score(as_columns(neutral, v));
  for (std::size_t i = 0; i < a.score.size(); ++i) {
    ASSERT_EQ(a.score[i], b.score[i]);
    ASSERT_EQ(a.score[i], c.score[i]);
    ASSERT_EQ(a.coverage[i], 1);
  }
}

TEST(HealthProperties, MatchesThePlainFormula) {
  const auto m = fv::HealthModel::default_model();
  const auto v = random_inputs(100000, 17, 0.15);
  const auto r = m.score(as_columns(m, v));
  const double w[] = {30, 25, 25, 20}, x1[] = {1, 0.8, 5, 1};
  for (std::size_t i = 0; i < r.score.size(); ++i) {
    double points = 0, present = 0;
    for (int k = 0; k < 4; ++k) {
      if (std::isnan(v[k][i])) continue;
      points += 100 * w[k] / 100 * interp(v[k][i], x1[k], 1);
      present += w[k];
    }
    if (present == 0) {
      ASSERT_TRUE(std::isnan(r.score[i]));
      continue;
    }
    ASSERT_NEAR(r.score[i], points * 100 / present, 1e-12) << i;
    ASSERT_NEAR(r.coverage[i], present / 100, 1e-15);
  }
}

TEST(HealthProperties, ThreadCountDoesNotChangeAnyOutput) {
  const auto m = fv::HealthModel::default_model();
  const auto v = random_inputs(300001, 23, 0.1);
  std::vector<double> prev(v[0].size());
  fv::SplitMix64 rng(1);
  for (double& p : prev) p = rng.uniform(0, 100);
  fv::ScoreOptions one, many;
  one.previous = many.previous = prev;
  many.threads = 4;
  const auto a = m.score(as_columns(m, v), one);
  const auto b = m.score(as_columns(m, v), many);
  ASSERT_EQ(a.score.size(), b.score.size());
  for (std::size_t i = 0; i < a.score.size(); ++i) {
    ASSERT_TRUE(a.score[i] == b.score[i] || (std::isnan(a.score[i]) && std::isnan(b.score[i])));
    ASSERT_EQ(a.band[i], b.band[i]);
    ASSERT_EQ(a.weakest[i], b.weakest[i]);
    ASSERT_EQ(a.band_change[i], b.band_change[i]);
  }
}

TEST(HealthProperties, ExplainAgreesWithBatch) {
  for (auto policy : {fv::MissingPolicy::renormalize, fv::MissingPolicy::zero, fv::MissingPolicy::neutral}) {
    const auto m = with_policy(policy);
    const auto v = random_inputs(2000, 29, 0.25);
    const auto r = m.score(as_columns(m, v));
    for (std::size_t i = 0; i < r.score.size(); ++i) {
      std::vector<fv::NamedValue> row;
      for (std::size_t k = 0; k < 4; ++k) row.push_back({m.factors()[k].name, v[k][i]});
      const auto e = m.explain(row);
      ASSERT_TRUE(e.score == r.score[i] || (std::isnan(e.score) && std::isnan(r.score[i])));
      ASSERT_EQ(e.band, r.band[i]);
      ASSERT_EQ(e.weakest, r.weakest[i]);
      double lost_max = 0;
      for (const auto& f : e.factors) lost_max = std::max(lost_max, f.lost);
      if (e.weakest >= 0) {
        ASSERT_NEAR(e.factors[static_cast<std::size_t>(e.weakest)].lost, lost_max, 1e-12);
      }
    }
  }
}
