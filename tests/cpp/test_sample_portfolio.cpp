#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "firstvalue/sample_portfolio.hpp"

namespace fv = firstvalue;

TEST(SamplePortfolio, SameSeedSameAccounts) {
  const auto a = fv::sample_health_portfolio(200, 7);
  const auto b = fv::sample_health_portfolio(200, 7);
  ASSERT_EQ(a.accounts.size(), 200u);
  for (std::size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(a.accounts[i].name, b.accounts[i].name);
    EXPECT_EQ(a.accounts[i].arr, b.accounts[i].arr);
    for (std::size_t k = 0; k < a.inputs.size(); ++k)
      EXPECT_TRUE(a.inputs[k][i] == b.inputs[k][i] || (std::isnan(a.inputs[k][i]) && std::isnan(b.inputs[k][i])));
  }
  const auto c = fv::sample_health_portfolio(200, 8);
  int differ = 0;
  for (std::size_t i = 0; i < 200; ++i) differ += a.accounts[i].arr != c.accounts[i].arr;
  EXPECT_GT(differ, 150);
}

TEST(SamplePortfolio, AccountsAreDistinctAndTieredByArr) {
  const auto p = fv::sample_health_portfolio(200, 2026);
  std::set<std::string> keys, names;
  for (const auto& a : p.accounts) {
    keys.insert(a.key);
    names.insert(a.name);
    EXPECT_EQ(a.tier, fv::tier_for_arr(a.arr));
    EXPECT_GE(a.arr, 6000);
    EXPECT_LE(a.arr, 400000);
  }
  EXPECT_EQ(keys.size(), 200u);
  EXPECT_EQ(names.size(), 200u);
  EXPECT_EQ(fv::tier_for_arr(100000), "enterprise");
  EXPECT_EQ(fv::tier_for_arr(99999), "mid_market");
  EXPECT_EQ(fv::tier_for_arr(24999), "smb");
}
