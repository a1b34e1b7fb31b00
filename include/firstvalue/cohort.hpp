#pragma once
// Cohort analytics: accounts grouped by signature month, tier, segment or
// template, each group's onboarding KPIs as of a day, held against the seed
// benchmarks, with the bottleneck milestones and the Kaplan–Meier time to
// value beside the naive one.
//
// The data flows in three steps, so that the middle one can be split:
//   account_outcome()  one account's contribution: plain counts, no judgement;
//   CohortSummary      the sum of contributions. Everything in it is an integer
//                      count (the KM curve's per-time counts, not the curve;
//                      histograms of delays, not their percentiles), so a
//                      summary of partition A merged with one of partition B is
//                      exactly the summary of A ∪ B: partitions can be
//                      summarized apart (threads, processes, Spark) and merged;
//   cohort_reports()   rates, percentiles, KM medians and the benchmark verdicts.
//
// Definitions, as of the day of the summary (`as_of`). An account's record
// ends on as_of, or on its exit day when it left before: what it did after
// leaving does not count (ttv.hpp censors the same way).
// - completion_on_time: onboarding concluded (PlanReport::concluded_on) on or
//   before its planned finish, of the accounts whose planned finish has come;
// - milestone_completion: milestones done, of the active ones that were due
//   (planned due before the end of the record) or are done;
// - per milestone: on time when done on or before its planned due date (a
//   re-date does not make a late milestone on time); otherwise late by the
//   business days from the planned due date to the day it was done, or to
//   the end of the record while it is open: the bottleneck ranking sorts milestones by
//   the accounts they delayed, then by the median and p90 delay;
// - seat_activation_day30/60: the cohort's provisioned seats that had a
//   user's first login by signature + 30 / + 60 (at most the seats, per
//   account), of the seats of the accounts that reached that day;
// - adoption_day30: planned users who had logged in by signature + 30, of the
//   planned users of the accounts that reached that day;
// - goals_day90: goals that met their target by signature + 90, of the goals
//   of the accounts that reached that day;
// - kickoff_within_sla: kickoffs within `kickoff_sla` business days of the
//   signature, of the accounts that kicked off or whose SLA has passed;
// - implementation_on_time: the `implementation_kind` milestone (go-live)
//   done by its planned due date, of the accounts where it was due or done;
// - TTV per ValuePoint (ttv.hpp): the KM median with its exponential-
//   Greenwood interval, and the naive median of the reached durations only
//   (numpy's linear-interpolation median), so the difference shows.
// Rates pool the counts of the cohort's accounts (a ratio of sums).

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "firstvalue/kaplan_meier.hpp"
#include "firstvalue/metrics.hpp"
#include "firstvalue/plan.hpp"
#include "firstvalue/schedule.hpp"
#include "firstvalue/ttv.hpp"

namespace firstvalue {

enum class CohortBy : std::uint8_t { all, signature_month, tier, segment, template_id };
inline constexpr std::array<std::string_view, 5> kCohortBy{"all", "signature_month", "tier", "segment", "template"};
std::string_view to_string(CohortBy by) noexcept;
std::optional<CohortBy> parse_cohort_by(std::string_view text) noexcept;

struct CohortOptions {
  CohortBy by = CohortBy::signature_month;
  DayCount unit = DayCount::calendar;         // of the TTV points but kickoff (business days)
  int kickoff_sla = 5;                        // business days
  std::string segment_attribute = "segment";  // the plan attribute that names an account's segment
  std::string implementation_kind = "go_live";

  // {"by"?, "unit"?: "calendar" | "business", "kickoff_sla"?, "segment_attribute"?,
  //  "implementation_kind"?}; unknown keys are rejected.
  static CohortOptions from_json(std::string_view json);
  std::string to_json(int indent = 2) const;
  bool operator==(const CohortOptions&) const = default;
};

// The cohort an account belongs to: "2026-03" for signature_month, the tier,
// the template id, the segment attribute's value ("(none)" when missing), or
// "all".
std::string cohort_label(CohortBy by, Day signature, std::string_view tier, std::string_view template_id,
                         const Attributes& attributes, std::string_view segment_attribute);

// hits out of eligible: a rate that merges by adding.
struct Tally {
  std::uint64_t hits = 0, of = 0;
  void add(std::uint64_t h, std::uint64_t n) noexcept { hits += h, of += n; }
  void merge(const Tally& t) noexcept { add(t.hits, t.of); }
  double rate() const noexcept {
    return of == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(hits) / static_cast<double>(of);
  }
  bool operator==(const Tally&) const = default;
};

// Counts by whole duration (days), for one TTV point.
struct DurationCounts {
  std::vector<std::uint64_t> events, censored;  // by duration
  void add(int duration, bool event);
  void merge(const DurationCounts& other);
  std::uint64_t total_events() const noexcept;
  std::uint64_t total_censored() const noexcept;
  // The KM sufficient statistic: equal to count_survival() over the same durations and flags.
  SurvivalCounts survival() const;
  // numpy.median of the reached durations; NaN when none.
  double naive_median() const;
  bool operator==(const DurationCounts& other) const noexcept;  // ignores trailing zeros
};

// One account's milestone that was due or done.
struct MilestoneOutcome {
  std::string_view id, name;  // view the plan report's template
  bool on_time = false;
  int delay = 0;  // business days late, 0 when on time
};

// What one account adds to its cohort.
struct AccountOutcome {
  std::string cohort;
  AccountTtv ttv;
  Tally completion_on_time, milestone_completion, seat_activation_day30, seat_activation_day60, adoption_day30,
      goals_day90, kickoff_within_sla, implementation_on_time;
  std::vector<MilestoneOutcome> milestones;
};

// What account_outcome reads. The metrics are the account's activity as of
// signature + 30 and + 60 (null when that day is after as_of).
struct OutcomeInputs {
  const PlanReport* plan = nullptr;  // as of the summary's day; its start is the signature
  std::optional<Day> exit;
  int provisioned_seats = 0;
  const ActivityMetrics* day30 = nullptr;
  const ActivityMetrics* day60 = nullptr;
};
// `cohort` is moved into the outcome.
AccountOutcome account_outcome(const OutcomeInputs& in, std::string cohort, const Calendar& calendar,
                               const CohortOptions& options);

struct MilestoneDelays {
  std::string name;
  std::uint64_t due = 0, on_time = 0;
  std::map<int, std::uint64_t> late;  // business days late → accounts
  std::uint64_t delayed() const noexcept { return due - on_time; }
  bool operator==(const MilestoneDelays&) const = default;
};

struct CohortSummary {
  std::uint64_t accounts = 0;
  Tally completion_on_time, milestone_completion, seat_activation_day30, seat_activation_day60, adoption_day30,
      goals_day90, kickoff_within_sla, implementation_on_time;
  std::array<DurationCounts, kValuePoints.size()> ttv;  // by ValuePoint
  std::map<std::string, MilestoneDelays, std::less<>> milestones;  // by milestone id

  void add(const AccountOutcome& outcome);
  void merge(const CohortSummary& other);
  bool operator==(const CohortSummary&) const = default;
};

// Summaries of one portfolio (or partition) by cohort, as of a day.
struct CohortSummaries {
  Day as_of = 0;
  CohortOptions options;
  std::map<std::string, CohortSummary, std::less<>> cohorts;

  void add(const AccountOutcome& outcome);
  // Throws Error(invalid) at "as_of" or "options" when the two were not built
  // alike, and then leaves this unchanged.
  void merge(const CohortSummaries& other);
  CohortSummary total() const;  // every cohort merged

  // Lossless, for moving partitions' summaries between processes.
  std::string to_json(int indent = -1) const;
  static CohortSummaries from_json(std::string_view json);
  bool operator==(const CohortSummaries&) const = default;
};

// The seed benchmarks; NaN switches one off.
struct CohortBenchmarks {
  static constexpr double kOff = std::numeric_limits<double>::quiet_NaN();
  double first_value_days = 14;          // KM median TTV to first value ≤
  double kickoff_business_days = 5;      // KM median time to kickoff <
  double seat_activation_day60 = 0.70;   // >
  double milestone_completion = 0.90;    // >
  double implementation_on_time = 0.85;  // >
  double adoption_day30 = 0.80;          // >
  double goals_day90 = 0.75;             // >
  double completion_on_time = 0.85;      // ≥ (top performers: 85-95%)
  double seat_activation_day30 = kOff;   // >
  double kickoff_within_sla = kOff;      // ≥

  // {"first_value_days"?: number | null, ...}: the same names; null switches one off.
  static CohortBenchmarks from_json(std::string_view json);
};

enum class Comparison : std::uint8_t { at_most, below, above, at_least };
std::string_view to_string(Comparison c) noexcept;  // "<=", "<", ">", ">="

struct Kpi {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::string_view name;
  double value = kNaN;                  // NaN: nothing to measure yet
  double lower = kNaN, upper = kNaN;    // the interval of a KM median
  std::uint64_t hits = 0, of = 0;       // a rate's counts; for a median, reached and planned accounts
  double target = kNaN;
  Comparison comparison = Comparison::above;
  std::optional<bool> meets;            // none without a target or a value
};

struct TtvSummary {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  ValuePoint point = ValuePoint::first_value;
  DayCount unit = DayCount::calendar;
  std::uint64_t reached = 0, censored = 0;
  double median = kNaN, lower = kNaN, upper = kNaN;  // Kaplan–Meier; +inf when S stays above 0.5
  double naive_median = kNaN;                        // the reached ones only
};

struct MilestoneBottleneck {
  std::string id, name;
  std::uint64_t due = 0, on_time = 0, delayed = 0;
  double on_time_rate = 0;
  double median_delay = 0, p90_delay = 0;  // business days, over the delayed accounts (numpy percentiles)
};

struct CohortReport {
  std::string cohort;
  Day as_of = 0;
  std::uint64_t accounts = 0;
  std::vector<Kpi> kpis;  // kKpiNames order
  std::array<TtvSummary, kValuePoints.size()> ttv;
  std::vector<MilestoneBottleneck> bottlenecks;  // the worst first
  const Kpi* kpi(std::string_view name) const noexcept;
};

inline constexpr std::array<std::string_view, 10> kKpiNames{
    "first_value_days",     "kickoff_business_days", "kickoff_within_sla",    "completion_on_time",
    "milestone_completion", "implementation_on_time", "seat_activation_day30", "seat_activation_day60",
    "adoption_day30",       "goals_day90"};

// numpy.percentile (linear interpolation) of the values a histogram holds; NaN when empty.
double histogram_percentile(const std::map<int, std::uint64_t>& counts, double q);

// Throws Error(invalid) at "alpha" unless 0 < alpha < 1.
CohortReport cohort_report(std::string cohort, const CohortSummary& summary, Day as_of, const CohortOptions& options,
                           const CohortBenchmarks& benchmarks = {}, double alpha = 0.05);
// One report per cohort, in label order, then "(total)" when `total`.
std::vector<CohortReport> cohort_reports(const CohortSummaries& summaries, const CohortBenchmarks& benchmarks = {},
                                         double alpha = 0.05, bool total = true);
std::string cohort_reports_json(const std::vector<CohortReport>& reports, int indent = 2);

}  // namespace firstvalue
