#include "firstvalue/signals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>
#include <vector>

#include "enum_names.hpp"
#include "json_reader.hpp"
#include "signals_detail.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

struct ParamSpec {
  std::string_view key;
  double fallback;
  double lo, hi;  // accepted range, inclusive
};

// The parameters each detector reads, with their defaults.
std::vector<ParamSpec> param_specs(Detector d) {
  switch (d) {
    case Detector::planned_users_not_logged_in:
      return {{"after_days", 14, 0, 3650}, {"min_share", 0.25, 0, 1}, {"min_users", 1, 1, 1e6}};
    case Detector::low_activation:
      return {{"after_days", 14, 0, 3650}, {"min_share", 0.6, 0, 1}};
    case Detector::meetings_postponed:
      return {{"count", 2, 1, 4}, {"window_days", 30, 1, 3650}};
    case Detector::milestone_slipped:
      return {{"overdue_days", 2, 1, 3650}, {"redates", 2, 1, 1000}};
    case Detector::sponsor_latency_rising:
      return {{"ratio", 2, 1, 1000}, {"min_hours", 48, 0, 1e5}};
    case Detector::usage_flattening:
      return {{"after_days", 21, 0, 3650}, {"flat_days", 14, 1, 3650}, {"target", 0.7, 0, 1},
              {"decline_ratio", 0.6, 0, 1}};
    case Detector::silence:
      return {{"days", 10, 1, 3650}};
    case Detector::ticket_spike:
      return {{"min_tickets", 3, 1, 1e6}, {"ratio", 3, 1, 1000}};
    case Detector::goal_off_track:
      return {};
  }
  return {};
}

struct DefaultRule {
  const char* name;  // nullptr: the detector's name
  Detector detector;
  double weight;
  Severity severity;
  const char* action;
  const char* action_text;
  std::vector<std::pair<const char*, double>> params = {};  // overrides of the detector defaults
};

// The seeds' intervention protocols: follow-up with inactive users, additional
// training, executive sponsorship, a re-plan, enhanced support.
// The severe forms of four signals are rules of their own: meetings mostly
// dropped, a milestone stuck for a week, a sponsor unreachable for a week, usage collapsing. Each adds
// its weight to the mild form, so a severe sign flags an account when it
// persists, while no single rule crosses the threshold.
const std::vector<DefaultRule>& default_rules() {
  static const std::vector<DefaultRule> rules{
      {nullptr, Detector::planned_users_not_logged_in, 0.3, Severity::high, "inactive_user_followup",
       "Follow up with each planned user who has not logged in: a personal invitation, and a word with their manager."},
      {nullptr, Detector::low_activation, 0.3, Severity::high, "additional_training",
       "Schedule additional role-based training and ask the admin to send a login reminder to the team."},
      {nullptr, Detector::meetings_postponed, 0.3, Severity::medium, "executive_sponsor_outreach",
       "Reach the executive sponsor to reconfirm the priority of the project and the meeting cadence."},
      {"meetings_dropped", Detector::meetings_postponed, 0.3, Severity::high, "executive_sponsor_outreach",
       "Most meetings are being dropped: ask the sponsor for a reset call and a named owner on their side.",
       {{"count", 3}, {"window_days", 30}}},
      {nullptr, Detector::milestone_slipped, 0.3, Severity::high, "milestone_replan",
       "Re-plan the milestone with the customer: name the blocker, an owner and a new committed date."},
      {"milestone_stuck", Detector::milestone_slipped, 0.3, Severity::high, "milestone_replan",
       "Escalate the blocked milestone: a working session with the customer's admin this week and a committed date.",
       {{"overdue_days", 7}, {"redates", 3}}},
      {nullptr, Detector::sponsor_latency_rising, 0.3, Severity::medium, "executive_sponsor_outreach",
       "Call the sponsor rather than email: check that the project is still a priority and who now owns it."},
      {"sponsor_unreachable", Detector::sponsor_latency_rising, 0.3, Severity::high, "executive_sponsor_outreach",
       "Go around the silence: reach the sponsor through the account executive or their own manager.",
       {{"ratio", 4}, {"min_hours", 168}}},
      {nullptr, Detector::usage_flattening, 0.3, Severity::medium, "additional_training",
       "Run a usage review with the champion, retrain on the stalled workflows and follow up with users who dropped off."},
      {"usage_collapse", Detector::usage_flattening, 0.3, Severity::high, "inactive_user_followup",
       "Call the champion today: find out why the team stopped using the product and win the dropped users back.",
       {{"decline_ratio", 0.4}, {"target", 0.35}}},
      {nullptr, Detector::silence, 0.35, Severity::high, "executive_sponsor_outreach",
       "Escalate to the executive sponsor: the customer has gone quiet and the window is closing."},
      {nullptr, Detector::ticket_spike, 0.3, Severity::medium, "enhanced_support",
       "Open enhanced support: a named engineer and a daily triage of the open tickets until the backlog clears."},
      {nullptr, Detector::goal_off_track, 0.25, Severity::medium, "success_plan_review",
       "Hold a value review: agree what blocks the goal and re-plan the success plan with the sponsor."},
  };
  return rules;
}


std::optional<Detector> parse_detector(std::string_view s) {
  return detail::enum_named<Detector>(kDetectorNames, s);
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "low") return Severity::low;
  if (s == "medium") return Severity::medium;
  if (s == "high") return Severity::high;
  return std::nullopt;
}

// A default rule; `overrides` = false keeps the detector's own parameter
// defaults, which is where a rule written in JSON starts from.
SignalRule default_rule(const DefaultRule& d, bool overrides = true) {
  SignalRule r;
  r.name = d.name ? std::string(d.name) : std::string(to_string(d.detector));
  r.detector = d.detector;
  r.weight = d.weight;
  r.severity = d.severity;
  r.action = d.action;
  r.action_text = d.action_text;
  for (const ParamSpec& p : param_specs(d.detector)) r.params.emplace(std::string(p.key), p.fallback);
  if (overrides)
    for (const auto& [key, value] : d.params) r.params[key] = value;
  return r;
}

SignalRule rule_from_json(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"name", "detector", "weight", "severity", "action", "action_text", "params"});
  const std::string detector_name = r.string("detector");
  const auto detector = parse_detector(detector_name);
  if (!detector) {
    std::string known;
    for (const auto n : kDetectorNames) known += (known.empty() ? "" : ", ") + std::string(n);
    throw_invalid(r.field_path("detector"), "unknown detector " + detail::quoted(detector_name) + " (known: " + known + ")");
  }
  // A rule starts from the first default of its detector: its weight,
  // severity, action and parameter defaults.
  SignalRule rule;
  for (const DefaultRule& d : default_rules())
    if (d.detector == *detector) {
      rule = default_rule(d, false);
      break;
    }
  rule.name = r.string_or("name", rule.name);
  if (rule.name.empty()) throw_invalid(r.field_path("name"), "must not be empty");
  rule.weight = r.number_or("weight", rule.weight);
  if (!(rule.weight > 0 && rule.weight <= 1)) throw_invalid(r.field_path("weight"), "must be in (0, 1]");
  if (r.has("severity")) {
    const std::string s = r.string("severity");
    const auto sev = parse_severity(s);
    if (!sev) throw_invalid(r.field_path("severity"), "must be \"low\", \"medium\" or \"high\", not " + detail::quoted(s));
    rule.severity = *sev;
  }
  rule.action = r.string_or("action", rule.action);
  rule.action_text = r.string_or("action_text", rule.action_text);
  if (r.has("params")) {
    const json& params = r.required("params");
    const std::string ppath = r.field_path("params");
    if (!params.is_object()) throw_invalid(ppath, "must be an object");
    const auto specs = param_specs(*detector);
    for (const auto& [key, value] : params.items()) {
      const std::string kpath = join_path(ppath, key);
      const auto spec = std::find_if(specs.begin(), specs.end(), [&key = key](const ParamSpec& p) { return p.key == key; });
      if (spec == specs.end()) {
        std::string known;
        for (const ParamSpec& p : specs) known += (known.empty() ? "" : ", ") + std::string(p.key);
        throw_invalid(kpath, "unknown parameter for detector " + detail::quoted(detector_name) + " (known: " +
                                 (known.empty() ? "none" : known) + ")");
      }
      const double x = json_detail::as_number(value, kpath);
      if (!(x >= spec->lo && x <= spec->hi)) {
        char range[96];
        std::snprintf(range, sizeof range, "must be in [%g, %g]", spec->lo, spec->hi);
        throw_invalid(kpath, range);
      }
      rule.params[key] = x;
    }
  }
  return rule;
}

std::string pct(double share) {
  char b[16];
  std::snprintf(b, sizeof b, "%.0f%%", 100 * share);
  return b;
}
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}
std::string days_text(int n) { return std::to_string(n) + (n == 1 ? " day" : " days"); }

// Up to three names, then how many more.
std::string some_names(std::span<const std::string> all, const std::vector<std::uint32_t>& which) {
  std::string s;
  for (std::size_t i = 0; i < which.size() && i < 3; ++i)
    s += (i ? ", " : "") + (which[i] < all.size() ? all[which[i]] : std::string("?"));
  if (which.size() > 3) s += " and " + std::to_string(which.size() - 3) + " more";
  return s;
}

using Fired = std::optional<FiredSignal>;

Fired fire(Day since, std::vector<Evidence> evidence, std::string cause) {
  FiredSignal f;
  f.since = since;
  f.evidence = std::move(evidence);
  f.cause = std::move(cause);
  return f;
}

// A rule with its parameters resolved, so that detectors read them by index
// rather than by name from a map. A parameter the rule lacks throws when a
// detector reads it, as SignalRule::param does.
enum class P : std::uint8_t {
  after_days, min_share, min_users, count, window_days, overdue_days, redates, ratio, min_hours, flat_days, target, decline_ratio, days, min_tickets, count_
};
constexpr std::array<std::string_view, static_cast<std::size_t>(P::count_)> kParamNames{
    "after_days", "min_share", "min_users", "count", "window_days", "overdue_days", "redates", "ratio", "min_hours", "flat_days", "target", "decline_ratio", "days", "min_tickets"};

struct Rule {
  const SignalRule* rule = nullptr;
  std::array<double, kParamNames.size()> values{};
  std::uint32_t present = 0;  // bit per P

  explicit Rule(const SignalRule& r);
  double param(P key) const {
    const auto k = static_cast<std::size_t>(key);
    if (!(present >> k & 1u)) return rule->param(kParamNames[k]);  // throws: missing parameter
    return values[k];
  }
};

// The parameters each detector reads, by index.
const std::vector<std::vector<P>>& detector_params() {
  static const std::vector<std::vector<P>> table = [] {
    std::vector<std::vector<P>> t(kDetectorNames.size());
    for (std::size_t d = 0; d < kDetectorNames.size(); ++d)
      for (const ParamSpec& spec : param_specs(static_cast<Detector>(d)))
        for (std::size_t k = 0; k < kParamNames.size(); ++k)
          if (kParamNames[k] == spec.key) t[d].push_back(static_cast<P>(k));
    return t;
  }();
  return table;
}

Rule::Rule(const SignalRule& r) : rule(&r) {
  for (const P key : detector_params()[static_cast<std::size_t>(r.detector)]) {
    const auto k = static_cast<std::size_t>(key);
    if (const auto it = r.params.find(kParamNames[k]); it != r.params.end()) {
      values[k] = it->second;
      present |= 1u << k;
    }
  }
}

Fired planned_users(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  const double after = r.param(P::after_days);
  if (m.day < after || m.planned_users == 0) return {};
  const auto never = static_cast<double>(m.planned_never.size());
  if (never < r.param(P::min_users) || never / m.planned_users < r.param(P::min_share)) return {};
  return fire(in.signature + static_cast<Day>(after),
              {{"planned_users", static_cast<double>(m.planned_users)}, {"never_logged_in", never},
               {"day", static_cast<double>(m.day)}},
              num(never) + " of " + std::to_string(m.planned_users) + " planned users have not logged in " +
                  days_text(m.day) + " after signature: " + some_names(in.planned_users, m.planned_never) + ".");
}

Fired low_activation(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  const double after = r.param(P::after_days);
  const bool planned = m.planned_users > 0;
  const double share = planned ? m.planned_activation : m.seat_activation;
  if (m.day < after || std::isnan(share) || share >= r.param(P::min_share)) return {};
  return fire(in.signature + static_cast<Day>(after),
              {{"activation", share}, {"target", r.param(P::min_share)}, {"day", static_cast<double>(m.day)}},
              "Only " + pct(share) + " of the " + (planned ? "planned users" : "provisioned seats") +
                  " have logged in " + days_text(m.day) + " after signature (expected " + pct(r.param(P::min_share)) +
                  " after " + days_text(static_cast<int>(after)) + ").");
}

Fired meetings(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  const int window = static_cast<int>(r.param(P::window_days));
  const auto need = static_cast<std::size_t>(r.param(P::count));
  // The changes are ascending: those in the window are the last ones.
  const std::span<const Day> recent(
      std::upper_bound(m.meeting_changes.begin(), m.meeting_changes.end(), m.as_of - window), m.meeting_changes.end());
  if (recent.size() < need) return {};
  return fire(recent[need - 1],
              {{"changed_meetings", static_cast<double>(recent.size())}, {"window_days", static_cast<double>(window)},
               {"cancelled_30d", static_cast<double>(m.meetings_cancelled_30d)}},
              std::to_string(recent.size()) + " meetings postponed or cancelled in the last " + days_text(window) +
                  " (the latest on " + format_date(recent.back()) + ").");
}

Fired milestones(const Rule& r, const SignalInputs& in) {
  const int overdue_days = static_cast<int>(r.param(P::overdue_days));
  const int redates = static_cast<int>(r.param(P::redates));
  const MilestoneIssue* worst = nullptr;
  Day since = kNever;
  int count = 0;
  for (const MilestoneIssue& x : in.milestones) {
    const bool overdue = x.days_overdue >= overdue_days;
    if (!overdue && x.slip_count < redates) continue;
    ++count;
    const Day s = overdue ? x.since + overdue_days - 1 : x.since;
    since = since == kNever ? s : std::min(since, s);
    if (!worst || x.days_overdue > worst->days_overdue ||
        (x.days_overdue == worst->days_overdue && x.slip_days > worst->slip_days))
      worst = &x;
  }
  if (!worst) return {};
  std::string cause = "Milestone \"" + worst->name + "\" ";
  if (worst->days_overdue > 0) {
    cause += "is " + days_text(worst->days_overdue) + " overdue";
    cause += worst->slip_count > 0 ? " after " + std::to_string(worst->slip_count) + " re-date(s)" : " with no new date";
  } else {
    cause += "was re-dated " + std::to_string(worst->slip_count) + " times (+" + days_text(worst->slip_days) + ")";
  }
  if (count > 1) cause += "; " + std::to_string(count - 1) + " other milestone(s) also slipped";
  return fire(since,
              {{"milestones", static_cast<double>(count)}, {"days_overdue", static_cast<double>(worst->days_overdue)},
               {"slip_count", static_cast<double>(worst->slip_count)}, {"slip_days", static_cast<double>(worst->slip_days)}},
              cause + ".");
}

Fired latency(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  if (std::isnan(m.latency_baseline) || std::isnan(m.latency_recent)) return {};
  const double threshold = std::max(r.param(P::ratio) * m.latency_baseline, r.param(P::min_hours));
  if (m.latency_recent < threshold) return {};
  // The day the recent median went over: the last slow reply, or the day an
  // unanswered email became older than the threshold, whichever came later.
  Day since = m.last_reply;
  if (m.pending_since != kNever) since = std::max(since, m.pending_since + static_cast<Day>(std::ceil(threshold / 24)));
  since = std::min(since, m.as_of);
  const bool waiting = !std::isnan(m.pending_hours) && m.pending_hours >= m.latency_recent;
  const std::string cause =
      waiting ? "An email to the sponsor has been unanswered for " + days_text(static_cast<int>(m.pending_hours / 24)) +
                    "; replies took " + num(std::round(m.latency_baseline)) + " h at the start."
              : "The sponsor now answers in " + num(std::round(m.latency_recent)) + " h (median of recent replies) against " +
                    num(std::round(m.latency_baseline)) + " h at the start.";
  return fire(since,
              {{"recent_hours", m.latency_recent}, {"baseline_hours", m.latency_baseline},
               {"ratio", m.latency_recent / std::max(m.latency_baseline, 1e-9)}},
              cause);
}

Fired flattening(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  const double after = r.param(P::after_days);
  if (m.day < after) return {};
  // Declining: the users active in the last 7 days fell to decline_ratio of
  // the best complete week. It became true when enough users had dropped out
  // (7 days after each one's last login).
  if (m.wau_peak >= 2 && m.weeks_complete >= 2) {
    const double floor = r.param(P::decline_ratio) * m.wau_peak;
    if (m.active_7d <= floor) {
      const auto need = static_cast<std::size_t>(std::max(0.0, std::ceil(m.active_7d + m.dropped_last.size() - floor)));
      Day since = m.as_of;
      if (need >= 1 && need <= m.dropped_last.size()) since = m.dropped_last[need - 1] + 7;
      since = std::clamp(since, in.signature + static_cast<Day>(after), m.as_of);
      return fire(since,
                  {{"active_users_7d", static_cast<double>(m.active_7d)}, {"peak_weekly", static_cast<double>(m.wau_peak)},
                   {"share_of_peak", m.active_7d / static_cast<double>(m.wau_peak)}},
                  "Active users fell to " + std::to_string(m.active_7d) + " in the last 7 days, from " +
                      std::to_string(m.wau_peak) + " in the best week (" + pct(m.active_7d / static_cast<double>(m.wau_peak)) +
                      ").");
    }
  }
  // Flattening: no new user for flat_days while activation is below target.
  const double share = !std::isnan(m.seat_activation) ? m.seat_activation : m.planned_activation;
  const double flat = r.param(P::flat_days);
  if (std::isnan(share) || share >= r.param(P::target)) return {};
  const Day start = m.last_new_user == kNever ? in.signature : m.last_new_user;
  if (m.as_of - start < flat) return {};
  const Day since = std::max(start + static_cast<Day>(flat), in.signature + static_cast<Day>(after));
  return fire(since,
              {{"activation", share}, {"target", r.param(P::target)},
               {"days_without_new_user", static_cast<double>(m.as_of - start)}},
              "Activation curve flattened at " + pct(share) + " (target " + pct(r.param(P::target)) + "): no new user in " +
                  days_text(m.as_of - start) + ".");
}

Fired silence(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  const int days = static_cast<int>(r.param(P::days));
  const Day last = m.last_activity != kNever ? std::max(m.last_activity, in.signature) : in.signature;
  if (m.as_of - last < days) return {};
  std::string cause = m.last_activity == kNever
                          ? "No customer activity at all in the " + days_text(m.as_of - in.signature) + " since signature"
                          : "No customer activity for " + days_text(m.as_of - m.last_activity) + " (last on " +
                                format_date(m.last_activity) + ")";
  if (m.last_outreach != kNever && m.last_outreach > m.last_activity)
    cause += ", though we wrote on " + format_date(m.last_outreach);
  return fire(last + days,
              {{"days_silent", static_cast<double>(m.as_of - last)}, {"threshold_days", static_cast<double>(days)}},
              cause + ".");
}

Fired tickets(const Rule& r, const SignalInputs& in) {
  const ActivityMetrics& m = *in.metrics;
  const auto need = static_cast<std::size_t>(r.param(P::min_tickets));
  if (m.recent_tickets.size() < need) return {};
  const double baseline = std::isnan(m.ticket_baseline_weekly) ? 0 : m.ticket_baseline_weekly;
  if (m.tickets_7d < r.param(P::ratio) * baseline) return {};
  return fire(m.recent_tickets[need - 1],
              {{"tickets_7d", static_cast<double>(m.tickets_7d)}, {"baseline_weekly", baseline},
               {"open_tickets", static_cast<double>(m.open_tickets)},
               {"open_critical", static_cast<double>(m.open_by_severity[0])}},
              std::to_string(m.tickets_7d) + " tickets opened in the last 7 days against " + num(std::round(baseline * 10) / 10) +
                  " a week before; " + std::to_string(m.open_tickets) + " open, " +
                  std::to_string(m.open_by_severity[0]) + " critical.");
}

Fired goals(const Rule&, const SignalInputs& in) {
  if (in.goals.empty()) return {};
  Day since = in.goals.front().since;
  const GoalIssue* worst = &in.goals.front();
  for (const GoalIssue& g : in.goals) {
    since = std::min(since, g.since);
    if (g.progress < worst->progress) worst = &g;
  }
  return fire(since, {{"goals_off_track", static_cast<double>(in.goals.size())}, {"progress", worst->progress}},
              std::to_string(in.goals.size()) + " goal(s) off track; \"" + worst->id + "\" is at " +
                  pct(worst->progress) + " of the way to target.");
}

Fired detect(const Rule& r, const SignalInputs& in) {
  switch (r.rule->detector) {
    case Detector::planned_users_not_logged_in: return planned_users(r, in);
    case Detector::low_activation: return low_activation(r, in);
    case Detector::meetings_postponed: return meetings(r, in);
    case Detector::milestone_slipped: return milestones(r, in);
    case Detector::sponsor_latency_rising: return latency(r, in);
    case Detector::usage_flattening: return flattening(r, in);
    case Detector::silence: return silence(r, in);
    case Detector::ticket_spike: return tickets(r, in);
    case Detector::goal_off_track: return goals(r, in);
  }
  return {};
}

double combine(Combine c, double risk, double w) {
  return c == Combine::noisy_or ? 1 - (1 - risk) * (1 - w) : std::min(1.0, risk + w);
}

}  // namespace

std::string_view to_string(Detector d) noexcept { return kDetectorNames[static_cast<std::size_t>(d)]; }
std::string_view to_string(Severity s) noexcept {
  constexpr std::string_view names[] = {"low", "medium", "high"};
  return names[static_cast<std::size_t>(s)];
}
std::string_view to_string(Combine c) noexcept { return c == Combine::noisy_or ? "noisy_or" : "weighted_sum"; }
std::string_view to_string(AccountState s) noexcept {
  constexpr std::string_view names[] = {"ok", "at_risk", "stalled"};
  return names[static_cast<std::size_t>(s)];
}

double SignalRule::param(std::string_view key) const {
  const auto it = params.find(key);
  if (it == params.end()) throw Error(Errc::internal, name, "missing parameter " + std::string(key));
  return it->second;
}

SignalConfig SignalConfig::defaults() {
  SignalConfig c;
  for (const DefaultRule& d : default_rules()) c.rules.push_back(default_rule(d));
  return c;
}

SignalConfig SignalConfig::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "signal config");
  const ObjectReader r(doc, "", {"combine", "stall_threshold", "at_risk_threshold", "window_days", "rules"});
  SignalConfig c = defaults();
  if (r.has("combine")) {
    const std::string s = r.string("combine");
    if (s == "noisy_or") c.combine = Combine::noisy_or;
    else if (s == "weighted_sum") c.combine = Combine::weighted_sum;
    else throw_invalid("combine", "must be \"noisy_or\" or \"weighted_sum\", not " + detail::quoted(s));
  }
  c.stall_threshold = r.number_or("stall_threshold", c.stall_threshold);
  if (!(c.stall_threshold > 0 && c.stall_threshold <= 1)) throw_invalid("stall_threshold", "must be in (0, 1]");
  c.at_risk_threshold = r.number_or("at_risk_threshold", c.at_risk_threshold);
  if (!(c.at_risk_threshold > 0 && c.at_risk_threshold <= c.stall_threshold))
    throw_invalid("at_risk_threshold", "must be in (0, stall_threshold]");
  const double window = r.number_or("window_days", c.window_days);
  if (!(window >= 1 && window <= 3650 && window == std::floor(window)))
    throw_invalid("window_days", "must be a whole number of days in [1, 3650]");
  c.window_days = static_cast<int>(window);
  if (r.has("rules")) {
    const json& rules = r.array("rules");
    c.rules.clear();
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const std::string path = index_path("rules", i);
      c.rules.push_back(rule_from_json(rules[i], path));
      for (std::size_t j = 0; j < i; ++j)
        if (c.rules[j].name == c.rules[i].name)
          throw_invalid(join_path(path, "name"), "duplicate rule name " + detail::quoted(c.rules[i].name) + " (also rules[" +
                                                     std::to_string(j) + "])");
    }
  }
  return c;
}

std::string SignalConfig::to_json(int indent) const {
  json rules_j = json::array();
  for (const SignalRule& r : rules) {
    json params = json::object();
    for (const auto& [k, v] : r.params) params[k] = v;
    rules_j.push_back({{"name", r.name},
                     {"detector", to_string(r.detector)},
                     {"weight", r.weight},
                     {"severity", to_string(r.severity)},
                     {"action", r.action},
                     {"action_text", r.action_text},
                     {"params", params}});
  }
  const json doc{{"combine", to_string(combine)},
                 {"stall_threshold", stall_threshold},
                 {"at_risk_threshold", at_risk_threshold},
                 {"window_days", window_days},
                 {"rules", rules_j}};
  return doc.dump(indent);
}

namespace signals_detail {

struct CompiledRules {
  std::vector<Rule> rules;
};

Signals::Signals(const SignalConfig& config) : config_(&config), rules_(std::make_unique<CompiledRules>()) {
  for (const SignalRule& r : config.rules) rules_->rules.emplace_back(r);
}
Signals::~Signals() = default;
Signals::Signals(Signals&&) noexcept = default;

}  // namespace signals_detail

namespace {

Assessment assess_rules(const SignalConfig& config, std::span<const Rule> rules, const SignalInputs& in) {
  Assessment a;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    Fired f = detect(rules[i], in);
    if (!f) continue;
    f->rule = static_cast<std::uint32_t>(i);
    f->since = std::min(f->since, in.metrics->as_of);
    a.signals.push_back(std::move(*f));
  }
  if (a.signals.empty()) return a;

  // Accumulate in the order the signals started; the onset is where a
  // threshold was first crossed.
  std::vector<std::size_t> order(a.signals.size());
  std::iota(order.begin(), order.end(), 0);
  auto weight = [&](std::size_t s) { return config.rules[a.signals[s].rule].weight; };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    if (a.signals[x].since != a.signals[y].since) return a.signals[x].since < a.signals[y].since;
    return weight(x) > weight(y);
  });
  a.primary = static_cast<int>(order.front());
  Day at_risk_on = kNever, stalled_on = kNever;
  for (const std::size_t s : order) {
    a.risk = combine(config.combine, a.risk, weight(s));
    if (at_risk_on == kNever && a.risk >= config.at_risk_threshold - 1e-12) at_risk_on = a.signals[s].since;
    if (stalled_on == kNever && a.risk >= config.stall_threshold - 1e-12) stalled_on = a.signals[s].since;
  }
  if (stalled_on != kNever) {
    a.state = AccountState::stalled;
    a.onset = stalled_on;
  } else if (at_risk_on != kNever) {
    a.state = AccountState::at_risk;
    a.onset = at_risk_on;
  }
  return a;
}

}  // namespace

Assessment assess(const SignalConfig& config, const SignalInputs& in) {
  std::vector<Rule> rules;
  rules.reserve(config.rules.size());
  for (const SignalRule& r : config.rules) rules.emplace_back(r);
  return assess_rules(config, rules, in);
}

Assessment signals_detail::Signals::assess(const SignalInputs& in) const {
  return assess_rules(*config_, rules_->rules, in);
}

double worklist_priority(double risk, double arr, int days_since_signature, int window_days) noexcept {
  const double elapsed = std::clamp(static_cast<double>(days_since_signature) / window_days, 0.0, 1.0);
  return risk * std::max(arr, 0.0) * (1 + elapsed);
}

}  // namespace firstvalue
