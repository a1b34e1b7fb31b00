// JSON of portfolios: accounts and configuration in, results and the worklist out.

#include <cmath>

#include "account_plan_json.hpp"
#include "firstvalue/portfolio.hpp"
#include "json_reader.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

using json_detail::number_or_null;
using json_detail::day_or_null;

int whole(const ObjectReader& r, const char* key, int fallback) {
  if (!r.has(key)) return fallback;
  const double v = r.number(key);
  if (!(v >= 0 && v <= 1e7 && v == std::floor(v))) throw_invalid(r.field_path(key), "must be a whole number >= 0");
  return static_cast<int>(v);
}

Account account_from_json(const json& v, const std::string& path) {
  const ObjectReader r(v, path,
                       {"organization", "key", "name", "tier", "arr", "signature", "seats", "planned_users", "contacts",
                        "template", "attributes", "progress", "metrics", "goals", "handoff", "exit", "exit_reason"});
  Account a;
  a.organization = r.string_or("organization", "");
  a.key = r.string("key");
  if (a.key.empty()) throw_invalid(r.field_path("key"), "must not be empty");
  a.name = r.string_or("name", a.key);
  a.tier = r.string_or("tier", "");
  a.arr = r.number_or("arr", 0);
  if (!(a.arr >= 0)) throw_invalid(r.field_path("arr"), "must be >= 0");
  a.signature = json_detail::as_date(r.required("signature"), r.field_path("signature"));
  if (r.has("seats")) {
    const ObjectReader s(r.required("seats"), r.field_path("seats"), {"planned", "provisioned"});
    a.planned_seats = whole(s, "planned", 0);
    a.provisioned_seats = whole(s, "provisioned", a.planned_seats);
  }
  if (r.has("planned_users")) {
    const json& list = r.array("planned_users");
    for (std::size_t i = 0; i < list.size(); ++i)
      a.planned_users.push_back(json_detail::as_string(list[i], index_path(r.field_path("planned_users"), i)));
  }
  if (r.has("contacts")) {
    const json& list = r.array("contacts");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const ObjectReader c(list[i], index_path(r.field_path("contacts"), i), {"key", "name", "role"});
      Contact x;
      x.key = c.string("key");
      x.name = c.string_or("name", x.key);
      const std::string role = c.string("role");
      const auto parsed = parse_contact_role(role);
      if (!parsed)
        throw_invalid(c.field_path("role"), "must be sponsor, champion, admin or user, not " + detail::quoted(role));
      x.role = *parsed;
      a.contacts.push_back(std::move(x));
    }
  }
  if (r.has("exit")) a.exit = json_detail::as_date(r.required("exit"), r.field_path("exit"));
  a.exit_reason = r.string_or("exit_reason", "");
  json plan{{"account", a.key}, {"start", a.signature}};
  for (const char* key : {"template", "attributes", "progress", "metrics", "goals", "handoff"})
    if (r.has(key)) plan[key] = r.required(key);
  a.plan = account_plan_from_json(plan, path);
  return a;
}

json account_json(const Account& a) {
  json plan = account_plan_to_json_value(a.plan);
  json j{{"organization", a.organization}, {"key", a.key}, {"name", a.name}, {"tier", a.tier}, {"arr", a.arr}, {"signature", format_date(a.signature)},
         {"seats", {{"planned", a.planned_seats}, {"provisioned", a.provisioned_seats}}},
         {"planned_users", a.planned_users}};
  json contacts = json::array();
  for (const Contact& c : a.contacts) contacts.push_back({{"key", c.key}, {"name", c.name}, {"role", to_string(c.role)}});
  j["contacts"] = contacts;
  for (const char* key : {"template", "attributes", "progress", "metrics", "goals", "handoff"})
    if (plan.contains(key)) j[key] = plan[key];
  if (a.exit) j["exit"] = format_date(*a.exit);
  if (!a.exit_reason.empty()) j["exit_reason"] = a.exit_reason;
  return j;
}

std::vector<Account> accounts_from_json(const json& list, const std::string& path) {
  json_detail::as_array(list, path);
  std::vector<Account> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) out.push_back(account_from_json(list[i], index_path(path, i)));
  return out;
}

// A nested document of the config, re-read by its own parser so its errors
// come back under the config key.
template <class F>
auto nested(const ObjectReader& r, const char* key, F&& parse) {
  try {
    return parse(r.required(key).dump());
  } catch (const Error& e) {
    throw e.under(key);
  }
}

PortfolioConfig config_from(const ObjectReader& r) {
  PortfolioConfig c;
  c.organization = r.string("organization");
  if (c.organization.empty()) throw_invalid("organization", "must not be empty");
  if (r.has("calendar")) c.calendar = nested(r, "calendar", [](const std::string& s) { return Calendar::from_json(s); });
  if (r.has("templates")) c.templates = nested(r, "templates", [](const std::string& s) { return TemplateSet::from_json(s); });
  if (r.has("plan_policy")) c.plan_policy = nested(r, "plan_policy", [](const std::string& s) { return PlanPolicy::from_json(s); });
  if (r.has("health_model")) c.health = nested(r, "health_model", [](const std::string& s) { return HealthModel::from_json(s); });
  if (r.has("signals")) c.signals = nested(r, "signals", [](const std::string& s) { return SignalConfig::from_json(s); });
  return c;
}

json signal_json(const SignalConfig& config, const FiredSignal& f) {
  const SignalRule& rule = config.rules[f.rule];
  json evidence = json::object();
  for (const Evidence& e : f.evidence) evidence[e.name] = number_or_null(e.value);
  return {{"name", rule.name},     {"detector", to_string(rule.detector)}, {"severity", to_string(rule.severity)},
          {"weight", rule.weight}, {"since", format_date(f.since)},        {"cause", f.cause},
          {"action", rule.action}, {"evidence", evidence}};
}

}  // namespace

Account Account::from_json(std::string_view text) {
  return account_from_json(json_detail::parse_document(text, "account"), "");
}
std::string Account::to_json(int indent) const { return account_json(*this).dump(indent); }

PortfolioConfig PortfolioConfig::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "portfolio config");
  const ObjectReader r(doc, "", {"organization", "calendar", "templates", "plan_policy", "health_model", "signals"});
  return config_from(r);
}

std::string PortfolioConfig::to_json(int indent) const {
  return json{{"organization", organization},
              {"calendar", json::parse(calendar.to_json(-1))},
              {"templates", json::parse(templates.to_json(-1))},
              {"plan_policy", json::parse(plan_policy.to_json(-1))},
              {"health_model", json::parse(health.to_json(-1))},
              {"signals", json::parse(signals.to_json(-1))}}
      .dump(indent);
}

Portfolio Portfolio::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "portfolio");
  const ObjectReader r(doc, "",
                       {"organization", "calendar", "templates", "plan_policy", "health_model", "signals", "accounts"});
  Portfolio p(config_from(r));
  if (r.has("accounts")) p.add_accounts(accounts_from_json(r.required("accounts"), "accounts"));
  return p;
}

void Portfolio::add_accounts_json(std::string_view text) {
  add_accounts(accounts_from_json(json_detail::parse_document(text, "accounts"), "accounts"));
}

namespace {

// One account's result as a JSON value; the worklist and the full results
// embed it as it is.
json account_result_value(const Portfolio& portfolio, const AccountResult& r) {
  portfolio.check_evaluated_here(r);
  const Account& a = portfolio.account(r.account);
  const PortfolioConfig& config = portfolio.config();
  const HealthModel& model = config.health;
  const Assessment& as = r.assessment;
  json values = json::object();
  for (std::size_t k = 0; k < kMetricNames.size(); ++k) values[std::string(kMetricNames[k])] = number_or_null(r.values[k]);
  json never = json::array();
  for (const std::uint32_t u : r.metrics.planned_never) never.push_back(a.planned_users[u]);
  json signals = json::array();
  for (const FiredSignal& f : as.signals) signals.push_back(signal_json(config.signals, f));
  json j{{"account", a.key},
         {"name", a.name},
         {"tier", a.tier},
         {"arr", a.arr},
         {"signature", format_date(a.signature)},
         {"as_of", format_date(r.metrics.as_of)},
         {"day", r.metrics.day},
         {"state", to_string(as.state)},
         {"risk", as.risk},
         {"onset", day_or_null(as.onset)},
         {"priority", r.priority},
         {"days_left", r.days_left},
         {"health", number_or_null(r.health)},
         {"band", std::string(model.band_name(r.band))},
         {"health_delta_7d", number_or_null(r.health_delta)},
         {"weakest_factor", r.weakest >= 0 ? json(model.factors()[static_cast<std::size_t>(r.weakest)].name) : json(nullptr)},
         {"plan_status", to_string(r.plan_status)},
         {"plan_reason", r.plan_reason},
         {"metrics", values},
         {"planned_users_never_logged_in", never},
         {"signals", signals}};
  if (as.primary >= 0) {
    const FiredSignal& p = as.signals[static_cast<std::size_t>(as.primary)];
    const SignalRule& rule = config.signals.rules[p.rule];
    j["cause"] = p.cause;
    j["primary_signal"] = rule.name;
    j["action"] = rule.action;
    j["action_text"] = rule.action_text;
  }
  return j;
}

}  // namespace

std::string Portfolio::account_result_json(const AccountResult& r, int indent) const {
  return account_result_value(*this, r).dump(indent);
}

std::string Portfolio::worklist_json(const ScanResult& result, int indent) const {
  check_evaluated_here(result);
  json list = json::array();
  std::size_t rank = 0;
  for (const std::uint32_t i : result.worklist) {
    json item = account_result_value(*this, result.accounts[i]);
    item["rank"] = ++rank;
    list.push_back(std::move(item));
  }
  // Counts of every account evaluated: a scan's result holds only the worklist's first ones.
  const json doc{{"organization", organization()},
                 {"as_of", format_date(result.as_of)},
                 {"accounts", result.by_state[0] + result.by_state[1] + result.by_state[2]},
                 {"stalled", result.by_state[2]},
                 {"at_risk", result.by_state[1]},
                 {"ok", result.by_state[0]},
                 {"worklist_total", result.worklist_total},
                 {"worklist", list}};
  return doc.dump(indent);
}

std::string Portfolio::results_json(const ScanResult& result, int indent) const {
  check_evaluated_here(result);
  json list = json::array();
  for (const AccountResult& r : result.accounts) list.push_back(account_result_value(*this, r));
  return json{{"organization", organization()}, {"as_of", format_date(result.as_of)}, {"accounts", list}}.dump(indent);
}

}  // namespace firstvalue
