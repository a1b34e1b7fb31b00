// The handoff record: validation, the completeness assessment, and the JSON form.

#include "firstvalue/handoff.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "firstvalue/error.hpp"
#include "handoff_json.hpp"
#include "json_reader.hpp"
#include "success_plan_json.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// ---------------------------------------------------------------------------
// Validation

void validate_entries(const std::vector<std::string>& list, const std::string& path) {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (is_blank(list[i])) throw_invalid(index_path(path, i), "must not be blank");
}

bool looks_like_email(std::string_view s) {
  const auto at = s.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
         s.find_first_of(" \t\r\n") == std::string_view::npos;
}

void validate_member(const CommitteeMember& m, const std::string& path) {
  if (is_blank(m.name)) throw_invalid(join_path(path, "name"), "must not be blank");
  if (m.email && !looks_like_email(*m.email))
    throw_invalid(join_path(path, "email"), detail::quoted(*m.email) + " is not an email address");
}

void validate_timeline(const AgreedTimeline& t, const std::string& path) {
  if (!t.kickoff) return;
  const std::string after_kickoff =
      "must not precede kickoff (day " + std::to_string(*t.kickoff) + ")";
  if (t.go_live && *t.go_live < *t.kickoff)
    throw_invalid(join_path(path, "go_live"), after_kickoff);
  if (t.first_value && *t.first_value < *t.kickoff)
    throw_invalid(join_path(path, "first_value"), after_kickoff);
}

// ---------------------------------------------------------------------------
// JSON

std::vector<std::string> parse_strings(const json& list, const std::string& path) {
  json_detail::as_array(list, path);
  std::vector<std::string> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(json_detail::as_string(list[i], index_path(path, i)));
  return out;
}

std::optional<std::vector<std::string>> optional_strings(const ObjectReader& r,
                                                         std::string_view key) {
  if (!r.has(key)) return std::nullopt;
  return parse_strings(r.required(key), r.field_path(key));
}

std::optional<std::string> optional_string(const ObjectReader& r, std::string_view key) {
  if (!r.has(key)) return std::nullopt;
  return r.string(key);
}

std::optional<Day> optional_day(const ObjectReader& r, std::string_view key) {
  if (!r.has(key)) return std::nullopt;
  return json_detail::as_date(r.required(key), r.field_path(key));
}

CommitteeRole parse_role(const ObjectReader& r) {
  const std::string text = r.string("role");
  const auto role = parse_committee_role(text);
  if (!role)
    throw_invalid(r.field_path("role"),
                  "unknown role " + detail::quoted(text) + " (expected sponsor, champion, admin or end_user)");
  return *role;
}

CommitteeMember parse_member(const json& value, const std::string& path) {
  const ObjectReader r(value, path, {"name", "role", "email", "title"});
  CommitteeMember m;
  m.name = r.string("name");
  m.role = parse_role(r);
  m.email = optional_string(r, "email");
  m.title = optional_string(r, "title");
  return m;
}

AgreedTimeline parse_timeline(const json& value, const std::string& path) {
  const ObjectReader r(value, path, {"kickoff", "go_live", "first_value", "note"});
  AgreedTimeline t;
  t.kickoff = optional_day(r, "kickoff");
  t.go_live = optional_day(r, "go_live");
  t.first_value = optional_day(r, "first_value");
  t.note = r.string_or("note", "");
  return t;
}

json member_to_json(const CommitteeMember& m) {
  json out{{"name", m.name}, {"role", std::string(to_string(m.role))}};
  if (m.email) out["email"] = *m.email;
  if (m.title) out["title"] = *m.title;
  return out;
}

json timeline_to_json(const AgreedTimeline& t) {
  json out = json::object();
  if (t.kickoff) out["kickoff"] = *t.kickoff;
  if (t.go_live) out["go_live"] = *t.go_live;
  if (t.first_value) out["first_value"] = *t.first_value;
  if (!t.note.empty()) out["note"] = t.note;
  return out;
}

}  // namespace

std::string_view to_string(CommitteeRole role) noexcept {
  switch (role) {
    case CommitteeRole::sponsor: return "sponsor";
    case CommitteeRole::champion: return "champion";
    case CommitteeRole::admin: return "admin";
    case CommitteeRole::end_user: return "end_user";
  }
  return "unknown";
}

std::optional<CommitteeRole> parse_committee_role(std::string_view text) noexcept {
  for (const CommitteeRole r : {CommitteeRole::sponsor, CommitteeRole::champion,
                                CommitteeRole::admin, CommitteeRole::end_user})
    if (text == to_string(r)) return r;
  return std::nullopt;
}

std::string_view to_string(HandoffItem item) noexcept {
  switch (item) {
    case HandoffItem::business_case: return "business_case";
    case HandoffItem::success_metrics: return "success_metrics";
    case HandoffItem::executive_sponsor: return "executive_sponsor";
    case HandoffItem::champion: return "champion";
    case HandoffItem::admin: return "admin";
    case HandoffItem::end_users: return "end_users";
    case HandoffItem::agreed_timeline: return "agreed_timeline";
    case HandoffItem::commitments: return "commitments";
    case HandoffItem::risks: return "risks";
  }
  return "unknown";
}

std::string_view missing_message(HandoffItem item) noexcept {
  switch (item) {
    case HandoffItem::business_case: return "business_case: missing";
    case HandoffItem::success_metrics: return "success_metrics: none listed";
    case HandoffItem::executive_sponsor: return "buying_committee: no executive sponsor";
    case HandoffItem::champion: return "buying_committee: no champion";
    case HandoffItem::admin: return "buying_committee: no admin";
    case HandoffItem::end_users: return "buying_committee: no end users";
    case HandoffItem::agreed_timeline: return "agreed_timeline: missing";
    case HandoffItem::commitments: return "commitments: not recorded";
    case HandoffItem::risks: return "risks: not recorded";
  }
  return "unknown";
}

bool AgreedTimeline::present() const noexcept { return go_live.has_value() || !is_blank(note); }

std::vector<std::string> HandoffAssessment::missing_messages() const {
  std::vector<std::string> out;
  out.reserve(missing.size());
  for (const HandoffItem item : missing) out.emplace_back(missing_message(item));
  return out;
}

void HandoffRecord::validate() const {
  validate_entries(success_metrics, "success_metrics");
  for (std::size_t i = 0; i < buying_committee.size(); ++i)
    validate_member(buying_committee[i], index_path("buying_committee", i));
  if (agreed_timeline) validate_timeline(*agreed_timeline, "agreed_timeline");
  if (commitments) validate_entries(*commitments, "commitments");
  if (risks) validate_entries(*risks, "risks");
}

HandoffAssessment HandoffRecord::assess() const {
  const auto has_role = [this](CommitteeRole role) {
    return std::any_of(buying_committee.begin(), buying_committee.end(),
                       [role](const CommitteeMember& m) { return m.role == role; });
  };
  // Blank entries are rejected by validate(); an unvalidated record still must
  // not get credit for them.
  const bool metrics = std::any_of(success_metrics.begin(), success_metrics.end(),
                                   [](const std::string& s) { return !is_blank(s); });
  const std::array<std::pair<HandoffItem, bool>, kHandoffItemCount> items{{
      {HandoffItem::business_case, !is_blank(business_case)},
      {HandoffItem::success_metrics, metrics},
      {HandoffItem::executive_sponsor, has_role(CommitteeRole::sponsor)},
      {HandoffItem::champion, has_role(CommitteeRole::champion)},
      {HandoffItem::admin, has_role(CommitteeRole::admin)},
      {HandoffItem::end_users, has_role(CommitteeRole::end_user)},
      {HandoffItem::agreed_timeline, agreed_timeline && agreed_timeline->present()},
      {HandoffItem::commitments, commitments.has_value()},
      {HandoffItem::risks, risks.has_value()},
  }};
  HandoffAssessment a;
  for (const auto& [item, present] : items)
    if (!present) a.missing.push_back(item);
  a.completeness = static_cast<double>(kHandoffItemCount - a.missing.size()) /
                   static_cast<double>(kHandoffItemCount);
  return a;
}

HandoffRecord handoff_from_json(const json& value, const std::string& path) {
  const ObjectReader r(value, path,
                       {"business_case", "success_metrics", "buying_committee", "agreed_timeline",
                        "commitments", "risks"});
  HandoffRecord h;
  h.business_case = r.string_or("business_case", "");
  h.success_metrics = optional_strings(r, "success_metrics").value_or(std::vector<std::string>{});
  if (r.has("buying_committee")) {
    const json& list = r.array("buying_committee");
    const std::string list_path = r.field_path("buying_committee");
    for (std::size_t i = 0; i < list.size(); ++i)
      h.buying_committee.push_back(parse_member(list[i], index_path(list_path, i)));
  }
  if (r.has("agreed_timeline"))
    h.agreed_timeline =
        parse_timeline(r.required("agreed_timeline"), r.field_path("agreed_timeline"));
  h.commitments = optional_strings(r, "commitments");
  h.risks = optional_strings(r, "risks");
  // Parsing already wrote full paths; validation writes them relative to the record.
  try {
    h.validate();
  } catch (const Error& e) {
    throw e.under(path);
  }
  return h;
}

json to_json_value(const HandoffRecord& h) {
  json out = json::object();
  if (!h.business_case.empty()) out["business_case"] = h.business_case;
  if (!h.success_metrics.empty()) out["success_metrics"] = h.success_metrics;
  if (!h.buying_committee.empty()) {
    json members = json::array();
    for (const CommitteeMember& m : h.buying_committee) members.push_back(member_to_json(m));
    out["buying_committee"] = std::move(members);
  }
  if (h.agreed_timeline) out["agreed_timeline"] = timeline_to_json(*h.agreed_timeline);
  if (h.commitments) out["commitments"] = *h.commitments;
  if (h.risks) out["risks"] = *h.risks;
  return out;
}

json to_json_value(const HandoffAssessment& a) {
  json missing = json::array();
  for (const HandoffItem item : a.missing)
    missing.push_back(json{{"item", std::string(to_string(item))},
                           {"message", std::string(missing_message(item))}});
  return json{{"completeness", a.completeness},
              {"present", kHandoffItemCount - a.missing.size()},
              {"total", kHandoffItemCount},
              {"missing", std::move(missing)}};
}

HandoffRecord HandoffRecord::from_json(std::string_view text) {
  return handoff_from_json(json_detail::parse_document(text, "handoff record"), "");
}

std::string HandoffRecord::to_json(int indent) const { return to_json_value(*this).dump(indent); }

std::string HandoffAssessment::to_json(int indent) const {
  return to_json_value(*this).dump(indent);
}

}  // namespace firstvalue
