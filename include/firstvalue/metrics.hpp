#pragma once
// Per-account activity state, updated event by event, and the metrics read
// from it as of a day.
//
// The state is built so that ingestion is idempotent and order-independent:
// every field is a set (bitmaps of days and weeks, records keyed by identity),
// a minimum, a maximum, or the k smallest / k largest members of a set. So
// replaying a batch changes nothing, out-of-order events land where they
// belong, and ingesting night by night gives exactly the state of one cold
// ingestion of the same events. An event's identity is its id when it has
// one, else its content.
//
// Day-level history is kept for the first kHorizonDays after the signature
// (onboarding is decided in the first 30-90 days); per-user weekly history for
// kHorizonWeeks. Evaluating as of a day inside the horizon is exact whatever
// was ingested after it; beyond the horizon, metrics read the latest state.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "firstvalue/events.hpp"

namespace firstvalue {

inline constexpr int kHorizonDays = 256;
inline constexpr int kHorizonWeeks = 64;
inline constexpr Day kNever = std::numeric_limits<Day>::min();

// 64-bit FNV-1a: identities of users, features, tickets and event contents.
// Collisions inside one account are what matters: at 10,000 distinct users
// the chance of one is about 3e-12.
constexpr std::uint64_t hash64(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) noexcept {
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// One bit per day for days [0, kHorizonDays) after the signature.
struct DayBits {
  std::array<std::uint64_t, kHorizonDays / 64> words{};

  void set(int rel) noexcept {
    if (rel >= 0 && rel < kHorizonDays) words[static_cast<unsigned>(rel) >> 6] |= 1ull << (rel & 63);
  }
  bool test(int rel) const noexcept {
    return rel >= 0 && rel < kHorizonDays && (words[static_cast<unsigned>(rel) >> 6] >> (rel & 63)) & 1u;
  }
  // Set days in [from, to), clamped to the horizon.
  int count(int from, int to) const noexcept {
    from = std::max(from, 0);
    to = std::min(to, kHorizonDays);
    int n = 0;
    for (int d = from; d < to;) {
      const int w = d >> 6, lo = d & 63, hi = std::min(64, lo + (to - d));
      std::uint64_t m = words[static_cast<unsigned>(w)] >> lo;
      if (hi - lo < 64) m &= (1ull << (hi - lo)) - 1;
      n += std::popcount(m);
      d += hi - lo;
    }
    return n;
  }
  // The last set day <= rel, or -1.
  int last_at_or_before(int rel) const noexcept {
    if (rel < 0) return -1;
    rel = std::min(rel, kHorizonDays - 1);
    for (int w = rel >> 6; w >= 0; --w) {
      std::uint64_t m = words[static_cast<unsigned>(w)];
      if (w == rel >> 6 && (rel & 63) < 63) m &= (2ull << (rel & 63)) - 1;
      if (m) return w * 64 + 63 - std::countl_zero(m);
    }
    return -1;
  }
  // The first set day >= rel, or -1.
  int first_at_or_after(int rel) const noexcept {
    rel = std::max(rel, 0);
    for (int w = rel >> 6; w < kHorizonDays / 64; ++w) {
      std::uint64_t m = words[static_cast<unsigned>(w)];
      if (w == rel >> 6) m &= ~0ull << (rel & 63);
      if (m) return w * 64 + std::countr_zero(m);
    }
    return -1;
  }
  bool operator==(const DayBits&) const = default;
};

// Variable-size facts about an account, one sorted vector per account. The
// kind sits in the key's top bits so one binary search finds any record.
enum class RecordKind : std::uint64_t { user = 1, feature = 2, ticket = 3, done = 4, redate = 5 };
struct Record {
  std::uint64_t key = 0;   // kind << 60 | identity
  std::uint64_t bits = 0;  // user: active weeks since signature; ticket: severity
  Day a = kNever;          // user: first login; feature: first use; ticket: opened; done: day; redate: on
  Day b = kNever;          // user: last login; ticket: closed; redate: to
  bool operator==(const Record&) const = default;
};
constexpr std::uint64_t record_key(RecordKind kind, std::uint64_t identity) noexcept {
  return static_cast<std::uint64_t>(kind) << 60 | (identity & ((1ull << 60) - 1));
}
constexpr RecordKind record_kind(std::uint64_t key) noexcept { return static_cast<RecordKind>(key >> 60); }

// A customer reply or a meeting change, kept in bounded "k earliest" or
// "k latest" sets ordered by (ts, identity).
struct Sample {
  std::uint32_t ts = 0;    // seconds since 1970 (fits until 2106)
  std::uint32_t key = 0;   // identity within the same second
  float value = 0;         // reply latency in hours; for meeting changes 1 = cancelled, 0 = postponed
  bool operator==(const Sample&) const = default;
  friend bool operator<(const Sample& x, const Sample& y) noexcept {
    return x.ts != y.ts ? x.ts < y.ts : x.key < y.key;
  }
};

// The k smallest (Latest = false) or k largest (Latest = true) distinct
// samples ever inserted; inserting the same sample twice is a no-op.
template <std::size_t K, bool Latest>
struct TopSamples {
  std::array<Sample, K> items{};  // sorted ascending, first `size` used
  std::uint8_t size = 0;

  void insert(const Sample& s) noexcept {
    for (std::size_t i = 0; i < size; ++i)
      if (items[i].ts == s.ts && items[i].key == s.key) return;
    if (size < K) {
      items[size++] = s;
      std::sort(items.begin(), items.begin() + size);
      return;
    }
    if (Latest ? !(items[0] < s) : !(s < items[K - 1])) return;
    if (Latest) items[0] = s; else items[K - 1] = s;
    std::sort(items.begin(), items.end());
  }
  std::span<const Sample> view() const noexcept { return {items.data(), size}; }
  bool operator==(const TopSamples&) const = default;
};

// Everything ingestion keeps about one account.
struct AccountActivity {
  DayBits usage;     // days with a login or feature use
  DayBits touch;     // days with any customer activity: usage, email, reply, meeting held
  DayBits outreach;  // days we wrote to the customer
  Day pre_touch = kNever;   // the last customer activity before the signature
  Day last_touch = kNever;  // over all time, for days beyond the horizon
  Day last_usage = kNever, last_outreach = kNever, last_meeting = kNever;
  TopSamples<3, false> first_replies;  // the sponsor's baseline
  TopSamples<3, true> last_replies;    // the sponsor's recent replies
  TopSamples<4, true> meeting_changes; // postponed or cancelled
  std::vector<Record> records;         // sorted by key

  Record* find(std::uint64_t key) noexcept;
  const Record* find(std::uint64_t key) const noexcept;
  // The record with this key, inserted (with `a`/`b` = kNever) if new.
  Record& upsert(std::uint64_t key);
  bool operator==(const AccountActivity&) const = default;
};

// Seconds to days since 1970, rounding down.
constexpr Day day_of(std::int64_t ts) noexcept {
  return static_cast<Day>(ts >= 0 ? ts / 86400 : (ts - 86399) / 86400);
}
constexpr Day min_day(Day x, Day y) noexcept { return x == kNever ? y : (y == kNever ? x : std::min(x, y)); }
constexpr Day max_day(Day x, Day y) noexcept { return std::max(x, y); }  // kNever is the smallest Day

// What an account's metrics are read against.
struct ActivityProfile {
  Day signature = 0;
  int provisioned_seats = 0;
  std::span<const std::uint64_t> planned_users;  // user identities (hash64 of the key)
  std::span<const std::uint64_t> core_features;  // feature identities of the template's core features
  std::span<const std::uint64_t> sponsors;       // contacts whose replies measure sponsor latency; empty = all
};

// One event, already validated, applied to an account. `actor` and `item` are
// hash64 identities (0 = none); `node` is the plan node a milestone event names.
void apply_event(AccountActivity& a, const ActivityProfile& p, EventType type, std::int64_t ts,
                 std::uint64_t actor, std::uint64_t item, double value, std::uint64_t id, std::uint32_t node);

// The metrics of one account as of a day. Counts are exact; NaN means "not
// measurable yet" (no seats, no complete week, no replies).
struct ActivityMetrics {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Day as_of = 0;
  int day = 0;                   // days since the signature
  int weeks_complete = 0;        // onboarding weeks (from the signature) that have ended
  int active_users = 0;          // distinct users who logged in on or before as_of
  double seat_activation = kNaN; // active_users / provisioned seats
  int new_users_14d = 0;         // users whose first login was in the last 14 days
  Day last_new_user = kNever;    // the latest first login on or before as_of
  int planned_users = 0;
  std::vector<std::uint32_t> planned_never;  // indices into the planned users who never logged in
  double planned_activation = kNaN;          // share of planned users who logged in
  int wau = 0;                    // users active in the latest complete week
  double wau_share = kNaN;        // wau / provisioned seats
  double wau_slope = kNaN;        // least-squares slope of wau_share over the last 4 complete weeks, per week
  int wau_peak = 0;               // highest weekly active users of any complete week
  std::vector<int> weekly_active; // active users per complete week, from week 0 (within kHorizonWeeks)
  // Users active in the 7 days ending on as_of. Exact when as_of is on or
  // after each user's latest login (the nightly scan); for a user with later
  // logins, read from the weekly activity around as_of.
  int active_7d = 0;
  // Latest login (on or before as_of) of each user who logged in before the
  // last 7 days and not since: when each one dropped out, ascending.
  std::vector<Day> dropped_last;
  int features_used = 0;
  int core_features_used = 0;
  double feature_breadth = kNaN;  // core features used / core features
  double active_days_per_week = kNaN;  // days with usage in the latest complete week
  int days_since_activity = -1;   // since the last customer activity; -1 = none yet
  Day last_activity = kNever;
  double latency_baseline = kNaN; // median of the sponsor's first replies, hours
  // The median of the latest replies, or the age of the oldest unanswered
  // outreach when that is longer: a wait already paid is a latency.
  double latency_recent = kNaN;
  double pending_hours = kNaN;    // age of the oldest outreach not answered since
  int replies = 0;                // sponsor replies seen in the bounded sets
  Day last_reply = kNever;
  Day pending_since = kNever;     // the oldest unanswered outreach
  int meetings_postponed_30d = 0;
  int meetings_cancelled_30d = 0;
  std::vector<Day> meeting_changes;  // days of the latest (up to 4) postponements and cancellations, ascending
  int open_tickets = 0;
  std::array<int, 4> open_by_severity{};  // severity 1 (critical) … 4 (low)
  int tickets_7d = 0;
  std::vector<Day> recent_tickets;   // opening days of the tickets counted in tickets_7d, ascending
  double ticket_baseline_weekly = kNaN;  // tickets opened per week before the last 7 days
  Day last_outreach = kNever;
};

ActivityMetrics compute_metrics(const AccountActivity& a, const ActivityProfile& p, Day as_of);

}  // namespace firstvalue
