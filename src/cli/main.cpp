// The firstvalue command-line tool: the README's main job and a few helpers.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firstvalue/firstvalue.hpp"

namespace fv = firstvalue;

namespace {

constexpr const char* kUsage = R"(usage: firstvalue <command> [options]

commands:
  scan      the nightly scan: ingest events, evaluate, print the worklist a CSM acts on
  explain   one account's evaluation as JSON: metrics, health, signals, cause and action
  sample    write the generated sample portfolio and its events to files
  quality   detection quality of the scan on a generated portfolio (JSON)
  model     print the default health model as JSON (a starting point for your own)
  signals   print the default signal rules as JSON
  version   print the library version

input (scan, explain):
  --sample            the generated sample portfolio (deterministic for a seed)
  --accounts N        sample size (default 200)
  --seed S            sample seed (default 2026)
  --portfolio FILE    portfolio JSON: {"organization", "accounts": [...], ...}
  --events FILE       events as CSV or JSON Lines (.jsonl); may be repeated
  --as-of DATE        the night to evaluate (default: the sample's night, or today)
  --model FILE        health model JSON (default: the seed model)
  --signals FILE      signal rules JSON (default: the seed signals)
options:
  --json              print JSON instead of a table (scan, explain)
  --all               list every account, not only the worklist (scan --json)
  --threads N         threads (default: all cores)
  --account KEY       the account to explain (explain)
  --out DIR           where `sample` writes portfolio.json and events.csv
  --mask-pii          mask email addresses and phone numbers in the output (scan, explain),
                      e.g. before it goes to a model: each value becomes <email:N> or <phone:N>
  --pii-map FILE      with --mask-pii, write the map from tokens back to values (JSON) to FILE
)";

struct Options {
  std::string command;
  bool sample = false;
  std::size_t accounts = 200;
  std::uint64_t seed = 2026;
  std::string portfolio_path;
  std::vector<std::string> events_paths;
  std::string as_of;
  std::string model_path;
  std::string signals_path;
  bool json = false;
  bool all = false;
  unsigned threads = 0;
  std::string account;
  std::string out_dir;
  bool mask_pii = false;
  std::string pii_map_path;
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
    else if (a == "--portfolio") o.portfolio_path = value();
    else if (a == "--events") o.events_paths.emplace_back(value());
    else if (a == "--as-of") o.as_of = value();
    else if (a == "--model") o.model_path = value();
    else if (a == "--signals") o.signals_path = value();
    else if (a == "--json") o.json = true;
    else if (a == "--all") o.all = true;
    else if (a == "--threads") o.threads = static_cast<unsigned>(parse_count(a, value()));
    else if (a == "--account") o.account = value();
    else if (a == "--out") o.out_dir = value();
    else if (a == "--mask-pii") o.mask_pii = true;
    else if (a == "--pii-map") o.pii_map_path = value();
    else if (a == "-h" || a == "--help") { std::cout << kUsage; std::exit(0); }
    else usage_error("unknown option " + a);
  }
  if (!o.pii_map_path.empty() && !o.mask_pii) usage_error("--pii-map needs --mask-pii");
  return o;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fv::Error(fv::Errc::io, path, "cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Errors in a file name the file first, then the path inside it.
template <class F>
auto parse_file(const std::string& path, F&& parse) {
  const std::string text = read_text(path);
  try {
    return parse(text);
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

fv::Day today() {
  return static_cast<fv::Day>(std::time(nullptr) / 86400);
}

fv::Day as_of_of(const Options& o, fv::Day fallback) {
  if (o.as_of.empty()) return fallback;
  const auto d = fv::parse_date(o.as_of);
  if (!d) usage_error("--as-of expects YYYY-MM-DD, got \"" + o.as_of + "\"");
  return *d;
}

// The portfolio and its events, from the sample or from files.
struct Loaded {
  std::optional<fv::Portfolio> portfolio;
  fv::Day as_of = 0;
  std::vector<fv::IngestReport> reports;
  std::vector<std::string> sources;
};

Loaded load(const Options& o) {
  if (o.sample == !o.portfolio_path.empty()) usage_error("give either --sample or --portfolio FILE");
  Loaded l;
  fv::PortfolioConfig config;
  std::vector<fv::Account> accounts;
  std::vector<fv::EventTable> tables;
  if (o.sample) {
    fv::GeneratorOptions g;
    g.accounts = o.accounts;
    g.seed = o.seed;
    fv::GeneratedPortfolio p = fv::generate_portfolio(g);
    config.organization = g.organization;
    accounts = std::move(p.accounts);
    tables.push_back(std::move(p.events));
    l.sources.push_back("generated sample (" + std::to_string(o.accounts) + " accounts, seed " + std::to_string(o.seed) + ")");
    l.as_of = as_of_of(o, g.as_of);
  } else {
    fv::Portfolio p = parse_file(o.portfolio_path, [](const std::string& t) { return fv::Portfolio::from_json(t); });
    config = p.config();
    for (std::size_t i = 0; i < p.size(); ++i) accounts.push_back(p.account(i));
    l.as_of = as_of_of(o, today());
  }
  if (!o.model_path.empty())
    config.health = parse_file(o.model_path, [](const std::string& t) { return fv::HealthModel::from_json(t); });
  if (!o.signals_path.empty())
    config.signals = parse_file(o.signals_path, [](const std::string& t) { return fv::SignalConfig::from_json(t); });
  l.portfolio.emplace(std::move(config));
  l.portfolio->add_accounts(std::move(accounts));
  for (const std::string& path : o.events_paths) {
    const bool jsonl = path.size() >= 6 && (path.ends_with(".jsonl") || path.ends_with(".ndjson"));
    tables.push_back(parse_file(path, [&](const std::string& t) {
      return jsonl ? fv::EventTable::from_jsonl(t) : fv::EventTable::from_csv(t);
    }));
    l.sources.push_back(path);
  }
  fv::IngestOptions ingest;
  ingest.threads = o.threads;
  for (const fv::EventTable& t : tables) l.reports.push_back(l.portfolio->ingest(t.batch(), ingest));
  return l;
}

std::string short_date(fv::Day d) { return d == fv::kNever ? std::string("-") : fv::format_date(d); }

// `show` masks what the messages quote (keys may be addresses) under --mask-pii.
void print_rejections(const Loaded& l, const std::function<std::string(const std::string&)>& show) {
  for (std::size_t k = 0; k < l.reports.size(); ++k) {
    const fv::IngestReport& r = l.reports[k];
    if (r.rejected.empty()) continue;
    std::fprintf(stderr, "firstvalue: %s: %zu of %zu events rejected\n", l.sources[k].c_str(), r.rejected.size(), r.rows);
    for (const std::string& m : r.messages) std::fprintf(stderr, "  %s\n", show(m).c_str());
    if (r.rejected.size() > r.messages.size())
      std::fprintf(stderr, "  ... and %zu more (scan --json lists every row)\n", r.rejected.size() - r.messages.size());
  }
}

// The output's personal data, masked when asked, with the map kept for the host.
struct Masking {
  const Options& o;
  fv::PiiMasker masker;
  std::string text(const std::string& s) { return o.mask_pii ? masker.mask(s) : s; }
  std::string json(const std::string& s) { return o.mask_pii ? masker.mask_json(s, 2) : s; }
  ~Masking() {
    // A command that failed leaves the previous map file alone.
    if (!o.mask_pii || o.pii_map_path.empty() || std::uncaught_exceptions() > 0) return;
    std::ofstream map(o.pii_map_path);
    map << masker.map_json() << "\n";
    if (!map) std::fprintf(stderr, "firstvalue: %s: cannot write the PII map\n", o.pii_map_path.c_str());
  }
};

int run_scan(const Options& o) {
  Masking mask{o, {}};
  Loaded l = load(o);
  const fv::Portfolio& p = *l.portfolio;
  const fv::ScanResult r = p.evaluate(l.as_of, o.threads);
  print_rejections(l, [&](const std::string& m) { return mask.text(m); });
  if (o.json) {
    nlohmann::json doc = nlohmann::json::parse(o.all ? p.results_json(r) : p.worklist_json(r));
    nlohmann::json& ingestion = doc["ingestion"] = nlohmann::json::array();
    for (const fv::IngestReport& x : l.reports) ingestion.push_back(nlohmann::json::parse(x.to_json(-1)));
    std::cout << mask.json(doc.dump(2)) << "\n";
    return 0;
  }
  const fv::HealthModel& model = p.config().health;
  std::size_t events = 0, rejected = 0;
  for (const fv::IngestReport& x : l.reports) {
    events += x.accepted;
    rejected += x.rejected.size();
  }
  std::printf("firstvalue %s - nightly scan of \"%s\" as of %s\n", fv::version_string, p.organization().c_str(),
              fv::format_date(l.as_of).c_str());
  std::printf("%zu accounts, %zu events ingested (%zu rejected): %zu stalled, %zu at risk, %zu moving\n\n", p.size(),
              events, rejected, r.by_state[2], r.by_state[1], r.by_state[0]);
  std::printf("worklist: stalled first, then at risk, by priority = risk x ARR x (1 + share of the %d-day window elapsed)\n\n",
              p.config().signals.window_days);
  std::size_t rank = 0;
  for (const std::uint32_t i : r.worklist) {
    const fv::AccountResult& x = r.accounts[i];
    const fv::Account& a = p.account(i);
    const fv::Assessment& s = x.assessment;
    char health[48];
    if (std::isnan(x.health)) std::snprintf(health, sizeof health, "health n/a");
    else if (std::isnan(x.health_delta)) std::snprintf(health, sizeof health, "health %.0f %s", x.health, std::string(model.band_name(x.band)).c_str());
    else std::snprintf(health, sizeof health, "health %.0f %s (%+.0f/7d)", x.health, std::string(model.band_name(x.band)).c_str(), x.health_delta);
    std::printf("%3zu. %-9s %-22s %-10s %9s  %-7s risk %.2f  since %s  day %d, %d left  %s\n", ++rank,
                mask.text(a.key).c_str(), mask.text(a.name).c_str(), a.tier.c_str(), money(a.arr).c_str(),
                s.state == fv::AccountState::stalled ? "STALLED" : "at risk", s.risk, short_date(s.onset).c_str(),
                x.metrics.day, x.days_left, health);
    if (s.primary >= 0) {
      const fv::FiredSignal& f = s.signals[static_cast<std::size_t>(s.primary)];
      const fv::SignalRule& rule = p.config().signals.rules[f.rule];
      std::printf("       cause:  %s\n", mask.text(f.cause).c_str());
      std::printf("       action: %s\n", rule.action_text.c_str());
      std::string also;
      for (std::size_t k = 0; k < s.signals.size(); ++k)
        if (static_cast<int>(k) != s.primary) also += (also.empty() ? "" : ", ") + p.config().signals.rules[s.signals[k].rule].name;
      if (!also.empty()) std::printf("       also:   %s\n", also.c_str());
    }
  }
  if (r.worklist.empty()) std::printf("no account needs attention tonight\n");
  return 0;
}

int run_explain(const Options& o) {
  if (o.account.empty()) usage_error("explain needs --account KEY");
  Masking mask{o, {}};
  Loaded l = load(o);
  const auto i = l.portfolio->find(o.account);
  if (!i) throw fv::Error(fv::Errc::not_found, "account", "no account \"" + o.account + "\" in the portfolio");
  std::cout << mask.json(l.portfolio->account_result_json(l.portfolio->evaluate_account(*i, l.as_of))) << "\n";
  return 0;
}

int run_sample(const Options& o) {
  if (o.out_dir.empty()) usage_error("sample needs --out DIR");
  fv::GeneratorOptions g;
  g.accounts = o.accounts;
  g.seed = o.seed;
  const fv::GeneratedPortfolio p = fv::generate_portfolio(g);
  std::string accounts = "[";
  for (std::size_t i = 0; i < p.accounts.size(); ++i) accounts += (i ? ",\n" : "\n") + p.accounts[i].to_json(-1);
  std::ofstream(o.out_dir + "/portfolio.json") << "{\"organization\": \"" << g.organization << "\", \"accounts\": "
                                               << accounts << "\n]}\n";
  std::ofstream(o.out_dir + "/events.csv") << p.events.to_csv();
  std::ofstream truth(o.out_dir + "/truth.csv");
  truth << "account,cause,onset\n";
  for (std::size_t i = 0; i < p.accounts.size(); ++i)
    truth << p.accounts[i].key << "," << fv::to_string(p.truth[i].cause) << ","
          << (p.truth[i].onset == fv::kNever ? "" : fv::format_date(p.truth[i].onset)) << "\n";
  std::cout << "wrote " << p.accounts.size() << " accounts and " << p.events.size() << " events to " << o.out_dir
            << " (as of " << fv::format_date(g.as_of) << ")\n";
  return 0;
}

int run_quality(const Options& o) {
  fv::GeneratorOptions g;
  g.accounts = o.accounts;
  g.seed = o.seed;
  const fv::GeneratedPortfolio p = fv::generate_portfolio(g);
  fv::PortfolioConfig config;
  config.organization = g.organization;
  if (!o.signals_path.empty())
    config.signals = parse_file(o.signals_path, [](const std::string& t) { return fv::SignalConfig::from_json(t); });
  std::cout << fv::detection_quality(p, config, p.first_signature(), o.threads).to_json() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  try {
    if (o.command == "scan") return run_scan(o);
    if (o.command == "explain") return run_explain(o);
    if (o.command == "sample") return run_sample(o);
    if (o.command == "quality") return run_quality(o);
    if (o.command == "signals") {
      std::cout << fv::SignalConfig::defaults().to_json() << "\n";
      return 0;
    }
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
