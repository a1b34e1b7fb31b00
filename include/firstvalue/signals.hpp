#pragma once
// Early-warning signals, their accumulation into a "stalled" flag, and the
// cause and action a CSM reads.
//
// Each rule runs one detector over an account's metrics and plan. A fired
// rule yields its evidence (the numbers), a cause sentence, a recommended
// intervention and the day it started to hold (`since`).
//
// Accumulation (the seeds: one signal is harmless, their accumulation means
// the account stopped moving). With rule weights wᵢ in (0, 1):
//   noisy_or (default):  risk = 1 − Π(1 − wᵢ) over the fired rules
//   weighted_sum:        risk = min(1, Σ wᵢ)
// An account is `stalled` when risk >= stall_threshold, `at_risk` when risk >=
// at_risk_threshold, else `ok`. The default weights are all below the stall
// threshold, so no single default signal flags an account.
//
// Onset. Each signal knows the day it started to hold. Taking the fired
// signals in `since` order, the onset is the `since` of the signal with which
// the accumulated risk first reached the threshold: the first night a nightly
// scan would have raised the flag. It depends only on the data, not on which
// nights were evaluated, so a cold run and a night-by-night run agree.
//
// The cause. The primary signal is the one that started first (the first
// domino), ties going to the heavier weight, then to rule order.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "firstvalue/metrics.hpp"

namespace firstvalue {

enum class Detector : std::uint8_t {
  planned_users_not_logged_in,  // after_days, min_share, min_users
  low_activation,               // after_days, min_share
  meetings_postponed,           // count, window_days
  milestone_slipped,            // overdue_days, redates
  sponsor_latency_rising,       // ratio, min_hours
  usage_flattening,             // after_days, flat_days, target, decline_ratio
  silence,                      // days
  ticket_spike,                 // window_days, min_tickets, ratio
  goal_off_track,               // (none)
};
inline constexpr std::array<std::string_view, 9> kDetectorNames{
    "planned_users_not_logged_in", "low_activation", "meetings_postponed", "milestone_slipped",
    "sponsor_latency_rising",      "usage_flattening", "silence",          "ticket_spike",
    "goal_off_track"};
std::string_view to_string(Detector d) noexcept;

enum class Severity : std::uint8_t { low, medium, high };
std::string_view to_string(Severity s) noexcept;

enum class Combine : std::uint8_t { noisy_or, weighted_sum };
std::string_view to_string(Combine c) noexcept;

enum class AccountState : std::uint8_t { ok, at_risk, stalled };
std::string_view to_string(AccountState s) noexcept;

struct SignalRule {
  std::string name;  // unique; defaults to the detector name
  Detector detector = Detector::silence;
  double weight = 0.3;  // in (0, 1]
  Severity severity = Severity::medium;
  std::string action;       // the intervention protocol, e.g. "inactive_user_followup"
  std::string action_text;  // what to do, in a sentence
  // The detector's parameters; every one it reads is present (defaults filled in).
  std::map<std::string, double, std::less<>> params;
  double param(std::string_view key) const;
  bool operator==(const SignalRule&) const = default;
};

struct SignalConfig {
  Combine combine = Combine::noisy_or;
  double stall_threshold = 0.5;
  double at_risk_threshold = 0.25;
  int window_days = 90;  // the onboarding window a worklist counts days left in
  std::vector<SignalRule> rules;

  // Every seed signal, with the thresholds of the seeds where they give one.
  static SignalConfig defaults();
  // {"combine"?, "stall_threshold"?, "at_risk_threshold"?, "window_days"?,
  //  "rules"?: [{"name"?, "detector", "weight"?, "severity"?, "action"?,
  //              "action_text"?, "params"?: {...}}]}
  // Unknown keys and parameters a detector does not read are rejected with
  // their path (`rules[2].params.windw_days: unknown parameter ...`).
  static SignalConfig from_json(std::string_view json);
  std::string to_json(int indent = 2) const;
  bool operator==(const SignalConfig&) const = default;
};

// A milestone that is late or was re-dated, as the plan sees it.
struct MilestoneIssue {
  std::string name;
  int days_overdue = 0;  // calendar days past the committed due date; 0 when not overdue
  int slip_count = 0;    // re-dates that moved it later
  int slip_days = 0;
  Day since = 0;         // the day after the due date, or the day of the last re-date
};

// A goal that is off track.
struct GoalIssue {
  std::string id;
  double progress = 0;  // 0-1
  Day since = 0;
};

// What the detectors read about one account.
struct SignalInputs {
  Day signature = 0;
  const ActivityMetrics* metrics = nullptr;
  std::span<const std::string> planned_users;  // names, for the evidence
  std::span<const MilestoneIssue> milestones;
  std::span<const GoalIssue> goals;
};

struct Evidence {
  std::string name;
  double value = 0;
  bool operator==(const Evidence&) const = default;
};

struct FiredSignal {
  std::uint32_t rule = 0;  // index into SignalConfig::rules
  Day since = 0;
  std::vector<Evidence> evidence;
  std::string cause;  // a sentence with the numbers
};

struct Assessment {
  std::vector<FiredSignal> signals;  // in rule order
  double risk = 0;
  AccountState state = AccountState::ok;
  Day onset = kNever;  // when the current state was reached; kNever when ok
  int primary = -1;    // index into signals; -1 when none fired
};

Assessment assess(const SignalConfig& config, const SignalInputs& inputs);

// How urgent an account is: risk × ARR × (1 + elapsed share of the window),
// so of two equally risky accounts, the larger and the one closer to the end
// of its onboarding window comes first.
double worklist_priority(double risk, double arr, int days_since_signature, int window_days) noexcept;

}  // namespace firstvalue
