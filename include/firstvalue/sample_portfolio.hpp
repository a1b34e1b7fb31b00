#pragma once
// A deterministic sample portfolio for demos, the README's main command and
// tests: no data files in git, the same accounts for the same seed everywhere.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace firstvalue {

struct SampleAccount {
  std::string key;   // stable id, e.g. "acct-0007"
  std::string name;  // a readable company name
  std::string tier;  // enterprise, mid_market or smb (chosen by ARR)
  double arr = 0;
  std::string archetype;  // how the generator shaped it: thriving, steady, slipping, stalled, no_telemetry
};

// Health-model inputs for every account, one column per default-model factor.
struct SampleHealthPortfolio {
  std::uint64_t seed = 0;
  std::vector<SampleAccount> accounts;
  std::vector<std::string> factor_names;
  std::vector<std::vector<double>> inputs;  // inputs[factor][account]; NaN where unknown
};

SampleHealthPortfolio sample_health_portfolio(std::size_t n_accounts = 40, std::uint64_t seed = 2026);

std::string tier_for_arr(double arr);

}  // namespace firstvalue
