#include "firstvalue/schedule.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "firstvalue/error.hpp"
#include "parallel.hpp"
#include "plan_graph.hpp"
#include "schedule_detail.hpp"
#include "text.hpp"

namespace firstvalue {
namespace schedule_detail {

using plan_detail::kNone;

// A template turned into arrays the per-account passes can walk quickly.
struct CompiledNode {
  const Phase* phase = nullptr;
  const Milestone* milestone = nullptr;
  const Task* task = nullptr;  // null for a milestone
  std::size_t owner = kNone;   // a task's milestone node
  std::string path;
  std::vector<std::size_t> preds;
  bool has_tasks = false;    // milestone with at least one task
  bool handoff = false;      // milestone of kind "handoff"
  bool first_value = false;  // milestone of kind "first_value"
  const Expr* condition = nullptr;
  const Expr* criterion = nullptr;             // done_when
  std::vector<std::uint32_t> criterion_slots;  // the scope slot of each variable of the criterion
  NodeReport report;  // the fields that come from the template, filled in once
};

struct CompiledTemplate {
  const Template* source = nullptr;
  std::vector<CompiledNode> nodes;  // template order: each milestone, then its tasks
  std::vector<std::size_t> order;   // topological
  std::unordered_map<std::string, std::size_t> by_id;
  // Every name a completion or exit criterion reads: the values criteria see
  // are kept by slot rather than by name.
  std::vector<std::string> slots;
  std::vector<std::uint32_t> exit_slots;

  std::uint32_t slot(const std::string& name) {
    for (std::size_t s = 0; s < slots.size(); ++s)
      if (slots[s] == name) return static_cast<std::uint32_t>(s);
    slots.push_back(name);
    return static_cast<std::uint32_t>(slots.size() - 1);
  }
  // kNoSlot when no criterion reads the name.
  static constexpr std::uint32_t kNoSlot = static_cast<std::uint32_t>(-1);
  std::uint32_t find_slot(std::string_view name) const noexcept {
    for (std::size_t s = 0; s < slots.size(); ++s)
      if (slots[s] == name) return static_cast<std::uint32_t>(s);
    return kNoSlot;
  }
};

CompiledTemplate compile(const Template& t) {
  const plan_detail::Graph g = plan_detail::build_graph(t);
  CompiledTemplate c;
  c.source = &t;
  c.order = g.order;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const plan_detail::Node& gn = g.nodes[n];
    CompiledNode cn;
    cn.phase = &t.phases[gn.phase];
    cn.milestone = &cn.phase->milestones[gn.milestone_index];
    if (!gn.milestone) cn.task = &cn.milestone->tasks[gn.task_index];
    cn.owner = gn.owner;
    cn.path = gn.path;
    cn.preds = gn.preds;
    cn.has_tasks = gn.milestone && !cn.milestone->tasks.empty();
    cn.handoff = !cn.task && cn.milestone->kind == "handoff";
    cn.first_value = !cn.task && cn.milestone->kind == "first_value";
    const std::optional<Expr>& cond = cn.task ? cn.task->condition : cn.milestone->condition;
    const std::optional<Expr>& crit = cn.task ? cn.task->done_when : cn.milestone->done_when;
    if (cond) cn.condition = &*cond;
    if (crit) {
      cn.criterion = &*crit;
      for (const std::string& v : crit->variables()) cn.criterion_slots.push_back(c.slot(v));
    }
    NodeReport& x = cn.report;
    x.id = cn.task ? cn.task->id : cn.milestone->id;
    x.name = cn.task ? cn.task->name : cn.milestone->name;
    x.phase = cn.phase->id;
    x.milestone = cn.milestone->id;
    x.kind = cn.task ? std::string_view("task") : std::string_view(cn.milestone->kind);
    x.is_milestone = !cn.task;
    if (cn.task) {
      x.owner = cn.task->owner;
      x.role = cn.task->role;
    }
    c.by_id.emplace(gn.id, n);
    c.nodes.push_back(std::move(cn));
  }
  if (t.exit)
    for (const std::string& v : t.exit->variables()) c.exit_slots.push_back(c.slot(v));
  return c;
}

Day max_day(Day a, Day b) { return a > b ? a : b; }

// The milestones that end the onboarding: the `handoff` ones when the
// template has any (full value, often a quarter later, is tracked but does
// not hold the onboarding open), otherwise every milestone.
void finish_milestones(const CompiledTemplate& ct, const std::vector<std::uint8_t>& active,
                       std::vector<std::uint8_t>& finish) {
  finish.assign(ct.nodes.size(), 0);
  bool any_handoff = false;
  for (std::size_t n = 0; n < ct.nodes.size(); ++n)
    any_handoff = any_handoff || (!ct.nodes[n].task && active[n] && ct.nodes[n].handoff);
  for (std::size_t n = 0; n < ct.nodes.size(); ++n)
    finish[n] = !ct.nodes[n].task && active[n] && (!any_handoff || ct.nodes[n].handoff);
}

// Appends "<n> <unit>" or "<n> <unit>s".
void append_count(std::string& out, int n, std::string_view unit) {
  char b[16];
  const auto res = std::to_chars(b, b + sizeof b, n);
  out.append(b, res.ptr);
  out += ' ';
  out += unit;
  if (n != 1) out += 's';
}

// A reading on or before as_of: one of the plan's, or one of the overlay's.
struct SnapshotRef {
  Day day = 0;
  const MetricSnapshot* plan = nullptr;
  const ExtraSnapshot* extra = nullptr;
};

// Per-account working state, one slot per node. Reused from account to
// account, so evaluation allocates only while the vectors grow.
struct Work {
  // What depends on the plan alone, not on the day: the template, the nodes
  // switched on, the planned schedule and its critical path.
  std::size_t template_index = 0;
  std::string selection;
  bool criteria_read_attributes = true;
  std::vector<std::uint8_t> active, finish, critical;
  std::vector<Day> planned_start, planned_due;
  std::vector<Day> planned_pf;  // the latest predecessor finish the planned pass saw
  std::vector<std::size_t> bind;
  // The rest is per evaluation.
  std::vector<std::uint8_t> skipped, redated;
  std::vector<const Progress*> progress;
  std::vector<Day> due, forecast, done;
  std::vector<Completion> completion;
  std::vector<int> slip_count, slip_days;
  std::vector<SnapshotRef> snapshots;  // on or before as_of, in day order
  std::vector<Day> days;
  std::vector<std::size_t> waiting;
  std::vector<int> missing;  // per node: the criterion's first variable not measured yet, -1 none
  std::vector<Value> args;   // the values of one expression's variables

  // Planned schedules already computed, by template, start and active nodes:
  // accounts signed the same day with the same options share one.
  struct Planned {
    std::size_t template_index = 0;
    Day start = 0;
    std::vector<std::uint8_t> active, finish, critical;
    std::vector<Day> planned_start, planned_due, planned_pf;
    std::vector<std::size_t> bind;
  };
  std::unordered_map<std::uint64_t, std::vector<std::unique_ptr<Planned>>> planned_cache;
  std::size_t planned_cached = 0;
  static constexpr std::size_t kMaxPlanned = 4096;
  // The same, found by the caller's plan facts (which fix the template and
  // the active nodes) and the start, without hashing the active nodes.
  struct FactsKey {
    const PlanFacts* facts;
    Day start;
    bool operator==(const FactsKey&) const = default;
  };
  struct FactsKeyHash {
    std::size_t operator()(const FactsKey& k) const noexcept {
      return std::hash<const void*>{}(k.facts) ^ (static_cast<std::size_t>(static_cast<std::uint32_t>(k.start)) * 0x9E3779B97F4A7C15ull);
    }
  };
  std::unordered_map<FactsKey, const Planned*, FactsKeyHash> planned_by_facts;

  std::uint64_t planned_key(Day start) const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull ^ (template_index * 0x9E3779B97F4A7C15ull) ^
                      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(start)) << 20);
    for (const std::uint8_t x : active) h = (h ^ x) * 0x100000001b3ull;
    return h;
  }
  const Planned* find_planned(std::uint64_t key, Day start) const {
    const auto it = planned_cache.find(key);
    if (it == planned_cache.end()) return nullptr;
    for (const auto& p : it->second)
      if (p->template_index == template_index && p->start == start && p->active == active) return p.get();
    return nullptr;
  }
  const Planned* keep_planned(std::uint64_t key, Day start) {
    if (planned_cached >= kMaxPlanned) {
      planned_by_facts.clear();
      planned_cache.clear();
      planned_cached = 0;
    }
    planned_cache[key].push_back(std::make_unique<Planned>(
        Planned{template_index, start, active, finish, critical, planned_start, planned_due, planned_pf, bind}));
    ++planned_cached;
    return planned_cache[key].back().get();
  }
  void use_planned(const Planned& p) {
    planned_start = p.planned_start;
    planned_pf = p.planned_pf;
    planned_due = p.planned_due;
    bind = p.bind;
    finish = p.finish;
    critical = p.critical;
  }

  void reset(std::size_t n) {
    skipped.assign(n, 0);
    progress.assign(n, nullptr);
    due.assign(n, kNoDay);
    forecast.assign(n, kNoDay);
    done.assign(n, kNoDay);
    completion.assign(n, Completion::open);
    slip_count.assign(n, 0);
    slip_days.assign(n, 0);
    redated.assign(n, 0);
    snapshots.clear();
  }
};

// Values that criteria see on a day: attributes, overlaid by the metric
// readings so far, plus `goal.<metric or id>` from the success plan. Kept by
// slot: only the names some criterion of the template reads.
class CriteriaScope {
 public:
  // `read_attributes` false: the caller knows no slot is an attribute.
  CriteriaScope(const AccountPlan& a, const CompiledTemplate& ct, bool read_attributes = true)
      : account_(a), ct_(ct) {
    value_.resize(ct.slots.size());
    present_.assign(ct.slots.size(), 0);
    for (std::size_t s = 0; read_attributes && s < ct.slots.size(); ++s)
      if (const auto it = a.attributes.find(ct.slots[s]); it != a.attributes.end()) {
        value_[s] = it->second;
        present_[s] = 1;
      }
  }

  void apply(const SnapshotRef& s) {
    if (s.plan) {
      for (const auto& [k, v] : s.plan->values) set(ct_.find_slot(k), v);
    } else {
      for (const MetricValue& m : s.extra->values) set(ct_.find_slot(m.name), Value(m.value));
    }
  }
  void set_day(Day d) { day_ = d; }

  Value operator()(std::uint32_t slot) const {
    if (present_[slot]) return value_[slot];
    const std::string_view name = ct_.slots[slot];
    if (name.starts_with("goal.")) return goal_value(name.substr(5));
    return {};
  }
  bool measured(std::uint32_t slot) const {
    if (present_[slot]) return !std::holds_alternative<std::monostate>(value_[slot]);
    const std::string_view name = ct_.slots[slot];
    return name.starts_with("goal.") && !std::holds_alternative<std::monostate>(goal_value(name.substr(5)));
  }

 private:
  void set(std::uint32_t slot, const Value& v) {
    if (slot == CompiledTemplate::kNoSlot) return;
    value_[slot] = v;
    present_[slot] = 1;
  }
  // The latest reading on or before the day; the baseline before any reading.
  Value goal_value(std::string_view key) const {
    for (const Goal& g : account_.goals.goals()) {
      if (g.metric != key && g.id != key) continue;
      double v = g.baseline;
      for (const Observation& o : g.observations)
        if (o.day <= day_) v = o.value;
      return v;
    }
    return {};
  }

  const AccountPlan& account_;
  const CompiledTemplate& ct_;
  std::vector<Value> value_;
  std::vector<std::uint8_t> present_;
  Day day_ = 0;
};

// The index of the first variable of a criterion that nothing has measured
// yet, or -1. Criteria read metrics that arrive over time, so "not measured
// yet" means "does not hold yet", reported as a warning rather than an error;
// a typo in a metric name shows up in every report's warnings.
int unmeasured(const std::vector<std::uint32_t>& slots, const CriteriaScope& scope) {
  for (std::size_t i = 0; i < slots.size(); ++i)
    if (!scope.measured(slots[i])) return static_cast<int>(i);
  return -1;
}

bool test_at(const Expr& e, const std::vector<std::uint32_t>& slots, const CriteriaScope& scope,
             std::vector<Value>& args, const std::string& path, std::string_view suffix) {
  args.resize(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) args[i] = scope(slots[i]);
  try {
    return e.test(std::span<const Value>(args));
  } catch (const Error& err) {
    throw err.under(path + std::string(suffix));
  }
}

}  // namespace schedule_detail

using schedule_detail::CompiledNode;
using schedule_detail::CompiledTemplate;
using schedule_detail::CriteriaScope;
using schedule_detail::Work;
using schedule_detail::max_day;
using schedule_detail::append_count;
using plan_detail::kNone;

std::string_view to_string(Status v) noexcept {
  switch (v) {
    case Status::done: return "done";
    case Status::on_time: return "on_time";
    case Status::due_soon: return "due_soon";
    case Status::overdue: return "overdue";
    case Status::slipped: return "slipped";
    case Status::skipped: return "skipped";
    case Status::not_applicable: return "not_applicable";
  }
  return "on_time";
}

std::string_view to_string(PlanStatus v) noexcept {
  switch (v) {
    case PlanStatus::on_track: return "on_track";
    case PlanStatus::behind: return "behind";
    case PlanStatus::stuck: return "stuck";
  }
  return "on_track";
}

std::string_view to_string(Completion v) noexcept {
  switch (v) {
    case Completion::open: return "open";
    case Completion::declared: return "declared";
    case Completion::tasks: return "tasks";
    case Completion::detected: return "detected";
  }
  return "open";
}

struct Scheduler::Impl {
  // Shared with every report, whose node fields view the templates' strings.
  std::shared_ptr<const TemplateSet> shared_templates;
  const TemplateSet& templates;
  Calendar calendar;
  PlanPolicy policy;
  std::vector<CompiledTemplate> compiled;

  Impl(TemplateSet t, Calendar c, PlanPolicy p)
      : shared_templates(std::make_shared<const TemplateSet>(std::move(t))),
        templates(*shared_templates),
        calendar(std::move(c)),
        policy(p) {
    if (policy.due_soon_days < 0) throw_invalid("policy.due_soon_days", "must be >= 0");
    if (policy.stuck_days < 1) throw_invalid("policy.stuck_days", "must be >= 1");
    if (!(policy.goals.at_risk_ratio >= 0 && policy.goals.at_risk_ratio <= 1))
      throw_invalid("policy.goals.at_risk_ratio", "must be within [0, 1]");
    if (policy.goals.grace_days < 0) throw_invalid("policy.goals.grace_days", "must be >= 0");
    for (const Template& tpl : templates.templates()) compiled.push_back(schedule_detail::compile(tpl));
  }

  // Business-day or calendar arithmetic, as the node asks.
  Day advance(Day d, int n, DayCount days) const {
    if (days == DayCount::calendar) return calendar_add(d, n);
    return n > 0 ? calendar.add_business_days(d, n) : calendar.roll_forward(d);
  }
  Day finish_after(Day start, int duration, DayCount days) const {
    return days == DayCount::calendar ? calendar_add(start, duration) : calendar.add_business_days(start, duration);
  }
  static Day calendar_add(Day d, int n) {
    const std::int64_t x = static_cast<std::int64_t>(d) + n;
    if (x < kFirstDay || x > kLastDay) throw_invalid("", "outside 0001-01-01 .. 9999-12-31");
    return static_cast<Day>(x);
  }

  // `overlay` null: the plan alone. `same_plan`: w holds what depends on the
  // plan alone from the previous call.
  void evaluate(const AccountPlan& a, const schedule_detail::Overlay* overlay, Day as_of, bool same_plan, Work& w,
                PlanReport& r) const;
  schedule_detail::PlanFacts facts(const AccountPlan& a) const;

 private:
  std::size_t choose(const AccountPlan& a, std::string& reason) const;
  void check_progress(const AccountPlan& a, const CompiledTemplate& ct, Work& w) const;
  void activate(const AccountPlan& a, const CompiledTemplate& ct, Work& w) const;
  void plan(const AccountPlan& a, const CompiledTemplate& ct, Work& w) const;
  // One scheduling pass; `actuals` switches from the plan to the forecast.
  void schedule(const CompiledTemplate& ct, Day start, Day as_of, bool actuals, Work& w) const;
  void schedule_node(const CompiledTemplate& ct, std::size_t n, Day start, Day as_of, bool actuals, Work& w,
                     std::vector<Day>& finish, Day& earliest_business) const;
  void complete(const AccountPlan& a, const CompiledTemplate& ct, Day as_of,
                const std::vector<GoalReport>& goals, Work& w, std::vector<std::string>& warnings) const;
  void commit_dates(const CompiledTemplate& ct, Day as_of, Work& w) const;
  Status status_of(std::size_t n, Day as_of, const Work& w) const;
  void summarise(const AccountPlan& a, const CompiledTemplate& ct, Day as_of, Work& w, PlanReport& r) const;
};

std::size_t Scheduler::Impl::choose(const AccountPlan& a, std::string& reason) const {
  if (!a.template_id.empty()) {
    for (std::size_t i = 0; i < templates.templates().size(); ++i)
      if (templates.templates()[i].id == a.template_id) {
        reason = "explicit";
        return i;
      }
    throw_invalid("template", "unknown template " + detail::quoted(a.template_id));
  }
  const TemplateSet::Selection s = templates.select(a.attributes);
  reason = s.reason;
  return s.index;
}

void Scheduler::Impl::check_progress(const AccountPlan& a, const CompiledTemplate& ct, Work& w) const {
  for (const auto& [id, p] : a.progress) {
    const auto it = ct.by_id.find(id);
    if (it == ct.by_id.end())
      throw_invalid(join_path("progress", id),
                    "unknown task or milestone " + detail::quoted(id) + " in template " + detail::quoted(ct.source->id));
    w.progress[it->second] = &p;
    w.skipped[it->second] = p.skipped ? 1 : 0;
  }
}

void Scheduler::Impl::activate(const AccountPlan& a, const CompiledTemplate& ct, Work& w) const {
  w.active.assign(ct.nodes.size(), 1);
  for (std::size_t n = 0; n < ct.nodes.size(); ++n) {  // a milestone precedes its tasks
    const CompiledNode& cn = ct.nodes[n];
    bool on = !cn.task || w.active[cn.owner];
    if (on && cn.condition) {
      const std::vector<std::string>& vars = cn.condition->variables();
      w.args.resize(vars.size());
      for (std::size_t i = 0; i < vars.size(); ++i) {
        const auto it = a.attributes.find(vars[i]);
        w.args[i] = it == a.attributes.end() ? Value{} : it->second;
      }
      try {
        on = cn.condition->test(std::span<const Value>(w.args));
      } catch (const Error& e) {
        throw e.under(cn.path + ".condition");
      }
    }
    w.active[n] = on ? 1 : 0;
  }
  for (std::size_t n = 0; n < ct.nodes.size(); ++n) {
    const CompiledNode& cn = ct.nodes[n];
    if (!cn.has_tasks || !w.active[n]) continue;
    bool any = false;
    for (std::size_t p : cn.preds) any = any || (ct.nodes[p].owner == n && w.active[p]);
    if (!any) w.active[n] = 0;  // every task switched off: nothing to reach
  }
}

void Scheduler::Impl::schedule(const CompiledTemplate& ct, Day start, Day as_of, bool actuals, Work& w) const {
  std::vector<Day>& finish = actuals ? w.forecast : w.planned_due;
  Day earliest_business = kNoDay;  // roll_forward(as_of), once needed
  for (const std::size_t n : ct.order) {
    try {
      schedule_node(ct, n, start, as_of, actuals, w, finish, earliest_business);
    } catch (const Error&) {
      throw Error(Errc::invalid, ct.nodes[n].path,
                  "its dates fall outside 0001-01-01 .. 9999-12-31 (offsets and durations add up too far)");
    }
  }
}

void Scheduler::Impl::schedule_node(const CompiledTemplate& ct, std::size_t n, Day start, Day as_of, bool actuals,
                                    Work& w, std::vector<Day>& finish, Day& earliest_business) const {
  {
    const CompiledNode& cn = ct.nodes[n];
    Day pf = kNoDay;
    std::size_t binder = kNone;
    for (const std::size_t p : cn.preds)
      if (finish[p] > pf) {
        pf = finish[p];
        binder = p;
      }
    if (!actuals) w.bind[n] = kNone;
    // Switched off or skipped: no time of its own, successors wait only for what it waited for.
    if (!w.active[n] || (actuals && w.skipped[n])) {
      finish[n] = pf == kNoDay ? start : pf;
      if (!actuals) {
        w.planned_start[n] = finish[n];
        w.bind[n] = binder;
      }
      return;
    }
    if (actuals && w.done[n] != kNoDay) {
      finish[n] = w.done[n];
      return;
    }
    if (!actuals) w.planned_pf[n] = pf;
    Day s = kNoDay, f;
    bool bound = false;
    if (actuals && pf == w.planned_pf[n]) {
      // Its predecessors finish when planned: so would it, before today and
      // the re-dates are taken into account (the same arithmetic as the
      // planned pass, on the same inputs).
      f = w.planned_due[n];
    } else if (!cn.task) {
      const Day gate = advance(start, cn.milestone->offset, cn.milestone->days);
      bound = pf != kNoDay && pf >= gate;
      s = f = bound ? pf : gate;
    } else {
      const Task& t = *cn.task;
      const Day base = (t.from == Anchor::plan_start || pf == kNoDay) ? start : pf;
      s = advance(base, t.offset, t.days);
      bound = pf != kNoDay && (base == pf || pf > s);
      if (pf != kNoDay && pf > s) s = t.days == DayCount::business ? calendar.roll_forward(pf) : pf;
      f = finish_after(s, t.duration, t.days);
    }
    if (!actuals) {
      w.planned_start[n] = s;
      w.bind[n] = bound ? binder : kNone;
      finish[n] = f;
      return;
    }
    // Open as of today: it cannot finish before today, nor before the date it was moved to.
    const DayCount days = cn.task ? cn.task->days : cn.milestone->days;
    Day earliest = as_of;
    if (days == DayCount::business) {
      if (earliest_business == kNoDay) earliest_business = calendar.roll_forward(as_of);
      earliest = earliest_business;
    }
    f = max_day(f, earliest);
    if (w.redated[n]) f = max_day(f, w.due[n]);
    finish[n] = f;
  }
}

void Scheduler::Impl::commit_dates(const CompiledTemplate& ct, Day as_of, Work& w) const {
  for (std::size_t n = 0; n < ct.nodes.size(); ++n) {
    Day due = w.planned_due[n];
    if (const Progress* p = w.progress[n]) {
      for (const Redate& r : p->redates) {
        if (r.on > as_of) break;  // not made yet, as of this day (re-dates are in the order made)
        w.redated[n] = 1;
        if (r.to > due) {
          ++w.slip_count[n];
          w.slip_days[n] += r.to - due;
        }
        due = r.to;
      }
    }
    w.due[n] = due;
  }
}

void Scheduler::Impl::complete(const AccountPlan& a, const CompiledTemplate& ct, Day as_of,
                               const std::vector<GoalReport>& goals, Work& w,
                               std::vector<std::string>& warnings) const {
  // Declared completions first; only what happened by as_of counts.
  for (std::size_t n = 0; n < ct.nodes.size(); ++n) {
    const Progress* p = w.progress[n];
    if (p && p->done && *p->done <= as_of && w.active[n]) {
      w.done[n] = *p->done;
      w.completion[n] = Completion::declared;
    }
  }
  // Verified in the data: the first day a criterion held. Criteria are judged
  // from the plan start (attributes alone may already satisfy one) and then on
  // every day a metric or goal reading arrived; a reading from before the
  // start counts from the start.
  const std::vector<schedule_detail::SnapshotRef>& snapshots = w.snapshots;
  std::vector<Day>& days = w.days;
  days.clear();
  if (a.start <= as_of) days.push_back(a.start);
  for (const schedule_detail::SnapshotRef& s : snapshots) days.push_back(max_day(s.day, a.start));
  for (const Goal& g : a.goals.goals())
    for (const Observation& o : g.observations)
      if (o.day <= as_of) days.push_back(max_day(o.day, a.start));
  if (!std::is_sorted(days.begin(), days.end())) std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());

  std::vector<std::size_t>& waiting = w.waiting;
  waiting.clear();
  std::vector<int>& missing = w.missing;
  missing.assign(ct.nodes.size(), -1);
  for (std::size_t n = 0; n < ct.nodes.size(); ++n)
    if (ct.nodes[n].criterion && w.active[n] && !w.skipped[n] && w.done[n] == kNoDay) waiting.push_back(n);
  if (waiting.empty()) days.clear();  // nothing to detect: skip building the scope
  std::optional<CriteriaScope> scope_storage;
  if (!days.empty()) scope_storage.emplace(a, ct, w.criteria_read_attributes);
  std::size_t next_snapshot = 0;
  for (const Day d : days) {
    CriteriaScope& scope = *scope_storage;
    if (waiting.empty()) break;
    while (next_snapshot < snapshots.size() && snapshots[next_snapshot].day <= d) scope.apply(snapshots[next_snapshot++]);
    scope.set_day(d);
    for (std::size_t i = 0; i < waiting.size();) {
      const std::size_t n = waiting[i];
      const CompiledNode& cn = ct.nodes[n];
      missing[n] = schedule_detail::unmeasured(cn.criterion_slots, scope);
      if (missing[n] < 0 && schedule_detail::test_at(*cn.criterion, cn.criterion_slots, scope, w.args, cn.path, ".done_when")) {
        w.done[n] = d;
        w.completion[n] = Completion::detected;
        waiting[i] = waiting.back();
        waiting.pop_back();
      } else {
        ++i;
      }
    }
  }
  for (const std::size_t n : waiting)
    if (missing[n] >= 0)
      warnings.push_back(ct.nodes[n].path + ".done_when: \"" +
                         ct.nodes[n].criterion->variables()[static_cast<std::size_t>(missing[n])] +
                         "\" has not been measured yet");
  // The first-value milestone is tied to the first-value goal, when there is one.
  std::optional<Day> first_value;
  for (const GoalReport& g : goals)
    if (g.first_value && g.achieved_on && *g.achieved_on <= as_of) first_value = g.achieved_on;
  // Then what follows from tasks, in dependency order so gates see their predecessors.
  for (const std::size_t n : ct.order) {
    const CompiledNode& cn = ct.nodes[n];
    if (cn.task || !w.active[n] || w.done[n] != kNoDay || w.skipped[n]) continue;
    if (cn.first_value && !cn.milestone->done_when && a.goals.first_value_goal()) {
      if (first_value) {
        w.done[n] = *first_value;
        w.completion[n] = Completion::detected;
      }
      continue;
    }
    if (cn.milestone->done_when) continue;  // only the data can say
    // Reached when its own active tasks are done. A milestone with none left
    // (a gate, or every task skipped) is reached once its dependencies are
    // done and its own date has come.
    Day last = kNoDay;
    bool all = true, any_task = false;
    for (const std::size_t p : cn.preds) {
      if (ct.nodes[p].owner != n || !w.active[p] || w.skipped[p]) continue;
      any_task = true;
      all = all && w.done[p] != kNoDay;
      last = max_day(last, w.done[p]);
    }
    if (!all) continue;
    if (!any_task) {
      for (const std::size_t p : cn.preds) {
        if (ct.nodes[p].owner == n || !w.active[p] || w.skipped[p]) continue;
        all = all && w.done[p] != kNoDay;
        last = max_day(last, w.done[p]);
      }
      last = max_day(last, advance(a.start, cn.milestone->offset, cn.milestone->days));
      if (!all || last > as_of) continue;
    }
    w.done[n] = last;
    w.completion[n] = Completion::tasks;
  }
}

Status Scheduler::Impl::status_of(std::size_t n, Day as_of, const Work& w) const {
  if (!w.active[n]) return Status::not_applicable;
  if (w.skipped[n]) return Status::skipped;
  if (w.done[n] != kNoDay) return Status::done;
  if (w.due[n] < as_of) return Status::overdue;
  if (w.slip_count[n] > 0) return Status::slipped;
  if (calendar.business_days_between(as_of, w.due[n]) <= policy.due_soon_days) return Status::due_soon;
  return Status::on_time;
}

void Scheduler::Impl::summarise(const AccountPlan& a, const CompiledTemplate& ct, Day as_of, Work& w,
                                PlanReport& r) const {
  int tasks = 0, tasks_done = 0;
  Day last_progress = a.start;
  bool all_milestones_done = true;
  const std::vector<std::uint8_t>& finish = w.finish;
  int worst_overdue = -1, slipped = 0;
  Day finished = kNoDay;  // the latest done day of the finishing milestones
  std::string_view worst_id, slipped_id;
  for (std::size_t n = 0; n < ct.nodes.size(); ++n) {
    if (!w.active[n] || w.skipped[n]) continue;
    const bool is_done = w.done[n] != kNoDay;
    if (is_done) last_progress = max_day(last_progress, w.done[n]);
    if (ct.nodes[n].task) {
      ++tasks;
      tasks_done += is_done;
      continue;
    }
    if (finish[n]) {
      r.planned_finish = max_day(r.planned_finish, w.planned_due[n]);
      r.forecast_finish = max_day(r.forecast_finish, w.forecast[n]);
      if (is_done) finished = max_day(finished, w.done[n]);
    }
    if (is_done) continue;
    all_milestones_done = all_milestones_done && !finish[n];
    if (w.due[n] < as_of) {
      // Due on a weekend and late by a day still counts as one day late.
      const int late = std::max(1, calendar.business_days_between(w.due[n], as_of));
      if (late > worst_overdue) {
        worst_overdue = late;
        worst_id = ct.nodes[n].milestone->id;
      }
    } else if (w.slip_count[n] > 0 && slipped++ == 0) {
      slipped_id = ct.nodes[n].milestone->id;
    }
  }
  r.percent_done = tasks == 0 ? 100.0 : 100.0 * tasks_done / tasks;

  bool exit_met = false;
  if (ct.source->exit) {
    CriteriaScope scope(a, ct, w.criteria_read_attributes);
    for (const schedule_detail::SnapshotRef& s : w.snapshots) scope.apply(s);  // in day order: the latest reading wins
    scope.set_day(as_of);
    if (const int m = schedule_detail::unmeasured(ct.exit_slots, scope); m >= 0)
      r.warnings.push_back("exit: \"" + ct.source->exit->variables()[static_cast<std::size_t>(m)] +
                           "\" has not been measured yet");
    else
      exit_met = schedule_detail::test_at(*ct.source->exit, ct.exit_slots, scope, w.args, "exit", "");
  }
  r.concluded = all_milestones_done || exit_met;
  if (all_milestones_done && finished != kNoDay) r.concluded_on = finished;
  else if (r.concluded) r.concluded_on = as_of;
  const int idle = calendar.business_days_between(last_progress, as_of);
  std::string& reason = r.reason;
  reason.clear();
  auto overdue_by = [&] {
    reason += "milestone \"";
    reason += worst_id;
    reason += "\" overdue by ";
    append_count(reason, worst_overdue, "business day");
  };
  if (r.concluded) {
    r.status = PlanStatus::on_track;
    reason = exit_met && !all_milestones_done ? "concluded early: exit criterion met" : "onboarding concluded";
  } else if (worst_overdue >= policy.stuck_days) {
    r.status = PlanStatus::stuck;
    overdue_by();
  } else if (worst_overdue >= 0 && idle >= policy.stuck_days) {
    r.status = PlanStatus::stuck;
    reason += "no progress for ";
    append_count(reason, idle, "business day");
    reason += " while \"";
    reason += worst_id;
    reason += "\" is overdue";
  } else if (worst_overdue >= 0) {
    r.status = PlanStatus::behind;
    overdue_by();
  } else if (slipped > 0) {
    r.status = PlanStatus::behind;
    reason += "milestone \"";
    reason += slipped_id;
    reason += "\" re-dated";
    if (slipped > 1) {
      reason += " (and ";
      reason += std::to_string(slipped - 1);
      reason += " more)";
    }
  } else if (r.forecast_finish > r.planned_finish) {
    r.status = PlanStatus::behind;
    reason += "forecast finish ";
    append_count(reason, r.forecast_finish - r.planned_finish, "day");
    reason += " after plan";
  } else {
    r.status = PlanStatus::on_track;
    reason = "on schedule";
  }
}

schedule_detail::PlanFacts Scheduler::Impl::facts(const AccountPlan& a) const {
  schedule_detail::PlanFacts f;
  f.template_index = choose(a, f.selection);
  const CompiledTemplate& ct = compiled[f.template_index];
  Work scratch;  // not w: it may hold what the next same_plan call reuses
  activate(a, ct, scratch);
  f.active = std::move(scratch.active);
  f.criteria_read_attributes = false;
  for (const std::string& name : ct.slots) f.criteria_read_attributes = f.criteria_read_attributes || a.attributes.count(name);
  return f;
}

// The planned schedule, its finishing milestones and its critical path: what
// depends only on the template, the start and the active nodes.
void Scheduler::Impl::plan(const AccountPlan& a, const CompiledTemplate& ct, Work& w) const {
  const std::size_t n_nodes = ct.nodes.size();
  w.planned_start.assign(n_nodes, kNoDay);
  w.planned_pf.assign(n_nodes, kNoDay);
  w.planned_due.assign(n_nodes, kNoDay);
  w.bind.assign(n_nodes, kNone);
  schedule(ct, a.start, a.start, false, w);  // the plan does not depend on the day
  schedule_detail::finish_milestones(ct, w.active, w.finish);
  // The planned critical path: back from the latest planned finish along the
  // predecessors that set each start.
  w.critical.assign(n_nodes, 0);
  std::size_t tail = kNone;
  for (std::size_t n = 0; n < n_nodes; ++n)
    if (w.finish[n] && (tail == kNone || w.planned_due[n] > w.planned_due[tail])) tail = n;
  for (std::size_t n = tail; n != kNone; n = w.bind[n])
    if (w.active[n]) w.critical[n] = 1;
}

void Scheduler::Impl::evaluate(const AccountPlan& a, const schedule_detail::Overlay* overlay, Day as_of,
                               bool same_plan, Work& w, PlanReport& r) const {
  // Reset field by field so the vectors keep their capacity for the next account.
  r.nodes.clear();
  r.critical_path.clear();
  r.goals.clear();
  r.handoff.reset();
  r.warnings.clear();
  r.planned_finish = r.forecast_finish = kNoDay;
  r.percent_done = 0;
  r.concluded = false;
  r.concluded_on = kNoDay;
  r.status = PlanStatus::on_track;
  r.reason.clear();
  if (r.keep_alive != shared_templates) r.keep_alive = shared_templates;
  r.account = a.account;
  r.start = a.start;
  r.as_of = as_of;
  const schedule_detail::PlanFacts* facts = overlay ? overlay->facts : nullptr;
  if (same_plan) {
  } else if (facts) {
    w.template_index = facts->template_index;
    w.selection = facts->selection;
    w.criteria_read_attributes = facts->criteria_read_attributes;
  } else {
    w.template_index = choose(a, w.selection);
    w.criteria_read_attributes = true;
  }
  r.selection = w.selection;
  const CompiledTemplate& ct = compiled[w.template_index];
  r.template_id = ct.source->id;
  const std::size_t n_nodes = ct.nodes.size();
  w.reset(n_nodes);
  for (const MetricSnapshot& m : a.metrics)
    if (m.day <= as_of) w.snapshots.push_back({m.day, &m, nullptr});
  if (overlay) {
    for (const schedule_detail::ExtraSnapshot& m : overlay->snapshots)
      if (m.day <= as_of) w.snapshots.push_back({m.day, nullptr, &m});
  }
  // Usually in order already (stable_sort would still allocate a buffer).
  const auto by_day = [](const schedule_detail::SnapshotRef& x, const schedule_detail::SnapshotRef& y) {
    return x.day < y.day;
  };
  if (!std::is_sorted(w.snapshots.begin(), w.snapshots.end(), by_day))
    std::stable_sort(w.snapshots.begin(), w.snapshots.end(), by_day);
  if (overlay) {
    if (overlay->progress.size() != n_nodes)
      throw Error(Errc::invalid, "progress", "the overlay does not match template \"" + ct.source->id + "\"");
    for (std::size_t n = 0; n < n_nodes; ++n)
      if (const Progress* p = overlay->progress[n]) {
        w.progress[n] = p;
        w.skipped[n] = p->skipped ? 1 : 0;
      }
  } else {
    check_progress(a, ct, w);
  }
  if (!same_plan) {
    // What depends on the plan alone.
    const Work::Planned* planned = nullptr;
    if (facts) {
      if (facts->active.size() != n_nodes)
        throw Error(Errc::invalid, "", "plan facts do not match template \"" + ct.source->id + "\"");
      w.active = facts->active;
      if (const auto it = w.planned_by_facts.find({facts, a.start}); it != w.planned_by_facts.end()) planned = it->second;
    } else {
      activate(a, ct, w);
    }
    if (!planned) {
      const std::uint64_t key = w.planned_key(a.start);
      planned = w.find_planned(key, a.start);
      if (!planned) {
        plan(a, ct, w);
        planned = w.keep_planned(key, a.start);
      }
      if (facts) w.planned_by_facts.emplace(Work::FactsKey{facts, a.start}, planned);
    }
    w.use_planned(*planned);
  }
  commit_dates(ct, as_of, w);
  r.goals = a.goals.evaluate(as_of, policy.goals);
  complete(a, ct, as_of, r.goals, w, r.warnings);
  schedule(ct, a.start, as_of, true, w);
  summarise(a, ct, as_of, w, r);
  if (a.handoff) r.handoff = a.handoff->assess();

  std::size_t tail = kNone;
  for (std::size_t n = 0; n < n_nodes; ++n)
    if (w.finish[n] && (tail == kNone || w.planned_due[n] > w.planned_due[tail])) tail = n;
  for (std::size_t n = tail; n != kNone; n = w.bind[n])
    if (w.active[n]) r.critical_path.push_back(ct.nodes[n].task ? ct.nodes[n].task->id : ct.nodes[n].milestone->id);
  std::reverse(r.critical_path.begin(), r.critical_path.end());

  r.nodes.reserve(n_nodes);
  for (std::size_t n = 0; n < n_nodes; ++n) {
    NodeReport& x = r.nodes.emplace_back(ct.nodes[n].report);
    x.active = w.active[n] != 0;
    x.planned_start = w.planned_start[n];
    x.planned_due = w.planned_due[n];
    x.due = w.due[n];
    x.forecast = w.forecast[n];
    x.done = w.done[n];
    x.completion = w.completion[n];
    x.slip_count = w.slip_count[n];
    x.slip_days = w.slip_days[n];
    x.status = status_of(n, as_of, w);
    x.critical = w.critical[n] != 0;
  }
}

namespace schedule_detail {

Evaluator::Evaluator(const Scheduler& scheduler) : impl_(scheduler.impl_.get()), work_(std::make_unique<Work>()) {}
Evaluator::~Evaluator() = default;

PlanFacts Evaluator::facts(const AccountPlan& plan) const { return impl_->facts(plan); }

void Evaluator::evaluate(const AccountPlan& plan, const Overlay* overlay, Day as_of, PlanReport& report,
                         bool same_plan) {
  impl_->evaluate(plan, overlay, as_of, same_plan, *work_, report);
}

}  // namespace schedule_detail

Scheduler::Scheduler(TemplateSet templates, Calendar calendar, PlanPolicy policy)
    : impl_(std::make_unique<Impl>(std::move(templates), std::move(calendar), policy)) {}
Scheduler::~Scheduler() = default;
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;

const TemplateSet& Scheduler::templates() const noexcept { return impl_->templates; }
const Calendar& Scheduler::calendar() const noexcept { return impl_->calendar; }
const PlanPolicy& Scheduler::policy() const noexcept { return impl_->policy; }

// Accounts' dates are 1970-2100 (see the JSON reader); so is the evaluation day.
void check_as_of(Day as_of) {
  if (as_of < kFirstHistoryDay || as_of > kLastHistoryDay) throw_invalid("as_of", "day " + std::to_string(as_of) + " is outside 1970-2100");
}

PlanReport Scheduler::evaluate(const AccountPlan& account, Day as_of) const {
  check_as_of(as_of);
  Work w;
  PlanReport r;
  impl_->evaluate(account, nullptr, as_of, false, w, r);
  return r;
}

void Scheduler::evaluate(std::span<const AccountPlan> accounts, Day as_of, const Sink& sink, unsigned threads) const {
  check_as_of(as_of);
  auto run = [&](std::size_t begin, std::size_t end) {
    Work w;        // reused across the accounts of one thread
    PlanReport r;  // idem
    for (std::size_t i = begin; i < end; ++i) {
      try {
        impl_->evaluate(accounts[i], nullptr, as_of, false, w, r);
      } catch (const Error& e) {
        throw e.under(index_path("accounts", i));
      }
      sink(i, r);
    }
  };
  // 64 accounts per thread at least; the lowest failing account's error wins.
  detail::parallel_ranges(accounts.size(), threads, 64, 1, run);
}

std::vector<PlanReport> Scheduler::evaluate(std::span<const AccountPlan> accounts, Day as_of, unsigned threads) const {
  std::vector<PlanReport> out(accounts.size());
  evaluate(accounts, as_of, [&out](std::size_t i, const PlanReport& r) { out[i] = r; }, threads);
  return out;
}

NodeTable node_table(std::span<const PlanReport> reports, bool milestones_only) {
  NodeTable t;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    for (const NodeReport& x : reports[i].nodes) {
      if (milestones_only && !x.is_milestone) continue;
      t.account.push_back(static_cast<std::int32_t>(i));
      t.id.emplace_back(x.id);
      t.name.emplace_back(x.name);
      t.kind.emplace_back(x.kind);
      t.phase.emplace_back(x.phase);
      t.milestone.emplace_back(x.milestone);
      t.role.emplace_back(x.role);
      t.is_milestone.push_back(x.is_milestone ? 1 : 0);
      t.active.push_back(x.active ? 1 : 0);
      t.critical.push_back(x.critical ? 1 : 0);
      t.customer_owned.push_back(x.owner == Owner::customer ? 1 : 0);
      t.planned_start.push_back(x.planned_start);
      t.planned_due.push_back(x.planned_due);
      t.due.push_back(x.due);
      t.forecast.push_back(x.forecast);
      t.done.push_back(x.done);
      t.status.push_back(static_cast<std::int8_t>(x.status));
      t.completion.push_back(static_cast<std::int8_t>(x.completion));
      t.slip_count.push_back(x.slip_count);
      t.slip_days.push_back(x.slip_days);
    }
  }
  return t;
}

}  // namespace firstvalue
