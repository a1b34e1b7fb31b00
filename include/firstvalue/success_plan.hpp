#pragma once
// The success plan: the measurable goals agreed with a customer, and how each
// one is tracking. The status rules below are the contract a CSM reads a goal
// status by, so they are spelled out here rather than left to the source.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"

namespace firstvalue {

// Which way is better: `down` goals shrink something, e.g. a ticket backlog.
enum class GoalDirection : std::uint8_t { up, down };
std::string_view to_string(GoalDirection direction) noexcept;
std::optional<GoalDirection> parse_goal_direction(std::string_view text) noexcept;

struct Observation {
  Day day = 0;
  double value = 0;
  bool operator==(const Observation&) const = default;
};

struct Goal {
  std::string id;      // unique within the plan
  std::string metric;  // e.g. meetings_per_sdr
  std::string unit;    // optional, for display only
  double baseline = 0; // the value that holds on `start`
  double target = 0;
  Day start = 0;
  Day due = 0;
  GoalDirection direction = GoalDirection::up;
  bool first_value = false;  // reaching this goal is the account's first value
  // In day order; several readings may share a day, the last one listed wins.
  std::vector<Observation> observations;
  bool operator==(const Goal&) const = default;
};

enum class GoalStatus : std::uint8_t { on_track, at_risk, off_track, achieved };
std::string_view to_string(GoalStatus status) noexcept;

struct GoalPolicy {
  // A goal whose projected progress at the due day is at least this share of
  // the way to target (but short of it) is `at_risk` rather than `off_track`.
  double at_risk_ratio = 0.8;
  // Days after start during which a goal without pace evidence is `on_track`.
  Day grace_days = 14;
  bool operator==(const GoalPolicy&) const = default;
};

// Projected progress within this distance below a threshold still reaches it,
// so a projection that is exactly on target by hand but lands on
// 0.9999999999999998 in floating point reads `on_track`.
inline constexpr double kProgressTolerance = 1e-9;

// How one goal stands as of a day. Only observations on or before that day are
// used.
//
// Status, first rule that applies:
//  1. `achieved`: some observation reached the target (value >= target for
//     `up`, <= for `down`). It stays achieved even if later readings fall back.
//  2. `off_track`: as_of is after the due day.
//  3. No pace evidence (no observation yet, or only readings on the start day):
//     `on_track` while as_of <= start + grace_days, else `off_track`.
//  4. Otherwise, by projected progress p = (projected − baseline) / (target −
//     baseline): p >= 1 → `on_track`, p >= at_risk_ratio → `at_risk`, else
//     `off_track` (both thresholds with kProgressTolerance).
//
// The projection is the least-squares line through the observations (value
// against day) evaluated at the due day. With readings on a single day only,
// it is the pace from (start, baseline) to the latest reading instead.
struct GoalReport {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  std::string id;
  bool first_value = false;
  GoalStatus status = GoalStatus::on_track;
  double actual = kNaN;              // latest reading; NaN when none
  double progress = kNaN;            // (actual − baseline) / (target − baseline) in [0, 1]
  double projected = kNaN;           // projected value at the due day; NaN without pace evidence
  double projected_progress = kNaN;  // the same as progress, unclamped
  double slope = kNaN;               // trend per day; NaN without pace evidence
  std::optional<Day> achieved_on;    // day of the first reading that reached the target

  // NaN values appear as null, a missing achieved_on as null.
  std::string to_json(int indent = 2) const;
};

// A JSON array of reports, in the given order.
std::string goal_reports_to_json(const std::vector<GoalReport>& reports, int indent = 2);

class SuccessPlan {
 public:
  SuccessPlan() = default;
  // Validates; a rejection names the path, e.g. `goals[1].target: must be
  // above baseline for an "up" goal`.
  explicit SuccessPlan(std::vector<Goal> goals);

  // {"goals": [{"id", "metric", "unit"?, "baseline", "target", "start", "due",
  //   "direction", "first_value"?, "observations"?: [[day, value], ...]}]}
  // Days are integers (days since 1970-01-01). Unknown keys are rejected.
  static SuccessPlan from_json(std::string_view json);
  std::string to_json(int indent = 2) const;

  const std::vector<Goal>& goals() const noexcept { return goals_; }
  const Goal* find(std::string_view id) const noexcept;
  const Goal* first_value_goal() const noexcept;

  // One report per goal, in plan order. Throws Error(invalid) naming the
  // policy field (`at_risk_ratio`, `grace_days`) for a policy out of range.
  std::vector<GoalReport> evaluate(Day as_of, const GoalPolicy& policy = {}) const;

  bool operator==(const SuccessPlan&) const = default;

 private:
  std::vector<Goal> goals_;
};

}  // namespace firstvalue
