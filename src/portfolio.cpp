#include "firstvalue/portfolio.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include "enum_names.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/sample_portfolio.hpp"

#include "mapped_allocator.hpp"
#include "parallel.hpp"
#include "schedule_detail.hpp"
#include "signals_detail.hpp"
#include "snapshot_format.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using KeyIndex = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

enum Metric : std::size_t {
  m_milestone_progress, m_user_adoption, m_engagement_quality, m_value_realization, m_seat_activation,
  m_planned_activation, m_wau_share, m_wau_slope, m_feature_breadth, m_active_days_per_week,
  m_days_since_activity, m_latency_ratio, m_meetings_postponed_30d, m_open_tickets, m_tickets_7d,
  m_percent_done, m_milestones_overdue, m_milestones_slipped, m_goals_off_track, m_active_users,
};
// Metrics read from the plan cannot feed the plan's own criteria.
constexpr bool plan_metric(std::size_t m) {
  return m == m_milestone_progress || m == m_value_realization || m == m_percent_done ||
         m == m_milestones_overdue || m == m_milestones_slipped || m == m_goals_off_track;
}
std::optional<std::size_t> metric_index(std::string_view name) {
  for (std::size_t i = 0; i < kMetricNames.size(); ++i)
    if (kMetricNames[i] == name) return i;
  return std::nullopt;
}

// What ingestion and evaluation need of one template, by node index in
// template order (each milestone, then its tasks), as PlanReport lists them.
struct TemplateIndex {
  std::vector<std::string> node_ids;
  KeyIndex node_of;
  std::vector<std::uint64_t> core_features;
  std::vector<std::size_t> criteria_metrics;  // activity metrics that conditions or criteria read
};

TemplateIndex index_template(const Template& t) {
  TemplateIndex x;
  for (const Phase& ph : t.phases)
    for (const Milestone& m : ph.milestones) {
      x.node_ids.push_back(m.id);
      for (const Task& k : m.tasks) x.node_ids.push_back(k.id);
    }
  // An account's state keeps a node index in 16 bits.
  if (x.node_ids.size() > 65535)
    throw_invalid("templates." + t.id, "has " + std::to_string(x.node_ids.size()) + " milestones and tasks; at most 65,535");
  for (std::size_t n = 0; n < x.node_ids.size(); ++n) x.node_of.emplace(x.node_ids[n], static_cast<std::uint32_t>(n));
  for (const std::string& f : t.core_features) x.core_features.push_back(hash64(f));
  for (const std::string& v : t.variables())
    if (const auto m = metric_index(v); m && !plan_metric(*m)) x.criteria_metrics.push_back(*m);
  return x;
}

struct Profile {
  std::uint32_t template_index = 0;
  std::uint32_t planned = 0;          // distinct planned users
  std::vector<std::uint64_t> ids;     // the planned users' identities, sorted (the state's slots), then the sponsors'
                                      // (moved to the portfolio's id blocks once the account is added)
  std::vector<std::uint32_t> planned_slot;  // per planned user, in the account's order (moved likewise)
  std::span<const std::uint32_t> slots;     // planned_slot once moved
};

// What applying an event reads of its account, packed so that ingestion
// touches one cache line per account besides the state and the user ids.
// `ids` points into the portfolio's id block of the account's add_accounts call.
struct alignas(32) Hot {
  AccountActivity activity;
  const std::uint64_t* ids = nullptr;
  Day signature = 0;
  std::uint32_t planned = 0, sponsors = 0, template_index = 0;
};

// What applying an event needs of the account's profile.
ActivityProfile event_profile(const Hot& h) {
  ActivityProfile p;
  p.signature = h.signature;
  p.planned_users = {h.ids, h.planned};
  p.sponsors = {h.ids + h.planned, h.sponsors};
  return p;
}

double ratio(int num, int den) { return den > 0 ? static_cast<double>(num) / den : kNaN; }

// The checks take the field path as a function, called only to name a
// failure: loading a snapshot checks ten fields per account, and building
// their paths up front took a tenth of the load.
template <class Path>
void check_utf8(std::string_view text, const Path& path) {
  if (const std::size_t at = detail::invalid_utf8_at(text); at != std::string_view::npos)
    throw_invalid(path(), "is not UTF-8 (byte " + std::to_string(at) + ")");
}
template <class Path>
void check_key(std::string_view key, const Path& path) {
  if (key.empty()) throw_invalid(path(), "must not be empty");
  if (key.size() > kMaxKeyBytes)
    throw_invalid(path(), "has " + std::to_string(key.size()) + " bytes; a key has at most " + std::to_string(kMaxKeyBytes));
  check_utf8(key, path);
}
template <class Path>
void check_text(std::string_view text, const Path& path) {
  if (text.size() > kMaxTextBytes)
    throw_invalid(path(), "has " + std::to_string(text.size()) + " bytes; at most " + std::to_string(kMaxTextBytes));
  check_utf8(text, path);
}

}  // namespace

constexpr std::string_view kContactRoleNames[] = {"sponsor", "champion", "admin", "user"};

std::string_view to_string(ContactRole r) noexcept { return kContactRoleNames[static_cast<std::size_t>(r)]; }
std::optional<ContactRole> parse_contact_role(std::string_view text) noexcept {
  return detail::enum_named<ContactRole>(kContactRoleNames, text);
}

namespace {
// The organization of every live portfolio, by id, so that a result handed
// to another portfolio is told apart: another organization's, or just another.
std::mutex g_owners_mutex;
std::unordered_map<std::uint64_t, std::string> g_owners;
std::atomic<std::uint64_t> g_next_portfolio{1};

// Registers a portfolio's organization for as long as the portfolio lives.
struct PortfolioOwner {
  std::uint64_t id;
  PortfolioOwner(std::uint64_t i, const std::string& organization) : id(i) {
    const std::lock_guard lock(g_owners_mutex);
    g_owners.emplace(id, organization);
  }
  ~PortfolioOwner() {
    const std::lock_guard lock(g_owners_mutex);
    g_owners.erase(id);
  }
  // The portfolio's indices changed: results evaluated before must not be
  // read against it any more, so it takes a new id.
  void renew(std::uint64_t fresh) noexcept {
    const std::lock_guard lock(g_owners_mutex);
    auto node = g_owners.extract(id);
    node.key() = id = fresh;
    g_owners.insert(std::move(node));
  }
  PortfolioOwner(const PortfolioOwner&) = delete;
  PortfolioOwner& operator=(const PortfolioOwner&) = delete;
};
}  // namespace

struct Portfolio::Impl {
  PortfolioConfig config;
  std::uint64_t serial = g_next_portfolio++;
  PortfolioOwner owner{serial, config.organization};
  Scheduler scheduler;
  std::vector<TemplateIndex> templates;
  std::vector<std::size_t> factor_metric;  // health factor → metric
  signals_detail::Signals signals;         // config.signals, compiled
  std::vector<Account> accounts;
  std::vector<Profile> profiles;
  std::vector<Hot> hot;  // and the activity state, by account
  // The identities Hot::ids points to, one block per add_accounts call, in
  // account order: ingestion reads them account after account.
  std::vector<std::unique_ptr<std::uint64_t[]>> id_blocks;
  std::vector<std::unique_ptr<std::uint32_t[]>> slot_blocks;  // Profile::slots, likewise, for the evaluation
  // Where the activity states live. Ingestion adds one arena per thread;
  // once the bytes left behind by grown blocks outweigh the live ones, the
  // states are copied into fresh arenas in account order and the old go.
  SlabPool spare_slabs;  // declared first of the two: arenas give their slabs back on destruction
  std::vector<ActivityArena> arenas;
  KeyIndex index;
  // What the scheduler derives from each account's plan alone (template,
  // nodes switched on), computed once when the account is added: accounts
  // share the few distinct ones.
  std::vector<schedule_detail::PlanFacts> facts_table;
  std::vector<std::uint32_t> facts_of;  // by account

  explicit Impl(PortfolioConfig c)
      : config(std::move(c)), scheduler(config.templates, config.calendar, config.plan_policy), signals(config.signals) {
    for (const Template& t : config.templates.templates()) templates.push_back(index_template(t));
    const auto& factors = config.health.factors();
    for (std::size_t k = 0; k < factors.size(); ++k) {
      const auto m = metric_index(factors[k].name);
      if (!m) {
        std::string known;
        for (const auto n : kMetricNames) known += (known.empty() ? "" : ", ") + std::string(n);
        throw_invalid(index_path("health_model.factors", k) + ".name",
                      "no metric named " + detail::quoted(factors[k].name) + " (known: " + known + ")");
      }
      factor_metric.push_back(*m);
    }
  }

  std::size_t arena_bytes(std::size_t (ActivityArena::*what)() const noexcept) const {
    std::size_t sum = 0;
    for (const ActivityArena& a : arenas) sum += (a.*what)();
    return sum;
  }

  // Compacts when the garbage exceeds `1 / over` of what the arenas hold:
  // the copying this costs is then bounded by a multiple of the garbage,
  // which grows with the events ingested, so it stays proportional to them.
  void compact_states(unsigned threads, std::size_t over) {
    const std::size_t garbage = arena_bytes(&ActivityArena::garbage);
    if (garbage < (std::size_t{1} << 20) || over * garbage < arena_bytes(&ActivityArena::held)) return;
    const unsigned threads_used = detail::usable_threads(threads, hot.size(), 1 << 14);
    std::vector<ActivityArena> fresh;
    for (unsigned t = 0; t < threads_used; ++t) fresh.emplace_back(&spare_slabs);
    try {
      detail::on_threads(threads_used, [&](unsigned t) {
        for (std::size_t i = hot.size() * t / threads_used; i < hot.size() * (t + 1) / threads_used; ++i)
          fresh[t].adopt(hot[i].activity);
      });
    } catch (...) {
      // Out of memory part way: some states moved, and all stay valid.
      for (ActivityArena& a : fresh) arenas.push_back(std::move(a));
      throw;
    }
    arenas = std::move(fresh);
  }

  ActivityProfile profile(std::size_t i) const {
    ActivityProfile p = event_profile(hot[i]);
    p.provisioned_seats = accounts[i].provisioned_seats;
    p.planned_slot = profiles[i].slots;
    p.core_features = templates[hot[i].template_index].core_features;
    return p;
  }

  // Per-thread working memory, reused from account to account.
  struct Snapshot {
    ActivityMetrics metrics;
    PlanReport plan;
    std::vector<MilestoneIssue> milestones;
    std::vector<GoalIssue> goals;
    std::array<double, kMetricNames.size()> values{};
    std::vector<double> inputs;  // by health factor
    double health = kNaN;
    int weakest = -1;
  };
  struct Scratch {
    explicit Scratch(const Scheduler& s) : evaluator(s) {}
    schedule_detail::Evaluator evaluator;
    // The working plan: the account's plan with its events merged in, as an
    // overlay the scheduler reads without a copy of the plan.
    std::vector<Progress> merged;            // by node
    std::vector<const Progress*> progress;   // by node: into merged, or null
    std::vector<schedule_detail::MetricValue> values;
    std::vector<std::size_t> ends;           // each extra snapshot's end in values
    std::vector<schedule_detail::ExtraSnapshot> snapshots;
    std::vector<Day> firsts, planned_firsts;
    std::vector<PlanEvent> plan_events;
    std::vector<std::uint32_t> counts;
    Snapshot now, before;
    std::array<ActivityMetrics, 2> checkpoints;  // day 30 and 60, for cohort outcomes
  };

  // Days of one account (first logins) fall within a few weeks or months: a
  // counting sort beats comparisons on them.
  static void sort_days(std::vector<Day>& days, std::vector<std::uint32_t>& counts) {
    if (days.size() < 16) {
      std::sort(days.begin(), days.end());
      return;
    }
    const auto [lo, hi] = std::minmax_element(days.begin(), days.end());
    const Day first = *lo;
    const auto span = static_cast<std::size_t>(static_cast<std::int64_t>(*hi) - first + 1);
    if (span > 4 * days.size() + 256) {
      std::sort(days.begin(), days.end());
      return;
    }
    counts.assign(span, 0);
    for (const Day d : days) ++counts[static_cast<std::size_t>(d - first)];
    std::size_t k = 0;
    for (std::size_t d = 0; d < span; ++d)
      for (std::uint32_t c = counts[d]; c > 0; --c) days[k++] = first + static_cast<Day>(d);
  }

  // The account's plan as the scheduler should see it on `as_of`: declared
  // progress merged with milestone events, and the activity metrics its
  // criteria read, on the days they changed.
  // `same_account`: the previous call was for the same account, whose users'
  // first logins are still in x.
  schedule_detail::Overlay working_plan(std::size_t i, Day as_of, const ActivityMetrics& m, Scratch& x,
                                        bool same_account) const {
    const Account& a = accounts[i];
    const TemplateIndex& t = templates[profiles[i].template_index];
    const std::size_t nodes = t.node_ids.size();
    if (x.merged.size() < nodes) x.merged.resize(nodes);
    x.progress.assign(nodes, nullptr);
    auto touch = [&](std::size_t n) -> Progress& {
      Progress& p = x.merged[n];
      if (!x.progress[n]) {
        p.done.reset();
        p.skipped = false;
        p.redates.clear();
        x.progress[n] = &p;
      }
      return p;
    };
    // The plan's ids were checked against the template when the account was added.
    for (const auto& [id, p] : a.plan.progress) {
      const std::size_t n = t.node_of.find(id)->second;
      x.merged[n] = p;
      x.progress[n] = &x.merged[n];
    }
    const ActivityProfile view = profile(i);
    plan_events(hot[i].activity, view, x.plan_events);
    for (const PlanEvent& e : x.plan_events) {
      if (e.on > as_of) continue;
      Progress& p = touch(e.node);
      if (!e.redate) p.done = p.done ? std::min(*p.done, e.on) : e.on;
      else p.redates.push_back({e.on, e.to});
    }
    for (std::size_t n = 0; n < nodes; ++n)
      if (x.progress[n] && x.merged[n].redates.size() > 1)
        std::stable_sort(x.merged[n].redates.begin(), x.merged[n].redates.end(),
                         [](const Redate& p, const Redate& q) { return p.on < q.on; });
    x.values.clear();
    x.ends.clear();
    x.snapshots.clear();
    const schedule_detail::PlanFacts* facts = &facts_table[facts_of[i]];
    if (t.criteria_metrics.empty()) return {x.progress, {}, facts};
    const bool users = std::any_of(t.criteria_metrics.begin(), t.criteria_metrics.end(), [](std::size_t k) {
      return k == m_active_users || k == m_seat_activation || k == m_planned_activation;
    });
    const std::vector<Day>& firsts = x.firsts;
    const std::vector<Day>& planned = x.planned_firsts;
    const Profile& prof = profiles[i];
    if (users && !same_account) {
      // Every user's first login, and each planned user's, sorted, whatever
      // the day: the users active by a day are those up to it.
      first_logins(hot[i].activity, view, x.firsts);
      x.planned_firsts.clear();
      for (std::size_t u = 0; u < prof.slots.size(); ++u)
        if (const Day d = planned_first_login(hot[i].activity, view, u); d != kNever) x.planned_firsts.push_back(d);
      sort_days(x.planned_firsts, x.counts);
    }
    if (users) {
      // The user counts change only on first logins, so the days they reached
      // each value are exact.
      const auto count = static_cast<std::size_t>(std::upper_bound(firsts.begin(), firsts.end(), as_of) - firsts.begin());
      for (std::size_t k = 0; k < count; ++k) {
        if (k + 1 < count && firsts[k + 1] == firsts[k]) continue;
        const int n = static_cast<int>(k + 1);
        x.values.push_back({kMetricNames[m_active_users], static_cast<double>(n)});
        if (a.provisioned_seats > 0)
          x.values.push_back({kMetricNames[m_seat_activation], static_cast<double>(n) / a.provisioned_seats});
        if (!prof.slots.empty()) {
          const auto active = std::upper_bound(planned.begin(), planned.end(), firsts[k]) - planned.begin();
          x.values.push_back({kMetricNames[m_planned_activation],
                              static_cast<double>(static_cast<int>(active)) / static_cast<double>(prof.slots.size())});
        }
        x.ends.push_back(x.values.size());
        x.snapshots.push_back({firsts[k], {}});
      }
    }
    std::array<double, kMetricNames.size()> v{};
    activity_values(m, v);
    const std::size_t now_begin = x.values.size();
    for (const std::size_t k : t.criteria_metrics)
      if (!std::isnan(v[k])) x.values.push_back({kMetricNames[k], v[k]});
    if (x.values.size() > now_begin) {
      x.ends.push_back(x.values.size());
      x.snapshots.push_back({as_of, {}});
    }
    // The spans, now that values no longer moves.
    const std::span<const schedule_detail::MetricValue> all(x.values);
    std::size_t begin = 0;
    for (std::size_t k = 0; k < x.snapshots.size(); ++k) {
      x.snapshots[k].values = all.subspan(begin, x.ends[k] - begin);
      begin = x.ends[k];
    }
    return {x.progress, x.snapshots, facts};
  }

  static void activity_values(const ActivityMetrics& m, std::array<double, kMetricNames.size()>& v) {
    v.fill(kNaN);
    v[m_user_adoption] = v[m_wau_share] = m.wau_share;
    v[m_engagement_quality] = v[m_active_days_per_week] = m.active_days_per_week;
    v[m_seat_activation] = m.seat_activation;
    v[m_planned_activation] = m.planned_activation;
    v[m_wau_slope] = m.wau_slope;
    v[m_feature_breadth] = m.feature_breadth;
    v[m_days_since_activity] = m.days_since_activity >= 0 ? m.days_since_activity : kNaN;
    v[m_latency_ratio] = m.latency_recent / m.latency_baseline;
    v[m_meetings_postponed_30d] = m.meetings_postponed_30d + m.meetings_cancelled_30d;
    v[m_open_tickets] = m.open_tickets;
    v[m_tickets_7d] = m.tickets_7d;
    v[m_active_users] = m.active_users;
  }

  // One account as of a day. `issues`: also list the milestones late or
  // re-dated, which the signals read (the week-ago snapshot needs only the
  // health). `same_plan`: the previous snapshot was the same account's.
  void snapshot(std::size_t i, Day as_of, Scratch& x, Snapshot& s, bool issues, bool same_plan) const {
    compute_metrics(hot[i].activity, profile(i), as_of, s.metrics);
    const schedule_detail::Overlay overlay = working_plan(i, as_of, s.metrics, x, same_plan);
    x.evaluator.evaluate(accounts[i].plan, &overlay, as_of, s.plan, same_plan);
    plan_values(accounts[i].plan, x.progress, s, issues);
    activity_values(s.metrics, s.values);
    plan_metrics(s);
    s.inputs.resize(factor_metric.size());
    for (std::size_t k = 0; k < factor_metric.size(); ++k) s.inputs[k] = s.values[factor_metric[k]];
    const auto r = config.health.score_one(s.inputs.data());
    s.health = r.score;
    s.weakest = r.weakest;
  }

  // Milestones late or re-dated, goals off track. `progress`: the working
  // plan's, by node.
  void plan_values(const AccountPlan& plan, std::span<const Progress* const> progress, Snapshot& s, bool issues) const {
    s.milestones.clear();
    s.goals.clear();
    const PlanReport& r = s.plan;
    for (std::size_t k = 0; issues && k < r.nodes.size(); ++k) {
      const NodeReport& n = r.nodes[k];
      if (!n.is_milestone || !n.active || n.done != kNoDay) continue;
      if (n.status != Status::overdue && n.status != Status::slipped) continue;
      MilestoneIssue x;
      x.name = std::string(n.name);
      x.slip_count = n.slip_count;
      x.slip_days = n.slip_days;
      if (n.status == Status::overdue) {
        x.days_overdue = r.as_of - n.due;
        x.since = n.due + 1;
      } else {
        x.since = r.start;
        if (const Progress* p = progress[k])
          for (const Redate& rd : p->redates)
            if (rd.on <= r.as_of) x.since = std::max(x.since, rd.on);
      }
      s.milestones.push_back(std::move(x));
    }
    for (const GoalReport& g : r.goals) {
      if (g.status != GoalStatus::off_track) continue;
      const Goal* goal = plan.goals.find(g.id);
      GoalIssue x{g.id, std::isnan(g.progress) ? 0.0 : g.progress, r.as_of};
      if (goal) {
        if (r.as_of > goal->due) x.since = goal->due + 1;
        else if (std::isnan(g.projected)) x.since = goal->start + config.plan_policy.goals.grace_days + 1;
        else
          for (const Observation& o : goal->observations)
            if (o.day <= r.as_of) x.since = o.day;
      }
      s.goals.push_back(std::move(x));
    }
  }

  static void plan_metrics(Snapshot& s) {
    const PlanReport& r = s.plan;
    int due = 0, on_time = 0, overdue = 0, slipped = 0;
    bool fv_done = false, fv_due = false;
    for (const NodeReport& n : r.nodes) {
      if (!n.is_milestone || !n.active || n.status == Status::skipped || n.status == Status::not_applicable) continue;
      if (n.kind == "first_value") {
        fv_done = fv_done || n.done != kNoDay;
        fv_due = fv_due || (n.due != kNoDay && n.due <= r.as_of);
      }
      if (n.status == Status::overdue) ++overdue;
      if (n.slip_count > 0 && n.done == kNoDay) ++slipped;
      if (n.done == kNoDay && (n.planned_due == kNoDay || n.planned_due > r.as_of)) continue;
      ++due;
      on_time += n.done != kNoDay && n.planned_due != kNoDay && n.done <= n.planned_due;
    }
    s.values[m_milestone_progress] = ratio(on_time, due);
    s.values[m_percent_done] = r.percent_done;
    s.values[m_milestones_overdue] = overdue;
    s.values[m_milestones_slipped] = slipped;
    s.values[m_goals_off_track] = static_cast<double>(s.goals.size());
    // Value realization: 1 once first value is reached; before, the progress of
    // the first-value goals (all goals when none is marked); 0 once the
    // first-value milestone is due without either.
    double value = fv_done ? 1.0 : kNaN;
    if (!fv_done) {
      double sum = 0;
      int n = 0;
      for (int pass = 0; pass < 2 && n == 0; ++pass)
        for (const GoalReport& g : r.goals)
          if ((pass == 1 || g.first_value) && !std::isnan(g.progress)) {
            sum += g.status == GoalStatus::achieved ? 1.0 : g.progress;
            ++n;
          }
      if (n > 0) value = sum / n;
      else if (fv_due) value = 0;
    }
    s.values[m_value_realization] = value;
  }

  // Into `out`, a default AccountResult (the results vector's own element, so
  // that nothing is moved).
  void evaluate_one(std::size_t i, Day as_of, Scratch& x, AccountResult& out) const {
    out.account = static_cast<std::uint32_t>(i);
    out.portfolio = serial;
    Snapshot& now = x.now;
    Snapshot& before = x.before;
    snapshot(i, as_of, x, now, true, false);
    const Account& a = accounts[i];
    if (as_of - 7 >= a.signature) {
      snapshot(i, as_of - 7, x, before, false, true);
      out.health_week_ago = before.health;
      out.health_delta = now.health - before.health;
    }
    out.plan_status = now.plan.status;
    out.plan_reason = now.plan.reason;
    out.percent_done = now.plan.percent_done;
    out.milestones_overdue = static_cast<int>(now.values[m_milestones_overdue]);
    out.milestones_slipped = static_cast<int>(now.values[m_milestones_slipped]);
    out.goals_off_track = static_cast<int>(now.goals.size());
    out.values = now.values;
    out.health = now.health;
    out.band = config.health.band_of(now.health);
    out.weakest = now.weakest;
    SignalInputs in;
    in.signature = a.signature;
    in.metrics = &now.metrics;
    in.planned_users = a.planned_users;
    in.milestones = now.milestones;
    in.goals = now.goals;
    out.assessment = signals.assess(in);
    const int window = config.signals.window_days;
    out.days_left = std::max(0, a.signature + window - as_of);
    out.priority = worklist_priority(out.assessment.risk, a.arr, as_of - a.signature, window);
    out.metrics = std::move(now.metrics);
  }

  // The account's plan as of a day, into s.plan (s.metrics too).
  void plan_as_of(std::size_t i, Day as_of, Scratch& x, Snapshot& s) const {
    compute_metrics(hot[i].activity, profile(i), as_of, s.metrics);
    const schedule_detail::Overlay overlay = working_plan(i, as_of, s.metrics, x, false);
    x.evaluator.evaluate(accounts[i].plan, &overlay, as_of, s.plan, false);
  }

  AccountOutcome outcome(std::size_t i, Day as_of, const CohortOptions& o, Scratch& x) const {
    plan_as_of(i, as_of, x, x.now);
    const Account& a = accounts[i];
    OutcomeInputs in;
    in.plan = &x.now.plan;
    in.exit = a.exit;
    in.provisioned_seats = a.provisioned_seats;
    const std::array<const ActivityMetrics**, 2> slots{&in.day30, &in.day60};
    for (std::size_t k = 0; k < 2; ++k) {
      const Day day = a.signature + (k == 0 ? 30 : 60);
      if (day > as_of) continue;
      compute_metrics(hot[i].activity, profile(i), day, x.checkpoints[k]);
      *slots[k] = &x.checkpoints[k];
    }
    std::string label = cohort_label(o.by, a.signature, a.tier, x.now.plan.template_id, a.plan.attributes,
                                     o.segment_attribute);
    return account_outcome(in, std::move(label), config.calendar, o);
  }

  bool exited(std::size_t i, Day as_of) const { return accounts[i].exit && *accounts[i].exit <= as_of; }

  // Accounts: resolve, validate and index, without touching the portfolio.
  struct Prepared {
    std::vector<Account> accounts;
    std::vector<Profile> profiles;
    std::vector<schedule_detail::PlanFacts> facts;
  };
  // Checks one account and fills in what it leaves out; the profile and plan
  // facts ingestion and evaluation will read.
  // `evaluator` and `scratch` are the calling thread's, reused across accounts.
  Profile prepare_one(Account& a, std::size_t i, schedule_detail::Evaluator& evaluator, PlanReport& scratch,
                      schedule_detail::PlanFacts& facts) const {
    auto path = [i] { return index_path("accounts", i); };
    auto field = [&path](const char* name) { return [&path, name] { return path() + name; }; };
    check_text(a.name, field(".name"));
    check_text(a.tier, field(".tier"));
    check_text(a.exit_reason, field(".exit_reason"));
    check_text(a.plan.template_id, field(".template"));
    for (const auto& [name, value] : a.plan.attributes) {
      check_text(name, field(".attributes"));
      if (const std::string* text = std::get_if<std::string>(&value))
        check_text(*text, [&path, &name = name] { return join_path(path() + ".attributes", name); });
    }
    auto in_history = [](Day d) { return d >= kFirstHistoryDay && d <= kLastHistoryDay; };
    if (!in_history(a.signature)) throw_invalid(path() + ".signature", "day " + std::to_string(a.signature) + " is outside 1970-2100");
    if (!std::isfinite(a.arr) || a.arr < 0) throw_invalid(path() + ".arr", "must be a finite amount >= 0");
    if (a.planned_seats < 0) throw_invalid(path() + ".seats.planned", "must be >= 0");
    if (a.provisioned_seats < 0) throw_invalid(path() + ".seats.provisioned", "must be >= 0");
    if (a.exit && !in_history(*a.exit)) throw_invalid(path() + ".exit", "day " + std::to_string(*a.exit) + " is outside 1970-2100");
    if (a.exit && *a.exit < a.signature)
      throw_invalid(path() + ".exit", format_date(*a.exit) + " is before the signature " + format_date(a.signature));
    if (!a.exit && !a.exit_reason.empty()) throw_invalid(path() + ".exit_reason", "given without an exit day");
    if (a.tier.empty()) a.tier = tier_for_arr(a.arr);
    a.plan.account = a.key;
    a.plan.start = a.signature;
    a.plan.attributes.try_emplace("tier", a.tier);
    a.plan.attributes.try_emplace("arr", a.arr);
    a.plan.attributes.try_emplace("lifecycle", std::string("new_customer"));
    Profile prof;
    try {
      evaluator.evaluate(a.plan, nullptr, a.signature, scratch, false);  // the plan's checks
      facts = evaluator.facts(a.plan);
      prof.template_index = static_cast<std::uint32_t>(facts.template_index);
    } catch (const Error& e) {
      throw e.under(path());
    }
    std::vector<std::uint64_t> hashes(a.planned_users.size());
    for (std::size_t u = 0; u < a.planned_users.size(); ++u) {
      check_key(a.planned_users[u], [&path, u] { return index_path(path() + ".planned_users", u); });
      hashes[u] = hash64(a.planned_users[u]);
    }
    prof.ids = hashes;
    std::sort(prof.ids.begin(), prof.ids.end());
    prof.ids.erase(std::unique(prof.ids.begin(), prof.ids.end()), prof.ids.end());
    // An account's state keeps a planned user's slot in 16 bits.
    if (prof.ids.size() > 65535)
      throw_invalid(path() + ".planned_users", "has " + std::to_string(prof.ids.size()) + " distinct users; at most 65,535");
    prof.planned = static_cast<std::uint32_t>(prof.ids.size());
    for (const std::uint64_t h : hashes)
      prof.planned_slot.push_back(static_cast<std::uint32_t>(
          std::lower_bound(prof.ids.begin(), prof.ids.end(), h) - prof.ids.begin()));
    for (std::size_t c = 0; c < a.contacts.size(); ++c) {
      check_key(a.contacts[c].key, [&path, c] { return index_path(path() + ".contacts", c) + ".key"; });
      check_text(a.contacts[c].name, [&path, c] { return index_path(path() + ".contacts", c) + ".name"; });
      if (a.contacts[c].role == ContactRole::sponsor) prof.ids.push_back(hash64(a.contacts[c].key));
    }
    prof.ids.shrink_to_fit();
    return prof;
  }

  Prepared prepare(std::vector<Account> list, unsigned threads) const {
    Prepared p;
    std::unordered_map<std::string_view, std::uint32_t> fresh;  // views of the list's keys, which stay put
    fresh.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      Account& a = list[i];
      auto path = [i] { return index_path("accounts", i); };
      check_key(a.key, [&path] { return path() + ".key"; });  // first: the messages below quote the key
      if (a.organization.empty()) a.organization = config.organization;
      if (a.organization != config.organization)
        throw Error(Errc::forbidden, path() + ".organization",
                    "account " + detail::quoted(a.key) + " belongs to organization " + detail::quoted(a.organization) +
                        "; this portfolio holds \"" + config.organization + "\"'s accounts");
      if (index.count(a.key)) throw_invalid(path() + ".key", "account " + detail::quoted(a.key) + " is already in the portfolio");
      if (const auto [it, added] = fresh.emplace(a.key, static_cast<std::uint32_t>(i)); !added)
        throw_invalid(path() + ".key", "duplicate account " + detail::quoted(a.key) + " (also accounts[" + std::to_string(it->second) + "])");
    }
    // The rest of each account's checks read it alone: they run in parallel,
    // and the error of the lowest account is the one raised.
    p.profiles.resize(list.size());
    p.facts.resize(list.size());
    detail::parallel_ranges(list.size(), threads, 1024, 1, [&](std::size_t lo, std::size_t hi) {
      schedule_detail::Evaluator evaluator(scheduler);
      PlanReport scratch;
      for (std::size_t i = lo; i < hi; ++i)
        p.profiles[i] = prepare_one(list[i], i, evaluator, scratch, p.facts[i]);
    });
    p.accounts = std::move(list);
    return p;
  }
};

// ---- ingestion -------------------------------------------------------------

namespace {

// What a row's account code stands for, in one place so that judging a row
// costs one cache miss for its account, not one per attribute.
struct AccountRef {
  std::int32_t index = -1;  // in the portfolio; -1 = unknown
  Day signature = 0;
  std::uint32_t template_index = 0;
};

// Ingestion's large working arrays (see MappedAllocator).
template <class T>
using MappedVector = std::vector<T, detail::MappedAllocator<T>>;

struct Resolved {
  MappedVector<AccountRef> account;  // per account dictionary entry
  std::vector<std::int8_t> type;     // per type dictionary entry: EventType or -1
  MappedVector<std::uint64_t> actor, item;
};

void check_column(std::size_t n, std::size_t size, const char* name) {
  if (size != 0 && size != n)
    throw_invalid(std::string("events.") + name,
                  "has " + std::to_string(size) + " rows where ts has " + std::to_string(n));
}

// Rows are checked in parallel parts; the lowest part's error is the one
// raised, so the message names the first bad row whatever the timing.
void check_codes(const Dictionary& d, std::size_t n, const char* name, bool required, unsigned threads) {
  if (d.empty()) {
    if (required && n > 0) throw_invalid(std::string("events.") + name, "is required");
    return;
  }
  if (!d.codes.empty() && !d.small_codes.empty())
    throw_invalid(std::string("events.") + name, "has both codes and small_codes; give one");
  check_column(n, d.rows(), name);
  const auto size = static_cast<std::int64_t>(d.values.size());
  auto check = [&](auto codes) {
    detail::parallel_ranges(codes.size(), threads, 1 << 20, 1, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t r = lo; r < hi; ++r)
        if (codes[r] >= size)
          throw_invalid(std::string("events.") + name + "[" + std::to_string(r) + "]",
                        "code " + std::to_string(codes[r]) + " is outside its dictionary of " + std::to_string(size) +
                            " values");
    });
  };
  if (d.codes.empty())
    check(d.small_codes);
  else
    check(d.codes);
}

// One accepted row of a pass, as ingestion groups it by account: 16 bytes,
// as a pass holds two of them per account. Of the actor code, the item code,
// the plan node and the row (where the value and id are read), a type reads
// two at most: those go in `field`, in that order.
struct Record {
  static constexpr int kTypeShift = 28;
  static constexpr std::uint32_t kNone = static_cast<std::uint32_t>(-1);
  std::uint32_t code_type;  // the account code, the type in the top 4 bits
  std::uint32_t ts;         // seconds since 1970, which validation kept below 2^32
  std::array<std::uint32_t, 2> field;

  static constexpr bool reads_node(EventType t) {
    return t == EventType::milestone_completed || t == EventType::milestone_redated;
  }
  static constexpr bool reads_row(EventType t) { return reads_value(t) || reads_id(t); }
  static constexpr bool fits() {
    for (std::size_t k = 0; k < kEventTypeNames.size(); ++k) {
      const auto t = static_cast<EventType>(k);
      if (reads_actor(t) + reads_item(t) + reads_node(t) + reads_row(t) > 2) return false;
    }
    return kEventTypeNames.size() <= (std::size_t{1} << (32 - kTypeShift));
  }
  static Record make(std::uint32_t code, EventType t, std::uint32_t ts, std::uint32_t actor, std::uint32_t item,
                     std::uint32_t node, std::uint32_t row) {
    Record e{code | static_cast<std::uint32_t>(t) << kTypeShift, ts, {}};
    std::size_t k = 0;
    if (reads_actor(t)) e.field[k++] = actor;
    if (reads_item(t)) e.field[k++] = item;
    if (reads_node(t)) e.field[k++] = node;
    if (reads_row(t)) e.field[k] = row;
    return e;
  }
  std::uint32_t code() const { return code_type & ((1u << kTypeShift) - 1); }
  EventType type() const { return static_cast<EventType>(code_type >> kTypeShift); }
  std::uint32_t actor() const { return reads_actor(type()) ? field[0] : kNone; }
  std::uint32_t item() const {
    const EventType t = type();
    return reads_item(t) ? field[reads_actor(t)] : kNone;
  }
  std::uint32_t node() const {
    const EventType t = type();
    return reads_node(t) ? field[std::size_t{reads_actor(t)} + reads_item(t)] : 0;
  }
  std::uint32_t row() const {  // where reads_row
    const EventType t = type();
    return field[std::size_t{reads_actor(t)} + reads_item(t) + reads_node(t)];
  }
};
static_assert(sizeof(Record) == 16 && Record::fits());

// The records of codes [base, base + codes) into `out`, by code: a counting
// sort, stable, so a code's records keep row order (the state does not depend
// on it, but a reader of a trace might). first[c] is then where code base + c
// starts, first[codes] the end.
void sort_by_code(std::span<const Record> in, std::size_t base, std::size_t codes, std::vector<std::uint32_t>& first,
                  std::vector<Record>& out) {
  first.assign(codes + 1, 0u);
  for (const Record& e : in) ++first[e.code() - base + 1];
  for (std::size_t c = 0; c < codes; ++c) first[c + 1] += first[c];
  out.resize(in.size());
  for (const Record& e : in) out[first[e.code() - base]++] = e;  // first[c] ends at where c + 1 starts
  for (std::size_t c = codes; c > 0; --c) first[c] = first[c - 1];
  first[0] = 0;
}
bool needs_actor(EventType t) { return t == EventType::login || t == EventType::feature_use; }
bool needs_item(EventType t) {
  return t == EventType::feature_use || t == EventType::meeting_held || t == EventType::meeting_postponed ||
         t == EventType::meeting_cancelled || t == EventType::ticket_opened || t == EventType::ticket_closed ||
         t == EventType::milestone_completed || t == EventType::milestone_redated;
}

}  // namespace

// A batch may say whose events its rows are; any row of another organization
// refuses the whole batch, so that a host's mix-up changes nothing.
void check_batch_organization(const Dictionary& d, const std::string& organization) {
  if (d.empty()) return;
  std::vector<char> other(d.values.size());
  bool any = false;
  for (std::size_t c = 0; c < d.values.size(); ++c) any |= (other[c] = d.values[c] != organization) != 0;
  if (!any) return;
  for (std::size_t r = 0; r < d.rows(); ++r)
    if (const std::int32_t c = d.code(r); c >= 0 && other[static_cast<std::size_t>(c)])
      throw Error(Errc::forbidden, index_path("events.organization", r),
                  "a row of organization " + detail::quoted(d.values[static_cast<std::size_t>(c)]) +
                      " in a batch for \"" + organization + "\"; nothing was ingested");
}

IngestReport Portfolio::ingest(const EventBatch& b, const IngestOptions& options) {
  Impl& im = *impl_;
  const std::size_t n = b.size();
  // Ingestion keeps row numbers in 32 bits, account codes in 28.
  if (n > std::numeric_limits<std::uint32_t>::max())
    throw_invalid("events", std::to_string(n) + " rows in one batch; at most 4,294,967,295: split it");
  if (b.account.values.size() >= (std::size_t{1} << Record::kTypeShift))
    throw_invalid("events.account", "has " + std::to_string(b.account.values.size()) +
                                        " values in its dictionary; at most 268,435,455");
  check_codes(b.account, n, "account", true, options.threads);
  check_codes(b.type, n, "type", true, options.threads);
  check_codes(b.actor, n, "actor", false, options.threads);
  check_codes(b.item, n, "item", false, options.threads);
  check_column(n, b.value.size(), "value");
  check_column(n, b.id.size(), "id");
  check_codes(b.organization, n, "organization", false, options.threads);
  check_batch_organization(b.organization, im.config.organization);

  Resolved res;
  res.account.resize(b.account.values.size());
  std::atomic<bool> foreign{false};
  detail::parallel_ranges(b.account.values.size(), options.threads, 1 << 15, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t c = lo; c < hi; ++c) {
      if (c + 8 < hi) b.account.values.prefetch_text(c + 8);  // scattered strings, as in hash_all
      if (const auto it = im.index.find(b.account.values[c]); it != im.index.end()) {
        // The key resolved; the account must also be stored as this organization's.
        if (im.accounts[it->second].organization != im.config.organization) foreign = true;
        res.account[c] = {static_cast<std::int32_t>(it->second), im.hot[it->second].signature,
                          im.hot[it->second].template_index};
      }
    }
  });
  if (foreign) throw Error(Errc::forbidden, "events.account", "names an account stored for another organization");
  for (const std::string_view t : b.type.values) {
    const auto e = parse_event_type(t);
    res.type.push_back(e ? static_cast<std::int8_t>(*e) : std::int8_t{-1});
  }
  // A pandas categorical of a million accounts' users holds tens of millions of strings.
  auto hash_all = [&](const DictionaryValues& values, MappedVector<std::uint64_t>& out) {
    out.resize(values.size());
    detail::parallel_ranges(values.size(), options.threads, 1 << 16, 1, [&](std::size_t lo, std::size_t hi) {
      // The strings may be scattered (a Python list's str objects): fetch ahead.
      constexpr std::size_t kAhead = 8;
      for (std::size_t i = lo; i < hi; ++i) {
        if (i + kAhead < hi) values.prefetch_text(i + kAhead);
        const std::string_view v = values[i];
        out[i] = v.empty() ? 0 : hash64(v);
      }
    });
  };
  // A dictionary of at most two values per account (feature names, meeting and
  // ticket ids of a night) is hashed once per value. A larger one (a million
  // accounts' users: 17M values) is hashed where a row uses it: a second
  // fetch per row, instead of 8 bytes per value held through the ingestion.
  const std::size_t memo_limit = 2 * im.accounts.size() + (std::size_t{1} << 16);
  const bool memo_actor = b.actor.values.size() <= memo_limit, memo_item = b.item.values.size() <= memo_limit;
  if (memo_actor) hash_all(b.actor.values, res.actor);
  if (memo_item) hash_all(b.item.values, res.item);

  static const AccountRef kUnknown{};
  constexpr std::uint32_t kNoCode = static_cast<std::uint32_t>(-1);
  auto account_of = [&](std::size_t r) -> const AccountRef& {
    const std::int32_t c = b.account.code(r);
    return c < 0 ? kUnknown : res.account[static_cast<std::size_t>(c)];
  };
  // Account codes come in row order, their entries in any order: fetch ahead.
  auto prefetch_account = [&](std::size_t r) {
    if (const std::int32_t c = b.account.code(r); c >= 0) __builtin_prefetch(&res.account[static_cast<std::size_t>(c)]);
  };
  auto type_of = [&](std::size_t r) -> int {
    const std::int32_t c = b.type.code(r);
    return c < 0 ? -1 : res.type[static_cast<std::size_t>(c)];
  };
  auto code = [](const Dictionary& d, std::size_t r) { return d.empty() ? -1 : d.code(r); };
  // Any negative code means none.
  auto dictionary_code = [&](const Dictionary& d, std::size_t r) {
    const std::int32_t c = code(d, r);
    return c < 0 ? kNoCode : static_cast<std::uint32_t>(c);
  };
  // Plan nodes by template and item, resolved once per dictionary entry (when
  // the batch names a milestone event type at all) rather than once per row.
  std::vector<MappedVector<std::int32_t>> nodes(im.templates.size());
  const bool plan_types = std::any_of(res.type.begin(), res.type.end(), [](std::int8_t t) {
    return t == static_cast<std::int8_t>(EventType::milestone_completed) ||
           t == static_cast<std::int8_t>(EventType::milestone_redated);
  });
  if (plan_types)
    for (std::size_t ti = 0; ti < im.templates.size(); ++ti) {
      nodes[ti].resize(b.item.values.size());
      detail::parallel_ranges(b.item.values.size(), options.threads, 1 << 14, 1, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t c = lo; c < hi; ++c) {
          const auto it = im.templates[ti].node_of.find(b.item.values[c]);
          nodes[ti][c] = it == im.templates[ti].node_of.end() ? -1 : static_cast<std::int32_t>(it->second);
        }
      });
    }
  auto node_of = [&](std::size_t r, const AccountRef& a) -> std::int64_t {
    const std::int32_t c = code(b.item, r);
    if (c < 0) return -1;
    return nodes[a.template_index][static_cast<std::size_t>(c)];
  };

  // Pass 1: judge every row; nothing changes yet. Parts of the batch are
  // judged in parallel and their verdicts joined in row order.
  struct Verdicts {
    std::vector<RejectedRow> rejected;
    std::array<std::size_t, kRejectReasonNames.size()> by_reason{};
    std::vector<std::string> messages;
  };
  auto quoted = [](const Dictionary& d, std::size_t r) {
    const std::int32_t c = d.code(r);
    return c < 0 ? std::string("(none)") : detail::quoted(d.values[static_cast<std::size_t>(c)]);
  };
  auto judge = [&](std::size_t begin, std::size_t end, Verdicts& out) {
    auto reject = [&](std::size_t r, RejectReason why, std::string detail) {
      out.rejected.push_back({r, why});
      ++out.by_reason[static_cast<std::size_t>(why)];
      if (out.messages.size() < options.max_messages) out.messages.push_back("row " + std::to_string(r) + ": " + detail);
    };
    constexpr std::size_t kAhead = 16;
    for (std::size_t r = begin; r < end; ++r) {
      if (r + kAhead < end) prefetch_account(r + kAhead);
      const AccountRef& acct = account_of(r);
      if (acct.index < 0) { reject(r, RejectReason::unknown_account, "unknown account " + quoted(b.account, r)); continue; }
      const int t = type_of(r);
      if (t < 0) { reject(r, RejectReason::unknown_type, "unknown event type " + quoted(b.type, r)); continue; }
      const std::int64_t ts = b.ts[r];
      if (ts < kFirstEventSecond || ts >= kEndEventSecond) {
        reject(r, RejectReason::bad_timestamp, "timestamp " + std::to_string(ts) + " is not between 1970 and 2100 (seconds expected)");
        continue;
      }
      const Day signature = acct.signature;
      if (std::abs(day_of(ts) - signature) > kMaxDaysFromSignature) {
        reject(r, RejectReason::bad_timestamp, "timestamp " + std::to_string(ts) + " is more than " +
                                                   std::to_string(kMaxDaysFromSignature) + " days from the account's signature");
        continue;
      }
      const auto type = static_cast<EventType>(t);
      if (needs_actor(type) && code(b.actor, r) < 0) { reject(r, RejectReason::missing_actor, std::string(to_string(type)) + " needs the user in actor"); continue; }
      if (needs_item(type) && code(b.item, r) < 0) { reject(r, RejectReason::missing_item, std::string(to_string(type)) + " needs its id in item"); continue; }
      const double v = b.value.empty() ? kNaN : b.value[r];
      if (type == EventType::customer_reply && !(v >= 0 && v < 1e6)) {
        reject(r, RejectReason::bad_value, "customer_reply needs its latency in hours (>= 0) in value");
        continue;
      }
      if (type == EventType::ticket_opened && !std::isnan(v) && !(v >= 1 && v <= 4 && v == std::floor(v))) {
        reject(r, RejectReason::bad_value, "ticket_opened severity must be 1, 2, 3 or 4");
        continue;
      }
      if (type == EventType::milestone_redated &&
          !(v >= kFirstEventSecond && v < kEndEventSecond &&
            std::abs(day_of(static_cast<std::int64_t>(v)) - signature) <= kMaxDaysFromSignature)) {
        reject(r, RejectReason::bad_value, "milestone_redated needs the new due date in value, in seconds since 1970, "
                                           "within " + std::to_string(kMaxDaysFromSignature) + " days of the signature");
        continue;
      }
      if ((type == EventType::milestone_completed || type == EventType::milestone_redated) && node_of(r, acct) < 0) {
        const auto& tmpl = im.config.templates.templates()[acct.template_index];
        reject(r, RejectReason::unknown_plan_item, "item " + quoted(b.item, r) + " is not a milestone or task of template \"" + tmpl.id + "\"");
        continue;
      }
    }
  };
  constexpr std::size_t kJudgeParts = 16;
  std::vector<Verdicts> verdicts(kJudgeParts);
  detail::parallel_ranges(kJudgeParts, n >= (1 << 16) ? options.threads : 1, 1, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t part = lo; part < hi; ++part) judge(n * part / kJudgeParts, n * (part + 1) / kJudgeParts, verdicts[part]);
  });
  IngestReport report;
  report.rows = n;
  for (Verdicts& v : verdicts) {
    report.rejected.insert(report.rejected.end(), v.rejected.begin(), v.rejected.end());
    for (std::size_t k = 0; k < v.by_reason.size(); ++k) report.rejected_by_reason[k] += v.by_reason[k];
    for (std::string& m : v.messages)
      if (report.messages.size() < options.max_messages) report.messages.push_back(std::move(m));
  }
  report.accepted = n - report.rejected.size();
  if (report.rejected.size() > options.max_rejected)
    throw Error(Errc::invalid, "events",
                std::to_string(report.rejected.size()) + " of " + std::to_string(n) + " rows rejected (limit " +
                    std::to_string(options.max_rejected) + "); nothing was ingested. First: " +
                    (report.messages.empty() ? std::string() : report.messages.front()));

  // Pass 2: apply, a range of account codes at a time, so that an account
  // gets all its rows at once and its state moves at most once
  // (ActivityWriter). Growing the states chunk of rows by chunk of rows left
  // a block behind at every size a state went through: at a million
  // accounts, more memory than the states. A pass gathers at most
  // `pass_rows` rows: two per account, and no fewer than a million or a 64th
  // of the batch, so that there are at most about 64 passes, each a compare
  // per row of the account column. (An account that alone has more rows than
  // that gets passes of its own, each over a window of the batch.) A pass
  // takes two parallel steps:
  //  - gather: each thread copies the rows of its slice that the pass takes
  //    into small records, one sequential write stream per bucket of codes,
  //    reading the columns once, in row order; where its records go in each
  //    bucket is known from the rows counted per code beforehand;
  //  - apply: each thread owns a range of buckets; it sorts a bucket's
  //    records by code in cache and applies them account after account,
  //    while the next accounts' states and identities are fetched.
  // Between passes, where progress is reported and a cancellation stops,
  // the accounts of the passes done have all their rows and the others none.
  const std::size_t n_accounts = im.accounts.size(), n_codes = b.account.values.size();
  const unsigned threads = detail::usable_threads(options.threads, n, 1 << 16);
  auto slice = [&](unsigned t) { return std::pair{n * t / threads, n * (t + 1) / threads}; };
  auto rejected_from = [&](std::size_t row) {
    return std::lower_bound(report.rejected.begin(), report.rejected.end(), row,
                            [](const RejectedRow& x, std::size_t r) { return x.row < r; });
  };
  // code_rows[t][code]: accepted rows of thread t's slice with this account code.
  std::vector<MappedVector<std::uint32_t>> code_rows(threads);
  detail::on_threads(threads, [&](unsigned t) {
    const auto [lo, hi] = slice(t);
    MappedVector<std::uint32_t>& count = code_rows[t];
    count.assign(n_codes, 0u);
    auto rej = rejected_from(lo);
    for (std::size_t r = lo; r < hi; ++r) {
      if (rej != report.rejected.end() && rej->row == r) {
        ++rej;
        continue;
      }
      ++count[static_cast<std::size_t>(b.account.code(r))];
    }
  });
  auto rows_of_code = [&](std::size_t c) {
    std::size_t sum = 0;
    for (const auto& count : code_rows) sum += count[c];
    return sum;
  };
  // The account of each code (an index: 4 bytes of the 12 judging read),
  // and whether two codes name the same one: that account could then be in
  // two threads' buckets at once, so such a batch is applied on one thread.
  MappedVector<std::uint32_t> code_account(n_codes, Record::kNone);
  bool shared_accounts = false;
  {
    std::vector<bool> seen(n_accounts);
    for (std::size_t c = 0; c < n_codes; ++c)
      if (const std::int32_t a = res.account[c].index; a >= 0) {
        code_account[c] = static_cast<std::uint32_t>(a);
        shared_accounts = shared_accounts || seen[code_account[c]];
        seen[code_account[c]] = true;
      }
  }
  MappedVector<AccountRef>().swap(res.account);  // (= {} would keep the capacity)
  auto plan_node = [&](std::size_t r, std::uint32_t account) {
    return static_cast<std::uint32_t>(nodes[im.hot[account].template_index][static_cast<std::size_t>(code(b.item, r))]);
  };
  struct Pass {
    std::size_t lo, hi;          // account codes
    std::size_t row_lo, row_hi;  // rows of the batch
  };
  const std::size_t pass_rows = std::max({2 * n_accounts, report.accepted / 64, std::size_t{1} << 20});
  std::vector<Pass> passes;
  {
    std::size_t sum = 0, start = 0;
    auto close = [&](std::size_t end) {
      if (sum > 0) passes.push_back({start, end, 0, n});
      sum = 0;
      start = end;
    };
    for (std::size_t c = 0; c < n_codes; ++c) {
      const std::size_t rows = rows_of_code(c);
      if (rows > pass_rows) {
        close(c);
        for (std::size_t w = 0; w < n; w += pass_rows) passes.push_back({c, c + 1, w, std::min(n, w + pass_rows)});
        start = c + 1;
        continue;
      }
      if (sum + rows > pass_rows) close(c);
      sum += rows;
    }
    close(n_codes);
  }

  // Buckets of at most 16k rows (or one code), at most 4,096 codes: a
  // bucket's records and states stay in a core's cache while it is applied.
  constexpr std::size_t kBucketRows = std::size_t{1} << 14, kBucketCodes = std::size_t{1} << 12;
  MappedVector<Record> records(std::min(pass_rows, report.accepted));
  std::vector<std::uint32_t> bucket_of;     // by code of the pass
  std::vector<std::size_t> bucket_code;     // each bucket's first code, then the pass's end
  std::vector<std::size_t> bucket_begin;    // each bucket's first record, then the end
  std::vector<std::vector<std::size_t>> next(threads);  // by thread and bucket: where its next record goes
  std::vector<ActivityWriter> writers;
  for (unsigned t = 0; t < threads; ++t) writers.emplace_back(&im.spare_slabs);
  std::vector<std::vector<std::uint32_t>> firsts(threads);
  std::vector<std::vector<Record>> sorted(threads);
  std::size_t applied = 0;
  bool cancelled = false;
  for (std::size_t pass = 0; pass < passes.size(); ++pass) {
    if (pass > 0 && options.progress && !options.progress(applied, n)) {
      cancelled = true;
      break;
    }
    const Pass& p = passes[pass];
    const bool window = p.row_hi - p.row_lo < n;  // one account's rows, a window at a time, on one thread
    const unsigned gather_threads = window ? 1 : threads;
    // Buckets, and where each thread's records go in each.
    bucket_code.assign(1, p.lo);
    bucket_of.assign(p.hi - p.lo, 0u);
    for (auto& v : next) v.assign(1, 0);
    std::size_t in_bucket = 0;
    for (std::size_t c = p.lo; c < p.hi && !window; ++c) {
      const std::size_t rows = rows_of_code(c);
      if (in_bucket > 0 && (in_bucket + rows > kBucketRows || c - bucket_code.back() >= kBucketCodes)) {
        bucket_code.push_back(c);
        for (auto& v : next) v.push_back(0);
        in_bucket = 0;
      }
      bucket_of[c - p.lo] = static_cast<std::uint32_t>(bucket_code.size() - 1);
      for (unsigned t = 0; t < threads; ++t) next[t].back() += code_rows[t][c];
      in_bucket += rows;
    }
    bucket_code.push_back(p.hi);
    const std::size_t n_buckets = bucket_code.size() - 1;
    bucket_begin.assign(n_buckets + 1, 0);
    std::size_t at = 0;
    for (std::size_t k = 0; k < n_buckets; ++k) {
      bucket_begin[k] = at;
      for (unsigned t = 0; t < threads; ++t) at += std::exchange(next[t][k], at);
    }
    bucket_begin[n_buckets] = at;
    detail::on_threads(gather_threads, [&](unsigned t) {
      // Plain variables, not a structured binding: the lambda below uses them,
      // which clang before 16 does not allow of a binding.
      const auto range = slice(t);
      std::size_t lo = range.first, hi = range.second;
      if (window) std::tie(lo, hi) = std::pair{p.row_lo, p.row_hi};
      const std::size_t width = p.hi - p.lo;
      std::size_t* to = next[t].data();
      auto rej = rejected_from(lo);
      auto run = [&](auto codes) {
        for (std::size_t r = lo; r < hi; ++r) {
          const std::size_t c = static_cast<std::size_t>(static_cast<std::int64_t>(codes[r])) - p.lo;
          if (c >= width) continue;
          while (rej != report.rejected.end() && rej->row < r) ++rej;
          if (rej != report.rejected.end() && rej->row == r) continue;
          const auto type = static_cast<EventType>(type_of(r));
          const auto account_code = static_cast<std::uint32_t>(p.lo + c);
          records[to[bucket_of[c]]++] = Record::make(
              account_code, type, static_cast<std::uint32_t>(b.ts[r]), dictionary_code(b.actor, r),
              dictionary_code(b.item, r), Record::reads_node(type) ? plan_node(r, code_account[account_code]) : 0u,
              static_cast<std::uint32_t>(r));
        }
      };
      if (b.account.codes.empty())
        run(b.account.small_codes);
      else
        run(b.account.codes);
    });
    if (window) bucket_begin[1] = next[0][0];
    const std::size_t pass_records = bucket_begin[n_buckets];

    // Buckets to threads: contiguous ranges of about as many records.
    const unsigned apply_threads = window || shared_accounts ? 1 : threads;
    std::vector<std::size_t> owner_begin(apply_threads + 1, n_buckets);
    for (unsigned t = 0; t < apply_threads; ++t)
      owner_begin[t] = static_cast<std::size_t>(
          std::lower_bound(bucket_begin.begin(), bucket_begin.end() - 1, pass_records * t / apply_threads) -
          bucket_begin.begin());
    // Each thread's blocks come from an arena of its own: the last ones the
    // portfolio holds (after a compaction, those of the latest states).
    while (im.arenas.size() < apply_threads) im.arenas.emplace_back(&im.spare_slabs);
    const std::size_t arena0 = im.arenas.size() - apply_threads;
    detail::on_threads(apply_threads, [&](unsigned t) {
      ActivityArena& arena = im.arenas[arena0 + t];
      ActivityWriter& writer = writers[t];
      auto identity = [](const Dictionary& d, const MappedVector<std::uint64_t>& memo, bool memoized,
                         std::uint32_t c) -> std::uint64_t {
        if (c == kNoCode) return 0;
        if (memoized) return memo[c];
        const std::string_view v = d.values[c];
        return v.empty() ? 0 : hash64(v);
      };
      auto fetch = [](const Dictionary& d, const MappedVector<std::uint64_t>& memo, bool memoized, std::uint32_t c) {
        if (c == kNoCode) return;
        if (memoized) __builtin_prefetch(&memo[c]);
        else d.values.prefetch_slot(c);
      };
      auto fetch_text = [](const Dictionary& d, bool memoized, std::uint32_t c) {
        if (c != kNoCode && !memoized) d.values.prefetch_text(c);
      };
      std::vector<std::uint32_t>& first = firsts[t];
      constexpr std::size_t kAccountsAhead = 4;
      for (std::size_t k = owner_begin[t]; k < owner_begin[t + 1]; ++k) {
        const std::span<const Record> in(records.data() + bucket_begin[k], bucket_begin[k + 1] - bucket_begin[k]);
        const std::size_t base = bucket_code[k], codes = bucket_code[k + 1] - base;
        std::span<const Record> by_code = in;  // one code's records are in row order already
        if (codes == 1) {
          first.assign({0u, static_cast<std::uint32_t>(in.size())});
        } else {
          sort_by_code(in, base, codes, first, sorted[t]);
          by_code = sorted[t];
        }
        auto state_of = [&](std::size_t c) -> Hot& { return im.hot[code_account[base + c]]; };
        for (std::size_t c = 0; c < codes; ++c) {
          if (const std::size_t ahead = c + kAccountsAhead; ahead < codes && first[ahead] != first[ahead + 1]) {
            const Hot& h = state_of(ahead);
            if (const auto* state = static_cast<const char*>(h.activity.address()))
              for (int line = 0; line < 4; ++line) __builtin_prefetch(state + 64 * line);
            const auto* ids = reinterpret_cast<const char*>(h.ids);
            for (std::size_t id = 0; id < h.planned + h.sponsors && id < 32; id += 8) __builtin_prefetch(ids + 8 * id);
            for (std::uint32_t j = first[ahead]; j < first[ahead + 1]; ++j) {
              fetch(b.actor, res.actor, memo_actor, by_code[j].actor());
              fetch(b.item, res.item, memo_item, by_code[j].item());
            }
          }
          // The values' text, once their views have arrived.
          if (const std::size_t near = c + kAccountsAhead / 2; near < codes)
            for (std::uint32_t j = first[near]; j < first[near + 1]; ++j) {
              fetch_text(b.actor, memo_actor, by_code[j].actor());
              fetch_text(b.item, memo_item, by_code[j].item());
            }
          if (first[c] == first[c + 1]) continue;
          Hot& h = state_of(c);
          const ActivityProfile prof = event_profile(h);
          writer.begin(h.activity);
          for (std::uint32_t j = first[c]; j < first[c + 1]; ++j) {
            const Record& e = by_code[j];
            const EventType type = e.type();
            writer.apply(prof, type, e.ts, identity(b.actor, res.actor, memo_actor, e.actor()),
                         identity(b.item, res.item, memo_item, e.item()),
                         b.value.empty() || !reads_value(type) ? kNaN : b.value[e.row()],
                         b.id.empty() || !reads_id(type) ? 0 : b.id[e.row()], e.node());
          }
          writer.finish(h.activity, arena);
        }
      }
    });
    applied += pass_records;
    im.compact_states(threads, 2);
  }
  // Between passes the garbage may reach half of what is held; the states
  // left for evaluation and the next night are laid out again sooner.
  im.compact_states(options.threads, 4);
  im.spare_slabs.trim(im.arena_bytes(&ActivityArena::held) / 8);  // enough for the next night's growth
  if (n > 0 && !cancelled && options.progress) options.progress(n, n);
  report.cancelled = cancelled;
  report.applied = applied;
  return report;
}

// ---- the facade ------------------------------------------------------------

Portfolio::Portfolio(PortfolioConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Portfolio::~Portfolio() = default;

void Portfolio::check_evaluated_here(const AccountResult& r) const { check_serial(r.portfolio); }
// Each account rendered is checked again where it is rendered (account_result_value).
// A whole result names its organization, which outlives the portfolio that
// evaluated it; a single account's names only that portfolio.
void Portfolio::check_evaluated_here(const ScanResult& r) const {
  if (r.portfolio != impl_->serial && !r.organization.empty() && r.organization != impl_->config.organization)
    forbid_result(r.organization);
  check_serial(r.portfolio);
}
void Portfolio::forbid_result(const std::string& owner) const {
  throw Error(Errc::forbidden, "result",
              "holds organization \"" + owner + "\"'s accounts, not \"" + impl_->config.organization + "\"'s");
}
void Portfolio::check_serial(std::uint64_t serial) const {
  if (serial == impl_->serial) return;
  std::string owner;
  {
    const std::lock_guard lock(g_owners_mutex);
    if (const auto it = g_owners.find(serial); it != g_owners.end()) owner = it->second;
  }
  if (!owner.empty() && owner != impl_->config.organization) forbid_result(owner);
  throw Error(Errc::invalid, "result", "was evaluated on another portfolio, or before an account was erased");
}
Portfolio::Portfolio(Portfolio&&) noexcept = default;
Portfolio& Portfolio::operator=(Portfolio&&) noexcept = default;

const PortfolioConfig& Portfolio::config() const noexcept { return impl_->config; }
const std::string& Portfolio::organization() const noexcept { return impl_->config.organization; }
std::size_t Portfolio::size() const noexcept { return impl_->accounts.size(); }

// Reads of one account by index or key check the organization it was stored
// with against the portfolio's, not only that the index or key resolved
// (adding enforces the same, so the check guards against a corrupted state).
const Account& Portfolio::account(std::size_t i) const {
  if (i >= impl_->accounts.size()) throw Error(Errc::not_found, "", "no account at index " + std::to_string(i));
  const Account& a = impl_->accounts[i];
  if (a.organization != impl_->config.organization)
    throw Error(Errc::forbidden, "", "account " + detail::quoted(a.key) + " belongs to organization " + detail::quoted(a.organization));
  return a;
}
const AccountActivity& Portfolio::activity(std::size_t i) const {
  account(i);
  return impl_->hot[i].activity;
}
ActivityProfile Portfolio::activity_profile(std::size_t i) const {
  account(i);
  return impl_->profile(i);
}
std::optional<std::size_t> Portfolio::find(std::string_view key) const noexcept {
  const auto it = impl_->index.find(key);
  return it == impl_->index.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}
std::optional<std::size_t> Portfolio::find(std::string_view organization, std::string_view key) const {
  if (organization != impl_->config.organization)
    throw Error(Errc::forbidden, "organization",
                "account " + detail::quoted(key) + " of organization " + detail::quoted(organization) +
                    " is not this portfolio's (\"" + impl_->config.organization + "\")");
  const auto i = find(key);
  if (i) account(*i);
  return i;
}

void Portfolio::add_accounts(std::vector<Account> list, unsigned threads) {
  Impl& im = *impl_;
  Impl::Prepared p = im.prepare(std::move(list), threads);
  const std::size_t base = im.accounts.size();
  // Room for the new accounts, growing geometrically: a load adds a million
  // accounts 65,536 at a time, and exact reserves moved every account and
  // rehashed every key once per batch.
  const std::size_t total = base + p.accounts.size(), room = std::max(total, 2 * base);
  auto grow = [&](auto& v) {
    if (v.capacity() < total) v.reserve(room);
  };
  grow(im.accounts);
  grow(im.profiles);
  grow(im.hot);
  if (static_cast<double>(total) > static_cast<double>(im.index.bucket_count()) * im.index.max_load_factor())
    im.index.reserve(room);
  std::vector<schedule_detail::PlanFacts> table = im.facts_table;
  std::vector<std::uint32_t> facts_of;
  {
    std::unordered_multimap<std::uint64_t, std::uint32_t> known;
    auto key = [](const schedule_detail::PlanFacts& f) {
      std::uint64_t h = hash64(f.selection, mix64(f.template_index * 2 + (f.criteria_read_attributes ? 1 : 0)));
      for (const std::uint8_t x : f.active) h = (h ^ x) * 0x100000001b3ull;
      return h;
    };
    for (std::size_t k = 0; k < table.size(); ++k) known.emplace(key(table[k]), static_cast<std::uint32_t>(k));
    for (schedule_detail::PlanFacts& f : p.facts) {
      const std::uint64_t h = key(f);
      std::uint32_t found = static_cast<std::uint32_t>(-1);
      for (auto [it, end] = known.equal_range(h); it != end && found == static_cast<std::uint32_t>(-1); ++it)
        if (table[it->second] == f) found = it->second;
      if (found == static_cast<std::uint32_t>(-1)) {
        found = static_cast<std::uint32_t>(table.size());
        table.push_back(std::move(f));
        known.emplace(h, found);
      }
      facts_of.push_back(found);
    }
  }
  grow(im.facts_of);
  std::size_t id_count = 0, slot_count = 0;
  for (const Profile& prof : p.profiles) {
    id_count += prof.ids.size();
    slot_count += prof.planned_slot.size();
  }
  auto ids = std::make_unique_for_overwrite<std::uint64_t[]>(std::max<std::size_t>(id_count, 1));
  auto slots = std::make_unique_for_overwrite<std::uint32_t[]>(std::max<std::size_t>(slot_count, 1));
  im.id_blocks.reserve(im.id_blocks.size() + 1);
  im.slot_blocks.reserve(im.slot_blocks.size() + 1);
  // The index allocates a node per key, which no reserve covers: the keys go
  // in first, and out again if one cannot.
  std::size_t indexed = 0;
  try {
    for (; indexed < p.accounts.size(); ++indexed)
      im.index.emplace(p.accounts[indexed].key, static_cast<std::uint32_t>(base + indexed));
  } catch (...) {
    for (std::size_t i = 0; i < indexed; ++i) im.index.erase(p.accounts[i].key);
    throw;
  }
  // Nothing below throws: what it allocates, the reserves above did.
  im.facts_table.swap(table);
  im.facts_of.insert(im.facts_of.end(), facts_of.begin(), facts_of.end());
  std::uint64_t* at = ids.get();
  std::uint32_t* slot_at = slots.get();
  for (std::size_t i = 0; i < p.accounts.size(); ++i) {
    im.accounts.push_back(std::move(p.accounts[i]));
    Profile& prof = p.profiles[i];
    std::copy(prof.ids.begin(), prof.ids.end(), at);
    im.hot.push_back({AccountActivity{}, at, im.accounts.back().signature, prof.planned,
                      static_cast<std::uint32_t>(prof.ids.size()) - prof.planned, prof.template_index});
    at += prof.ids.size();
    prof.ids = {};
    std::copy(prof.planned_slot.begin(), prof.planned_slot.end(), slot_at);
    prof.slots = {slot_at, prof.planned_slot.size()};
    slot_at += prof.planned_slot.size();
    prof.planned_slot = {};
    im.profiles.push_back(std::move(prof));
  }
  im.id_blocks.push_back(std::move(ids));
  im.slot_blocks.push_back(std::move(slots));
}

void Portfolio::restore_states(std::size_t first, std::span<const std::string> states) {
  Impl& im = *impl_;
  ActivityArena arena(&im.spare_slabs);
  std::vector<AccountActivity> restored(states.size());
  for (std::size_t k = 0; k < states.size(); ++k) {
    const std::size_t i = first + k;
    const Hot& h = im.hot[i];
    const ActivityShape shape{h.planned, im.templates[h.template_index].node_ids.size()};
    try {
      restored[k] = restore_activity(std::as_bytes(std::span(states[k])), shape, &arena);
    } catch (const Error& e) {
      throw Error(e.code(), index_path("accounts", i) + ".state", e.detail());
    }
  }
  im.arenas.reserve(im.arenas.size() + 1);
  for (std::size_t k = 0; k < states.size(); ++k) im.hot[first + k].activity = std::move(restored[k]);
  im.arenas.push_back(std::move(arena));
}

namespace {

// Overwrites a string's buffer before it is freed, so an erased account's
// text does not linger in freed memory.
void scrub(std::string& s) noexcept {
  volatile char* p = s.data();
  for (std::size_t k = 0; k < s.capacity(); ++k) p[k] = 0;
  s.clear();
}
std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void scrub(std::vector<std::string>& list) noexcept {
  for (std::string& s : list) scrub(s);
}
void scrub(Account& a) noexcept {
  for (std::string* s : {&a.key, &a.name, &a.tier, &a.exit_reason, &a.plan.account, &a.plan.template_id}) scrub(*s);
  scrub(a.planned_users);
  for (Contact& c : a.contacts) {
    scrub(c.key);
    scrub(c.name);
  }
  for (auto& [name, value] : a.plan.attributes)
    if (std::string* text = std::get_if<std::string>(&value)) scrub(*text);
  if (HandoffRecord* h = a.plan.handoff ? &*a.plan.handoff : nullptr) {
    scrub(h->business_case);
    scrub(h->success_metrics);
    for (CommitteeMember& m : h->buying_committee) {
      scrub(m.name);
      if (m.email) scrub(*m.email);
      if (m.title) scrub(*m.title);
    }
    if (h->agreed_timeline) scrub(h->agreed_timeline->note);
    if (h->commitments) scrub(*h->commitments);
    if (h->risks) scrub(*h->risks);
  }
}

}  // namespace

ErasureReceipt Portfolio::erase_account(std::string_view organization, std::string_view key) {
  const auto found = find(organization, key);
  if (!found) throw Error(Errc::not_found, "key", "no account with this key in organization " + detail::quoted(organization));
  Impl& im = *impl_;
  const std::size_t i = *found;
  Account& a = im.accounts[i];
  ErasureReceipt r;
  r.organization = im.config.organization;
  r.key_sha256 = snapshot_detail::sha256_hex(a.key);
  r.erased_at = utc_now();
  r.planned_users = a.planned_users.size();
  r.contacts = a.contacts.size();
  r.attributes = a.plan.attributes.size();
  r.progress = a.plan.progress.size();
  r.goals = a.plan.goals.goals().size();
  r.handoff = a.plan.handoff.has_value();
  r.state_bytes = im.hot[i].activity.bytes();
  r.accounts_left = im.accounts.size() - 1;

  // Nothing below allocates or throws: the erase happens whole.
  Hot& h = im.hot[i];
  std::fill(const_cast<std::uint64_t*>(h.ids), const_cast<std::uint64_t*>(h.ids) + h.planned + h.sponsors, 0);
  Profile& prof = im.profiles[i];
  std::fill(const_cast<std::uint32_t*>(prof.slots.data()), const_cast<std::uint32_t*>(prof.slots.data()) + prof.slots.size(), 0);
  h.activity.scrub();
  {
    auto node = im.index.extract(im.index.find(a.key));  // the index's copy of the key goes too
    scrub(node.key());
  }
  for (auto& [k, at] : im.index)
    if (at > i) --at;
  scrub(a);
  im.accounts.erase(im.accounts.begin() + static_cast<std::ptrdiff_t>(i));
  im.profiles.erase(im.profiles.begin() + static_cast<std::ptrdiff_t>(i));
  im.hot.erase(im.hot.begin() + static_cast<std::ptrdiff_t>(i));
  // The plan facts the account alone used go too (they hold its template selection).
  const std::uint32_t facts = im.facts_of[i];
  im.facts_of.erase(im.facts_of.begin() + static_cast<std::ptrdiff_t>(i));
  if (std::find(im.facts_of.begin(), im.facts_of.end(), facts) == im.facts_of.end()) {
    scrub(im.facts_table[facts].selection);
    im.facts_table.erase(im.facts_table.begin() + facts);
    for (std::uint32_t& f : im.facts_of)
      if (f > facts) --f;
  }
  im.owner.renew(im.serial = g_next_portfolio++);
  return r;
}

namespace {

// An account's place on the worklist: stalled before at risk, then by
// priority, ties by key (so the order does not depend on the portfolio's).
struct Ranked {
  std::uint32_t account = 0;
  AccountState state = AccountState::ok;
  double priority = 0;
};

// Counts each result's state and notes the rank key of those the worklist takes
// (flagged, and not exited by the night).
template <class Exited>
void tally(std::span<const AccountResult> results, Exited exited, ScanResult& out, std::vector<Ranked>& flagged) {
  for (const AccountResult& r : results) {
    const AccountState s = r.assessment.state;
    ++out.by_state[static_cast<std::size_t>(s)];
    if (s != AccountState::ok && !exited(r.account)) flagged.push_back({r.account, s, r.priority});
  }
}

void rank_worklist(std::vector<Ranked>& list, const std::vector<Account>& accounts) {
  std::sort(list.begin(), list.end(), [&](const Ranked& x, const Ranked& y) {
    if (x.state != y.state) return x.state > y.state;
    if (x.priority != y.priority) return x.priority > y.priority;
    return accounts[x.account].key < accounts[y.account].key;
  });
}

}  // namespace

ScanResult Portfolio::evaluate(Day as_of, unsigned threads) const {
  check_as_of(as_of);
  const Impl& im = *impl_;
  ScanResult out;
  out.as_of = as_of;
  out.portfolio = im.serial;
  out.organization = im.config.organization;
  out.accounts.resize(im.accounts.size());
  // Chunks taken in turn: on a machine shared with other work, a static split
  // waits for the slowest thread.
  detail::parallel_chunks(
      im.accounts.size(), threads, 256, [&] { return std::make_unique<Impl::Scratch>(im.scheduler); },
      [&](std::unique_ptr<Impl::Scratch>& scratch, std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) im.evaluate_one(i, as_of, *scratch, out.accounts[i]);
      });
  std::vector<Ranked> flagged;
  tally(out.accounts, [&](std::size_t i) { return im.exited(i, as_of); }, out, flagged);
  rank_worklist(flagged, im.accounts);
  for (const Ranked& f : flagged) out.worklist.push_back(f.account);
  out.worklist_total = out.worklist.size();
  return out;
}

ScanResult Portfolio::scan(Day as_of, const ResultSink& sink, const ScanOptions& options) const {
  check_as_of(as_of);
  if (!sink) throw_invalid("sink", "is required");
  if (options.block == 0) throw_invalid("options.block", "must be at least 1");
  const Impl& im = *impl_;
  const std::size_t n = im.accounts.size();
  auto scratch = [&] { return std::make_unique<Impl::Scratch>(im.scheduler); };
  ScanResult out;
  out.as_of = as_of;
  out.portfolio = im.serial;
  out.organization = im.config.organization;
  std::vector<Ranked> flagged;
  std::vector<AccountResult> block(std::min(options.block, n));
  for (std::size_t first = 0; first < n; first += block.size()) {
    const std::size_t size = std::min(block.size(), n - first);
    detail::parallel_chunks(size, options.threads, 256, scratch,
                            [&](std::unique_ptr<Impl::Scratch>& x, std::size_t lo, std::size_t hi) {
                              for (std::size_t j = lo; j < hi; ++j) {
                                block[j] = AccountResult{};  // evaluate_one fills a default one
                                im.evaluate_one(first + j, as_of, *x, block[j]);
                              }
                            });
    const std::span<AccountResult> results(block.data(), size);
    tally(results, [&](std::size_t i) { return im.exited(i, as_of); }, out, flagged);
    sink(results);
  }
  block = {};
  rank_worklist(flagged, im.accounts);
  out.worklist_total = flagged.size();
  flagged.resize(std::min(flagged.size(), options.keep));
  out.accounts.resize(flagged.size());
  detail::parallel_chunks(flagged.size(), options.threads, 64, scratch,
                          [&](std::unique_ptr<Impl::Scratch>& x, std::size_t lo, std::size_t hi) {
                            for (std::size_t k = lo; k < hi; ++k) im.evaluate_one(flagged[k].account, as_of, *x, out.accounts[k]);
                          });
  out.worklist.resize(flagged.size());
  std::iota(out.worklist.begin(), out.worklist.end(), 0u);
  return out;
}

AccountResult Portfolio::evaluate_account(std::size_t index, Day as_of) const {
  check_as_of(as_of);
  account(index);
  Impl::Scratch scratch(impl_->scheduler);
  AccountResult r;
  impl_->evaluate_one(index, as_of, scratch, r);
  return r;
}

PlanReport Portfolio::plan_report(std::size_t index, Day as_of) const {
  check_as_of(as_of);
  account(index);
  Impl::Scratch scratch(impl_->scheduler);
  const ActivityMetrics m = compute_metrics(impl_->hot[index].activity, impl_->profile(index), as_of);
  const schedule_detail::Overlay overlay = impl_->working_plan(index, as_of, m, scratch, false);
  PlanReport r;
  scratch.evaluator.evaluate(impl_->accounts[index].plan, &overlay, as_of, r);
  return r;
}

std::vector<AccountTtv> Portfolio::time_to_value(Day as_of, DayCount unit, unsigned threads) const {
  check_as_of(as_of);
  const Impl& im = *impl_;
  std::vector<AccountTtv> out(im.accounts.size());
  detail::parallel_chunks(
      im.accounts.size(), threads, 256, [&] { return std::make_unique<Impl::Scratch>(im.scheduler); },
      [&](std::unique_ptr<Impl::Scratch>& x, std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) {
          im.plan_as_of(i, as_of, *x, x->now);
          out[i] = firstvalue::time_to_value(x->now.plan, im.accounts[i].exit, im.config.calendar, unit);
        }
      });
  return out;
}

namespace {
void check_cohort_options(const CohortOptions& o) {
  if (o.kickoff_sla < 0) throw_invalid("options.kickoff_sla", "must be >= 0");
  if (o.by == CohortBy::segment && o.segment_attribute.empty())
    throw_invalid("options.segment_attribute", "must name an attribute");
}
}  // namespace

AccountOutcome Portfolio::outcome(std::size_t index, Day as_of, const CohortOptions& options) const {
  check_as_of(as_of);
  check_cohort_options(options);
  account(index);
  Impl::Scratch scratch(impl_->scheduler);
  return impl_->outcome(index, as_of, options, scratch);
}

CohortSummaries Portfolio::cohort_summaries(Day as_of, const CohortOptions& options, unsigned threads) const {
  check_as_of(as_of);
  check_cohort_options(options);
  const Impl& im = *impl_;
  struct Part {
    explicit Part(const Scheduler& s) : scratch(s) {}
    Impl::Scratch scratch;
    CohortSummaries summaries;
  };
  std::mutex mutex;
  std::vector<std::unique_ptr<Part>> parts;
  detail::parallel_chunks(
      im.accounts.size(), threads, 256,
      [&] {
        const std::lock_guard lock(mutex);
        parts.push_back(std::make_unique<Part>(im.scheduler));
        parts.back()->summaries.as_of = as_of;
        parts.back()->summaries.options = options;
        return parts.back().get();
      },
      [&](Part* part, std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) part->summaries.add(im.outcome(i, as_of, options, part->scratch));
      });
  CohortSummaries out;
  out.as_of = as_of;
  out.options = options;
  for (const auto& p : parts) out.merge(p->summaries);
  return out;
}

}  // namespace firstvalue

