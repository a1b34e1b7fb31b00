#include "firstvalue/metrics.hpp"

#include <algorithm>

namespace firstvalue {
namespace {

std::uint32_t low32(std::uint64_t x) noexcept { return static_cast<std::uint32_t>(x); }

auto kind_range(const std::vector<Record>& records, RecordKind kind) {
  const auto lo = std::lower_bound(records.begin(), records.end(), record_key(kind, 0),
                                   [](const Record& r, std::uint64_t k) { return r.key < k; });
  const auto hi = std::lower_bound(lo, records.end(), record_key(kind, 0) + (1ull << 60),
                                   [](const Record& r, std::uint64_t k) { return r.key < k; });
  return std::pair{lo, hi};
}

double median(std::vector<double> v) {
  if (v.empty()) return ActivityMetrics::kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Least-squares slope of y against 0, 1, 2, …
double slope(const std::vector<double>& y) {
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

Day last_in(const DayBits& bits, Day last_ever, Day pre, Day signature, Day as_of) {
  if (last_ever != kNever && last_ever <= as_of) return last_ever;
  const int rel = as_of - signature;
  if (rel >= 0) {
    const int d = bits.last_at_or_before(rel);
    if (d >= 0) return signature + d;
  }
  return pre != kNever && pre <= as_of ? pre : kNever;
}

void user_metrics(const AccountActivity& a, const ActivityProfile& p, ActivityMetrics& m) {
  const auto [lo, hi] = kind_range(a.records, RecordKind::user);
  std::array<int, kHorizonWeeks> weekly{};
  const int weeks = std::min(m.weeks_complete, kHorizonWeeks);
  const std::uint64_t complete = weeks >= 64 ? ~0ull : (1ull << weeks) - 1;
  for (auto it = lo; it != hi; ++it) {
    if (it->a == kNever || it->a > m.as_of) continue;
    ++m.active_users;
    if (it->a > m.as_of - 14) ++m.new_users_14d;
    m.last_new_user = max_day(m.last_new_user, it->a);
    for (std::uint64_t w = it->bits & complete; w; w &= w - 1) ++weekly[static_cast<std::size_t>(std::countr_zero(w))];
    bool recent = false;
    if (it->b <= m.as_of) {
      recent = it->b > m.as_of - 7;
      if (!recent) m.dropped_last.push_back(it->b);
    } else {
      const int rel = m.day, from = std::max(0, rel - 6);
      for (int k = from / 7; k <= rel / 7 && k < kHorizonWeeks; ++k) recent = recent || ((it->bits >> k) & 1u);
    }
    m.active_7d += recent;
  }
  std::sort(m.dropped_last.begin(), m.dropped_last.end());
  m.planned_users = static_cast<int>(p.planned_users.size());
  for (std::size_t i = 0; i < p.planned_users.size(); ++i) {
    const Record* r = a.find(record_key(RecordKind::user, p.planned_users[i]));
    if (!r || r->a == kNever || r->a > m.as_of) m.planned_never.push_back(static_cast<std::uint32_t>(i));
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
    std::vector<double> shares;
    for (int k = std::max(0, weeks - 4); k < weeks; ++k) shares.push_back(weekly[static_cast<std::size_t>(k)] / seats);
    m.wau_slope = slope(shares);
  }
}

void feature_metrics(const AccountActivity& a, const ActivityProfile& p, ActivityMetrics& m) {
  const auto [lo, hi] = kind_range(a.records, RecordKind::feature);
  for (auto it = lo; it != hi; ++it)
    if (it->a != kNever && it->a <= m.as_of) ++m.features_used;
  for (const std::uint64_t f : p.core_features) {
    const Record* r = a.find(record_key(RecordKind::feature, f));
    if (r && r->a != kNever && r->a <= m.as_of) ++m.core_features_used;
  }
  if (!p.core_features.empty())
    m.feature_breadth = static_cast<double>(m.core_features_used) / static_cast<double>(p.core_features.size());
}

void reply_metrics(const AccountActivity& a, const ActivityProfile& p, ActivityMetrics& m) {
  const std::uint32_t end = static_cast<std::uint32_t>(std::max<std::int64_t>(0, (std::int64_t{m.as_of} + 1) * 86400));
  std::vector<Sample> seen;
  for (const Sample& s : a.first_replies.view())
    if (s.ts < end) seen.push_back(s);
  for (const Sample& s : a.last_replies.view())
    if (s.ts < end && std::find(seen.begin(), seen.end(), s) == seen.end()) seen.push_back(s);
  std::sort(seen.begin(), seen.end());
  m.replies = static_cast<int>(seen.size());

  // Outreach not answered since the last reply: its age is a latency already
  // being paid, and it is what rises first when a sponsor goes quiet.
  const Day last_reply = seen.empty() ? kNever : day_of(seen.back().ts);
  Day pending = kNever;
  const int rel = m.as_of - p.signature;
  const int from = last_reply == kNever ? 0 : last_reply - p.signature + 1;
  if (rel >= 0 && from <= rel && from < kHorizonDays) {
    const int d = a.outreach.first_at_or_after(from);
    if (d >= 0 && d <= rel) pending = p.signature + d;
  } else if (a.last_outreach != kNever && a.last_outreach <= m.as_of && a.last_outreach > last_reply) {
    pending = a.last_outreach;
  }
  m.last_reply = last_reply;
  m.pending_since = pending;
  if (pending != kNever) m.pending_hours = 24.0 * (m.as_of - pending);

  // With few replies, baseline and recent share them: then only an
  // unanswered email can make the latency rise, which is what a quiet
  // sponsor early in onboarding looks like.
  if (seen.empty()) return;
  const std::size_t k = std::min<std::size_t>(3, seen.size());
  std::vector<double> first, last;
  for (std::size_t i = 0; i < k; ++i) first.push_back(seen[i].value);
  for (std::size_t i = seen.size() - k; i < seen.size(); ++i) last.push_back(seen[i].value);
  m.latency_baseline = median(first);
  m.latency_recent = median(last);
  if (!std::isnan(m.pending_hours) && m.pending_hours > m.latency_recent) m.latency_recent = m.pending_hours;
}

void meeting_metrics(const AccountActivity& a, ActivityMetrics& m) {
  for (const Sample& s : a.meeting_changes.view()) {  // ascending
    const Day d = day_of(s.ts);
    if (d > m.as_of) continue;
    m.meeting_changes.push_back(d);
    if (d <= m.as_of - 30) continue;
    (s.value > 0.5f ? m.meetings_cancelled_30d : m.meetings_postponed_30d)++;
  }
}

void ticket_metrics(const AccountActivity& a, const ActivityProfile& p, ActivityMetrics& m) {
  const auto [lo, hi] = kind_range(a.records, RecordKind::ticket);
  int before = 0;
  for (auto it = lo; it != hi; ++it) {
    if (it->a == kNever || it->a > m.as_of) continue;
    if (it->b == kNever || it->b > m.as_of) {
      ++m.open_tickets;
      const std::uint64_t sev = it->bits >= 1 && it->bits <= 4 ? it->bits : 4;
      ++m.open_by_severity[sev - 1];
    }
    if (it->a > m.as_of - 7) {
      ++m.tickets_7d;
      m.recent_tickets.push_back(it->a);
    } else if (it->a >= p.signature) {
      ++before;
    }
  }
  std::sort(m.recent_tickets.begin(), m.recent_tickets.end());
  const int days_before = m.as_of - 7 - p.signature + 1;
  if (days_before >= 7) m.ticket_baseline_weekly = before * 7.0 / days_before;
}

}  // namespace

Record* AccountActivity::find(std::uint64_t key) noexcept {
  const auto it = std::lower_bound(records.begin(), records.end(), key,
                                   [](const Record& r, std::uint64_t k) { return r.key < k; });
  return it != records.end() && it->key == key ? &*it : nullptr;
}
const Record* AccountActivity::find(std::uint64_t key) const noexcept {
  return const_cast<AccountActivity*>(this)->find(key);
}
Record& AccountActivity::upsert(std::uint64_t key) {
  const auto it = std::lower_bound(records.begin(), records.end(), key,
                                   [](const Record& r, std::uint64_t k) { return r.key < k; });
  if (it != records.end() && it->key == key) return *it;
  Record r;
  r.key = key;
  return *records.insert(it, r);
}

void apply_event(AccountActivity& a, const ActivityProfile& p, EventType type, std::int64_t ts,
                 std::uint64_t actor, std::uint64_t item, double value, std::uint64_t id, std::uint32_t node) {
  const Day day = day_of(ts);
  const int rel = day - p.signature;
  auto touched = [&] {
    a.touch.set(rel);
    a.last_touch = max_day(a.last_touch, day);
    if (rel < 0) a.pre_touch = max_day(a.pre_touch, day);
  };
  auto used = [&] {
    a.usage.set(rel);
    a.last_usage = max_day(a.last_usage, day);
    touched();
    Record& u = a.upsert(record_key(RecordKind::user, actor));
    u.a = min_day(u.a, day);
    u.b = max_day(u.b, day);
    if (rel >= 0 && rel / 7 < kHorizonWeeks) u.bits |= 1ull << (rel / 7);
  };
  // Same id, same event; without an id, the content is the identity.
  auto identity = [&](std::uint64_t content) { return low32(mix64(id != 0 ? id : content)); };
  switch (type) {
    case EventType::login:
      used();
      break;
    case EventType::feature_use: {
      used();
      Record& f = a.upsert(record_key(RecordKind::feature, item));
      f.a = min_day(f.a, day);
      break;
    }
    case EventType::email_from_customer:
      touched();
      break;
    case EventType::email_to_customer:
      a.outreach.set(rel);
      a.last_outreach = max_day(a.last_outreach, day);
      break;
    case EventType::customer_reply: {
      touched();
      const bool sponsor = p.sponsors.empty() ||
                           std::find(p.sponsors.begin(), p.sponsors.end(), actor) != p.sponsors.end();
      if (!sponsor) break;
      const Sample s{static_cast<std::uint32_t>(ts), identity(actor ^ mix64(static_cast<std::uint64_t>(ts))),
                     static_cast<float>(value)};
      a.first_replies.insert(s);
      a.last_replies.insert(s);
      break;
    }
    case EventType::meeting_held:
      touched();
      a.last_meeting = max_day(a.last_meeting, day);
      break;
    case EventType::meeting_postponed:
    case EventType::meeting_cancelled: {
      const bool cancelled = type == EventType::meeting_cancelled;
      const std::uint64_t content = item ^ mix64(static_cast<std::uint64_t>(ts) * 2 + cancelled);
      a.meeting_changes.insert({static_cast<std::uint32_t>(ts), identity(content), cancelled ? 1.0f : 0.0f});
      break;
    }
    case EventType::ticket_opened: {
      Record& t = a.upsert(record_key(RecordKind::ticket, item));
      t.a = min_day(t.a, day);
      const auto sev = static_cast<std::uint64_t>(value);
      if (t.bits == 0 || sev < t.bits) t.bits = sev;
      break;
    }
    case EventType::ticket_closed: {
      Record& t = a.upsert(record_key(RecordKind::ticket, item));
      t.b = min_day(t.b, day);
      break;
    }
    case EventType::milestone_completed: {
      Record& r = a.upsert(record_key(RecordKind::done, node));
      r.a = min_day(r.a, day);
      break;
    }
    case EventType::milestone_redated: {
      const Day to = day_of(static_cast<std::int64_t>(value));
      const std::uint64_t pair = mix64(static_cast<std::uint64_t>(static_cast<std::uint32_t>(day)) << 32 |
                                       static_cast<std::uint32_t>(to));
      Record& r = a.upsert(record_key(RecordKind::redate, std::uint64_t{node} << 40 | (pair & ((1ull << 40) - 1))));
      r.a = day;
      r.b = to;
      break;
    }
  }
}

ActivityMetrics compute_metrics(const AccountActivity& a, const ActivityProfile& p, Day as_of) {
  ActivityMetrics m;
  m.as_of = as_of;
  m.day = as_of - p.signature;
  m.weeks_complete = m.day >= 0 ? (m.day + 1) / 7 : 0;
  user_metrics(a, p, m);
  feature_metrics(a, p, m);
  if (m.weeks_complete > 0 && 7 * m.weeks_complete <= kHorizonDays)
    m.active_days_per_week = a.usage.count(7 * (m.weeks_complete - 1), 7 * m.weeks_complete);
  m.last_activity = last_in(a.touch, a.last_touch, a.pre_touch, p.signature, as_of);
  if (m.last_activity != kNever) m.days_since_activity = as_of - m.last_activity;
  m.last_outreach = last_in(a.outreach, a.last_outreach, kNever, p.signature, as_of);
  reply_metrics(a, p, m);
  meeting_metrics(a, m);
  ticket_metrics(a, p, m);
  return m;
}

}  // namespace firstvalue
