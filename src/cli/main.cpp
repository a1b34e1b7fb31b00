// The firstvalue command-line tool: the README's main job and a few helpers.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "firstvalue/firstvalue.hpp"

namespace fv = firstvalue;

namespace {

constexpr const char* kUsage = R"(usage: firstvalue <command> [options]

commands:
  scan      score a portfolio and print the accounts a CSM should look at first
  explain   show why one account has its score, factor by factor
  model     print the default health model as JSON (a starting point for your own)
  version   print the library version

options (scan, explain):
  --sample          use the bundled sample portfolio (generated from a seed)
  --accounts N      sample size (default 40)
  --seed S          sample seed (default 2026)
  --model FILE      health model JSON (default: the seed model)
  --json            print JSON instead of a table (scan)
  --account KEY     the account to explain (explain)
)";

struct Options {
  std::string command;
  bool sample = false;
  std::size_t accounts = 40;
  std::uint64_t seed = 2026;
  std::string model_path;
  bool json = false;
  std::string account;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "firstvalue: " << message << "\n\n" << kUsage;
  std::exit(2);
}

std::uint64_t parse_count(const std::string& flag, const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') usage_error(flag + " expects a whole number, got \"" + text + "\"");
  return v;
}

Options parse_args(int argc, char** argv) {
  if (argc < 2) usage_error("missing command");
  Options o;
  o.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--sample") o.sample = true;
    else if (a == "--accounts") o.accounts = parse_count(a, value());
    else if (a == "--seed") o.seed = parse_count(a, value());
    else if (a == "--model") o.model_path = value();
    else if (a == "--json") o.json = true;
    else if (a == "--account") o.account = value();
    else if (a == "-h" || a == "--help") { std::cout << kUsage; std::exit(0); }
    else usage_error("unknown option " + a);
  }
  return o;
}

fv::HealthModel load_model(const std::string& path) {
  if (path.empty()) return fv::HealthModel::default_model();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fv::Error(fv::Errc::io, path, "cannot open the model file");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return fv::HealthModel::from_json(text.str());
  } catch (const fv::Error& e) {
    throw fv::Error(e.code(), path + (e.path().empty() ? "" : ": " + e.path()), e.detail());
  }
}

std::string money(double v) {
  const long long whole = std::llround(v);
  std::string digits = std::to_string(whole);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return "$" + out;
}

std::vector<fv::Column> columns_of(const fv::SampleHealthPortfolio& p) {
  std::vector<fv::Column> cols;
  for (std::size_t k = 0; k < p.factor_names.size(); ++k)
    cols.push_back({p.factor_names[k], p.inputs[k]});
  return cols;
}

// Worst first: a CSM reads from the top. Accounts with no data at all come
// last, flagged, since nothing can be said about them.
std::vector<std::size_t> worst_first(const std::vector<double>& score) {
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const bool na = std::isnan(score[a]), nb = std::isnan(score[b]);
    if (na != nb) return nb;
    return !na && score[a] < score[b];
  });
  return order;
}

int run_scan(const Options& o) {
  if (!o.sample) usage_error("scan needs --sample (portfolio ingestion arrives with the nightly scan)");
  const fv::HealthModel model = load_model(o.model_path);
  const fv::SampleHealthPortfolio p = fv::sample_health_portfolio(o.accounts, o.seed);
  const auto cols = columns_of(p);
  const fv::ScoreResult r = model.score(cols);
  const auto order = worst_first(r.score);

  if (o.json) {
    std::cout << "[";
    for (std::size_t n = 0; n < order.size(); ++n) {
      const std::size_t i = order[n];
      std::vector<fv::NamedValue> row;
      for (std::size_t k = 0; k < cols.size(); ++k) row.push_back({cols[k].name, cols[k].values[i]});
      std::string e = model.explain(row).to_json(-1);
      std::cout << (n ? ",\n " : "") << R"({"account":")" << p.accounts[i].key
                << R"(","explanation":)" << e << "}";
    }
    std::cout << "]\n";
    return 0;
  }

  std::printf("firstvalue %s - health of the sample portfolio (%zu accounts, seed %llu, model \"%s\")\n",
              fv::version_string, p.accounts.size(), static_cast<unsigned long long>(o.seed),
              model.name().c_str());
  std::printf("worst first; \"weakest factor\" is where the account lost the most points\n\n");
  std::printf("%4s  %-9s  %-22s  %-10s  %9s  %5s  %-9s  %-34s  %s\n", "rank", "account", "name",
              "tier", "ARR", "score", "band", "weakest factor (points lost)", "data");
  std::vector<std::size_t> per_band(model.bands().size() + 1, 0);
  for (std::size_t n = 0; n < order.size(); ++n) {
    const std::size_t i = order[n];
    const fv::SampleAccount& a = p.accounts[i];
    std::vector<fv::NamedValue> row;
    for (std::size_t k = 0; k < cols.size(); ++k) row.push_back({cols[k].name, cols[k].values[i]});
    const fv::Explanation e = model.explain(row);
    std::string weakest = "-";
    if (e.weakest >= 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (-%.1f)", e.factors[static_cast<std::size_t>(e.weakest)].lost);
      weakest = e.weakest_name + buf;
    }
    char score[16];
    if (std::isnan(e.score)) std::snprintf(score, sizeof score, "%5s", "n/a");
    else std::snprintf(score, sizeof score, "%5.1f", e.score);
    char coverage[32];
    std::snprintf(coverage, sizeof coverage, "%3.0f%% known", 100 * e.coverage);
    std::printf("%4zu  %-9s  %-22s  %-10s  %9s  %s  %-9s  %-34s  %s\n", n + 1, a.key.c_str(),
                a.name.c_str(), a.tier.c_str(), money(a.arr).c_str(), score, e.band_name.c_str(),
                weakest.c_str(), coverage);
    ++per_band[e.band < 0 ? model.bands().size() : static_cast<std::size_t>(e.band)];
  }
  std::printf("\n");
  for (std::size_t b = 0; b < model.bands().size(); ++b)
    std::printf("%s%s: %zu", b ? ", " : "", model.bands()[b].name.c_str(), per_band[b]);
  if (per_band.back()) std::printf(", unknown: %zu", per_band.back());
  std::printf("\n");
  return 0;
}

int run_explain(const Options& o) {
  if (!o.sample) usage_error("explain needs --sample");
  if (o.account.empty()) usage_error("explain needs --account KEY");
  const fv::HealthModel model = load_model(o.model_path);
  const fv::SampleHealthPortfolio p = fv::sample_health_portfolio(o.accounts, o.seed);
  for (std::size_t i = 0; i < p.accounts.size(); ++i) {
    if (p.accounts[i].key != o.account) continue;
    std::vector<fv::NamedValue> row;
    for (std::size_t k = 0; k < p.factor_names.size(); ++k)
      row.push_back({p.factor_names[k], p.inputs[k][i]});
    std::cout << model.explain(row).to_json() << "\n";
    return 0;
  }
  throw fv::Error(fv::Errc::not_found, "account", "no account \"" + o.account + "\" in the sample");
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  try {
    if (o.command == "scan") return run_scan(o);
    if (o.command == "explain") return run_explain(o);
    if (o.command == "model") {
      std::cout << fv::HealthModel::default_model().to_json() << "\n";
      return 0;
    }
    if (o.command == "version") {
      std::cout << fv::version_string << "\n";
      return 0;
    }
    if (o.command == "-h" || o.command == "--help" || o.command == "help") {
      std::cout << kUsage;
      return 0;
    }
    usage_error("unknown command \"" + o.command + "\"");
  } catch (const fv::Error& e) {
    std::cerr << "firstvalue: " << e.what() << "\n";
    return 1;
  }
}
