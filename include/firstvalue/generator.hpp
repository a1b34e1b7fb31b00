#pragma once
// A deterministic onboarding portfolio with known stalls: accounts, plans and
// realistic events (weekday usage, ramping adoption, email threads with the
// sponsor, weekly meetings, tickets, task completions), plus the ground truth
// of every stall injected, with its cause and onset. Used by the README's
// main command, by the tests, and to measure detection quality.
//
// A stall is a primary symptom from its onset (the cause), followed a few days
// later by the slowdown that comes with it in real accounts: slower replies,
// a postponed meeting, thinner usage. Healthy accounts get isolated harmless
// incidents (one postponed meeting, a slow week of replies, a ticket burst, a
// late task) so that a detector flagging single weak signals loses precision.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "firstvalue/events.hpp"
#include "firstvalue/portfolio.hpp"

namespace firstvalue {

enum class StallCause : std::uint8_t {
  none,
  never_log_in,        // planned users never log in
  sponsor_quiet,       // the sponsor stops answering
  meetings_postponed,  // meetings get postponed and cancelled
  milestone_slip,      // a milestone slips past its date with no new one
  usage_decay,         // usage decays after go-live
};
inline constexpr std::array<std::string_view, 6> kStallCauseNames{
    "none", "never_log_in", "sponsor_quiet", "meetings_postponed", "milestone_slip", "usage_decay"};
std::string_view to_string(StallCause c) noexcept;
// The detectors whose firing as the primary signal names this cause.
std::span<const Detector> detectors_for(StallCause c) noexcept;

struct GeneratorOptions {
  std::size_t accounts = 200;
  std::uint64_t seed = 2026;
  Day as_of = 20780;              // 2026-11-23: the night of the scan; no event after it
  int max_age_days = 120;         // signatures spread over the days before as_of
  double stall_share = 0.3;       // accounts given a stall
  double incident_share = 0.5;    // healthy accounts given one harmless incident
  std::string organization = "sample-org";
};

struct StallTruth {
  StallCause cause = StallCause::none;
  Day onset = kNever;  // the first day the stall is real
};

struct GeneratedPortfolio {
  GeneratorOptions options;
  std::vector<Account> accounts;
  EventTable events;              // in time order
  std::vector<StallTruth> truth;  // one per account

  // The earliest signature: the first night from which a replay sees every
  // stall begin; options.as_of when there are no accounts.
  Day first_signature() const noexcept;
};

GeneratedPortfolio generate_portfolio(const GeneratorOptions& options = {});

// A portfolio holding the generated accounts, before any event.
Portfolio make_portfolio(const GeneratedPortfolio& g, PortfolioConfig config);

// How well the scan finds the injected stalls. The generated events are
// ingested night by night from `first_night` to the generator's as_of and the
// portfolio is evaluated every night, as in production.
//  - positives: accounts with a stall (all onsets are at least 14 days before as_of);
//  - recall: positives flagged `stalled` on the last night;
//  - precision: flagged accounts on the last night that have a stall;
//  - delay: first night flagged on or after the onset, minus the onset (0 when
//    the flag was already up on the onset), for stalls with onset >= first_night;
//  - cause match: flagged positives whose primary signal is one of detectors_for(cause).
struct DetectionQuality {
  std::size_t accounts = 0, positives = 0, flagged = 0, true_positives = 0;
  double recall = 0, precision = 0, cause_match = 0;
  double median_delay = 0;       // days
  std::vector<int> delays;       // per flagged positive whose onset was observed, in account order
  std::array<std::size_t, kStallCauseNames.size()> positives_by_cause{}, found_by_cause{}, cause_matched_by_cause{};
  std::string to_json(int indent = 2) const;
};
DetectionQuality detection_quality(const GeneratedPortfolio& g, PortfolioConfig config, Day first_night,
                                   unsigned threads = 1);

}  // namespace firstvalue
