#include "firstvalue/sample_portfolio.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <set>

#include "firstvalue/health.hpp"
#include "company_names.hpp"
#include "firstvalue/random.hpp"

namespace firstvalue {
namespace {

using detail::kCompanyFirst;
using detail::kCompanySecond;

struct Shape {
  const char* name;
  double weight;  // share of the portfolio
  double progress_lo, progress_hi;
  double adoption_lo, adoption_hi;
  double days_lo, days_hi;
  double value_lo, value_hi;
};

// Ranges chosen so each archetype lands mostly in one band of the seed model,
// with overlap at the edges as real portfolios have.
constexpr std::array<Shape, 5> kShapes{{
    {"thriving", 0.30, 0.85, 1.00, 0.65, 0.95, 4.0, 6.5, 0.70, 1.00},
    {"steady", 0.30, 0.60, 0.90, 0.45, 0.75, 3.0, 5.0, 0.40, 0.80},
    {"slipping", 0.20, 0.30, 0.65, 0.25, 0.55, 1.5, 3.5, 0.10, 0.50},
    {"stalled", 0.12, 0.00, 0.35, 0.00, 0.25, 0.0, 1.5, 0.00, 0.20},
    {"no_telemetry", 0.08, 0.40, 0.90, 0.00, 0.00, 0.0, 0.0, 0.20, 0.70},
}};

const Shape& pick_shape(SplitMix64& rng) {
  double u = rng.uniform();
  for (const Shape& s : kShapes) {
    if (u < s.weight) return s;
    u -= s.weight;
  }
  return kShapes.back();
}

// Distinct names read better in a worklist; past the 288 combinations a
// number keeps them distinct.
std::string unique_name(SplitMix64& rng, std::set<std::string>& used) {
  const std::size_t combos = kCompanyFirst.size() * kCompanySecond.size();
  for (int attempt = 0; used.size() < combos && attempt < 64; ++attempt) {
    std::string name = std::string(kCompanyFirst[rng.below(kCompanyFirst.size())]) + " " + kCompanySecond[rng.below(kCompanySecond.size())];
    if (used.insert(name).second) return name;
  }
  std::string name = std::string(kCompanyFirst[rng.below(kCompanyFirst.size())]) + " " + kCompanySecond[rng.below(kCompanySecond.size())] +
                     " " + std::to_string(used.size() + 1);
  used.insert(name);
  return name;
}

double round_to(double v, double step) { return std::round(v / step) * step; }

}  // namespace

std::string tier_for_arr(double arr) {
  if (arr >= 100000) return "enterprise";
  if (arr >= 25000) return "mid_market";
  return "smb";
}

SampleHealthPortfolio sample_health_portfolio(std::size_t n_accounts, std::uint64_t seed) {
  SampleHealthPortfolio p;
  p.seed = seed;
  const HealthModel model = HealthModel::default_model();
  for (const Factor& f : model.factors()) p.factor_names.push_back(f.name);
  p.inputs.assign(p.factor_names.size(), std::vector<double>(n_accounts, kNaN));
  SplitMix64 rng(seed);
  std::set<std::string> used_names;
  for (std::size_t i = 0; i < n_accounts; ++i) {
    SampleAccount a;
    char key[32];
    std::snprintf(key, sizeof key, "acct-%04zu", i + 1);
    a.key = key;
    a.name = unique_name(rng, used_names);
    // Contract values are log-uniform between $6k and $400k, like a real book.
    a.arr = round_to(std::exp(rng.uniform(std::log(6000.0), std::log(400000.0))), 500);
    a.tier = tier_for_arr(a.arr);
    const Shape& s = pick_shape(rng);
    a.archetype = s.name;
    p.inputs[0][i] = round_to(rng.uniform(s.progress_lo, s.progress_hi), 0.01);
    p.inputs[3][i] = round_to(rng.uniform(s.value_lo, s.value_hi), 0.01);
    if (a.archetype != "no_telemetry") {
      p.inputs[1][i] = round_to(rng.uniform(s.adoption_lo, s.adoption_hi), 0.01);
      p.inputs[2][i] = round_to(rng.uniform(s.days_lo, s.days_hi), 0.1);
    }
    p.accounts.push_back(std::move(a));
  }
  return p;
}

}  // namespace firstvalue
