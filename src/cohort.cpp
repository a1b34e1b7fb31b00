// Cohort outcomes, mergeable summaries and reports (include/firstvalue/cohort.hpp).

#include "firstvalue/cohort.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "cohort_detail.hpp"
#include "enum_names.hpp"
#include "firstvalue/error.hpp"

namespace firstvalue {
namespace {

using cohort_detail::tallies;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// numpy's default percentile over (value, count) pairs in ascending value order.
double percentile_of(const std::vector<std::pair<int, std::uint64_t>>& counts, double q) {
  std::uint64_t n = 0;
  for (const auto& [v, c] : counts) n += c;
  if (n == 0) return kNaN;
  const double pos = q * static_cast<double>(n - 1);
  const auto lo = static_cast<std::uint64_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(lo);
  // The values at ranks lo and lo + 1 (0-based).
  double at_lo = kNaN, at_hi = kNaN;
  std::uint64_t seen = 0;
  for (const auto& [v, c] : counts) {
    if (std::isnan(at_lo) && lo < seen + c) at_lo = v;
    if (lo + 1 < seen + c) {
      at_hi = v;
      break;
    }
    seen += c;
  }
  return frac == 0 || std::isnan(at_hi) ? at_lo : at_lo + frac * (at_hi - at_lo);
}

template <class A>
void add_elementwise(std::vector<A>& into, const std::vector<A>& from) {
  if (into.size() < from.size()) into.resize(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

bool equal_but_trailing_zeros(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  const std::vector<std::uint64_t>& shorter = a.size() <= b.size() ? a : b;
  const std::vector<std::uint64_t>& longer = a.size() <= b.size() ? b : a;
  return std::equal(shorter.begin(), shorter.end(), longer.begin()) &&
         std::all_of(longer.begin() + static_cast<std::ptrdiff_t>(shorter.size()), longer.end(),
                     [](std::uint64_t x) { return x == 0; });
}

void merge_milestone(std::map<std::string, MilestoneDelays, std::less<>>& into, std::string_view id,
                     const MilestoneDelays& from) {
  auto it = into.find(id);
  if (it == into.end()) {
    into.emplace(std::string(id), from);
    return;
  }
  MilestoneDelays& d = it->second;
  // The smaller name, so that the merge order does not matter when two
  // templates give one id different names.
  if (from.name < d.name) d.name = from.name;
  d.due += from.due;
  d.on_time += from.on_time;
  for (const auto& [days, n] : from.late) d.late[days] += n;
}

bool is_milestone_in_play(const NodeReport& n) {
  return n.is_milestone && n.active && n.status != Status::skipped && n.status != Status::not_applicable;
}

// The last day an account's record counts: as_of, or the day it left.
Day end_of(const PlanReport& r, std::optional<Day> exit) { return exit && *exit < r.as_of ? *exit : r.as_of; }

// One account's milestones that were due before the end or done by then.
void milestone_outcomes(const PlanReport& r, Day end, const Calendar& calendar, const CohortOptions& o,
                        AccountOutcome& out) {
  bool implementation_due = false, implementation_on_time = true;
  for (const NodeReport& n : r.nodes) {
    if (!is_milestone_in_play(n)) continue;
    const bool done = n.done != kNoDay && n.done <= end;
    if (!done && (n.planned_due == kNoDay || n.planned_due >= end)) continue;
    out.milestone_completion.add(done ? 1 : 0, 1);
    MilestoneOutcome m{n.id, n.name, false, 0};
    m.on_time = done && (n.planned_due == kNoDay || n.done <= n.planned_due);
    // Late by at least a day, even when due on a Friday and done on the Saturday.
    if (!m.on_time) m.delay = std::max(1, calendar.business_days_between(n.planned_due, done ? n.done : end));
    if (n.kind == o.implementation_kind) {
      implementation_due = true;
      implementation_on_time = implementation_on_time && m.on_time;
    }
    out.milestones.push_back(m);
  }
  if (implementation_due) out.implementation_on_time.add(implementation_on_time ? 1 : 0, 1);
}

void checkpoint_outcomes(const OutcomeInputs& in, AccountOutcome& out) {
  auto seats = [&](const ActivityMetrics& m, Tally& t) {
    const int total = in.provisioned_seats > 0 ? in.provisioned_seats : m.planned_users;
    if (total > 0)
      t.add(static_cast<std::uint64_t>(std::min(m.active_users, total)), static_cast<std::uint64_t>(total));
  };
  if (in.day30) {
    seats(*in.day30, out.seat_activation_day30);
    const ActivityMetrics& m = *in.day30;
    if (m.planned_users > 0)
      out.adoption_day30.add(static_cast<std::uint64_t>(m.planned_users) - m.planned_never.size(),
                             static_cast<std::uint64_t>(m.planned_users));
  }
  if (in.day60) seats(*in.day60, out.seat_activation_day60);
  const PlanReport& r = *in.plan;
  if (r.start + 90 <= r.as_of)
    for (const GoalReport& g : r.goals) out.goals_day90.add(g.achieved_on && *g.achieved_on <= r.start + 90 ? 1 : 0, 1);
}

void kickoff_outcome(const CohortOptions& o, AccountOutcome& out) {
  const TtvPoint& k = out.ttv[ValuePoint::kickoff];
  if (k.state == TtvState::reached) out.kickoff_within_sla.add(k.duration <= o.kickoff_sla ? 1 : 0, 1);
  else if (k.censored() && k.duration > o.kickoff_sla) out.kickoff_within_sla.add(0, 1);
}

}  // namespace

std::string_view to_string(CohortBy by) noexcept { return kCohortBy[static_cast<std::size_t>(by)]; }

std::optional<CohortBy> parse_cohort_by(std::string_view text) noexcept {
  return detail::enum_named<CohortBy>(kCohortBy, text);
}

std::string_view to_string(Comparison c) noexcept {
  constexpr std::string_view names[] = {"<=", "<", ">", ">="};
  return names[static_cast<std::size_t>(c)];
}

std::string cohort_label(CohortBy by, Day signature, std::string_view tier, std::string_view template_id,
                         const Attributes& attributes, std::string_view segment_attribute) {
  switch (by) {
    case CohortBy::all: return "all";
    case CohortBy::signature_month: return format_date(signature).substr(0, 7);
    case CohortBy::tier: return std::string(tier);
    case CohortBy::template_id: return std::string(template_id);
    case CohortBy::segment: break;
  }
  const auto it = attributes.find(segment_attribute);
  if (it == attributes.end()) return "(none)";
  struct Label {
    std::string operator()(std::monostate) const { return "(none)"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(double d) const {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.15g", d);
      return buf;
    }
    std::string operator()(const std::string& s) const { return s; }
  };
  return std::visit(Label{}, it->second);
}

// ---- outcomes ---------------------------------------------------------------

AccountOutcome account_outcome(const OutcomeInputs& in, std::string cohort, const Calendar& calendar,
                               const CohortOptions& options) {
  if (!in.plan) throw_invalid("plan", "is required");
  const PlanReport& r = *in.plan;
  AccountOutcome out;
  out.cohort = std::move(cohort);
  out.ttv = time_to_value(r, in.exit, calendar, options.unit);
  const Day end = end_of(r, in.exit);
  if (r.planned_finish != kNoDay && r.planned_finish <= r.as_of)
    out.completion_on_time.add(r.concluded_on != kNoDay && r.concluded_on <= r.planned_finish && r.concluded_on <= end, 1);
  milestone_outcomes(r, end, calendar, options, out);
  checkpoint_outcomes(in, out);
  kickoff_outcome(options, out);
  return out;
}

// ---- summaries --------------------------------------------------------------

void DurationCounts::add(int duration, bool event) {
  const auto d = static_cast<std::size_t>(std::max(0, duration));
  if (events.size() <= d) {
    events.resize(d + 1, 0);
    censored.resize(d + 1, 0);
  }
  ++(event ? events : censored)[d];
}

void DurationCounts::merge(const DurationCounts& other) {
  add_elementwise(events, other.events);
  add_elementwise(censored, other.censored);
}

std::uint64_t DurationCounts::total_events() const noexcept {
  std::uint64_t n = 0;
  for (const std::uint64_t x : events) n += x;
  return n;
}
std::uint64_t DurationCounts::total_censored() const noexcept {
  std::uint64_t n = 0;
  for (const std::uint64_t x : censored) n += x;
  return n;
}

SurvivalCounts DurationCounts::survival() const {
  SurvivalCounts s;
  const std::uint64_t n = total_events() + total_censored();
  if (n == 0) return s;
  // Every subject enters at 0, as count_survival has it without entry times.
  for (std::size_t d = 0; d < events.size(); ++d)
    if (d == 0 || events[d] > 0 || censored[d] > 0)
      s.push(static_cast<double>(d), static_cast<std::int64_t>(events[d]), static_cast<std::int64_t>(censored[d]),
             d == 0 ? static_cast<std::int64_t>(n) : 0);
  return s;
}

double DurationCounts::naive_median() const {
  std::vector<std::pair<int, std::uint64_t>> counts;
  for (std::size_t d = 0; d < events.size(); ++d)
    if (events[d] > 0) counts.emplace_back(static_cast<int>(d), events[d]);
  return percentile_of(counts, 0.5);
}

bool DurationCounts::operator==(const DurationCounts& other) const noexcept {
  return equal_but_trailing_zeros(events, other.events) && equal_but_trailing_zeros(censored, other.censored);
}

double histogram_percentile(const std::map<int, std::uint64_t>& counts, double q) {
  return percentile_of({counts.begin(), counts.end()}, q);
}

void CohortSummary::add(const AccountOutcome& o) {
  ++accounts;
  const auto mine = tallies(*this);
  const auto theirs = tallies(o);
  for (std::size_t k = 0; k < mine.size(); ++k) mine[k]->merge(*theirs[k]);
  for (std::size_t k = 0; k < kValuePoints.size(); ++k) {
    const TtvPoint& p = o.ttv.points[k];
    if (p.planned()) ttv[k].add(p.duration, p.state == TtvState::reached);
  }
  for (const MilestoneOutcome& m : o.milestones) {
    auto it = milestones.find(m.id);
    if (it == milestones.end()) it = milestones.emplace(std::string(m.id), MilestoneDelays{std::string(m.name), 0, 0, {}}).first;
    MilestoneDelays& d = it->second;
    if (m.name < d.name) d.name = std::string(m.name);
    ++d.due;
    if (m.on_time) ++d.on_time;
    else ++d.late[m.delay];
  }
}

void CohortSummary::merge(const CohortSummary& other) {
  accounts += other.accounts;
  const auto mine = tallies(*this);
  const auto theirs = tallies(other);
  for (std::size_t k = 0; k < mine.size(); ++k) mine[k]->merge(*theirs[k]);
  for (std::size_t k = 0; k < ttv.size(); ++k) ttv[k].merge(other.ttv[k]);
  for (const auto& [id, d] : other.milestones) merge_milestone(milestones, id, d);
}

void CohortSummaries::add(const AccountOutcome& outcome) {
  auto it = cohorts.find(outcome.cohort);
  if (it == cohorts.end()) it = cohorts.emplace(outcome.cohort, CohortSummary{}).first;
  it->second.add(outcome);
}

void CohortSummaries::merge(const CohortSummaries& other) {
  if (other.as_of != as_of)
    throw_invalid("as_of", "summaries as of " + format_date(other.as_of) + " and " + format_date(as_of) + " do not merge");
  if (!(other.options == options))
    throw_invalid("options", "summaries built with different options do not merge: " + other.options.to_json(-1) +
                                 " and " + options.to_json(-1));
  for (const auto& [label, s] : other.cohorts) {
    auto it = cohorts.find(label);
    if (it == cohorts.end()) cohorts.emplace(label, s);
    else it->second.merge(s);
  }
}

CohortSummary CohortSummaries::total() const {
  CohortSummary all;
  for (const auto& [label, s] : cohorts) all.merge(s);
  return all;
}

// ---- reports ----------------------------------------------------------------

const Kpi* CohortReport::kpi(std::string_view name) const noexcept {
  for (const Kpi& k : kpis)
    if (k.name == name) return &k;
  return nullptr;
}

namespace {

std::optional<bool> verdict(double value, double target, Comparison c) {
  if (std::isnan(value) || std::isnan(target)) return std::nullopt;
  switch (c) {
    case Comparison::at_most: return value <= target;
    case Comparison::below: return value < target;
    case Comparison::above: return value > target;
    case Comparison::at_least: return value >= target;
  }
  return std::nullopt;
}

Kpi rate_kpi(std::string_view name, const Tally& t, double target, Comparison c) {
  Kpi k;
  k.name = name;
  k.value = t.rate();
  k.hits = t.hits;
  k.of = t.of;
  k.target = target;
  k.comparison = c;
  k.meets = verdict(k.value, target, c);
  return k;
}

TtvSummary ttv_summary(ValuePoint p, const DurationCounts& counts, DayCount unit, double alpha) {
  TtvSummary s;
  s.point = p;
  s.unit = p == ValuePoint::kickoff ? DayCount::business : unit;
  s.reached = counts.total_events();
  s.censored = counts.total_censored();
  s.naive_median = counts.naive_median();
  const SurvivalCurve km = kaplan_meier(counts.survival(), alpha);
  s.median = km.median();
  std::tie(s.lower, s.upper) = km.median_ci();
  return s;
}

// A KM median as a KPI. A median that S has not come down to yet is beyond
// the longest duration seen: it fails an upper target the data already
// passed, and is not judged before.
Kpi median_kpi(std::string_view name, const TtvSummary& t, const DurationCounts& counts, double target, Comparison c) {
  Kpi k;
  k.name = name;
  k.value = t.median;
  k.lower = t.lower;
  k.upper = t.upper;
  k.hits = t.reached;
  k.of = t.reached + t.censored;
  k.target = target;
  k.comparison = c;
  if (std::isinf(t.median) && !std::isnan(target)) {
    const double longest = static_cast<double>(counts.events.empty() ? 0 : counts.events.size() - 1);
    if (longest >= target) k.meets = false;
  } else {
    k.meets = verdict(k.value, target, c);
  }
  return k;
}

std::vector<MilestoneBottleneck> bottlenecks(const CohortSummary& s) {
  std::vector<MilestoneBottleneck> out;
  for (const auto& [id, d] : s.milestones) {
    MilestoneBottleneck b;
    b.id = id;
    b.name = d.name;
    b.due = d.due;
    b.on_time = d.on_time;
    b.delayed = d.delayed();
    b.on_time_rate = d.due ? static_cast<double>(d.on_time) / static_cast<double>(d.due) : kNaN;
    b.median_delay = histogram_percentile(d.late, 0.5);
    b.p90_delay = histogram_percentile(d.late, 0.9);
    out.push_back(std::move(b));
  }
  auto key = [](double x) { return std::isnan(x) ? -1.0 : x; };
  std::sort(out.begin(), out.end(), [&](const MilestoneBottleneck& a, const MilestoneBottleneck& b) {
    if (a.delayed != b.delayed) return a.delayed > b.delayed;
    if (key(a.median_delay) != key(b.median_delay)) return key(a.median_delay) > key(b.median_delay);
    if (key(a.p90_delay) != key(b.p90_delay)) return key(a.p90_delay) > key(b.p90_delay);
    return a.id < b.id;
  });
  return out;
}

}  // namespace

CohortReport cohort_report(std::string cohort, const CohortSummary& s, Day as_of, const CohortOptions& options,
                           const CohortBenchmarks& b, double alpha) {
  if (!(alpha > 0 && alpha < 1)) throw_invalid("alpha", "must be in (0, 1)");
  CohortReport r;
  r.cohort = std::move(cohort);
  r.as_of = as_of;
  r.accounts = s.accounts;
  for (std::size_t k = 0; k < kValuePoints.size(); ++k)
    r.ttv[k] = ttv_summary(static_cast<ValuePoint>(k), s.ttv[k], options.unit, alpha);
  const auto fv = static_cast<std::size_t>(ValuePoint::first_value);
  const auto ko = static_cast<std::size_t>(ValuePoint::kickoff);
  r.kpis = {
      median_kpi(kKpiNames[0], r.ttv[fv], s.ttv[fv], b.first_value_days, Comparison::at_most),
      median_kpi(kKpiNames[1], r.ttv[ko], s.ttv[ko], b.kickoff_business_days, Comparison::below),
      rate_kpi(kKpiNames[2], s.kickoff_within_sla, b.kickoff_within_sla, Comparison::at_least),
      rate_kpi(kKpiNames[3], s.completion_on_time, b.completion_on_time, Comparison::at_least),
      rate_kpi(kKpiNames[4], s.milestone_completion, b.milestone_completion, Comparison::above),
      rate_kpi(kKpiNames[5], s.implementation_on_time, b.implementation_on_time, Comparison::above),
      rate_kpi(kKpiNames[6], s.seat_activation_day30, b.seat_activation_day30, Comparison::above),
      rate_kpi(kKpiNames[7], s.seat_activation_day60, b.seat_activation_day60, Comparison::above),
      rate_kpi(kKpiNames[8], s.adoption_day30, b.adoption_day30, Comparison::above),
      rate_kpi(kKpiNames[9], s.goals_day90, b.goals_day90, Comparison::above),
  };
  r.bottlenecks = bottlenecks(s);
  return r;
}

std::vector<CohortReport> cohort_reports(const CohortSummaries& summaries, const CohortBenchmarks& benchmarks,
                                         double alpha, bool total) {
  std::vector<CohortReport> out;
  for (const auto& [label, s] : summaries.cohorts)
    out.push_back(cohort_report(label, s, summaries.as_of, summaries.options, benchmarks, alpha));
  if (total) out.push_back(cohort_report("(total)", summaries.total(), summaries.as_of, summaries.options, benchmarks, alpha));
  return out;
}

}  // namespace firstvalue
