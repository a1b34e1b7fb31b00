#include "firstvalue/metrics.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "firstvalue/error.hpp"

#include <sys/mman.h>

namespace firstvalue {

// ---- the block ------------------------------------------------------------------
//
// One malloc'd block per account: a Head, then sections packed back to back
// with no padding (read and written through memcpy). Days are relative to the
// signature, in a "day" field of one byte while every one the sections hold
// is in [0, 254] (255 = none), as during onboarding, and of two (i16) from the
// first one that is not (the block is then `wide`): a million onboarding
// accounts' states fit in half the memory that way, and the width depends
// only on which events there are, so equal histories still give equal bytes.
// The sections, in order:
//   bits     per 64-day word: usage, touch, outreach (3 × u64), days [0, kHorizonDays)
//   extra    users not in the plan, by identity: id u64, first day, last day, weeks u64
//   feature  by identity: id u64, first use day
//   ticket   by identity: id u64, opened day, closed day, severity u8 (0 = not given)
//   reply    the sponsor's 3 earliest and 3 latest replies: Sample, ascending
//   meeting  the 4 latest postponements or cancellations: Sample, ascending
//   slot     one per planned user once one of them logged in: first day, last day
//   matrix   one row per onboarding week, one bit per slot: who was active
//   done     by node: node u16, day
//   redate   by (node, on, to): node u16, on day, to day
// Every section is a set or holds minima and maxima, which is what makes
// ingestion idempotent and order-independent.

namespace {

constexpr std::int16_t kNone = std::numeric_limits<std::int16_t>::min();

// Widest first, so that it packs into 36 bytes. Planned users (slots) and
// plan nodes (done) are at most 65,535 per account, as the portfolio checks.
struct Head {
  std::uint32_t extras = 0, features = 0, tickets = 0, redates = 0;
  std::uint16_t slots = 0, done = 0;
  std::int16_t pre_touch = kNone, last_touch = kNone, last_usage = kNone, last_outreach = kNone, last_meeting = kNone;
  std::uint8_t words = 0, rows = 0, replies = 0, meetings = 0, wide = 0;
  bool operator==(const Head&) const = default;
};
static_assert(sizeof(Head) == 36);

enum Sec : int { s_bits, s_extra, s_feature, s_ticket, s_reply, s_meeting, s_slot, s_matrix, s_done, s_redate, s_end };
constexpr std::size_t kSample = 12;
// Element sizes by section, narrow and wide; the matrix's is its stride.
constexpr std::size_t kElem[2][s_end] = {{24, 18, 9, 11, kSample, kSample, 2, 0, 3, 4},
                                         {24, 20, 10, 13, kSample, kSample, 4, 0, 4, 6}};
// The fields of an element, in order: a day (-1), or so many other bytes.
constexpr int kDay = -1;
constexpr std::array<std::array<int, 4>, s_end> kShape{{{24},
                                                        {8, kDay, kDay, 8},
                                                        {8, kDay},
                                                        {8, kDay, kDay, 1},
                                                        {int{kSample}},
                                                        {int{kSample}},
                                                        {kDay, kDay},
                                                        {},
                                                        {2, kDay},
                                                        {2, kDay, kDay}}};
// The days a narrow block can hold.
constexpr bool narrow_day(int rel) noexcept { return rel >= 0 && rel <= 254; }
constexpr std::size_t kReplies = 6, kMeetings = 4;

template <class T>
T load(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store(std::byte* p, T v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

std::size_t stride(const Head& h) noexcept { return (h.slots + 7) / 8; }
std::size_t elem(const Head& h, int s) noexcept { return s == s_matrix ? stride(h) : kElem[h.wide][s]; }
std::size_t day_bytes(const Head& h) noexcept { return h.wide ? 2 : 1; }
// A chain of adds that stops at `s`: with `s` known where it is inlined it
// folds to the adds before it. (Summing an array of the section sizes instead
// lets GCC vectorise the sum through the stack, which stalls on every call.)
std::size_t offset(const Head& h, int s) noexcept {
  const std::size_t* const e = kElem[h.wide];
  std::size_t off = sizeof(Head);
  if (s == s_bits) return off;
  off += e[s_bits] * h.words;
  if (s == s_extra) return off;
  off += e[s_extra] * h.extras;
  if (s == s_feature) return off;
  off += e[s_feature] * h.features;
  if (s == s_ticket) return off;
  off += e[s_ticket] * h.tickets;
  if (s == s_reply) return off;
  off += e[s_reply] * h.replies;
  if (s == s_meeting) return off;
  off += e[s_meeting] * h.meetings;
  if (s == s_slot) return off;
  off += e[s_slot] * h.slots;
  if (s == s_matrix) return off;
  off += std::size_t{h.rows} * stride(h);
  if (s == s_done) return off;
  off += e[s_done] * h.done;
  if (s == s_redate) return off;
  return off + e[s_redate] * h.redates;
}
std::size_t block_size(const Head& h) noexcept { return offset(h, s_end); }

// The allocation holding n bytes: size classes in steps of an eighth of a
// power of two (at least 32 bytes, counting malloc's 8-byte header), so
// appending reallocates now and then and at most an eighth of a block is
// slack. A block of size n always has exactly capacity(n) bytes, which is why
// the classes are fixed rather than relative to the last allocation.
std::size_t capacity(std::size_t n) noexcept {
  const std::size_t m = n + 8;
  const std::size_t q = std::max<std::size_t>(32, std::bit_floor(m) / 8);
  return (m + q - 1) / q * q - 8;
}

std::int16_t rel_day(Day day, Day signature) noexcept {
  return static_cast<std::int16_t>(std::clamp(day - signature, -kMaxDaysFromSignature, kMaxDaysFromSignature));
}
Day abs_day(std::int16_t rel, Day signature) noexcept { return rel == kNone ? kNever : signature + rel; }
std::int16_t min_rel(std::int16_t x, std::int16_t y) noexcept { return x == kNone ? y : (y == kNone ? x : std::min(x, y)); }

// A day field of a block, narrow or wide.
std::int16_t get_day(const std::byte* p, bool wide) noexcept {
  if (wide) return load<std::int16_t>(p);
  const auto v = load<std::uint8_t>(p);
  return v == 255 ? kNone : static_cast<std::int16_t>(v);
}
void put_day(std::byte* p, bool wide, std::int16_t v) noexcept {
  if (wide)
    store(p, v);
  else
    store(p, static_cast<std::uint8_t>(v == kNone ? 255 : v));
}

}  // namespace

// Reading and changing a block; a friend of AccountActivity and ActivityArena.
struct ActivityBlock {
  static const Head& head(const AccountActivity& a) noexcept {
    static const Head empty{};
    return a.block_ ? *reinterpret_cast<const Head*>(a.data()) : empty;
  }
  // The block exists: apply creates it first.
  static Head& head(AccountActivity& a) noexcept { return *reinterpret_cast<Head*>(a.data()); }
  static void create(AccountActivity& a, ActivityArena* arena) {
    if (a.block_) return;
    place(a, allocate(capacity(sizeof(Head)), arena), arena);
    new (a.data()) Head{};
  }
  static std::byte* allocate(std::size_t bytes, ActivityArena* arena) {
    if (arena) return arena->allocate(bytes);
    void* p = std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<std::byte*>(p);
  }
  static void place(AccountActivity& a, std::byte* p, ActivityArena* arena) noexcept {
    a.block_ = reinterpret_cast<std::uintptr_t>(p) | (arena ? AccountActivity::kInArena : 0);
  }
  static void move_to(AccountActivity& a, ActivityArena& arena) {
    if (!a.block_) return;
    const std::size_t n = a.bytes();
    std::byte* p = arena.allocate(capacity(n));
    std::memcpy(p, a.data(), n);
    if (!(a.block_ & AccountActivity::kInArena)) std::free(a.data());
    place(a, p, &arena);
  }
  // A copy of `from` in `arena`, at the same capacity, into the empty `to`.
  static void copy_to(const AccountActivity& from, AccountActivity& to, ActivityArena& arena) {
    if (!from.block_) return;
    const std::size_t n = from.bytes();
    std::byte* p = arena.allocate(capacity(n));
    std::memcpy(p, from.data(), n);
    place(to, p, &arena);
  }
  // `from`'s state into `a`: in a's block when it is of the same size class
  // (states only grow, so it then fits), else in a new block of `arena`.
  static void write_back(const AccountActivity& from, AccountActivity& a, ActivityArena& arena) {
    const std::size_t n = from.bytes();
    if (n == 0) return;
    const std::size_t old = a.bytes();
    if (old != 0 && capacity(old) == capacity(n)) {
      std::memcpy(a.data(), from.data(), n);
      return;
    }
    std::byte* p = arena.allocate(capacity(n));
    std::memcpy(p, from.data(), n);
    release(a, old, &arena);
    place(a, p, &arena);
  }
  static void forget(AccountActivity& a) noexcept { a.block_ = 0; }

  static const std::byte* at(const AccountActivity& a, int s) noexcept { return a.data() + offset(head(a), s); }
  static std::byte* at(AccountActivity& a, int s) noexcept { return a.data() + offset(head(a), s); }

  // Opens `n` zeroed elements before element `index` of section `s`; the
  // caller then raises the section's count.
  static std::byte* open(AccountActivity& a, int s, std::size_t index, std::size_t n, ActivityArena* arena) {
    Head& h = head(a);
    const std::size_t size = block_size(h), bytes = n * elem(h, s), pos = offset(h, s) + index * elem(h, s);
    if (size + bytes > capacity(size)) grow(a, size, capacity(size + bytes), arena);
    std::byte* b = a.data();
    std::memmove(b + pos + bytes, b + pos, size - pos);
    std::memset(b + pos, 0, bytes);
    return b + pos;
  }
  static void grow(AccountActivity& a, std::size_t size, std::size_t to, ActivityArena* arena) {
    if (!arena && !(a.block_ & AccountActivity::kInArena)) {
      void* p = std::realloc(a.data(), to);
      if (!p) throw std::bad_alloc();
      place(a, static_cast<std::byte*>(p), nullptr);
      return;
    }
    std::byte* p = allocate(to, arena);
    std::memcpy(p, a.data(), size);
    release(a, size, arena);
    place(a, p, arena);
  }
  // Lets go of a's block, of `size` bytes, before it is pointed elsewhere.
  static void release(AccountActivity& a, std::size_t size, ActivityArena* arena) noexcept {
    if (a.block_ & AccountActivity::kInArena) {
      if (arena) arena->garbage_ += capacity(size);
    } else {
      std::free(a.data());
    }
  }
  static std::size_t count(const Head& h, int s) noexcept {
    switch (s) {
      case s_bits: return h.words;
      case s_extra: return h.extras;
      case s_feature: return h.features;
      case s_ticket: return h.tickets;
      case s_reply: return h.replies;
      case s_meeting: return h.meetings;
      case s_slot: return h.slots;
      case s_matrix: return h.rows;
      case s_done: return h.done;
      default: return h.redates;
    }
  }
  // Rewrites a narrow block with its day fields in two bytes.
  static void widen(AccountActivity& a, ActivityArena* arena) {
    const Head from = head(a);
    if (from.wide) return;
    Head to = from;
    to.wide = 1;
    const std::size_t size = block_size(from);
    std::byte* p = allocate(capacity(block_size(to)), arena);
    std::memcpy(p, &to, sizeof to);
    for (int s = 0; s < s_end; ++s) {
      const std::byte* in = a.data() + offset(from, s);
      std::byte* out = p + offset(to, s);
      if (s == s_matrix) {
        std::memcpy(out, in, from.rows * stride(from));
        continue;
      }
      for (std::size_t k = 0; k < count(from, s); ++k)
        for (const int field : kShape[static_cast<std::size_t>(s)]) {
          if (field == kDay) {
            put_day(out, true, get_day(in, false));
            in += 1;
            out += 2;
          } else {
            std::memcpy(out, in, static_cast<std::size_t>(field));
            in += field;
            out += field;
          }
        }
    }
    release(a, size, arena);
    place(a, p, arena);
  }
  static void erase(AccountActivity& a, int s, std::size_t index) {
    const Head& h = head(a);
    const std::size_t size = block_size(h), e = elem(h, s), pos = offset(h, s) + index * e;
    std::memmove(a.data() + pos, a.data() + pos + e, size - pos - e);
  }

  // The first element of a sorted section whose leading u64 is >= id. The
  // ids are hashes, so a branch on each comparison is a coin toss: the search
  // is written to compile to conditional moves.
  static std::size_t lower(const std::byte* base, std::size_t n, std::size_t e, std::uint64_t id) noexcept {
    if (n == 0) return 0;
    std::size_t lo = 0;
    while (n > 1) {
      const std::size_t half = n / 2;
      lo = load<std::uint64_t>(base + (lo + half - 1) * e) < id ? lo + half : lo;
      n -= half;
    }
    return lo + (load<std::uint64_t>(base + lo * e) < id);
  }
  static std::size_t branchless_lower(std::span<const std::uint64_t> ids, std::uint64_t id) noexcept {
    return lower(reinterpret_cast<const std::byte*>(ids.data()), ids.size(), 8, id);
  }
  // The element with this id in an id-keyed section, inserted if new; `init`
  // fills a new element after its id.
  template <class Init>
  static std::byte* upsert(AccountActivity& a, int s, std::uint32_t Head::*n, std::uint64_t id, ActivityArena* arena,
                           Init init) {
    Head& h = head(a);
    const std::size_t e = elem(h, s);
    const std::size_t k = lower(at(a, s), h.*n, e, id);
    std::byte* p = at(a, s) + k * e;
    if (k < h.*n && load<std::uint64_t>(p) == id) return p;
    p = open(a, s, k, 1, arena);
    ++(head(a).*n);
    store(p, id);
    init(p + 8);
    return p;
  }

  static void set_bit(AccountActivity& a, int rel, std::size_t which, ActivityArena* arena) {
    if (rel < 0 || rel >= kHorizonDays) return;
    const std::size_t w = static_cast<std::size_t>(rel) >> 6;
    if (head(a).words <= w) {
      const std::size_t add = w + 1 - head(a).words;
      open(a, s_bits, head(a).words, add, arena);
      head(a).words = static_cast<std::uint8_t>(w + 1);
    }
    std::byte* p = at(a, s_bits) + w * 24 + which * 8;
    store(p, load<std::uint64_t>(p) | 1ull << (rel & 63));
  }

  // Inserts into a bounded sorted sample set; returns false for a duplicate.
  static bool insert_sample(AccountActivity& a, int s, std::uint8_t Head::*n, const Sample& x, ActivityArena* arena) {
    const std::byte* base = at(a, s);
    std::size_t k = 0;
    for (; k < head(a).*n; ++k) {
      const Sample y = load<Sample>(base + k * kSample);
      if (y.ts == x.ts && y.key == x.key) return false;
      if (x < y) break;
    }
    store(open(a, s, k, 1, arena), x);
    ++(head(a).*n);
    return true;
  }

  static void apply(AccountActivity& a, const ActivityProfile& p, EventType type, std::int64_t ts,
                    std::uint64_t actor, std::uint64_t item, double value, std::uint64_t id, std::uint32_t node,
                    ActivityArena* arena);
  static std::uint64_t weeks_of_slot(const AccountActivity& a, std::size_t slot) noexcept {
    const Head& h = head(a);
    const std::byte* m = at(a, s_matrix);
    const std::size_t st = stride(h);
    std::uint64_t bits = 0;
    for (std::size_t w = 0; w < h.rows; ++w)
      if ((static_cast<unsigned>(m[w * st + slot / 8]) >> (slot % 8)) & 1u) bits |= 1ull << w;
    return bits;
  }
};

AccountActivity::AccountActivity(const AccountActivity& other) {
  if (!other.block_) return;
  const std::size_t n = other.bytes();
  std::byte* p = ActivityBlock::allocate(capacity(n), nullptr);
  std::memcpy(p, other.data(), n);
  ActivityBlock::place(*this, p, nullptr);
}
AccountActivity::~AccountActivity() {
  if (!(block_ & kInArena)) std::free(data());
}
std::size_t AccountActivity::bytes() const noexcept {
  return block_ ? block_size(ActivityBlock::head(*this)) : 0;
}
void AccountActivity::scrub() noexcept {
  if (!block_) return;
  volatile std::byte* p = data();
  for (std::size_t k = 0, n = capacity(bytes()); k < n; ++k) p[k] = std::byte{0};
  AccountActivity gone(std::move(*this));
}
bool AccountActivity::operator==(const AccountActivity& other) const noexcept {
  const Head& x = ActivityBlock::head(*this);
  const Head& y = ActivityBlock::head(other);
  if (!(x == y)) return false;
  const std::size_t n = block_size(x) - sizeof(Head);
  return n == 0 || std::memcmp(data() + sizeof(Head), other.data() + sizeof(Head), n) == 0;
}

namespace {

std::uint32_t low32(std::uint64_t x) noexcept { return static_cast<std::uint32_t>(x); }

}  // namespace

void ActivityBlock::apply(AccountActivity& a, const ActivityProfile& p, EventType type, std::int64_t ts,
                          std::uint64_t actor, std::uint64_t item, double value, std::uint64_t id, std::uint32_t node,
                          ActivityArena* arena) {
  create(a, arena);
  const Day day = day_of(ts);
  const std::int16_t rel = rel_day(day, p.signature);
  // The events whose day a section keeps widen a narrow block that cannot hold it.
  switch (type) {
    case EventType::login:
    case EventType::feature_use:
    case EventType::ticket_opened:
    case EventType::ticket_closed:
    case EventType::milestone_completed:
      if (!narrow_day(rel)) widen(a, arena);
      break;
    case EventType::milestone_redated:
      if (!narrow_day(rel) || !narrow_day(rel_day(day_of(static_cast<std::int64_t>(value)), p.signature)))
        widen(a, arena);
      break;
    default:
      break;
  }
  Head* h = &head(a);
  const bool wide = h->wide;
  const std::size_t d = day_bytes(*h);
  auto lower_day = [&](std::byte* q) { put_day(q, wide, min_rel(get_day(q, wide), rel)); };
  auto raise_day = [&](std::byte* q) { put_day(q, wide, std::max(get_day(q, wide), rel)); };
  auto touched = [&] {
    set_bit(a, rel, 1, arena);
    h = &head(a);
    h->last_touch = std::max(h->last_touch, rel);
    if (rel < 0) h->pre_touch = std::max(h->pre_touch, rel);
  };
  auto used = [&] {
    set_bit(a, rel, 0, arena);
    h = &head(a);
    h->last_usage = std::max(h->last_usage, rel);
    touched();
    const int week = rel >= 0 && rel / 7 < kHorizonWeeks ? rel / 7 : -1;
    const std::size_t slot = branchless_lower(p.planned_users, actor);
    if (slot < p.planned_users.size() && p.planned_users[slot] == actor) {
      if (h->slots == 0) {
        std::byte* s = open(a, s_slot, 0, p.planned_users.size(), arena);
        for (std::size_t k = 0; k < 2 * p.planned_users.size(); ++k) put_day(s + d * k, wide, kNone);
        h = &head(a);
        h->slots = static_cast<std::uint16_t>(p.planned_users.size());
      }
      std::byte* s = at(a, s_slot) + 2 * d * slot;
      lower_day(s);
      raise_day(s + d);
      if (week < 0) return;
      if (h->rows <= week) {
        const std::size_t add = static_cast<std::size_t>(week) + 1 - h->rows;
        open(a, s_matrix, h->rows, add, arena);
        h = &head(a);
        h->rows = static_cast<std::uint8_t>(week + 1);
      }
      std::byte* cell = at(a, s_matrix) + static_cast<std::size_t>(week) * stride(*h) + slot / 8;
      *cell |= static_cast<std::byte>(1u << (slot % 8));
      return;
    }
    std::byte* u = upsert(a, s_extra, &Head::extras, actor, arena, [&](std::byte* q) {
      put_day(q, wide, kNone);
      put_day(q + d, wide, kNone);
    });
    lower_day(u + 8);
    raise_day(u + 8 + d);
    if (week >= 0) store(u + 8 + 2 * d, load<std::uint64_t>(u + 8 + 2 * d) | 1ull << week);
  };
  // The ticket's element, opened and closed unknown when it is new.
  auto ticket = [&] {
    return upsert(a, s_ticket, &Head::tickets, item, arena, [&](std::byte* q) {
      put_day(q, wide, kNone);
      put_day(q + d, wide, kNone);
    });
  };
  // Same id, same event; without an id, the content is the identity.
  auto identity = [&](std::uint64_t content) { return low32(mix64(id != 0 ? id : content)); };
  switch (type) {
    case EventType::login:
      used();
      break;
    case EventType::feature_use: {
      used();
      std::byte* f = upsert(a, s_feature, &Head::features, item, arena, [&](std::byte* q) { put_day(q, wide, kNone); });
      lower_day(f + 8);
      break;
    }
    case EventType::email_from_customer:
      touched();
      break;
    case EventType::email_to_customer:
      set_bit(a, rel, 2, arena);
      h = &head(a);
      h->last_outreach = std::max(h->last_outreach, rel);
      break;
    case EventType::customer_reply: {
      touched();
      const bool sponsor = p.sponsors.empty() ||
                           std::find(p.sponsors.begin(), p.sponsors.end(), actor) != p.sponsors.end();
      if (!sponsor) break;
      const Sample s{static_cast<std::uint32_t>(ts), identity(actor ^ mix64(static_cast<std::uint64_t>(ts))),
                     static_cast<float>(value)};
      // The 3 earliest and the 3 latest of all replies: of 7, the middle one
      // is neither.
      if (insert_sample(a, s_reply, &Head::replies, s, arena) && head(a).replies > kReplies) {
        erase(a, s_reply, kReplies / 2);
        --head(a).replies;
      }
      break;
    }
    case EventType::meeting_held:
      touched();
      h->last_meeting = std::max(h->last_meeting, rel);
      break;
    case EventType::meeting_postponed:
    case EventType::meeting_cancelled: {
      const bool cancelled = type == EventType::meeting_cancelled;
      const std::uint64_t content = item ^ mix64(static_cast<std::uint64_t>(ts) * 2 + cancelled);
      const Sample s{static_cast<std::uint32_t>(ts), identity(content), cancelled ? 1.0f : 0.0f};
      if (insert_sample(a, s_meeting, &Head::meetings, s, arena) && head(a).meetings > kMeetings) {
        erase(a, s_meeting, 0);
        --head(a).meetings;
      }
      break;
    }
    case EventType::ticket_opened: {
      std::byte* t = ticket();
      lower_day(t + 8);
      const auto sev = std::isnan(value) ? std::uint8_t{0} : static_cast<std::uint8_t>(value);
      const auto cur = load<std::uint8_t>(t + 8 + 2 * d);
      if (sev != 0 && (cur == 0 || sev < cur)) store(t + 8 + 2 * d, sev);
      break;
    }
    case EventType::ticket_closed:
      lower_day(ticket() + 8 + d);
      break;
    case EventType::milestone_completed: {
      const std::size_t e = elem(*h, s_done);
      const std::byte* base = at(a, s_done);
      std::size_t k = 0;
      while (k < h->done && load<std::uint16_t>(base + e * k) < node) ++k;
      if (k < h->done && load<std::uint16_t>(base + e * k) == node) {
        lower_day(at(a, s_done) + e * k + 2);
        break;
      }
      std::byte* q = open(a, s_done, k, 1, arena);
      ++head(a).done;
      store(q, static_cast<std::uint16_t>(node));
      put_day(q + 2, wide, rel);
      break;
    }
    case EventType::milestone_redated: {
      const std::int16_t to = rel_day(day_of(static_cast<std::int64_t>(value)), p.signature);
      auto key = [](std::uint32_t n, std::int16_t on, std::int16_t t) {
        return std::uint64_t{n} << 32 | std::uint64_t{static_cast<std::uint16_t>(on ^ kNone)} << 16 |
               static_cast<std::uint16_t>(t ^ kNone);
      };
      const std::uint64_t want = key(node, rel, to);
      const std::size_t e = elem(*h, s_redate);
      const std::byte* base = at(a, s_redate);
      std::size_t k = 0;
      for (; k < h->redates; ++k) {
        const std::byte* r = base + e * k;
        const std::uint64_t have = key(load<std::uint16_t>(r), get_day(r + 2, wide), get_day(r + 2 + d, wide));
        if (have == want) return;
        if (want < have) break;
      }
      std::byte* r = open(a, s_redate, k, 1, arena);
      ++head(a).redates;
      store(r, static_cast<std::uint16_t>(node));
      put_day(r + 2, wide, rel);
      put_day(r + 2 + d, wide, to);
      break;
    }
  }
}

void apply_event(AccountActivity& a, const ActivityProfile& p, EventType type, std::int64_t ts,
                 std::uint64_t actor, std::uint64_t item, double value, std::uint64_t id, std::uint32_t node,
                 ActivityArena* arena) {
  ActivityBlock::apply(a, p, type, ts, actor, item, value, id, node, arena);
}

// ---- the arena -----------------------------------------------------------------

namespace {
// Slabs are mapped from the system, not malloc'd: glibc serves 2 MiB from its
// heap once its mmap threshold has grown, and keeps what is freed there, so a
// compaction's old slabs stayed resident after they were released.
std::size_t page_round(std::size_t n) noexcept { return (n + 4095) / 4096 * 4096; }
void* map_slab(std::size_t size, std::size_t align) {
  const std::size_t mapped = page_round(size) + (align > 4096 ? align : 0);
  void* m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(m);
  const std::uintptr_t start = align > 4096 ? (base + align - 1) / align * align : base;
  // The unaligned head and the tail beyond the slab go back at once.
  if (start > base) munmap(m, start - base);
  if (const std::size_t tail = base + mapped - (start + page_round(size)); tail > 0)
    munmap(reinterpret_cast<void*>(start + page_round(size)), tail);
  return reinterpret_cast<void*>(start);
}
void unmap_slab(void* p, std::size_t size) noexcept { munmap(p, page_round(size)); }
}  // namespace

SlabPool::~SlabPool() { trim(0); }
void SlabPool::trim(std::size_t keep) noexcept {
  const std::lock_guard lock(mutex_);
  while (!slabs_.empty() && slabs_.size() * ActivityArena::kSlab > keep) {
    unmap_slab(slabs_.back(), ActivityArena::kSlab);
    slabs_.pop_back();
  }
}
std::size_t SlabPool::spare() const noexcept {
  const std::lock_guard lock(mutex_);
  return slabs_.size() * ActivityArena::kSlab;
}
std::byte* SlabPool::take() noexcept {
  const std::lock_guard lock(mutex_);
  if (slabs_.empty()) return nullptr;
  std::byte* p = slabs_.back();
  slabs_.pop_back();
  return p;
}
void SlabPool::give(std::byte* slab) noexcept {
  const std::lock_guard lock(mutex_);
  try {
    slabs_.push_back(slab);
  } catch (...) {
    unmap_slab(slab, ActivityArena::kSlab);
  }
}

ActivityArena::ActivityArena(ActivityArena&& other) noexcept
    : pool_(other.pool_),
      slabs_(std::move(other.slabs_)),
      next_(std::exchange(other.next_, nullptr)),
      end_(std::exchange(other.end_, nullptr)),
      held_(std::exchange(other.held_, 0)),
      garbage_(std::exchange(other.garbage_, 0)) {}
ActivityArena& ActivityArena::operator=(ActivityArena&& other) noexcept {
  if (this != &other) {
    release_all();
    pool_ = other.pool_;
    slabs_ = std::move(other.slabs_);
    next_ = std::exchange(other.next_, nullptr);
    end_ = std::exchange(other.end_, nullptr);
    held_ = std::exchange(other.held_, 0);
    garbage_ = std::exchange(other.garbage_, 0);
  }
  return *this;
}
ActivityArena::~ActivityArena() { release_all(); }
void ActivityArena::release_all() noexcept {
  for (const auto& [p, n] : slabs_) {
    if (pool_ && n == kSlab)
      pool_->give(p);
    else
      unmap_slab(p, n);
  }
  slabs_.clear();
  next_ = end_ = nullptr;
  held_ = garbage_ = 0;
}

std::byte* ActivityArena::allocate(std::size_t bytes) {
  bytes = (bytes + 7) / 8 * 8;
  if (static_cast<std::size_t>(end_ - next_) < bytes) {
    // 64 KiB, 128, … up to the 2 MiB slab; a block larger than a slab gets its own.
    std::size_t size = std::clamp(held_, std::size_t{64} << 10, kSlab);
    void* p = nullptr;
    if (size == kSlab && bytes <= kSlab && pool_) p = pool_->take();
    if (!p) {
      size = std::max(size, (bytes + 63) / 64 * 64);
      p = map_slab(size, size == kSlab ? kSlab : 4096);
#ifdef MADV_HUGEPAGE
      if (size == kSlab) madvise(p, size, MADV_HUGEPAGE);
#endif
    }
    try {
      slabs_.emplace_back(static_cast<std::byte*>(p), size);
    } catch (...) {
      unmap_slab(p, size);
      throw;
    }
    held_ += size;
    next_ = static_cast<std::byte*>(p);
    end_ = next_ + size;
  }
  std::byte* p = next_;
  next_ += bytes;
  return p;
}

void ActivityArena::rewind() noexcept {
  if (slabs_.empty()) return;
  const auto first = slabs_.front();
  if (slabs_.size() > 1) {
    slabs_.erase(slabs_.begin());
    release_all();
    slabs_.push_back(first);  // cannot throw: release_all keeps the vector's capacity
  }
  garbage_ = 0;
  next_ = first.first;
  end_ = first.first + first.second;
  held_ = first.second;
}

void ActivityArena::adopt(AccountActivity& a) { ActivityBlock::move_to(a, *this); }

void ActivityWriter::begin(const AccountActivity& a) {
  ActivityBlock::forget(state_);
  scratch_.rewind();
  ActivityBlock::copy_to(a, state_, scratch_);
}
void ActivityWriter::apply(const ActivityProfile& p, EventType type, std::int64_t ts, std::uint64_t actor,
                           std::uint64_t item, double value, std::uint64_t id, std::uint32_t node) {
  ActivityBlock::apply(state_, p, type, ts, actor, item, value, id, node, &scratch_);
}
void ActivityWriter::finish(AccountActivity& a, ActivityArena& arena) { ActivityBlock::write_back(state_, a, arena); }

// ---- the metrics ---------------------------------------------------------------

namespace {

// Sorts v.
double median(std::span<double> v) {
  if (v.empty()) return ActivityMetrics::kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Least-squares slope of y against 0, 1, 2, …
double slope(std::span<const double> y) {
  const double n = static_cast<double>(y.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double x = static_cast<double>(i);
    sx += x;
    sy += y[i];
    sxx += x * x;
    sxy += x * y[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// One of the three day bitmaps, with the words past the stored ones zero.
struct Bits {
  const std::byte* base = nullptr;
  std::size_t words = 0, which = 0;

  std::uint64_t word(int w) const noexcept {
    return static_cast<std::size_t>(w) < words ? load<std::uint64_t>(base + static_cast<std::size_t>(w) * 24 + which * 8) : 0;
  }
  // Set days in [from, to), clamped to the horizon.
  int count(int from, int to) const noexcept {
    from = std::max(from, 0);
    to = std::min(to, kHorizonDays);
    int n = 0;
    for (int d = from; d < to;) {
      const int w = d >> 6, lo = d & 63, hi = std::min(64, lo + (to - d));
      std::uint64_t m = word(w) >> lo;
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
      std::uint64_t m = word(w);
      if (w == rel >> 6 && (rel & 63) < 63) m &= (2ull << (rel & 63)) - 1;
      if (m) return w * 64 + 63 - std::countl_zero(m);
    }
    return -1;
  }
  // The first set day >= rel, or -1.
  int first_at_or_after(int rel) const noexcept {
    rel = std::max(rel, 0);
    for (int w = rel >> 6; w < kHorizonDays / 64; ++w) {
      std::uint64_t m = word(w);
      if (w == rel >> 6) m &= ~0ull << (rel & 63);
      if (m) return w * 64 + std::countr_zero(m);
    }
    return -1;
  }
};

// A read-only view of one account's block in absolute days.
struct View {
  const AccountActivity& a;
  const ActivityProfile& p;
  const Head& h = ActivityBlock::head(a);

  Bits bits(std::size_t which) const noexcept {
    return {h.words ? ActivityBlock::at(a, s_bits) : nullptr, h.words, which};
  }
  std::size_t d = day_bytes(h);  // a day field's width
  Day day(const std::byte* field) const noexcept { return day(get_day(field, h.wide)); }
  Day day(std::int16_t rel) const noexcept { return abs_day(rel, p.signature); }
  std::size_t elem(int s) const noexcept { return kElem[h.wide][s]; }
  template <class F>  // f(first, last, weeks)
  void each_user(F f) const {
    if (h.slots) {
      const std::byte* s = ActivityBlock::at(a, s_slot);
      for (std::size_t k = 0; k < h.slots; ++k, s += 2 * d)
        if (const Day first = day(s); first != kNever) f(first, day(s + d), ActivityBlock::weeks_of_slot(a, k));
    }
    const std::byte* e = h.extras ? ActivityBlock::at(a, s_extra) : nullptr;
    for (std::size_t k = 0; k < h.extras; ++k, e += elem(s_extra))
      if (const Day first = day(e + 8); first != kNever) f(first, day(e + 8 + d), load<std::uint64_t>(e + 8 + 2 * d));
  }
  Day planned_first(std::size_t index) const noexcept {
    if (h.slots == 0 || index >= p.planned_slot.size()) return kNever;
    return day(ActivityBlock::at(a, s_slot) + 2 * d * std::size_t{p.planned_slot[index]});
  }
  // The bounded sample sets are read into an array: the metrics of a
  // million accounts are computed twice a night, and need no allocation.
  struct Samples {
    std::array<Sample, std::max(kReplies, kMeetings)> at{};
    std::size_t n = 0;
    const Sample* begin() const noexcept { return at.data(); }
    const Sample* end() const noexcept { return at.data() + n; }
  };
  Samples samples(int s, std::size_t n) const {
    Samples out;
    out.n = n;
    const std::byte* base = n ? ActivityBlock::at(a, s) : nullptr;
    for (std::size_t k = 0; k < n; ++k) out.at[k] = load<Sample>(base + k * kSample);
    return out;
  }
};

Day last_in(const Bits& bits, Day last_ever, Day pre, Day signature, Day as_of) {
  if (last_ever != kNever && last_ever <= as_of) return last_ever;
  const int rel = as_of - signature;
  if (rel >= 0) {
    const int d = bits.last_at_or_before(rel);
    if (d >= 0) return signature + d;
  }
  return pre != kNever && pre <= as_of ? pre : kNever;
}

void user_metrics(const View& v, ActivityMetrics& m) {
  std::array<int, kHorizonWeeks> weekly{};
  const int weeks = std::min(m.weeks_complete, kHorizonWeeks);
  const std::uint64_t complete = weeks >= 64 ? ~0ull : (1ull << weeks) - 1;
  v.each_user([&](Day first, Day last, std::uint64_t week_bits) {
    if (first > m.as_of) return;
    ++m.active_users;
    if (first > m.as_of - 14) ++m.new_users_14d;
    m.last_new_user = max_day(m.last_new_user, first);
    for (std::uint64_t w = week_bits & complete; w; w &= w - 1) ++weekly[static_cast<std::size_t>(std::countr_zero(w))];
    bool recent = false;
    if (last <= m.as_of) {
      recent = last > m.as_of - 7;
      if (!recent) m.dropped_last.push_back(last);
    } else {
      const int rel = m.day, from = std::max(0, rel - 6);
      for (int k = from / 7; k <= rel / 7 && k < kHorizonWeeks; ++k) recent = recent || ((week_bits >> k) & 1u);
    }
    m.active_7d += recent;
  });
  std::sort(m.dropped_last.begin(), m.dropped_last.end());
  const ActivityProfile& p = v.p;
  m.planned_users = static_cast<int>(p.planned_slot.size());
  for (std::size_t i = 0; i < p.planned_slot.size(); ++i) {
    const Day first = v.planned_first(i);
    if (first == kNever || first > m.as_of) m.planned_never.push_back(static_cast<std::uint32_t>(i));
  }
  if (m.planned_users > 0)
    m.planned_activation = static_cast<double>(m.planned_users - static_cast<int>(m.planned_never.size())) / m.planned_users;
  if (p.provisioned_seats > 0) m.seat_activation = static_cast<double>(m.active_users) / p.provisioned_seats;
  if (weeks == 0) return;
  m.wau = weekly[static_cast<std::size_t>(weeks - 1)];
  m.wau_peak = *std::max_element(weekly.begin(), weekly.begin() + weeks);
  m.weekly_active.assign(weekly.begin(), weekly.begin() + weeks);
  const double seats = p.provisioned_seats > 0 ? p.provisioned_seats : m.planned_users;
  if (seats <= 0) return;
  m.wau_share = m.wau / seats;
  if (weeks >= 3) {
    std::array<double, 4> shares{};
    std::size_t n = 0;
    for (int k = std::max(0, weeks - 4); k < weeks; ++k) shares[n++] = weekly[static_cast<std::size_t>(k)] / seats;
    m.wau_slope = slope(std::span(shares.data(), n));
  }
}

void feature_metrics(const View& v, ActivityMetrics& m) {
  const std::size_t n = v.h.features;
  const std::byte* base = n ? ActivityBlock::at(v.a, s_feature) : nullptr;
  const std::size_t e = v.elem(s_feature);
  for (std::size_t k = 0; k < n; ++k) {
    const Day first = v.day(base + e * k + 8);
    if (first != kNever && first <= m.as_of) ++m.features_used;
  }
  for (const std::uint64_t f : v.p.core_features) {
    const std::size_t k = ActivityBlock::lower(base, n, e, f);
    if (k == n || load<std::uint64_t>(base + e * k) != f) continue;
    const Day first = v.day(base + e * k + 8);
    if (first != kNever && first <= m.as_of) ++m.core_features_used;
  }
  if (!v.p.core_features.empty())
    m.feature_breadth = static_cast<double>(m.core_features_used) / static_cast<double>(v.p.core_features.size());
}

void reply_metrics(const View& v, ActivityMetrics& m) {
  const std::uint32_t end = static_cast<std::uint32_t>(std::max<std::int64_t>(0, (std::int64_t{m.as_of} + 1) * 86400));
  View::Samples seen = v.samples(s_reply, v.h.replies);
  seen.n = static_cast<std::size_t>(std::partition_point(seen.begin(), seen.end(), [&](const Sample& s) { return s.ts < end; }) -
                                    seen.begin());  // ascending
  m.replies = static_cast<int>(seen.n);

  // Outreach not answered since the last reply: its age is a latency already
  // being paid, and it is what rises first when a sponsor goes quiet.
  const Day signature = v.p.signature;
  const Day last_reply = seen.n == 0 ? kNever : day_of(seen.at[seen.n - 1].ts);
  const Day last_outreach = v.day(v.h.last_outreach);
  Day pending = kNever;
  const int rel = m.as_of - signature;
  const int from = last_reply == kNever ? 0 : last_reply - signature + 1;
  if (rel >= 0 && from <= rel && from < kHorizonDays) {
    const int d = v.bits(2).first_at_or_after(from);
    if (d >= 0 && d <= rel) pending = signature + d;
  } else if (last_outreach != kNever && last_outreach <= m.as_of && last_outreach > last_reply) {
    pending = last_outreach;
  }
  m.last_reply = last_reply;
  m.pending_since = pending;
  if (pending != kNever) m.pending_hours = 24.0 * (m.as_of - pending);

  // With few replies, baseline and recent share them: then only an
  // unanswered email can make the latency rise, which is what a quiet
  // sponsor early in onboarding looks like.
  if (seen.n == 0) return;
  const std::size_t k = std::min<std::size_t>(3, seen.n);
  std::array<double, 3> first{}, last{};
  for (std::size_t i = 0; i < k; ++i) {
    first[i] = seen.at[i].value;
    last[i] = seen.at[seen.n - k + i].value;
  }
  m.latency_baseline = median(std::span(first.data(), k));
  m.latency_recent = median(std::span(last.data(), k));
  if (!std::isnan(m.pending_hours) && m.pending_hours > m.latency_recent) m.latency_recent = m.pending_hours;
}

void meeting_metrics(const View& v, ActivityMetrics& m) {
  for (const Sample& s : v.samples(s_meeting, v.h.meetings)) {  // ascending
    const Day d = day_of(s.ts);
    if (d > m.as_of) continue;
    m.meeting_changes.push_back(d);
    if (d <= m.as_of - 30) continue;
    (s.value > 0.5f ? m.meetings_cancelled_30d : m.meetings_postponed_30d)++;
  }
}

void ticket_metrics(const View& v, ActivityMetrics& m) {
  const std::size_t n = v.h.tickets;
  const std::byte* base = n ? ActivityBlock::at(v.a, s_ticket) : nullptr;
  int before = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::byte* t = base + v.elem(s_ticket) * k;
    const Day opened = v.day(t + 8), closed = v.day(t + 8 + v.d);
    if (opened == kNever || opened > m.as_of) continue;
    if (closed == kNever || closed > m.as_of) {
      ++m.open_tickets;
      const unsigned sev = load<std::uint8_t>(t + 8 + 2 * v.d);
      ++m.open_by_severity[sev >= 1 && sev <= 4 ? sev - 1 : 3];
    }
    if (opened > m.as_of - 7) {
      ++m.tickets_7d;
      m.recent_tickets.push_back(opened);
    } else if (opened >= v.p.signature) {
      ++before;
    }
  }
  std::sort(m.recent_tickets.begin(), m.recent_tickets.end());
  const int days_before = m.as_of - 7 - v.p.signature + 1;
  if (days_before >= 7) m.ticket_baseline_weekly = before * 7.0 / days_before;
}

}  // namespace

ActivityMetrics compute_metrics(const AccountActivity& a, const ActivityProfile& p, Day as_of) {
  ActivityMetrics m;
  compute_metrics(a, p, as_of, m);
  return m;
}

void compute_metrics(const AccountActivity& a, const ActivityProfile& p, Day as_of, ActivityMetrics& m) {
  const View v{a, p};
  {
    // Every field starts over; the lists keep their buffers.
    ActivityMetrics fresh;
    auto keep = [](auto& from, auto& to) {
      from.clear();
      std::swap(from, to);
    };
    keep(m.planned_never, fresh.planned_never);
    keep(m.weekly_active, fresh.weekly_active);
    keep(m.dropped_last, fresh.dropped_last);
    keep(m.meeting_changes, fresh.meeting_changes);
    keep(m.recent_tickets, fresh.recent_tickets);
    m = std::move(fresh);
  }
  m.as_of = as_of;
  m.day = as_of - p.signature;
  m.weeks_complete = m.day >= 0 ? (m.day + 1) / 7 : 0;
  user_metrics(v, m);
  feature_metrics(v, m);
  if (m.weeks_complete > 0 && 7 * m.weeks_complete <= kHorizonDays)
    m.active_days_per_week = v.bits(0).count(7 * (m.weeks_complete - 1), 7 * m.weeks_complete);
  m.last_activity = last_in(v.bits(1), v.day(v.h.last_touch), v.day(v.h.pre_touch), p.signature, as_of);
  if (m.last_activity != kNever) m.days_since_activity = as_of - m.last_activity;
  m.last_outreach = last_in(v.bits(2), v.day(v.h.last_outreach), kNever, p.signature, as_of);
  reply_metrics(v, m);
  meeting_metrics(v, m);
  ticket_metrics(v, m);
}

std::vector<PlanEvent> plan_events(const AccountActivity& a, const ActivityProfile& p) {
  std::vector<PlanEvent> out;
  plan_events(a, p, out);
  return out;
}

void plan_events(const AccountActivity& a, const ActivityProfile& p, std::vector<PlanEvent>& out) {
  const View v{a, p};
  out.clear();
  const std::byte* d = v.h.done ? ActivityBlock::at(a, s_done) : nullptr;
  for (std::size_t k = 0; k < v.h.done; ++k, d += v.elem(s_done))
    out.push_back({load<std::uint16_t>(d), false, v.day(d + 2), 0});
  const std::byte* r = v.h.redates ? ActivityBlock::at(a, s_redate) : nullptr;
  for (std::size_t k = 0; k < v.h.redates; ++k, r += v.elem(s_redate))
    out.push_back({load<std::uint16_t>(r), true, v.day(r + 2), v.day(r + 2 + v.d)});
}

std::vector<Day> first_logins(const AccountActivity& a, const ActivityProfile& p) {
  std::vector<Day> out;
  first_logins(a, p, out);
  return out;
}

void first_logins(const AccountActivity& a, const ActivityProfile& p, std::vector<Day>& out) {
  out.clear();
  View{a, p}.each_user([&](Day first, Day, std::uint64_t) { out.push_back(first); });
  std::sort(out.begin(), out.end());
}

Day planned_first_login(const AccountActivity& a, const ActivityProfile& p, std::size_t planned_index) {
  return View{a, p}.planned_first(planned_index);
}

// ---- reading a state back ---------------------------------------------------------

namespace {

// Checks one block against the invariants that apply() keeps; the first
// broken one is thrown. Sections are read with memcpy, so any alignment will do.
class BlockCheck {
 public:
  BlockCheck(std::span<const std::byte> b, const ActivityShape& shape) : b_(b), shape_(shape) {}

  void run() {
    if (b_.size() < sizeof(Head)) fail("has " + std::to_string(b_.size()) + " bytes, fewer than its 36-byte head");
    std::memcpy(&h_, b_.data(), sizeof h_);
    if (h_.wide > 1) fail("has a width flag of " + std::to_string(h_.wide));
    if (h_.words > kHorizonDays / 64) fail("has " + std::to_string(h_.words) + " words of days, beyond the horizon");
    if (h_.rows > kHorizonWeeks) fail("has " + std::to_string(h_.rows) + " weeks of planned users, beyond the horizon");
    if (h_.replies > kReplies) fail("keeps " + std::to_string(h_.replies) + " replies, more than 6");
    if (h_.meetings > kMeetings) fail("keeps " + std::to_string(h_.meetings) + " meeting changes, more than 4");
    if (h_.slots != 0 && h_.slots != shape_.planned_users)
      fail("has " + std::to_string(h_.slots) + " planned-user slots for an account with " +
           std::to_string(shape_.planned_users));
    if (h_.slots == 0 && h_.rows != 0) fail("has weeks of planned users but no slots");
    if (block_size(h_) != b_.size())
      fail("has " + std::to_string(b_.size()) + " bytes where its head describes " + std::to_string(block_size(h_)));
    for (const std::int16_t d : {h_.last_touch, h_.last_usage, h_.last_outreach, h_.last_meeting}) wide_day(d);
    wide_day(h_.pre_touch);
    if (h_.pre_touch != kNone && h_.pre_touch >= 0) fail("has a touch before the signature on day " + std::to_string(h_.pre_touch));
    ids(s_extra, h_.extras, "users");
    ids(s_feature, h_.features, "features");
    ids(s_ticket, h_.tickets, "tickets");
    for (std::size_t k = 0; k < h_.extras; ++k) first_last(at(s_extra, k) + 8);
    for (std::size_t k = 0; k < h_.features; ++k) day(at(s_feature, k) + 8);
    for (std::size_t k = 0; k < h_.tickets; ++k) {
      const std::byte* t = at(s_ticket, k);
      day(t + 8);
      day(t + 8 + d());
      if (load<std::uint8_t>(t + 8 + 2 * d()) > 4) fail("has a ticket of severity " + std::to_string(load<std::uint8_t>(t + 8 + 2 * d())));
    }
    samples(s_reply, h_.replies, "replies", [](float v) { return v >= 0 && std::isfinite(v); });
    samples(s_meeting, h_.meetings, "meeting changes", [](float v) { return v == 0 || v == 1; });
    for (std::size_t k = 0; k < h_.slots; ++k) first_last(at(s_slot, 0) + 2 * d() * k);
    plan();
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { throw_invalid("", "the activity state " + what); }
  std::size_t d() const noexcept { return day_bytes(h_); }
  const std::byte* at(int s, std::size_t k) const noexcept { return b_.data() + offset(h_, s) + k * elem(h_, s); }
  static void wide_day(std::int16_t v) {
    if (v != kNone && (v < -kMaxDaysFromSignature || v > kMaxDaysFromSignature))
      fail("has a day " + std::to_string(v) + " days from the signature");
  }
  std::int16_t day(const std::byte* p) const {
    const std::int16_t v = get_day(p, h_.wide);
    wide_day(v);
    return v;
  }
  void first_last(const std::byte* p) const {
    const std::int16_t first = day(p), last = day(p + d());
    if ((first == kNone) != (last == kNone) || (first != kNone && first > last))
      fail("has a user last seen before first seen");
  }
  void ids(int s, std::size_t n, const char* what) const {
    for (std::size_t k = 1; k < n; ++k)
      if (!(load<std::uint64_t>(at(s, k - 1)) < load<std::uint64_t>(at(s, k))))
        fail(std::string("has ") + what + " out of order");
  }
  template <class Valid>
  void samples(int s, std::size_t n, const char* what, Valid valid) const {
    for (std::size_t k = 0; k < n; ++k) {
      const Sample x = load<Sample>(at(s, k));
      if (!valid(x.value)) fail(std::string("has ") + what + " with a value of " + std::to_string(x.value));
      if (k > 0 && !(load<Sample>(at(s, k - 1)) < x)) fail(std::string("has ") + what + " out of order");
    }
  }
  void node(std::uint16_t n) const {
    if (n >= shape_.plan_nodes)
      fail("names plan node " + std::to_string(n) + " of a template with " + std::to_string(shape_.plan_nodes));
  }
  void plan() const {
    for (std::size_t k = 0; k < h_.done; ++k) {
      node(load<std::uint16_t>(at(s_done, k)));
      day(at(s_done, k) + 2);
      if (k > 0 && !(load<std::uint16_t>(at(s_done, k - 1)) < load<std::uint16_t>(at(s_done, k))))
        fail("has completed milestones out of order");
    }
    std::uint64_t previous = 0;
    for (std::size_t k = 0; k < h_.redates; ++k) {
      const std::byte* r = at(s_redate, k);
      node(load<std::uint16_t>(r));
      const std::uint64_t key = std::uint64_t{load<std::uint16_t>(r)} << 32 |
                                std::uint64_t{static_cast<std::uint16_t>(day(r + 2) ^ kNone)} << 16 |
                                static_cast<std::uint16_t>(day(r + 2 + d()) ^ kNone);
      if (k > 0 && !(previous < key)) fail("has re-dates out of order");
      previous = key;
    }
  }

  std::span<const std::byte> b_;
  ActivityShape shape_;
  Head h_;
};

}  // namespace

AccountActivity restore_activity(std::span<const std::byte> bytes, const ActivityShape& shape, ActivityArena* arena) {
  AccountActivity a;
  if (bytes.empty()) return a;
  BlockCheck(bytes, shape).run();
  std::byte* p = ActivityBlock::allocate(capacity(bytes.size()), arena);
  std::memcpy(p, bytes.data(), bytes.size());
  ActivityBlock::place(a, p, arena);
  return a;
}

ActivityContents activity_contents(const AccountActivity& a, const ActivityProfile& p) {
  ActivityContents c;
  const View v{a, p};
  for (std::size_t which = 0; which < 3; ++which) {
    std::vector<Day>& days = which == 0 ? c.usage_days : which == 1 ? c.touch_days : c.outreach_days;
    const Bits bits = v.bits(which);
    for (int d = bits.first_at_or_after(0); d >= 0; d = d + 1 < kHorizonDays ? bits.first_at_or_after(d + 1) : -1)
      days.push_back(p.signature + d);
  }
  c.last_usage = v.day(v.h.last_usage);
  c.last_touch = v.day(v.h.last_touch);
  c.last_outreach = v.day(v.h.last_outreach);
  c.last_meeting = v.day(v.h.last_meeting);
  c.touch_before_signature = v.day(v.h.pre_touch);
  if (v.h.slots) {
    const std::byte* s = ActivityBlock::at(a, s_slot);
    for (std::size_t k = 0; k < v.h.slots; ++k, s += 2 * v.d)
      if (const Day first = v.day(s); first != kNever)
        c.users.push_back({p.planned_users[k], true, first, v.day(s + v.d), ActivityBlock::weeks_of_slot(a, k)});
  }
  for (std::size_t k = 0; k < v.h.extras; ++k) {
    const std::byte* e = ActivityBlock::at(a, s_extra) + k * v.elem(s_extra);
    c.users.push_back({load<std::uint64_t>(e), false, v.day(e + 8), v.day(e + 8 + v.d), load<std::uint64_t>(e + 8 + 2 * v.d)});
  }
  for (std::size_t k = 0; k < v.h.features; ++k) {
    const std::byte* f = ActivityBlock::at(a, s_feature) + k * v.elem(s_feature);
    c.features.push_back({load<std::uint64_t>(f), v.day(f + 8)});
  }
  for (std::size_t k = 0; k < v.h.tickets; ++k) {
    const std::byte* t = ActivityBlock::at(a, s_ticket) + k * v.elem(s_ticket);
    c.tickets.push_back({load<std::uint64_t>(t), v.day(t + 8), v.day(t + 8 + v.d), load<std::uint8_t>(t + 8 + 2 * v.d)});
  }
  for (const Sample& s : v.samples(s_reply, v.h.replies)) c.replies.push_back(s);
  for (const Sample& s : v.samples(s_meeting, v.h.meetings)) c.meeting_changes.push_back(s);
  plan_events(a, p, c.plan);
  return c;
}

}  // namespace firstvalue
