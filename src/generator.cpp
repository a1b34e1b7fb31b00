#include "firstvalue/generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "company_names.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/random.hpp"
#include "firstvalue/sample_portfolio.hpp"

namespace firstvalue {
namespace {

constexpr Detector kNeverLogIn[] = {Detector::planned_users_not_logged_in, Detector::low_activation};
constexpr Detector kSponsorQuiet[] = {Detector::sponsor_latency_rising, Detector::silence};
constexpr Detector kMeetings[] = {Detector::meetings_postponed};
constexpr Detector kSlip[] = {Detector::milestone_slipped};
constexpr Detector kDecay[] = {Detector::usage_flattening, Detector::silence};

enum class Incident { none, postponed_meeting, slow_replies, ticket_burst, late_task, quiet_week };

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// One account's story, day by day.
class AccountStory {
 public:
  AccountStory(SplitMix64& rng, EventTable& out, const Account& a, const PlanReport& plan,
               const std::vector<std::string>& features, StallTruth truth, Incident incident, Day as_of,
               std::uint64_t id_base)
      : rng_(rng), out_(out), a_(a), plan_(plan), features_(features), truth_(truth), incident_(incident),
        as_of_(as_of), id_(id_base) {}

  // Returns the truth with the onset moved to the day the stall first shows:
  // the first meeting dropped, the first email the sponsor leaves unanswered.
  StallTruth tell() {
    meeting_day_ = static_cast<int>(rng_.below(4));  // Monday to Thursday
    if (truth_.cause == StallCause::meetings_postponed)
      while (weekday(truth_.onset) != meeting_day_) ++truth_.onset;
    if (truth_.cause == StallCause::sponsor_quiet)
      while (weekday(truth_.onset) != 1 && weekday(truth_.onset) != 4) ++truth_.onset;
    incident_day_ = a_.signature + 7 + static_cast<Day>(rng_.below(static_cast<std::uint64_t>(std::max(1, as_of_ - a_.signature - 7))));
    // The slowdown that follows a stall: slower replies, thinner usage, one
    // postponed meeting. A meetings stall comes with a sponsor who stops answering.
    slowdown_ = truth_.cause == StallCause::none ? kNever : truth_.onset + 5;
    quiet_from_ = truth_.cause == StallCause::sponsor_quiet        ? truth_.onset
                  : truth_.cause == StallCause::meetings_postponed ? truth_.onset + 1
                                                                   : kNever;
    // A sponsor who went quiet stays so; around postponed meetings the
    // silence lasts ten days, then answers come back slowly.
    quiet_to_ = truth_.cause == StallCause::meetings_postponed ? truth_.onset + 11 : kLastDay;
    users();
    exchanges();
    meetings();
    tickets();
    tasks();
    return truth_;
  }

 private:
  bool slowed(Day d) const { return slowdown_ != kNever && d >= slowdown_; }
  bool weekday_of(Day d) const { return weekday(d) < 5; }
  std::int64_t at(Day d, int hour_lo, int hour_hi) {
    const int span = std::max(1, (hour_hi - hour_lo) * 3600);
    return std::int64_t{d} * 86400 + hour_lo * 3600 + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(span)));
  }
  void emit(std::int64_t ts, EventType type, std::string_view actor, std::string_view item, double value = kNaN) {
    if (ts >= (std::int64_t{as_of_} + 1) * 86400) return;  // not happened yet on the night of the scan
    out_.add(ts, a_.key, to_string(type), actor, item, value, ++id_);
  }

  void users() {
    const std::size_t n = a_.planned_users.size();
    const bool never = truth_.cause == StallCause::never_log_in;
    const std::size_t absent = never ? std::max<std::size_t>(1, (n * 3 + 3) / 4) : 0;
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng_.below(i)]);
    for (std::size_t k = 0; k < n; ++k) {
      const std::string& user = a_.planned_users[order[k]];
      if (k < absent) continue;  // never logs in
      if (!never && n >= 8 && rng_.chance(0.03)) continue;  // a seat that was never needed
      Day first = a_.signature + 1 + static_cast<Day>(std::min(11.0, -3.5 * std::log(1 - rng_.uniform())));
      if (never) first += 10 + static_cast<Day>(rng_.below(15));
      const double p = rng_.uniform(0.55, 0.9);
      const bool stops = truth_.cause == StallCause::usage_decay && rng_.chance(0.7);
      for (Day d = first; d <= as_of_; ++d) {
        if (truth_.cause == StallCause::usage_decay && d >= truth_.onset && stops) break;
        double q = weekday_of(d) ? p : 0.04;
        if (slowed(d)) q *= 0.6;
        if (incident_ == Incident::quiet_week && d >= incident_day_ && d < incident_day_ + 7 && k % 2 == 0) q = 0;
        if (d != first && !rng_.chance(q)) continue;
        const std::int64_t ts = at(d, 8, 18);
        emit(ts, EventType::login, user, {});
        if (!features_.empty() && rng_.chance(0.6)) {
          const int weeks = (d - a_.signature) / 7;
          const std::size_t reach = std::min(features_.size(), static_cast<std::size_t>(2 + weeks));
          emit(ts + 60, EventType::feature_use, user, features_[rng_.below(reach)]);
        }
      }
    }
  }

  void exchanges() {
    const std::string& sponsor = a_.contacts[0].key;
    const std::string& champion = a_.contacts[1].key;
    for (Day d = a_.signature + 1; d <= as_of_; ++d) {
      const int wd = weekday(d);
      if (wd == 1 || wd == 4) {  // we write to the sponsor on Tuesdays and Fridays
        const std::int64_t sent = at(d, 9, 11);
        emit(sent, EventType::email_to_customer, sponsor, {});
        if (quiet_from_ != kNever && d >= quiet_from_ && d < quiet_to_) continue;
        double latency = rng_.uniform(2, 20);
        double reply = 0.93;
        if (slowed(d)) {
          latency *= rng_.uniform(4, 8);
          reply = 0.7;
        }
        if (incident_ == Incident::slow_replies && d >= incident_day_ && d < incident_day_ + 7) latency *= 5;
        if (rng_.chance(reply))
          emit(sent + static_cast<std::int64_t>(latency * 3600), EventType::customer_reply, sponsor, {}, latency);
      }
      if (wd < 5 && rng_.chance(slowed(d) ? 0.05 : 0.15)) emit(at(d, 9, 17), EventType::email_from_customer, champion, {});
    }
  }

  void meetings() {
    int week = 0;
    bool stall_hit = false, slowdown_hit = false;
    for (Day d = a_.signature + 2; d <= as_of_; ++d) {
      if (weekday(d) != meeting_day_) continue;
      const std::string item = "meeting-" + std::to_string(++week);
      const bool meetings_stall = truth_.cause == StallCause::meetings_postponed && d >= truth_.onset;
      if (meetings_stall && !stall_hit) {  // postponed, rescheduled a few days later, and dropped again
        stall_hit = true;
        emit(at(d, 8, 12), EventType::meeting_postponed, {}, item);
        emit(at(d + 3, 8, 12), rng_.chance(0.5) ? EventType::meeting_cancelled : EventType::meeting_postponed, {},
             item + "-rescheduled");
        continue;
      }
      if (!meetings_stall && slowed(d) && !slowdown_hit) {
        slowdown_hit = true;
        emit(at(d, 8, 12), EventType::meeting_postponed, {}, item);
        continue;
      }
      const bool postponed = meetings_stall ? rng_.chance(0.75)
                                            : incident_ == Incident::postponed_meeting && d >= incident_day_ &&
                                                  d < incident_day_ + 7;
      emit(at(d, 8, 17), postponed ? EventType::meeting_postponed : EventType::meeting_held, {}, item);
    }
  }

  void tickets() {
    int n = 0;
    auto open = [&](Day d) {
      const std::string item = a_.key + "-T" + std::to_string(++n);
      emit(at(d, 8, 18), EventType::ticket_opened, a_.contacts[2].key, item, static_cast<double>(2 + rng_.below(3)));
      emit(at(d + 1 + static_cast<Day>(rng_.below(6)), 8, 18), EventType::ticket_closed, {}, item);
    };
    for (Day d = a_.signature + 1; d <= as_of_; ++d)
      if (weekday_of(d) && rng_.chance(0.04)) open(d);
    if (incident_ == Incident::ticket_burst)
      for (int k = 0; k < 3; ++k) open(incident_day_ + k / 2);
  }

  void tasks() {
    const MilestoneIssueTarget target = slip_target();
    bool late_done = false;
    for (const NodeReport& node : plan_.nodes) {
      if (node.is_milestone || !node.active || node.planned_due == kNoDay) continue;
      if (truth_.cause == StallCause::milestone_slip &&
          ((node.milestone == target.id && node.planned_due >= target.due - 4) || node.planned_due >= truth_.onset))
        continue;
      Day done = node.planned_due - (rng_.chance(0.5) ? 1 : 0);
      done = std::max(done, std::max(node.planned_start, a_.signature));
      if (incident_ == Incident::late_task && !late_done && node.planned_due >= incident_day_) {
        late_done = true;
        emit(at(node.planned_due, 9, 12), EventType::milestone_redated, {}, node.id,
             static_cast<double>(std::int64_t{node.planned_due + 3} * 86400));
        done = node.planned_due + 3;
      }
      emit(at(done, 9, 18), EventType::milestone_completed, {}, node.id);
    }
  }

  struct MilestoneIssueTarget {
    std::string_view id;
    Day due = kNoDay;
  };
  MilestoneIssueTarget slip_target() const {
    if (truth_.cause != StallCause::milestone_slip) return {};
    for (const NodeReport& n : plan_.nodes)
      if (n.is_milestone && n.active && n.planned_due + 1 == truth_.onset) return {n.id, n.planned_due};
    return {};
  }

  SplitMix64& rng_;
  EventTable& out_;
  const Account& a_;
  const PlanReport& plan_;
  const std::vector<std::string>& features_;
  StallTruth truth_;
  Incident incident_;
  Day as_of_;
  std::uint64_t id_;
  Day incident_day_ = kNever;
  int meeting_day_ = 0;
  Day quiet_from_ = kNever, quiet_to_ = kNever;
  Day slowdown_ = kNever;
};

Account make_account(SplitMix64& rng, std::size_t i, const GeneratorOptions& o) {
  Account a;
  char key[32];
  std::snprintf(key, sizeof key, "acct-%04zu", i + 1);
  a.key = key;
  const std::string first = detail::kCompanyFirst[rng.below(detail::kCompanyFirst.size())];
  a.name = first + " " + detail::kCompanySecond[rng.below(detail::kCompanySecond.size())];
  const std::string domain = lower(first) + std::to_string(i + 1) + ".example";
  a.arr = std::round(std::exp(rng.uniform(std::log(8000.0), std::log(300000.0))) / 100) * 100;
  a.tier = tier_for_arr(a.arr);
  const int seats = a.tier == "enterprise" ? 20 + static_cast<int>(rng.below(41))
                    : a.tier == "mid_market" ? 8 + static_cast<int>(rng.below(18))
                                             : 3 + static_cast<int>(rng.below(6));
  a.planned_seats = a.provisioned_seats = seats;
  for (int u = 0; u < seats; ++u) {
    char user[96];
    std::snprintf(user, sizeof user, "user%02d@%s", u + 1, domain.c_str());
    a.planned_users.emplace_back(user);
  }
  a.contacts = {{"sponsor@" + domain, "Executive sponsor", ContactRole::sponsor},
                {"champion@" + domain, "Champion", ContactRole::champion},
                {a.planned_users[0], "Admin", ContactRole::admin}};
  a.signature = o.as_of - 3 - static_cast<Day>(rng.below(static_cast<std::uint64_t>(std::max(1, o.max_age_days - 3))));
  a.plan.attributes["sso"] = rng.chance(0.5);
  a.plan.attributes["migrate_data"] = rng.chance(0.4);
  a.plan.attributes["integrations"] = static_cast<double>(rng.below(3));
  return a;
}

StallTruth pick_stall(SplitMix64& rng, const Account& a, const PlanReport& plan, const GeneratorOptions& o) {
  if (!rng.chance(o.stall_share)) return {};
  const auto cause = static_cast<StallCause>(1 + rng.below(5));
  const Day latest = o.as_of - 20;  // a stall younger than two weeks is not judged yet
  const Day s = a.signature;
  StallTruth t{cause, kNever};
  switch (cause) {
    case StallCause::never_log_in: t.onset = s + 10; break;
    case StallCause::sponsor_quiet: t.onset = s + 12 + static_cast<Day>(rng.below(39)); break;
    case StallCause::meetings_postponed: t.onset = s + 10 + static_cast<Day>(rng.below(41)); break;
    case StallCause::usage_decay: t.onset = s + 28 + static_cast<Day>(rng.below(33)); break;
    case StallCause::milestone_slip:
      for (const NodeReport& n : plan.nodes)
        if (n.is_milestone && n.active && n.planned_due >= s + 8 && n.planned_due + 1 <= latest &&
            (n.kind == "technical_setup" || n.kind == "go_live" || n.kind == "training")) {
          t.onset = n.planned_due + 1;
          break;
        }
      break;
    case StallCause::none: break;
  }
  if (t.onset == kNever || t.onset > latest) return {};
  return t;
}

}  // namespace

std::string_view to_string(StallCause c) noexcept { return kStallCauseNames[static_cast<std::size_t>(c)]; }

std::span<const Detector> detectors_for(StallCause c) noexcept {
  switch (c) {
    case StallCause::never_log_in: return kNeverLogIn;
    case StallCause::sponsor_quiet: return kSponsorQuiet;
    case StallCause::meetings_postponed: return kMeetings;
    case StallCause::milestone_slip: return kSlip;
    case StallCause::usage_decay: return kDecay;
    case StallCause::none: break;
  }
  return {};
}

Day GeneratedPortfolio::first_signature() const noexcept {
  Day first = options.as_of;
  for (const Account& a : accounts) first = std::min(first, a.signature);
  return first;
}

GeneratedPortfolio generate_portfolio(const GeneratorOptions& o) {
  if (o.max_age_days < 4) throw_invalid("max_age_days", "must be at least 4");
  if (!(o.stall_share >= 0 && o.stall_share <= 1)) throw_invalid("stall_share", "must be in [0, 1]");
  if (!(o.incident_share >= 0 && o.incident_share <= 1)) throw_invalid("incident_share", "must be in [0, 1]");
  GeneratedPortfolio g;
  g.options = o;
  SplitMix64 rng(o.seed);
  const TemplateSet templates = TemplateSet::default_set();
  const Scheduler scheduler(templates, Calendar());
  EventTable raw;
  for (std::size_t i = 0; i < o.accounts; ++i) {
    Account a = make_account(rng, i, o);
    AccountPlan plan = a.plan;
    plan.account = a.key;
    plan.start = a.signature;
    plan.attributes["tier"] = a.tier;
    plan.attributes["arr"] = a.arr;
    plan.attributes["lifecycle"] = std::string("new_customer");
    const PlanReport planned = scheduler.evaluate(plan, a.signature);
    StallTruth truth = pick_stall(rng, a, planned, o);
    Incident incident = Incident::none;
    if (truth.cause == StallCause::none && rng.chance(o.incident_share))
      incident = static_cast<Incident>(1 + rng.below(5));
    const Template* t = templates.find(planned.template_id);
    truth = AccountStory(rng, raw, a, planned, t->core_features, truth, incident, o.as_of, std::uint64_t{i + 1} << 32).tell();
    g.truth.push_back(truth);
    g.accounts.push_back(std::move(a));
  }
  // Time order, as a night's export would arrive; ties keep generation order.
  std::vector<std::size_t> order(raw.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return raw.ts[x] < raw.ts[y]; });
  auto pick = [&](const auto& v) {
    std::remove_cvref_t<decltype(v)> out;
    out.reserve(v.size());
    for (const std::size_t r : order) out.push_back(v[r]);
    return out;
  };
  g.events.accounts = raw.accounts;
  g.events.types = raw.types;
  g.events.actors = raw.actors;
  g.events.items = raw.items;
  g.events.ts = pick(raw.ts);
  g.events.account = pick(raw.account);
  g.events.type = pick(raw.type);
  g.events.actor = pick(raw.actor);
  g.events.item = pick(raw.item);
  g.events.value = pick(raw.value);
  g.events.id = pick(raw.id);
  return g;
}

}  // namespace firstvalue
