// Data-subject requests: everything held about one account, as one document,
// and the receipt of its erasure.

#include <cstdio>

#include "firstvalue/portfolio.hpp"
#include "json_reader.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::number_or_null;

using json_detail::day_or_null;

std::string hex_id(std::uint64_t id) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

std::string timestamp(std::uint32_t ts) {
  const Day d = day_of(ts);
  const std::uint32_t s = ts % 86400;
  char text[16];
  std::snprintf(text, sizeof text, "T%02u:%02u:%02uZ", s / 3600, s / 60 % 60, s % 60);
  return format_date(d) + text;
}

json days(const std::vector<Day>& list) {
  json out = json::array();
  for (const Day d : list) out.push_back(format_date(d));
  return out;
}

// The decoded activity state. Users are kept by identity (the hash of their
// key); those the account names as planned users or contacts get their key.
json activity_json(const Account& a, const AccountActivity& state, const ActivityProfile& profile,
                   const std::vector<std::string>& node_ids) {
  const ActivityContents c = activity_contents(state, profile);
  auto user_key = [&](std::uint64_t id) -> json {
    for (const std::string& u : a.planned_users)
      if (hash64(u) == id) return u;
    for (const Contact& k : a.contacts)
      if (hash64(k.key) == id) return k.key;
    return nullptr;
  };
  json users = json::array();
  for (const ActivityContents::User& u : c.users) {
    json weeks = json::array();
    for (int w = 0; w < 64; ++w)
      if ((u.weeks >> w) & 1u) weeks.push_back(w);
    users.push_back({{"id", hex_id(u.id)},
                     {"key", user_key(u.id)},
                     {"planned", u.planned},
                     {"first_seen", day_or_null(u.first)},
                     {"last_seen", day_or_null(u.last)},
                     {"active_weeks", weeks}});
  }
  json features = json::array();
  for (const auto& f : c.features) features.push_back({{"id", hex_id(f.id)}, {"first_used", day_or_null(f.first)}});
  json tickets = json::array();
  for (const auto& t : c.tickets)
    tickets.push_back({{"id", hex_id(t.id)},
                       {"opened", day_or_null(t.opened)},
                       {"closed", day_or_null(t.closed)},
                       {"severity", t.severity == 0 ? json(nullptr) : json(t.severity)}});
  json replies = json::array();
  for (const Sample& s : c.replies) replies.push_back({{"at", timestamp(s.ts)}, {"latency_hours", number_or_null(s.value)}});
  json meetings = json::array();
  for (const Sample& s : c.meeting_changes)
    meetings.push_back({{"at", timestamp(s.ts)}, {"change", s.value > 0.5f ? "cancelled" : "postponed"}});
  json completed = json::array(), redated = json::array();
  for (const PlanEvent& e : c.plan) {
    const json node = e.node < node_ids.size() ? json(node_ids[e.node]) : json(e.node);
    if (e.redate)
      redated.push_back({{"milestone", node}, {"on", day_or_null(e.on)}, {"to", day_or_null(e.to)}});
    else
      completed.push_back({{"milestone", node}, {"on", day_or_null(e.on)}});
  }
  return {{"state_bytes", state.bytes()},
          {"usage_days", days(c.usage_days)},
          {"customer_activity_days", days(c.touch_days)},
          {"outreach_days", days(c.outreach_days)},
          {"last_usage", day_or_null(c.last_usage)},
          {"last_customer_activity", day_or_null(c.last_touch)},
          {"last_outreach", day_or_null(c.last_outreach)},
          {"last_meeting", day_or_null(c.last_meeting)},
          {"activity_before_signature", day_or_null(c.touch_before_signature)},
          {"users", users},
          {"features", features},
          {"tickets", tickets},
          {"sponsor_replies", replies},
          {"meeting_changes", meetings},
          {"milestones_completed", completed},
          {"milestones_redated", redated}};
}

// The account as the nightly scan saw it each week since the signature, and tonight.
json signal_history(const Portfolio& p, std::size_t index, Day as_of) {
  const Account& a = p.account(index);
  const PortfolioConfig& config = p.config();
  json out = json::array();
  std::vector<Day> nights;
  for (Day d = a.signature + 7; d < as_of; d += 7) nights.push_back(d);
  if (as_of >= a.signature) nights.push_back(as_of);
  for (const Day night : nights) {
    const AccountResult r = p.evaluate_account(index, night);
    json fired = json::array();
    for (const FiredSignal& f : r.assessment.signals)
      fired.push_back({{"name", config.signals.rules[f.rule].name}, {"since", format_date(f.since)}, {"cause", f.cause}});
    out.push_back({{"as_of", format_date(night)},
                   {"health", number_or_null(r.health)},
                   {"band", std::string(config.health.band_name(r.band))},
                   {"state", to_string(r.assessment.state)},
                   {"risk", r.assessment.risk},
                   {"signals", fired}});
  }
  return out;
}

}  // namespace

std::string Portfolio::export_account(std::string_view organization, std::string_view key, Day as_of, int indent) const {
  check_as_of(as_of);
  const auto found = find(organization, key);
  if (!found) throw Error(Errc::not_found, "key", "no account with this key in organization " + detail::quoted(organization));
  const std::size_t i = *found;
  const Account& a = account(i);
  const PlanReport plan = plan_report(i, as_of);
  const json doc{{"format", "firstvalue.account_export/1"},
                 {"organization", organization},
                 {"as_of", format_date(as_of)},
                 {"account", json::parse(a.to_json(-1))},
                 {"plan", json::parse(plan.to_json(-1))},
                 {"activity", activity_json(a, activity(i), activity_profile(i), [&] {
                    std::vector<std::string> ids;
                    for (const NodeReport& n : plan.nodes) ids.emplace_back(n.id);
                    return ids;
                  }())},
                 {"evaluation", json::parse(account_result_json(evaluate_account(i, as_of), -1))},
                 {"signal_history", signal_history(*this, i, as_of)}};
  return doc.dump(indent);
}

std::string ErasureReceipt::to_json(int indent) const {
  return json{{"organization", organization},
              {"key_sha256", key_sha256},
              {"erased_at", erased_at},
              {"removed",
               {{"planned_users", planned_users},
                {"contacts", contacts},
                {"attributes", attributes},
                {"progress", progress},
                {"goals", goals},
                {"handoff", handoff},
                {"state_bytes", state_bytes}}},
              {"accounts_left", accounts_left}}
      .dump(indent);
}

}  // namespace firstvalue
