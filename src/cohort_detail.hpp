#pragma once
// The cohort tallies by name: one table for adding, merging and JSON, so a
// new tally is named once.

#include <array>
#include <string_view>

namespace firstvalue::cohort_detail {

inline constexpr std::array<std::string_view, 8> kTallyNames{
    "completion_on_time", "milestone_completion", "seat_activation_day30", "seat_activation_day60",
    "adoption_day30",     "goals_day90",          "kickoff_within_sla",    "implementation_on_time"};

// The tallies of a CohortSummary or an AccountOutcome, in kTallyNames order.
template <class S>
auto tallies(S& s) {
  return std::array{&s.completion_on_time, &s.milestone_completion, &s.seat_activation_day30,
                    &s.seat_activation_day60, &s.adoption_day30,     &s.goals_day90,
                    &s.kickoff_within_sla,    &s.implementation_on_time};
}

}  // namespace firstvalue::cohort_detail
