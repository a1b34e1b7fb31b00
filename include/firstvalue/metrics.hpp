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
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <span>
#include <string_view>
#include <utility>
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

// Days are kept relative to the signature in 16 bits, so events further than
// this from an account's signature are refused at ingestion (a unit mistake or
// a corrupt row: 32,000 days is 87 years).
inline constexpr int kMaxDaysFromSignature = 32000;

class ActivityArena;

// Everything ingestion keeps about one account, in one heap block sized to
// the account's history: an account two weeks into onboarding, with twenty
// planned users, costs about 165 bytes, so a million accounts stay in memory and in fewer cache lines. The
// layout is private to metrics.cpp; users, features, tickets and plan events
// are kept sorted by identity, so equal histories give equal bytes whatever
// the order they arrived in. The block comes from malloc, or from an
// ActivityArena when events are applied with one; a copy is always malloc'd.
class AccountActivity {
 public:
  AccountActivity() noexcept = default;
  AccountActivity(const AccountActivity& other);
  AccountActivity(AccountActivity&& other) noexcept : block_(std::exchange(other.block_, 0)) {}
  AccountActivity& operator=(AccountActivity other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~AccountActivity();

  bool empty() const noexcept { return block_ == 0; }
  std::size_t bytes() const noexcept;  // the size of the block, 0 when empty
  // Where the state starts, for callers that prefetch it.
  const void* address() const noexcept { return data(); }
  bool operator==(const AccountActivity& other) const noexcept;
  // Zeroes the block, slack included, and lets it go: an erased account's
  // history does not linger in the arena or the allocator.
  void scrub() noexcept;

 private:
  static constexpr std::uintptr_t kInArena = 1;  // blocks are 8-aligned, so the low bit is free
  std::byte* data() const noexcept { return reinterpret_cast<std::byte*>(block_ & ~kInArena); }
  std::uintptr_t block_ = 0;  // the block's address, | kInArena when an arena owns it
  friend struct ActivityBlock;
};

// Spare slabs for ActivityArenas: an arena that goes hands its slabs here and
// the next ones take them, so memory that is already mapped gets reused
// (mapping fresh pages costs more than the copying that compaction does).
// Shared by the arenas of one holder, across threads.
class SlabPool {
 public:
  SlabPool() = default;
  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;
  ~SlabPool();
  // Frees spare slabs beyond `keep` bytes.
  void trim(std::size_t keep) noexcept;
  std::size_t spare() const noexcept;

 private:
  friend class ActivityArena;
  std::byte* take() noexcept;  // a slab of kSlab bytes, or null
  void give(std::byte* slab) noexcept;
  mutable std::mutex mutex_;
  std::vector<std::byte*> slabs_;
};

// Storage for the states of many accounts, for a holder such as a portfolio:
// blocks are carved one after the other from large slabs instead of being
// malloc'd one by one, so the accounts a thread visits in order get their
// blocks in that order, and no allocator metadata sits between them. A block
// that grows moves to a larger one and leaves its old bytes behind as
// garbage; `adopt` copies live blocks into a fresh arena, in the order the
// holder asks, after which the old arenas can go. An arena is used by one
// thread at a time and must outlive the AccountActivity objects it backs.
class ActivityArena {
 public:
  // Slabs are 2 MiB, aligned to and advised as huge pages: the states of a
  // million accounts span hundreds of megabytes. The first slabs of an arena
  // are smaller, so a small portfolio holds little.
  static constexpr std::size_t kSlab = std::size_t{2} << 20;

  explicit ActivityArena(SlabPool* pool = nullptr) noexcept : pool_(pool) {}
  ActivityArena(ActivityArena&& other) noexcept;
  ActivityArena& operator=(ActivityArena&& other) noexcept;
  ActivityArena(const ActivityArena&) = delete;
  ActivityArena& operator=(const ActivityArena&) = delete;
  ~ActivityArena();

  std::size_t held() const noexcept { return held_; }        // bytes of slabs
  std::size_t garbage() const noexcept { return garbage_; }  // bytes left behind by blocks that moved
  // Copies the block of `a` into this arena (at the same capacity) and points
  // `a` at the copy; the old bytes are the old arena's garbage from then on.
  void adopt(AccountActivity& a);

 private:
  friend struct ActivityBlock;
  friend class ActivityWriter;
  std::byte* allocate(std::size_t bytes);
  void release_all() noexcept;
  // Forgets every block and starts again at the first slab, giving the others back.
  void rewind() noexcept;
  SlabPool* pool_ = nullptr;
  std::vector<std::pair<std::byte*, std::size_t>> slabs_;
  std::byte* next_ = nullptr;
  std::byte* end_ = nullptr;
  std::size_t held_ = 0, garbage_ = 0;
};

struct ActivityProfile;

// Applies many events to one account at a time, so that its state moves at
// most once however many there are: they go to a copy of the state in
// scratch memory, and `finish` writes the result back where the state was
// when it still fits there, or else into one new block of the arena (the old
// one becoming garbage). Growing the state in place, event by event, left a
// block behind at every size it went through. One per thread.
class ActivityWriter {
 public:
  explicit ActivityWriter(SlabPool* pool = nullptr) noexcept : scratch_(pool) {}
  // Starts on `a`, which is not changed until finish.
  void begin(const AccountActivity& a);
  void apply(const ActivityProfile& p, EventType type, std::int64_t ts, std::uint64_t actor, std::uint64_t item,
             double value, std::uint64_t id, std::uint32_t node);
  // Writes the state into `a`; a new block comes from `arena`.
  void finish(AccountActivity& a, ActivityArena& arena);

 private:
  ActivityArena scratch_;
  AccountActivity state_;
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
  // The planned users' identities (hash64 of the key), distinct and sorted:
  // each has a slot in the state whether or not it logged in.
  std::span<const std::uint64_t> planned_users;
  std::span<const std::uint32_t> planned_slot;   // per planned user, in the account's order: its slot
  std::span<const std::uint64_t> core_features;  // feature identities of the template's core features
  std::span<const std::uint64_t> sponsors;       // contacts whose replies measure sponsor latency; empty = all
};

// One event, already validated, applied to an account. `actor` and `item` are
// hash64 identities (0 = none); `node` is the plan node a milestone event
// names (below 65,536). The profile has at most 65,535 planned users.
// With an arena, a block that is created or grows comes from it.
void apply_event(AccountActivity& a, const ActivityProfile& p, EventType type, std::int64_t ts,
                 std::uint64_t actor, std::uint64_t item, double value, std::uint64_t id, std::uint32_t node,
                 ActivityArena* arena = nullptr);
// Which events apply_event reads `value` and `id` of; the others ignore them,
// so a caller need not fetch them (most events are usage, which has neither).
constexpr bool reads_value(EventType t) noexcept {
  return t == EventType::customer_reply || t == EventType::ticket_opened || t == EventType::milestone_redated;
}
constexpr bool reads_id(EventType t) noexcept {
  return t == EventType::customer_reply || t == EventType::meeting_postponed || t == EventType::meeting_cancelled;
}
// Likewise for `actor` and `item` (a plan event's item is its `node`).
constexpr bool reads_actor(EventType t) noexcept {
  return t == EventType::login || t == EventType::feature_use || t == EventType::customer_reply;
}
constexpr bool reads_item(EventType t) noexcept {
  return t == EventType::feature_use || t == EventType::meeting_postponed || t == EventType::meeting_cancelled ||
         t == EventType::ticket_opened || t == EventType::ticket_closed;
}

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
// The same into `out`, whose lists keep their buffers: for a caller going through many accounts.
void compute_metrics(const AccountActivity& a, const ActivityProfile& p, Day as_of, ActivityMetrics& out);

// Milestone events ingested for the plan, by node index: completions (`to`
// unused) and re-dates from `on` to `to`, ordered by node, then day.
struct PlanEvent {
  std::uint32_t node = 0;
  bool redate = false;
  Day on = 0;
  Day to = 0;
  bool operator==(const PlanEvent&) const = default;
};
std::vector<PlanEvent> plan_events(const AccountActivity& a, const ActivityProfile& p);
// The same into `out` (cleared first), so that a caller going through many accounts reuses one buffer.
void plan_events(const AccountActivity& a, const ActivityProfile& p, std::vector<PlanEvent>& out);

// What a state read back from outside (a snapshot) must agree with: the
// account's distinct planned users and its template's plan nodes.
struct ActivityShape {
  std::size_t planned_users = 0;
  std::size_t plan_nodes = 0;
};
// A state from bytes that AccountActivity::address() and bytes() gave, checked
// against every invariant ingestion keeps (section sizes and bounds, sorted
// distinct identities, day ranges, plan nodes and planned users within
// `shape`), so that reading it is as safe as reading one built from events.
// Throws Error(invalid) saying what is wrong. The block comes from `arena`
// when one is given, else from malloc.
AccountActivity restore_activity(std::span<const std::byte> bytes, const ActivityShape& shape,
                                 ActivityArena* arena = nullptr);

// Everything a state holds, decoded, in absolute days (kNever = none): what an
// export of all the engine keeps about an account shows. Identities are the
// hash64 of the user, feature or ticket key; the keys themselves are not kept.
struct ActivityContents {
  std::vector<Day> usage_days, touch_days, outreach_days;  // within kHorizonDays of the signature
  Day last_usage = kNever, last_touch = kNever, last_outreach = kNever, last_meeting = kNever;
  Day touch_before_signature = kNever;  // the latest activity before the signature
  struct User {
    std::uint64_t id = 0;
    bool planned = false;
    Day first = kNever, last = kNever;
    std::uint64_t weeks = 0;  // bit w: active in onboarding week w
  };
  struct Feature {
    std::uint64_t id = 0;
    Day first = kNever;
  };
  struct Ticket {
    std::uint64_t id = 0;
    Day opened = kNever, closed = kNever;
    int severity = 0;  // 0 = not given
  };
  std::vector<User> users;  // planned users that logged in, then the others, by identity
  std::vector<Feature> features;
  std::vector<Ticket> tickets;
  std::vector<Sample> replies, meeting_changes;  // ascending
  std::vector<PlanEvent> plan;
};
ActivityContents activity_contents(const AccountActivity& a, const ActivityProfile& p);

// First-login days of every user, ascending (one per user, any day).
std::vector<Day> first_logins(const AccountActivity& a, const ActivityProfile& p);
// The same into `out` (cleared first).
void first_logins(const AccountActivity& a, const ActivityProfile& p, std::vector<Day>& out);
// The first login of the planned user at this index of the account's list, or kNever.
Day planned_first_login(const AccountActivity& a, const ActivityProfile& p, std::size_t planned_index);

}  // namespace firstvalue
