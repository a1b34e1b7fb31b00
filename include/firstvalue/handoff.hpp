#pragma once
// The sales → customer-success handoff record, and how complete it is. An
// incomplete handoff is the earliest predictor of a stalled onboarding, so the
// assessment names every gap rather than only scoring it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"

namespace firstvalue {

enum class CommitteeRole : std::uint8_t { sponsor, champion, admin, end_user };
std::string_view to_string(CommitteeRole role) noexcept;
std::optional<CommitteeRole> parse_committee_role(std::string_view text) noexcept;

struct CommitteeMember {
  std::string name;
  CommitteeRole role = CommitteeRole::end_user;
  std::optional<std::string> email;
  std::optional<std::string> title;
  bool operator==(const CommitteeMember&) const = default;
};

struct AgreedTimeline {
  std::optional<Day> kickoff;
  std::optional<Day> go_live;
  std::optional<Day> first_value;
  std::string note;  // free text, e.g. "go-live after their SSO rollout"

  // A go-live date or a written note is an agreement; a kickoff date alone is
  // only the start of one.
  bool present() const noexcept;
  bool operator==(const AgreedTimeline&) const = default;
};

// The nine equally weighted items of a complete handoff; the four committee
// roles count separately because each one missing is a different risk.
enum class HandoffItem : std::uint8_t {
  business_case,
  success_metrics,
  executive_sponsor,
  champion,
  admin,
  end_users,
  agreed_timeline,
  commitments,
  risks,
};
inline constexpr std::size_t kHandoffItemCount = 9;
std::string_view to_string(HandoffItem item) noexcept;
// What is wrong when the item is missing, e.g. `buying_committee: no champion`.
std::string_view missing_message(HandoffItem item) noexcept;

struct HandoffAssessment {
  double completeness = 0;           // items present / 9, in [0, 1]
  std::vector<HandoffItem> missing;  // in HandoffItem order

  std::vector<std::string> missing_messages() const;
  // {"completeness", "present", "total", "missing": [{"item", "message"}]}
  std::string to_json(int indent = 2) const;
};

struct HandoffRecord {
  std::string business_case;  // blank counts as missing
  std::vector<std::string> success_metrics;
  std::vector<CommitteeMember> buying_committee;
  std::optional<AgreedTimeline> agreed_timeline;  // nullopt: not recorded
  // nullopt: not recorded. An empty list is a recorded "none", which counts:
  // a rep who promised nothing to close has told CS something.
  std::optional<std::vector<std::string>> commitments;
  std::optional<std::vector<std::string>> risks;

  // {"business_case", "success_metrics": [...], "buying_committee": [{"name",
  //   "role", "email"?, "title"?}], "agreed_timeline": {"kickoff"?, "go_live"?,
  //   "first_value"?, "note"?}, "commitments": [...], "risks": [...]}
  // Every key is optional; unknown keys are rejected; days are integers.
  static HandoffRecord from_json(std::string_view json);
  // Leaves out what was not recorded, so absent and empty lists survive a round trip.
  std::string to_json(int indent = 2) const;

  // Throws Error(invalid) naming the field: blank list entries or member
  // names, an email without an @, a go-live or first-value day before kickoff.
  void validate() const;
  HandoffAssessment assess() const;

  bool operator==(const HandoffRecord&) const = default;
};

}  // namespace firstvalue
