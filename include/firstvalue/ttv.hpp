#pragma once
// Time-to-value: how long an account took from its signature to kickoff,
// first value, go-live and full value, or, when it has not got there, how
// long it has been waiting. The waiting ones are right-censored rather than
// left out: a median over the accounts that already arrived ignores the slow
// ones, which are the ones still onboarding.
//
// Where the days come from, as of the plan report's day:
// - a point is reached on the first day a milestone of its kind
//   (kMilestoneKinds) was done; first value is also reached on the day a
//   goal marked `first_value` first met its target, whichever is earlier;
// - milestones switched off by a condition or skipped do not count; a point
//   with neither a milestone nor (for first value) a goal is `not_planned`
//   and stays out of every statistic;
// - a point not reached by the as-of day is censored there (`open`); one not
//   reached before the account left (churned or cancelled) is censored at the
//   exit day (`exited`). A point reached on the exit day counts as reached.
//
// Durations run from the signature: kickoff in business days (its SLA is
// counted so), the others in calendar or business days as asked, on the
// portfolio's calendar. A day recorded before the signature counts as 0.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "firstvalue/calendar.hpp"
#include "firstvalue/plan.hpp"
#include "firstvalue/schedule.hpp"

namespace firstvalue {

enum class ValuePoint : std::uint8_t { kickoff, first_value, go_live, full_value };
inline constexpr std::array<std::string_view, 4> kValuePoints{"kickoff", "first_value", "go_live", "full_value"};
inline std::string_view to_string(ValuePoint p) noexcept { return kValuePoints[static_cast<std::size_t>(p)]; }

enum class TtvState : std::uint8_t { reached, open, exited, not_planned };
inline constexpr std::array<std::string_view, 4> kTtvStates{"reached", "open", "exited", "not_planned"};
inline std::string_view to_string(TtvState s) noexcept { return kTtvStates[static_cast<std::size_t>(s)]; }

struct TtvPoint {
  TtvState state = TtvState::not_planned;
  Day day = kNoDay;  // reached: the day; censored: the as-of or exit day
  int duration = 0;  // from the signature to `day`
  bool censored() const noexcept { return state == TtvState::open || state == TtvState::exited; }
  bool planned() const noexcept { return state != TtvState::not_planned; }
  bool operator==(const TtvPoint&) const = default;
};

struct AccountTtv {
  DayCount unit = DayCount::calendar;  // of every point but kickoff, which is in business days
  std::array<TtvPoint, kValuePoints.size()> points{};
  const TtvPoint& operator[](ValuePoint p) const noexcept { return points[static_cast<std::size_t>(p)]; }
  DayCount unit_of(ValuePoint p) const noexcept { return p == ValuePoint::kickoff ? DayCount::business : unit; }
  bool operator==(const AccountTtv&) const = default;
};

namespace ttv_detail {

inline int measure(const Calendar& calendar, DayCount unit, Day from, Day to) {
  const int d = unit == DayCount::business ? calendar.business_days_between(from, to) : to - from;
  return std::max(0, d);
}

// The first day a point was reached on or before `as_of`, and whether the plan has it at all.
inline std::pair<bool, Day> first_reached(const PlanReport& plan, ValuePoint p) {
  const std::string_view kind = to_string(p);
  bool planned = false;
  Day first = kNoDay;
  auto take = [&](Day d) {
    if (d != kNoDay && d <= plan.as_of && (first == kNoDay || d < first)) first = d;
  };
  for (const NodeReport& n : plan.nodes) {
    if (!n.is_milestone || n.kind != kind || !n.active || n.status == Status::skipped ||
        n.status == Status::not_applicable)
      continue;
    planned = true;
    take(n.done);
  }
  if (p == ValuePoint::first_value)
    for (const GoalReport& g : plan.goals)
      if (g.first_value) {
        planned = true;
        if (g.achieved_on) take(*g.achieved_on);
      }
  return {planned, first};
}

}  // namespace ttv_detail

// One account's time-to-value as of `plan.as_of`, its signature being
// `plan.start`. `exit`: the day it churned or cancelled, if it did.
inline AccountTtv time_to_value(const PlanReport& plan, std::optional<Day> exit, const Calendar& calendar,
                                DayCount unit = DayCount::calendar) {
  AccountTtv out;
  out.unit = unit;
  const bool gone = exit && *exit <= plan.as_of;
  const Day end = gone ? *exit : plan.as_of;
  for (std::size_t k = 0; k < kValuePoints.size(); ++k) {
    const auto p = static_cast<ValuePoint>(k);
    const auto [planned, reached] = ttv_detail::first_reached(plan, p);
    TtvPoint& x = out.points[k];
    if (!planned) continue;
    if (reached != kNoDay && reached <= end) {
      x.state = TtvState::reached;
      x.day = reached;
    } else {
      x.state = gone ? TtvState::exited : TtvState::open;
      x.day = end;
    }
    x.duration = ttv_detail::measure(calendar, out.unit_of(p), plan.start, x.day);
  }
  return out;
}

}  // namespace firstvalue
