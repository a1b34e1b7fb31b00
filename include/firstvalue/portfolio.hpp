#pragma once
// The facade: one organization's accounts in onboarding, their plans and
// goals, the activity state events build up, and the nightly evaluation that
// turns it all into health, signals and a worklist.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/calendar.hpp"
#include "firstvalue/cohort.hpp"
#include "firstvalue/events.hpp"
#include "firstvalue/health.hpp"
#include "firstvalue/metrics.hpp"
#include "firstvalue/plan.hpp"
#include "firstvalue/schedule.hpp"
#include "firstvalue/signals.hpp"
#include "firstvalue/snapshot.hpp"
#include "firstvalue/ttv.hpp"

namespace firstvalue {

enum class ContactRole : std::uint8_t { sponsor, champion, admin, user };
std::string_view to_string(ContactRole r) noexcept;
std::optional<ContactRole> parse_contact_role(std::string_view text) noexcept;

// The longest account, user or contact key, and the longest name or free
// text of an account, in bytes: anything longer is a mistake (a document
// pasted into a field), refused with its path rather than kept in memory.
inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr std::size_t kMaxTextBytes = 64 * 1024;

struct Contact {
  std::string key;  // as it appears in the events' actor column
  std::string name;
  ContactRole role = ContactRole::user;
  bool operator==(const Contact&) const = default;
};

// One account in onboarding. `plan` carries the template choice, attributes,
// declared progress, goals and handoff of issue 3; its `account` and `start`
// are the key and the signature.
struct Account {
  // The organization the account belongs to. A portfolio holds one
  // organization's accounts: an account added with another organization is
  // refused (Errc::forbidden), and one added without gets the portfolio's.
  std::string organization;
  std::string key;
  std::string name;
  std::string tier;  // empty: from ARR
  double arr = 0;
  Day signature = 0;
  int planned_seats = 0;
  int provisioned_seats = 0;
  std::vector<std::string> planned_users;  // user keys expected to log in
  std::vector<Contact> contacts;
  AccountPlan plan;
  // The day the customer left (churned, cancelled), if it did: its
  // time-to-value is censored there, and from that day it is off the worklist.
  std::optional<Day> exit;
  std::string exit_reason;  // free text, e.g. "churned"; only with an exit

  // {"organization"?, "key", "name"?, "tier"?, "arr"?, "signature", "seats"?: {"planned"?, "provisioned"?},
  //  "planned_users"?: [...], "contacts"?: [{"key", "name"?, "role"}],
  //  "template"?, "attributes"?, "progress"?, "goals"?, "handoff"?, "exit"?, "exit_reason"?}
  static Account from_json(std::string_view json);
  std::string to_json(int indent = 2) const;
  bool operator==(const Account&) const = default;
};

struct PortfolioConfig {
  std::string organization;
  TemplateSet templates = TemplateSet::default_set();
  Calendar calendar;
  PlanPolicy plan_policy;
  HealthModel health = HealthModel::default_model();
  SignalConfig signals = SignalConfig::defaults();

  // {"organization", "calendar"?, "templates"?, "plan_policy"?, "health_model"?, "signals"?}
  static PortfolioConfig from_json(std::string_view json);
  // Every part spelled out, so that from_json gives this configuration back.
  std::string to_json(int indent = 2) const;
};

struct IngestOptions {
  unsigned threads = 1;  // 0 = one per core
  // More rejected rows than this fails the whole batch, which then changes
  // nothing. The default accepts the good rows and reports the others.
  std::size_t max_rejected = static_cast<std::size_t>(-1);
  std::size_t max_messages = 20;  // rejected rows spelled out in the report
  // Rows are applied a range of accounts at a time (a pass of at most two
  // rows per account, a 64th of the batch or a million rows, whichever is
  // most). Called on the calling thread after each pass with (accepted rows
  // applied so far, rows), and once at the end with (rows, rows); returning
  // false cancels. The accounts of the passes done then have all their rows
  // and the others none (an account with more rows than a pass takes gets
  // passes of its own, each over the next window of the batch, so it has
  // the rows of the windows done); IngestReport::applied counts them.
  // Ingestion is idempotent, so submitting the same batch again completes it
  // exactly.
  std::function<bool(std::size_t, std::size_t)> progress;
};

// The metrics a health factor can be named after; the default model's four
// factors are derived ones.
inline constexpr std::array<std::string_view, 20> kMetricNames{
    "milestone_progress", "user_adoption",    "engagement_quality",   "value_realization",
    "seat_activation",    "planned_activation", "wau_share",          "wau_slope",
    "feature_breadth",    "active_days_per_week", "days_since_activity", "latency_ratio",
    "meetings_postponed_30d", "open_tickets", "tickets_7d",            "percent_done",
    "milestones_overdue", "milestones_slipped", "goals_off_track",      "active_users"};

// One account's evaluation as of a day.
struct AccountResult {
  std::uint32_t account = 0;  // index in the portfolio
  // Which portfolio evaluated it: another portfolio refuses to render it
  // (Errc::forbidden for another organization's, Errc::invalid otherwise).
  std::uint64_t portfolio = 0;
  ActivityMetrics metrics;
  PlanStatus plan_status = PlanStatus::on_track;
  std::string plan_reason;
  double percent_done = 0;
  int milestones_overdue = 0;
  int milestones_slipped = 0;
  int goals_off_track = 0;
  std::array<double, kMetricNames.size()> values{};  // by kMetricNames; NaN = not measurable
  double health = kNaN;
  int band = -1;
  int weakest = -1;             // factor index
  double health_week_ago = kNaN;
  double health_delta = kNaN;   // health − health 7 days earlier
  Assessment assessment;
  double priority = 0;
  int days_left = 0;            // in the onboarding window
};

struct ScanResult {
  Day as_of = 0;
  std::uint64_t portfolio = 0;  // which portfolio evaluated it, as AccountResult::portfolio
  // Whose accounts it holds: another organization's portfolio refuses it
  // (Errc::forbidden), even after the portfolio that evaluated it is gone.
  std::string organization;
  // evaluate(): every account, in portfolio order. scan(): the first
  // accounts of the worklist, in rank order. AccountResult::account tells
  // which account each one is.
  std::vector<AccountResult> accounts;
  // Indices into accounts: stalled, then at risk, by priority; accounts that
  // left on or before as_of are not on it.
  std::vector<std::uint32_t> worklist;
  std::array<std::size_t, 3> by_state{};  // ok, at_risk, stalled: every account evaluated
  // Accounts on the whole worklist: worklist.size(), unless scan() kept fewer.
  std::size_t worklist_total = 0;
};

// How Portfolio::scan runs.
struct ScanOptions {
  unsigned threads = 1;        // 0 = one per core
  std::size_t block = 16384;   // accounts evaluated, then handed to the sink, at a time
  // How many of the worklist's first accounts the scan returns with their
  // full results (read again at the end, so the blocks need not be kept).
  std::size_t keep = 1000;
};

// A block of consecutive accounts' results, in portfolio order. The sink may
// move from them; the block is gone when it returns.
using ResultSink = std::function<void(std::span<AccountResult>)>;

// What erase_account removed, for the host's record of a data-subject
// request. It holds no personal data: the account is named by the SHA-256 of
// its key, which the host can match against the request it received.
struct ErasureReceipt {
  std::string organization;
  std::string key_sha256;  // hex
  std::string erased_at;   // UTC, ISO 8601
  std::size_t planned_users = 0, contacts = 0, attributes = 0, progress = 0, goals = 0;
  bool handoff = false;
  std::size_t state_bytes = 0;    // the activity state zeroed and dropped
  std::size_t accounts_left = 0;  // in the portfolio
  std::string to_json(int indent = 2) const;
};

class Portfolio {
 public:
  explicit Portfolio(PortfolioConfig config);
  // {"organization", …config…, "accounts"?: [...]}
  static Portfolio from_json(std::string_view json);
  ~Portfolio();
  Portfolio(Portfolio&&) noexcept;
  Portfolio& operator=(Portfolio&&) noexcept;

  const PortfolioConfig& config() const noexcept;
  const std::string& organization() const noexcept;

  // Adds accounts, all or none: a duplicate key, a bad template or an
  // attribute a condition needs names its path (`accounts[3].key: ...`) and
  // leaves the portfolio unchanged. `threads` (0 = one per core) validate
  // the accounts' plans in parallel.
  void add_accounts(std::vector<Account> accounts, unsigned threads = 1);
  void add_accounts_json(std::string_view json_array);
  std::size_t size() const noexcept;
  const Account& account(std::size_t index) const;
  std::optional<std::size_t> find(std::string_view key) const noexcept;
  // An account named with its organization. Another organization's account
  // is not looked up: Errc::forbidden, never an empty answer that would hide
  // the attempt.
  std::optional<std::size_t> find(std::string_view organization, std::string_view key) const;
  const AccountActivity& activity(std::size_t index) const;
  // What the account's activity state is read against (compute_metrics,
  // activity_contents); valid until the portfolio next changes.
  ActivityProfile activity_profile(std::size_t index) const;

  IngestReport ingest(const EventBatch& batch, const IngestOptions& options = {});

  // Tonight's results. Const and safe to call concurrently with itself.
  ScanResult evaluate(Day as_of, unsigned threads = 1) const;
  // Tonight's results in bounded memory: the accounts are evaluated a block
  // at a time, each block goes to `sink` on the calling thread, and only the
  // worklist is kept (ranked as in evaluate(), with the full results of its
  // first `options.keep` accounts). Memory is a block's results, not the
  // portfolio's: for a host that writes results out as they come, or a
  // partition of a larger job. An exception from the sink stops the scan and
  // reaches the caller. Const, like evaluate().
  ScanResult scan(Day as_of, const ResultSink& sink, const ScanOptions& options = {}) const;
  // One account, the same as its row in evaluate().
  AccountResult evaluate_account(std::size_t index, Day as_of) const;
  // The plan report the evaluation used for this account.
  PlanReport plan_report(std::size_t index, Day as_of) const;

  // Every account's time-to-value as of a day (ttv.hpp), in portfolio order.
  std::vector<AccountTtv> time_to_value(Day as_of, DayCount unit = DayCount::calendar, unsigned threads = 1) const;
  // One account's contribution to its cohort (cohort.hpp), as cohort_summaries counts it.
  AccountOutcome outcome(std::size_t index, Day as_of, const CohortOptions& options = {}) const;
  // The accounts' cohort summaries as of a day: merge those of other
  // partitions into them, then read them with cohort_reports().
  CohortSummaries cohort_summaries(Day as_of, const CohortOptions& options = {}, unsigned threads = 1) const;

  // ---- durable state (snapshot.hpp) ----
  // Writes the whole state (configuration, accounts, activity) to `path`
  // atomically: a temporary file beside it, flushed, then renamed over it, so
  // a crash leaves the previous snapshot whole. The file is created 0600.
  void save(const std::string& path, const SnapshotOptions& options = {}) const;
  std::string save_bytes(const SnapshotOptions& options = {}) const;
  // A portfolio from a snapshot, or an error and none: Errc::corrupt for a
  // damaged, truncated or tampered file, Errc::unsupported for a newer
  // format, Errc::invalid for a missing or wrong key, Errc::not_found or
  // Errc::io for the file itself.
  static Portfolio load(const std::string& path, const SnapshotOptions& options = {});
  static Portfolio load_bytes(std::string_view bytes, const SnapshotOptions& options = {});

  // ---- data-subject requests ----
  // Everything the engine holds about one account, as one JSON document:
  // its attributes, contacts and planned users, plan and progress, goals,
  // handoff, the decoded activity state, tonight's evaluation as of `as_of`,
  // and the weekly signal history since the signature. Another organization's
  // key is Errc::forbidden; an unknown one Errc::not_found.
  std::string export_account(std::string_view organization, std::string_view key, Day as_of, int indent = 2) const;
  // Removes the account and everything derived from it: its strings are
  // overwritten before they are freed, its activity state zeroed, and no
  // snapshot saved afterwards holds any of it. (Older versions of its
  // activity state, left behind in the arenas as it grew, hold hashed
  // identities and days, never the key or attributes; they go when the
  // memory is reused.) Results evaluated before keep
  // their indices, so they are refused from then on (Errc::invalid).
  ErasureReceipt erase_account(std::string_view organization, std::string_view key);

  std::string worklist_json(const ScanResult& result, int indent = 2) const;
  std::string results_json(const ScanResult& result, int indent = 2) const;
  std::string account_result_json(const AccountResult& result, int indent = 2) const;
  // Throws unless this portfolio evaluated `result`: Errc::forbidden when
  // another organization's portfolio did, Errc::invalid when another of this
  // organization's did (its indices name other accounts).
  void check_evaluated_here(const AccountResult& result) const;
  void check_evaluated_here(const ScanResult& result) const;

 private:
  void check_serial(std::uint64_t serial) const;
  [[noreturn]] void forbid_result(const std::string& owner) const;
  static Portfolio load_from(const std::function<std::size_t(std::span<std::byte>)>& source,
                             const SnapshotOptions& options);
  // Sets the states of accounts [first, first + states.size()) from snapshot bytes.
  void restore_states(std::size_t first, std::span<const std::string> states);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firstvalue
