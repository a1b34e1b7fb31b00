#pragma once
// Onboarding playbooks: a template is phases → milestones → tasks with
// relative timing, dependencies, conditions and data-verified completion
// criteria; a template set picks one template per account.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/expr.hpp"

namespace firstvalue {

// Account attributes and metrics by name, as conditions and criteria see them.
using Attributes = std::map<std::string, Value, std::less<>>;

enum class Owner : std::uint8_t { internal, customer };  // customer tasks are the portal "homework"
enum class DayCount : std::uint8_t { business, calendar };
enum class Anchor : std::uint8_t {
  plan_start,    // offset counts from day 0 of the plan
  predecessors,  // offset counts from the finish of the last predecessor (plan start without any)
};

std::string_view to_string(Owner v) noexcept;
std::string_view to_string(DayCount v) noexcept;
std::optional<DayCount> parse_day_count(std::string_view text) noexcept;  // "business" or "calendar"
std::string_view to_string(Anchor v) noexcept;

// The seeds' milestone vocabulary; any other kind is allowed as a custom kind.
inline constexpr std::array<std::string_view, 9> kMilestoneKinds{
    "kickoff", "technical_setup", "first_active_users", "training", "first_value",
    "go_live", "adoption",        "full_value",         "handoff"};
bool is_standard_milestone_kind(std::string_view kind) noexcept;

// A unit of work. It starts `offset` days after its anchor, and never before
// every predecessor has finished (finish-to-start); it is due `duration` days
// after it starts: a 5-business-day task starting Monday is due next Monday.
struct Task {
  std::string id;
  std::string name;
  Owner owner = Owner::internal;
  std::string role;  // csm, implementation, admin, sponsor, …
  int offset = 0;
  int duration = 1;
  DayCount days = DayCount::business;
  Anchor from = Anchor::predecessors;
  std::vector<std::string> depends_on;  // task or milestone ids
  std::optional<Expr> condition;        // the task exists only for accounts where it holds
  std::optional<Expr> done_when;        // done on the first day the data says so, e.g. `sso_logins > 0`
};

// A milestone is reached when all its active tasks are done, unless it has a
// completion criterion: then it is reached when the data says so
// (verifiable in the data, not declared in a meeting), or when declared.
struct Milestone {
  std::string id;
  std::string name;
  std::string kind;                     // kMilestoneKinds or custom
  std::vector<std::string> depends_on;  // milestone ids
  int offset = 0;                       // earliest due, from the plan start (a gate with no tasks)
  DayCount days = DayCount::business;
  std::optional<Expr> condition;
  std::optional<Expr> done_when;  // e.g. `active_users >= 5`, `goal.meetings_per_sdr >= 7`
  std::vector<Task> tasks;
};

struct Phase {
  std::string id;
  std::string name;
  std::vector<Milestone> milestones;
};

struct Template {
  std::string id;
  std::string name;
  std::string tier;                 // enterprise, mid_market, smb, …; used by TemplateSet
  std::optional<Expr> entry;        // applies automatically when an account matches
  std::optional<Expr> exit;         // concludes the plan early
  std::vector<std::string> core_features;
  std::vector<Phase> phases;

  // Parses and validates: unique ids, known dependencies, no cycle (the message
  // lists it), non-negative durations and offsets, conditions that parse.
  static Template from_json(std::string_view json);
  std::string to_json(int indent = 2) const;
  // Every attribute or metric name that a condition or criterion reads.
  std::vector<std::string> variables() const;
};

// One template per account, chosen (1) by the first template whose entry
// criterion holds, (2) else by the account's `tier` attribute, (3) else by
// ARR bands (enterprise ≥ 100k, mid_market ≥ 25k, smb), (4) else the fallback.
class TemplateSet {
 public:
  TemplateSet(std::vector<Template> templates, std::string fallback);

  // The seeds' five phases in three flavours: enterprise (high-touch),
  // mid-market (templated) and SMB (tech-touch).
  static TemplateSet default_set();
  static TemplateSet from_json(std::string_view json);
  std::string to_json(int indent = 2) const;

  struct Selection {
    std::size_t index;
    std::string reason;  // "entry criteria", "tier", "arr", "fallback"
  };
  Selection select(const Attributes& attributes) const;

  const std::vector<Template>& templates() const noexcept { return templates_; }
  const Template* find(std::string_view id) const noexcept;
  const std::string& fallback() const noexcept { return fallback_; }

 private:
  std::vector<Template> templates_;
  std::string fallback_;
};

}  // namespace firstvalue
