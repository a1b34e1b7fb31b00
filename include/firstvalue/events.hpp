#pragma once
// What happened at an account, as columnar batches: usage, exchanges with the
// customer, tickets and plan changes. A batch borrows its columns (numpy
// arrays, C pointers, a file read into an EventTable), so ingesting costs no
// copy. Strings arrive dictionary-encoded, as Arrow and pandas categoricals
// store them: one code per row into a small list of distinct values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "firstvalue/dictionary.hpp"

namespace firstvalue {

// The `value` column means something per type; the unit is part of the contract.
enum class EventType : std::uint8_t {
  login,                // actor: the user
  feature_use,          // actor: the user; item: the feature id
  email_from_customer,  // actor: the contact
  email_to_customer,    // actor: the contact written to
  customer_reply,       // actor: the contact; value: reply latency in hours (>= 0)
  meeting_held,         // item: the meeting id
  meeting_postponed,    // item: the meeting id
  meeting_cancelled,    // item: the meeting id
  ticket_opened,        // item: the ticket id; value: severity 1 (critical) to 4 (low)
  ticket_closed,        // item: the ticket id
  milestone_completed,  // item: a milestone or task id of the account's plan
  milestone_redated,    // item: a milestone or task id; value: the new due date, in seconds since 1970
};
inline constexpr std::array<std::string_view, 12> kEventTypeNames{
    "login",          "feature_use",       "email_from_customer", "email_to_customer",
    "customer_reply", "meeting_held",      "meeting_postponed",   "meeting_cancelled",
    "ticket_opened",  "ticket_closed",     "milestone_completed", "milestone_redated"};
std::string_view to_string(EventType type) noexcept;
std::optional<EventType> parse_event_type(std::string_view name) noexcept;

// Events outside [1970-01-01, 2100-01-01) are unit mistakes (milliseconds,
// microseconds) or corrupt rows, never onboarding history.
inline constexpr std::int64_t kFirstEventSecond = 0;
inline constexpr std::int64_t kEndEventSecond = 4102444800;  // 2100-01-01T00:00:00Z

// A borrowed batch. `ts`, `account` and `type` are required; `actor`, `item`,
// `value` and `id` may be left empty (no column). An id of 0 means the row has
// no id. Every non-empty column has one entry per row. Actors and items are
// identities: they are hashed to 64 bits as they are read and never kept, so
// their length and bytes are not checked (checking them would read every
// value of a million accounts' users once more).
struct EventBatch {
  std::span<const std::int64_t> ts;  // seconds since 1970-01-01 UTC
  Dictionary account;                // account keys of the portfolio
  Dictionary type;                   // names from kEventTypeNames
  Dictionary actor;                  // user or contact key
  Dictionary item;                   // feature, meeting, ticket, milestone or task id
  std::span<const double> value;     // NaN = none
  std::span<const std::uint64_t> id; // 0 = none
  // Whose events the rows are, when the host says so: every row must name
  // the portfolio's organization (or none), or the batch is refused whole
  // (Errc::forbidden). Optional.
  Dictionary organization;

  std::size_t size() const noexcept { return ts.size(); }
  // Rows [begin, end) with the same dictionaries, e.g. one night of a
  // time-ordered table. Row numbers in an IngestReport count from `begin`.
  EventBatch slice(std::size_t begin, std::size_t end) const;
};

// Why a row was turned away.
enum class RejectReason : std::uint8_t {
  unknown_account,
  unknown_type,
  bad_timestamp,     // outside [1970, 2100)
  missing_actor,     // login and feature_use need the user
  missing_item,      // feature, meeting, ticket and plan events need their id
  bad_value,         // missing, NaN, infinite or out of range for the type
  unknown_plan_item, // not a milestone or task of the account's plan
};
inline constexpr std::array<std::string_view, 7> kRejectReasonNames{
    "unknown_account", "unknown_type",  "bad_timestamp",    "missing_actor",
    "missing_item",    "bad_value",     "unknown_plan_item"};
std::string_view to_string(RejectReason reason) noexcept;

struct RejectedRow {
  std::size_t row = 0;  // position in the batch, from 0
  RejectReason reason = RejectReason::unknown_account;
  bool operator==(const RejectedRow&) const = default;
};

// What an ingestion did. Every row is either accepted or listed in `rejected`,
// so accepted + rejected.size() == rows.
struct IngestReport {
  std::size_t rows = 0;
  std::size_t accepted = 0;
  std::vector<RejectedRow> rejected;  // in row order
  std::array<std::size_t, kRejectReasonNames.size()> rejected_by_reason{};
  // The first rejected rows spelled out, e.g. `row 17: unknown account "acme-9"`.
  std::vector<std::string> messages;
  bool cancelled = false;   // the progress callback asked to stop
  std::size_t applied = 0;  // rows applied before a cancellation (all accepted ones otherwise)

  std::string to_json(int indent = 2) const;
};

// An owning batch, for events read from files or generated: the same columns
// as EventBatch, with the dictionaries held as strings.
struct EventTable {
  std::vector<std::int64_t> ts;
  std::vector<std::int32_t> account, type, actor, item;
  std::vector<double> value;
  std::vector<std::uint64_t> id;
  std::vector<std::string> accounts, types, actors, items;  // dictionaries

  std::size_t size() const noexcept { return ts.size(); }
  // Appends one row, interning its strings; an empty actor or item is "none".
  void add(std::int64_t ts, std::string_view account, std::string_view type, std::string_view actor = {},
           std::string_view item = {}, double value = std::numeric_limits<double>::quiet_NaN(),
           std::uint64_t id = 0);

  // A view for ingestion; valid while the table lives and is not modified.
  EventBatch batch() const;

  // CSV with a header naming the columns ts, account, type and optionally
  // actor, item, value, id (any order). `ts` is seconds since 1970 or an ISO
  // date-time (`2026-11-03T14:05:00Z`, `2026-11-03`). Malformed lines throw
  // Error(invalid) naming the line and column; rows that parse but fail the
  // ingestion rules (unknown account, …) are left to ingestion to reject.
  static EventTable from_csv(std::string_view text);
  // One JSON object per line with the same keys.
  static EventTable from_jsonl(std::string_view text);
  // CSV that from_csv reads back to an equal table (ts in seconds).
  std::string to_csv() const;

 private:
  std::int32_t intern(int which, std::string_view value);
  std::unordered_map<std::string, std::int32_t> index_[4];  // accounts, types, actors, items
};

// Parses `2026-11-03T14:05:00Z`, `2026-11-03 14:05:00`, `2026-11-03` (UTC) or a
// whole number of seconds. Throws Error(invalid) with `what` as the path.
std::int64_t parse_timestamp(std::string_view text, std::string_view what);

}  // namespace firstvalue
