#pragma once
// One account's onboarding plan over time: the planned schedule from its
// template, what actually happened (completions, re-dates, skips, metric
// readings), the forecast as of a day, and the status a CSM reads.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "firstvalue/handoff.hpp"
#include "firstvalue/plan.hpp"
#include "firstvalue/success_plan.hpp"

namespace firstvalue {

namespace schedule_detail {
class Evaluator;  // the portfolio's reusing entry point (src/schedule_detail.hpp)
}

// A due date moved on day `on` to day `to`.
struct Redate {
  Day on = 0;
  Day to = 0;
  bool operator==(const Redate&) const = default;
};

// What happened to one task or milestone.
struct Progress {
  std::optional<Day> done;      // declared done on this day
  bool skipped = false;         // will not be done; successors stop waiting for it
  std::vector<Redate> redates;  // in the order they were made
  bool operator==(const Progress&) const = default;
};

// Metric values known on a day. Readings accumulate: a later snapshot that
// omits a metric keeps its last value.
struct MetricSnapshot {
  Day day = 0;
  Attributes values;
  bool operator==(const MetricSnapshot&) const = default;
};

// Everything the engine knows about one account's onboarding.
struct AccountPlan {
  std::string account;
  std::string template_id;  // empty: chosen by the template set
  Day start = 0;            // day 0 of the plan (the signature)
  Attributes attributes;    // arr, tier, lifecycle, sso, …
  std::map<std::string, Progress, std::less<>> progress;  // by task or milestone id
  std::vector<MetricSnapshot> metrics;
  SuccessPlan goals;
  std::optional<HandoffRecord> handoff;

  // {"account", "template"?, "start": "YYYY-MM-DD" | day, "attributes"?,
  //  "progress"?: {id: {"done"?, "skipped"?, "redates"?: [{"on", "to"}]}},
  //  "metrics"?: [{"day", "values": {...}}], "goals"?: [...], "handoff"?: {...}}
  static AccountPlan from_json(std::string_view json);
  // A JSON array of accounts; errors name the element (`accounts[3].start: ...`).
  static std::vector<AccountPlan> list_from_json(std::string_view json);
  std::string to_json(int indent = 2) const;
  bool operator==(const AccountPlan&) const = default;
};

// `skipped` and `not_applicable` (a condition switched it off) complete the
// five statuses of the seeds for tasks and milestones that will not happen.
enum class Status : std::uint8_t { done, on_time, due_soon, overdue, slipped, skipped, not_applicable };
enum class PlanStatus : std::uint8_t { on_track, behind, stuck };
// How a milestone or task came to be done.
enum class Completion : std::uint8_t { open, declared, tasks, detected };

std::string_view to_string(Status v) noexcept;
std::string_view to_string(PlanStatus v) noexcept;
std::string_view to_string(Completion v) noexcept;

inline constexpr Day kNoDay = std::numeric_limits<Day>::min();

// One task or milestone of one account, as of a day. The text fields view the
// template, which the PlanReport keeps alive: a report costs no string copies.
struct NodeReport {
  std::string_view id;
  std::string_view name;
  std::string_view phase;      // phase id
  std::string_view milestone;  // the milestone id (itself, for a milestone)
  std::string_view kind;       // milestone kind, or "task"
  bool is_milestone = false;
  bool active = true;          // false when a condition switched it off
  Owner owner = Owner::internal;
  std::string_view role;
  Day planned_start = kNoDay;
  Day planned_due = kNoDay;  // from the template and the calendar
  Day due = kNoDay;          // committed: planned, or the latest re-date
  Day forecast = kNoDay;     // when it will be done, given actuals and as_of
  Day done = kNoDay;
  Completion completion = Completion::open;
  int slip_count = 0;  // re-dates that moved the due date later
  int slip_days = 0;   // calendar days they added up to
  Status status = Status::on_time;
  bool critical = false;  // on the planned critical path
};

struct PlanReport {
  std::shared_ptr<const void> keep_alive;  // owns the template the node fields view
  std::string account;
  std::string template_id;
  std::string selection;  // why this template: "explicit", "entry criteria", "tier", "arr", "fallback"
  Day start = 0;
  Day as_of = 0;
  std::vector<NodeReport> nodes;  // in template order: each milestone, then its tasks
  // The plan ends with its `handoff` milestones (onboarding concluded) when it
  // has any, else with its last milestone; full value may come later.
  std::vector<std::string_view> critical_path;
  Day planned_finish = kNoDay;
  Day forecast_finish = kNoDay;
  PlanStatus status = PlanStatus::on_track;
  std::string reason;            // why the status, in a sentence
  double percent_done = 0;       // done share of the active, not skipped tasks, 0-100
  bool concluded = false;        // the finishing milestones are done, or the exit criterion holds
  // The day the last finishing milestone was done; as_of when only the exit
  // criterion concluded the plan (it is judged on the day, not dated).
  Day concluded_on = kNoDay;
  std::vector<GoalReport> goals;
  std::optional<HandoffAssessment> handoff;
  // Criteria that could not be judged yet, with their paths, e.g.
  // `phases[3].milestones[1].done_when: "active_users" has not been measured yet`.
  std::vector<std::string> warnings;

  std::string to_json(int indent = 2) const;
};

struct PlanPolicy {
  int due_soon_days = 3;  // business days
  int stuck_days = 10;    // business days overdue, or without progress while overdue
  GoalPolicy goals;
  // {"due_soon_days", "stuck_days", "goals": {"at_risk_ratio", "grace_days"}}, all optional.
  static PlanPolicy from_json(std::string_view json);
  std::string to_json(int indent = 2) const;
  bool operator==(const PlanPolicy&) const = default;
};

// Task and milestone rows of many reports as columns, for the C ABI and
// DataFrames.
struct NodeTable {
  std::vector<std::int32_t> account;  // index into the reports
  std::vector<std::string> id, name, kind, phase, milestone, role;
  std::vector<std::uint8_t> is_milestone, active, critical, customer_owned;
  std::vector<Day> planned_start, planned_due, due, forecast, done;  // kNoDay where none
  std::vector<std::int8_t> status, completion;                       // enum values
  std::vector<std::int32_t> slip_count, slip_days;
  std::size_t size() const noexcept { return account.size(); }
};
NodeTable node_table(std::span<const PlanReport> reports, bool milestones_only);

// Throws Error(invalid) at path "as_of" unless the day is in 1970-2100, the
// range of every date an evaluation reads.
void check_as_of(Day as_of);

// A template set compiled against a calendar. evaluate() is const and safe to
// call from many threads.
class Scheduler {
 public:
  Scheduler(TemplateSet templates, Calendar calendar, PlanPolicy policy = {});
  ~Scheduler();
  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;

  // Throws Error(invalid) naming the path: an unknown template or task id in
  // the account, or a condition over an attribute the account lacks.
  PlanReport evaluate(const AccountPlan& account, Day as_of) const;
  // Errors name the account: `accounts[12].progress.kickof: ...`.
  std::vector<PlanReport> evaluate(std::span<const AccountPlan> accounts, Day as_of, unsigned threads = 1) const;
  // Streaming, for portfolios too large to hold every report: `sink(i, report)`
  // sees each account's report, which is reused for the next account of the
  // same thread (copy what you keep). With threads > 1 the sink is called
  // concurrently, for disjoint accounts.
  using Sink = std::function<void(std::size_t index, const PlanReport& report)>;
  void evaluate(std::span<const AccountPlan> accounts, Day as_of, const Sink& sink, unsigned threads = 1) const;

  const TemplateSet& templates() const noexcept;
  const Calendar& calendar() const noexcept;
  const PlanPolicy& policy() const noexcept;

 private:
  friend class schedule_detail::Evaluator;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firstvalue
