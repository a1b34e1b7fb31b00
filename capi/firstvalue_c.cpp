// The C ABI: translation only. Every entry point runs inside one guard that
// turns C++ exceptions into an fv_status and a thread-local message.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <unordered_map>
#include <string>
#include <vector>

#include "firstvalue.h"
#include "firstvalue/calendar.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/expr.hpp"
#include "firstvalue/handoff.hpp"
#include "firstvalue/health.hpp"
#include "firstvalue/kaplan_meier.hpp"
#include "firstvalue/pii.hpp"
#include "firstvalue/portfolio.hpp"
#include "firstvalue/schedule.hpp"
#include "firstvalue/success_plan.hpp"
#include "firstvalue/version.hpp"

namespace fv = firstvalue;

static_assert(FV_VERSION_MAJOR == FIRSTVALUE_VERSION_MAJOR && FV_VERSION_MINOR == FIRSTVALUE_VERSION_MINOR &&
                  FV_VERSION_PATCH == FIRSTVALUE_VERSION_PATCH,
              "capi/firstvalue.h version macros must match project(VERSION) in CMakeLists.txt");
static_assert(static_cast<int>(fv::Errc::invalid) == FV_E_INVALID &&
                  static_cast<int>(fv::Errc::not_found) == FV_E_NOT_FOUND &&
                  static_cast<int>(fv::Errc::forbidden) == FV_E_FORBIDDEN &&
                  static_cast<int>(fv::Errc::io) == FV_E_IO &&
                  static_cast<int>(fv::Errc::buffer_too_small) == FV_E_BUFFER_TOO_SMALL &&
                  static_cast<int>(fv::Errc::cancelled) == FV_E_CANCELLED &&
                  static_cast<int>(fv::Errc::corrupt) == FV_E_CORRUPT &&
                  static_cast<int>(fv::Errc::unsupported) == FV_E_UNSUPPORTED &&
                  static_cast<int>(fv::Errc::internal) == FV_E_INTERNAL,
              "fv_status and firstvalue::Errc must agree");

struct fv_health_model {
  fv::HealthModel model;
};
struct fv_calendar {
  fv::Calendar calendar;
};
struct fv_pii_masker {
  fv::PiiMasker masker;
};
struct fv_template_set {
  fv::TemplateSet set;
};
struct fv_scheduler {
  fv::Scheduler scheduler;
};
struct fv_plan_results {
  std::vector<fv::PlanReport> reports;
  fv::NodeTable milestones;  // built once, on evaluation
  fv::NodeTable nodes;

  const fv::NodeTable& table(int milestones_only) const { return milestones_only ? milestones : nodes; }
};

// A portfolio. Results know which one evaluated them through the core's
// serial, which no other portfolio of the process shares, even after that
// one was freed and its address reused.
struct fv_portfolio {
  fv::Portfolio portfolio;
};
struct fv_ingest_report {
  fv::IngestReport report;
};
struct fv_km {
  fv::SurvivalCurve curve;
};
// A snapshot: the text it serves is copied from the portfolio's configuration.
struct fv_scan_result {
  fv::ScanResult result;
  std::vector<fv::SignalRule> rules;   // the signal rules it was evaluated with
  std::vector<std::string> band_names; // by band code + 1 (code -1 is "unknown")
};

static_assert(static_cast<int>(fv::RejectReason::unknown_account) == FV_REJECT_UNKNOWN_ACCOUNT &&
                  static_cast<int>(fv::RejectReason::unknown_type) == FV_REJECT_UNKNOWN_TYPE &&
                  static_cast<int>(fv::RejectReason::bad_timestamp) == FV_REJECT_BAD_TIMESTAMP &&
                  static_cast<int>(fv::RejectReason::missing_actor) == FV_REJECT_MISSING_ACTOR &&
                  static_cast<int>(fv::RejectReason::missing_item) == FV_REJECT_MISSING_ITEM &&
                  static_cast<int>(fv::RejectReason::bad_value) == FV_REJECT_BAD_VALUE &&
                  static_cast<int>(fv::RejectReason::unknown_plan_item) == FV_REJECT_UNKNOWN_PLAN_ITEM &&
                  fv::kRejectReasonNames.size() == FV_REJECT_UNKNOWN_PLAN_ITEM + 1,
              "FV_REJECT_* must match firstvalue::RejectReason");
static_assert(static_cast<int>(fv::AccountState::ok) == FV_STATE_OK &&
                  static_cast<int>(fv::AccountState::at_risk) == FV_STATE_AT_RISK &&
                  static_cast<int>(fv::AccountState::stalled) == FV_STATE_STALLED && fv::kNever == FV_NO_DAY,
              "FV_STATE_* and FV_NO_DAY must match firstvalue::AccountState and kNever");
static_assert(static_cast<int>(fv::PlanStatus::on_track) == FV_PLAN_ON_TRACK &&
                  static_cast<int>(fv::PlanStatus::behind) == FV_PLAN_BEHIND,
              "FV_PLAN_* must match firstvalue::PlanStatus");
static_assert(FV_NO_LIMIT == static_cast<std::size_t>(-1), "FV_NO_LIMIT is IngestOptions::max_rejected's default");

static_assert(static_cast<int>(fv::PlanStatus::stuck) == FV_PLAN_STUCK &&
                  static_cast<int>(fv::Status::not_applicable) == FV_NODE_NOT_APPLICABLE &&
                  static_cast<int>(fv::Completion::detected) == FV_COMPLETION_DETECTED && fv::kNoDay == FV_NO_DAY,
              "C enums must match the core's");

namespace {

thread_local std::string g_last_error;

fv_status fail(fv_status status, std::string message) {
  g_last_error = std::move(message);
  return status;
}

template <class F>
fv_status guard(F&& body) noexcept {
  try {
    body();
    return FV_OK;
  } catch (const fv::Error& e) {
    return fail(static_cast<fv_status>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(FV_E_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail(FV_E_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(FV_E_INTERNAL, "internal error: unknown exception");
  }
}

void require(const void* p, const char* name) {
  if (p == nullptr) throw fv::Error(fv::Errc::invalid, name, "must not be NULL");
}

// Every live handle, with its type: a call with a freed handle, one of
// another type, or a pointer the library never returned is refused instead
// of reading freed memory. (A freed handle whose address a new handle of the
// same type took cannot be told apart.)
template <class T>
const void* handle_type() noexcept {
  static const char tag = 0;
  return &tag;
}
template <class T>
concept Handle = std::is_same_v<T, fv_health_model> || std::is_same_v<T, fv_calendar> ||
                 std::is_same_v<T, fv_template_set> || std::is_same_v<T, fv_scheduler> ||
                 std::is_same_v<T, fv_plan_results> || std::is_same_v<T, fv_portfolio> ||
                 std::is_same_v<T, fv_ingest_report> || std::is_same_v<T, fv_scan_result> ||
                 std::is_same_v<T, fv_km> || std::is_same_v<T, fv_pii_masker>;
struct HandleEntry {
  const void* type;
  bool borrowed;  // lent to a callback: usable there, but the library frees it
};
std::mutex g_handles_mutex;
std::unordered_map<const void*, HandleEntry> g_handles;

template <Handle T>
T* tracked(std::unique_ptr<T> handle, bool borrowed = false) {
  const std::lock_guard lock(g_handles_mutex);
  g_handles.emplace(handle.get(), HandleEntry{handle_type<T>(), borrowed});
  return handle.release();
}
template <Handle T, class... Args>
T* make_tracked(Args&&... args) {
  return tracked(std::unique_ptr<T>(new T{std::forward<Args>(args)...}));
}
// Forgets a handle before it is deleted; false when it is not a live one the
// caller owns (freed, of another type, never created, or lent to a callback).
template <Handle T>
bool untrack(const T* handle, bool borrowed = false) noexcept {
  const std::lock_guard lock(g_handles_mutex);
  const auto it = g_handles.find(handle);
  if (it == g_handles.end() || it->second.type != handle_type<T>() || it->second.borrowed != borrowed) return false;
  g_handles.erase(it);
  return true;
}
template <Handle T>
void require(const T* handle, const char* name) {
  require(static_cast<const void*>(handle), name);
  const std::lock_guard lock(g_handles_mutex);
  const auto it = g_handles.find(handle);
  if (it == g_handles.end())
    throw fv::Error(fv::Errc::invalid, name, "is not a live handle (it was freed, or never created by firstvalue)");
  if (it->second.type != handle_type<T>()) throw fv::Error(fv::Errc::invalid, name, "is a handle of another type");
}

const fv::HealthModel& model_of(const fv_health_model* handle) {
  require(handle, "model");
  return handle->model;
}

// Copies `text` into a library-allocated fv_buf.
void to_buf(const std::string& text, fv_buf* out) {
  char* p = static_cast<char*>(std::malloc(text.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  out->ptr = p;
  out->size = text.size();
}

// The two-call protocol for caller-allocated string buffers.
void to_caller_buffer(std::string_view text, char* buffer, size_t buffer_len, size_t* out_len) {
  require(out_len, "out_len");
  *out_len = text.size();
  if (buffer_len == 0) return;  // size query
  require(buffer, "buffer");
  if (buffer_len <= text.size())
    throw fv::Error(fv::Errc::buffer_too_small, "buffer",
                    "needs " + std::to_string(text.size() + 1) + " bytes, got " +
                        std::to_string(buffer_len));
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
}

template <class T>
std::span<T> optional_span(T* p, size_t n) {
  return p == nullptr ? std::span<T>() : std::span<T>(p, n);
}

std::string_view text_of(const char* p, size_t len, const char* name) {
  if (len > 0) require(p, name);
  return std::string_view(p ? p : "", len);
}

template <class T, class U>
void copy_column(const std::vector<U>& from, T* to) {
  if (to == nullptr) return;
  for (size_t i = 0; i < from.size(); ++i) to[i] = static_cast<T>(from[i]);
}

// A caller's count (`name`) against the number of `what` there are.
void check_count(size_t given, size_t actual, const char* name, const char* what) {
  if (given != actual)
    throw fv::Error(fv::Errc::invalid, name,
                    "has " + std::to_string(given) + " for " + std::to_string(actual) + " " + what);
}

void check_rows(size_t given, size_t actual, const char* what) { check_count(given, actual, "n_rows", what); }


const fv::ScanResult& result_of(const fv_scan_result* handle) {
  require(handle, "result");
  return handle->result;
}

const fv::AccountResult& account_of(const fv_scan_result* handle, size_t account) {
  const auto& accounts = result_of(handle).accounts;
  if (account >= accounts.size())
    throw fv::Error(fv::Errc::not_found, "account",
                    "no account " + std::to_string(account) + " (the result has " + std::to_string(accounts.size()) +
                        ")");
  return accounts[account];
}

// The portfolio, after checking that `result` was evaluated on it.
const fv::Portfolio& owner_of(const fv_portfolio* p, const fv_scan_result* result) {
  require(p, "portfolio");
  require(result, "result");
  // The core tells another organization's result (forbidden) from another
  // portfolio's, or one evaluated before an erase (invalid).
  p->portfolio.check_evaluated_here(result->result);
  return p->portfolio;
}

// A borrowed view of one C dictionary column: the core reads the strings
// where the host keeps them (17M user keys would cost 16 bytes each as views).
fv::Dictionary dictionary_of(const fv_dictionary& d, size_t n_rows, const std::string& path) {
  if (d.codes == nullptr) return {};  // absent: the core says whether that is allowed
  if (d.n_values > 0) require(d.values, (path + ".values").c_str());
  for (size_t i = 0; i < d.n_values; ++i)
    if (d.values[i] == nullptr && (d.lengths == nullptr || d.lengths[i] > 0))
      throw fv::Error(fv::Errc::invalid, fv::index_path(path + ".values", i), "must not be NULL");
  return {std::span<const std::int32_t>(d.codes, n_rows), fv::DictionaryValues::pointers(d.values, d.lengths, d.n_values)};
}

}  // namespace

static_assert(static_cast<int>(fv::TtvState::reached) == FV_TTV_REACHED &&
                  static_cast<int>(fv::TtvState::open) == FV_TTV_OPEN &&
                  static_cast<int>(fv::TtvState::exited) == FV_TTV_EXITED &&
                  static_cast<int>(fv::TtvState::not_planned) == FV_TTV_NOT_PLANNED &&
                  static_cast<int>(fv::ValuePoint::full_value) == FV_TTV_FULL_VALUE &&
                  fv::kValuePoints.size() == FV_TTV_POINTS &&
                  static_cast<int>(fv::DayCount::business) == FV_DAYS_BUSINESS &&
                  static_cast<int>(fv::DayCount::calendar) == FV_DAYS_CALENDAR,
              "FV_TTV_* and FV_DAYS_* must match the core's");

namespace {

const fv::Portfolio& portfolio_of(const fv_portfolio* handle) {
  require(handle, "portfolio");
  return handle->portfolio;
}

// NULL or "" stands for an empty JSON object: every default.
std::string_view json_or_empty(const char* text) { return text == nullptr || *text == '\0' ? "{}" : text; }

std::string reports_of(const fv::CohortSummaries& s, const char* benchmarks_json, double alpha) {
  fv::CohortBenchmarks b;
  try {
    b = fv::CohortBenchmarks::from_json(json_or_empty(benchmarks_json));
  } catch (const fv::Error& e) {
    throw e.under("benchmarks");
  }
  return fv::cohort_reports_json(fv::cohort_reports(s, b, alpha));
}

fv::CohortSummaries summaries_of(const fv_portfolio* portfolio, int32_t as_of, const char* options_json) {
  const fv::Portfolio& p = portfolio_of(portfolio);
  fv::CohortOptions o;
  try {
    o = fv::CohortOptions::from_json(json_or_empty(options_json));
  } catch (const fv::Error& e) {
    throw e.under("options");
  }
  return p.cohort_summaries(as_of, o);
}

fv::CohortSummaries summaries_from(const char* json, const char* name) {
  require(json, name);
  try {
    return fv::CohortSummaries::from_json(json);
  } catch (const fv::Error& e) {
    throw e.under(name);
  }
}

}  // namespace

extern "C" {

const char* fv_last_error(void) { return g_last_error.c_str(); }

const char* fv_status_name(fv_status status) {
  switch (status) {
    case FV_OK: return "FV_OK";
    case FV_E_INVALID: return "FV_E_INVALID";
    case FV_E_NOT_FOUND: return "FV_E_NOT_FOUND";
    case FV_E_FORBIDDEN: return "FV_E_FORBIDDEN";
    case FV_E_IO: return "FV_E_IO";
    case FV_E_BUFFER_TOO_SMALL: return "FV_E_BUFFER_TOO_SMALL";
    case FV_E_CANCELLED: return "FV_E_CANCELLED";
    case FV_E_CORRUPT: return "FV_E_CORRUPT";
    case FV_E_UNSUPPORTED: return "FV_E_UNSUPPORTED";
    case FV_E_INTERNAL: return "FV_E_INTERNAL";
  }
  return "FV_E_UNKNOWN";
}

fv_status fv_version(int* major, int* minor, int* patch) {
  if (major) *major = FIRSTVALUE_VERSION_MAJOR;
  if (minor) *minor = FIRSTVALUE_VERSION_MINOR;
  if (patch) *patch = FIRSTVALUE_VERSION_PATCH;
  return FV_OK;
}

void fv_buf_dispose(fv_buf* buf) {
  if (buf == nullptr) return;
  std::free(buf->ptr);
  buf->ptr = nullptr;
  buf->size = 0;
}

fv_status fv_health_model_default(fv_health_model** out) {
  return guard([&] {
    require(out, "out");
    *out = make_tracked<fv_health_model>(fv::HealthModel::default_model());
  });
}

fv_status fv_health_model_from_json(const char* json, size_t json_len, fv_health_model** out) {
  return guard([&] {
    require(out, "out");
    if (json_len > 0) require(json, "json");
    auto parsed = fv::HealthModel::from_json(std::string_view(json ? json : "", json_len));
    *out = make_tracked<fv_health_model>(std::move(parsed));
  });
}

fv_status fv_health_model_to_json(const fv_health_model* model, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    to_buf(model_of(model).to_json(), out);
  });
}

void fv_health_model_free(fv_health_model* model) {
  if (model != nullptr && untrack(model)) delete model;
}

fv_status fv_health_model_factor_count(const fv_health_model* model, size_t* out) {
  return guard([&] {
    const auto& m = model_of(model);
    require(out, "out");
    *out = m.factors().size();
  });
}

fv_status fv_health_model_factor_name(const fv_health_model* model, size_t index, char* buffer,
                                      size_t buffer_len, size_t* out_len) {
  return guard([&] {
    const auto& m = model_of(model);
    if (index >= m.factors().size())
      throw fv::Error(fv::Errc::not_found, "index",
                      "no factor " + std::to_string(index) + " (the model has " +
                          std::to_string(m.factors().size()) + ")");
    to_caller_buffer(m.factors()[index].name, buffer, buffer_len, out_len);
  });
}

fv_status fv_health_model_band_count(const fv_health_model* model, size_t* out) {
  return guard([&] {
    const auto& m = model_of(model);
    require(out, "out");
    *out = m.bands().size();
  });
}

fv_status fv_health_model_band_name(const fv_health_model* model, int band, char* buffer,
                                    size_t buffer_len, size_t* out_len) {
  return guard([&] {
    const auto& m = model_of(model);
    if (band < -1 || band >= static_cast<int>(m.bands().size()))
      throw fv::Error(fv::Errc::not_found, "band", "no band with code " + std::to_string(band));
    to_caller_buffer(m.band_name(band), buffer, buffer_len, out_len);
  });
}

fv_status fv_health_model_score(const fv_health_model* model, const char* const* names,
                                const double* const* columns, size_t n_columns, size_t n_accounts,
                                const double* previous, unsigned threads, double* out_score,
                                int8_t* out_band, double* out_coverage, int8_t* out_weakest,
                                double* out_delta, int8_t* out_band_change) {
  return guard([&] {
    const auto& m = model_of(model);
    if (n_columns > 0) {
      require(names, "names");
      require(columns, "columns");
    }
    require(out_score, "out_score");
    std::vector<fv::Column> cols(n_columns);
    for (size_t c = 0; c < n_columns; ++c) {
      if (names[c] == nullptr) throw fv::Error(fv::Errc::invalid, fv::index_path("names", c), "must not be NULL");
      if (columns[c] == nullptr && n_accounts > 0)
        throw fv::Error(fv::Errc::invalid, fv::index_path("columns", c), "must not be NULL");
      cols[c] = {names[c], std::span<const double>(columns[c], columns[c] ? n_accounts : 0)};
    }
    const fv::ScoreOutput out{optional_span(out_score, n_accounts), optional_span(out_band, n_accounts),
                              optional_span(out_coverage, n_accounts), optional_span(out_weakest, n_accounts),
                              optional_span(out_delta, n_accounts), optional_span(out_band_change, n_accounts)};
    fv::ScoreOptions options;
    options.previous = optional_span(previous, n_accounts);
    options.threads = threads;
    m.score(cols, out, options);
  });
}

fv_status fv_health_model_explain(const fv_health_model* model, const char* const* names,
                                  const double* values, size_t n_values, double previous_score,
                                  fv_buf* out) {
  return guard([&] {
    const auto& m = model_of(model);
    require(out, "out");
    if (n_values > 0) {
      require(names, "names");
      require(values, "values");
    }
    std::vector<fv::NamedValue> row(n_values);
    for (size_t c = 0; c < n_values; ++c) {
      if (names[c] == nullptr) throw fv::Error(fv::Errc::invalid, fv::index_path("names", c), "must not be NULL");
      row[c] = {names[c], values[c]};
    }
    to_buf(m.explain(row, previous_score).to_json(), out);
  });
}

// ---- calendars -------------------------------------------------------------

fv_status fv_calendar_default(fv_calendar** out) {
  return guard([&] {
    require(out, "out");
    *out = make_tracked<fv_calendar>(fv::Calendar());
  });
}

fv_status fv_calendar_from_json(const char* json, size_t json_len, fv_calendar** out) {
  return guard([&] {
    require(out, "out");
    auto c = fv::Calendar::from_json(text_of(json, json_len, "json"));
    *out = make_tracked<fv_calendar>(std::move(c));
  });
}

fv_status fv_calendar_to_json(const fv_calendar* calendar, fv_buf* out) {
  return guard([&] {
    require(calendar, "calendar");
    require(out, "out");
    to_buf(calendar->calendar.to_json(), out);
  });
}

void fv_calendar_free(fv_calendar* calendar) {
  if (calendar != nullptr && untrack(calendar)) delete calendar;
}

fv_status fv_calendar_is_business_day(const fv_calendar* calendar, int32_t day, int* out) {
  return guard([&] {
    require(calendar, "calendar");
    require(out, "out");
    *out = calendar->calendar.is_business_day(day) ? 1 : 0;
  });
}

fv_status fv_calendar_add_business_days(const fv_calendar* calendar, int32_t day, int32_t n, int32_t* out) {
  return guard([&] {
    require(calendar, "calendar");
    require(out, "out");
    *out = calendar->calendar.add_business_days(day, n);
  });
}

fv_status fv_calendar_business_days_between(const fv_calendar* calendar, int32_t a, int32_t b, int32_t* out) {
  return guard([&] {
    require(calendar, "calendar");
    require(out, "out");
    *out = calendar->calendar.business_days_between(a, b);
  });
}

fv_status fv_calendar_roll_forward(const fv_calendar* calendar, int32_t day, int32_t* out) {
  return guard([&] {
    require(calendar, "calendar");
    require(out, "out");
    *out = calendar->calendar.roll_forward(day);
  });
}

fv_status fv_date_parse(const char* text, size_t text_len, int32_t* out) {
  return guard([&] {
    require(out, "out");
    const std::string_view t = text_of(text, text_len, "text");
    const auto d = fv::parse_date(t);
    if (!d) throw fv::Error(fv::Errc::invalid, "text", "not a date \"" + std::string(t) + "\" (expected YYYY-MM-DD)");
    *out = *d;
  });
}

fv_status fv_expr_check(const char* source, size_t source_len) {
  return guard([&] { (void)fv::Expr::parse(text_of(source, source_len, "source")); });
}

// ---- templates and plans ------------------------------------------------------

fv_status fv_template_set_default(fv_template_set** out) {
  return guard([&] {
    require(out, "out");
    *out = make_tracked<fv_template_set>(fv::TemplateSet::default_set());
  });
}

fv_status fv_template_set_from_json(const char* json, size_t json_len, fv_template_set** out) {
  return guard([&] {
    require(out, "out");
    auto set = fv::TemplateSet::from_json(text_of(json, json_len, "json"));
    *out = make_tracked<fv_template_set>(std::move(set));
  });
}

fv_status fv_template_set_to_json(const fv_template_set* set, fv_buf* out) {
  return guard([&] {
    require(set, "set");
    require(out, "out");
    to_buf(set->set.to_json(), out);
  });
}

void fv_template_set_free(fv_template_set* set) {
  if (set != nullptr && untrack(set)) delete set;
}

fv_status fv_scheduler_new(const fv_template_set* set, const fv_calendar* calendar, const char* policy_json,
                           size_t policy_len, fv_scheduler** out) {
  return guard([&] {
    require(set, "set");
    if (calendar != nullptr) require(calendar, "calendar");  // optional, but a live one when given
    require(out, "out");
    const fv::PlanPolicy policy =
        policy_json == nullptr ? fv::PlanPolicy{} : fv::PlanPolicy::from_json(text_of(policy_json, policy_len, "policy_json"));
    fv::Scheduler scheduler(set->set, calendar ? calendar->calendar : fv::Calendar(), policy);
    *out = make_tracked<fv_scheduler>(std::move(scheduler));
  });
}

void fv_scheduler_free(fv_scheduler* scheduler) {
  if (scheduler != nullptr && untrack(scheduler)) delete scheduler;
}

fv_status fv_scheduler_evaluate(const fv_scheduler* scheduler, const char* accounts_json, size_t json_len,
                                int32_t as_of, unsigned threads, fv_plan_results** out) {
  return guard([&] {
    require(scheduler, "scheduler");
    require(out, "out");
    const auto accounts = fv::AccountPlan::list_from_json(text_of(accounts_json, json_len, "accounts_json"));
    auto results = std::make_unique<fv_plan_results>();
    results->reports = scheduler->scheduler.evaluate(accounts, as_of, threads);
    results->milestones = fv::node_table(results->reports, true);
    results->nodes = fv::node_table(results->reports, false);
    *out = tracked(std::move(results));
  });
}

void fv_plan_results_free(fv_plan_results* results) {
  if (results != nullptr && untrack(results)) delete results;
}

fv_status fv_plan_results_to_json(const fv_plan_results* results, fv_buf* out) {
  return guard([&] {
    require(results, "results");
    require(out, "out");
    std::string text = "[";
    for (size_t i = 0; i < results->reports.size(); ++i) text += (i ? "," : "") + results->reports[i].to_json(-1);
    to_buf(text + "]", out);
  });
}

fv_status fv_plan_results_account_count(const fv_plan_results* results, size_t* out) {
  return guard([&] {
    require(results, "results");
    require(out, "out");
    *out = results->reports.size();
  });
}

fv_status fv_plan_results_plans(const fv_plan_results* results, size_t n_accounts, int8_t* status,
                                double* percent_done, int32_t* planned_finish, int32_t* forecast_finish,
                                uint8_t* concluded) {
  return guard([&] {
    require(results, "results");
    if (n_accounts != results->reports.size())
      throw fv::Error(fv::Errc::invalid, "n_accounts",
                      "has " + std::to_string(n_accounts) + " for " + std::to_string(results->reports.size()) + " accounts");
    for (size_t i = 0; i < n_accounts; ++i) {
      const fv::PlanReport& r = results->reports[i];
      if (status) status[i] = static_cast<int8_t>(r.status);
      if (percent_done) percent_done[i] = r.percent_done;
      if (planned_finish) planned_finish[i] = r.planned_finish;
      if (forecast_finish) forecast_finish[i] = r.forecast_finish;
      if (concluded) concluded[i] = r.concluded ? 1 : 0;
    }
  });
}

fv_status fv_plan_results_node_count(const fv_plan_results* results, int milestones_only, size_t* out) {
  return guard([&] {
    require(results, "results");
    require(out, "out");
    *out = results->table(milestones_only).size();
  });
}

fv_status fv_plan_results_nodes(const fv_plan_results* results, int milestones_only, size_t n_rows,
                                int32_t* account, int32_t* planned_start, int32_t* planned_due, int32_t* due,
                                int32_t* forecast, int32_t* done, int8_t* status, int8_t* completion,
                                int32_t* slip_count, int32_t* slip_days, uint8_t* critical, uint8_t* active) {
  return guard([&] {
    require(results, "results");
    const fv::NodeTable& t = results->table(milestones_only);
    check_rows(n_rows, t.size(), milestones_only ? "milestones" : "tasks and milestones");
    copy_column(t.account, account);
    copy_column(t.planned_start, planned_start);
    copy_column(t.planned_due, planned_due);
    copy_column(t.due, due);
    copy_column(t.forecast, forecast);
    copy_column(t.done, done);
    copy_column(t.status, status);
    copy_column(t.completion, completion);
    copy_column(t.slip_count, slip_count);
    copy_column(t.slip_days, slip_days);
    copy_column(t.critical, critical);
    copy_column(t.active, active);
  });
}

fv_status fv_plan_results_node_text(const fv_plan_results* results, int milestones_only, size_t row, int field,
                                    char* buffer, size_t buffer_len, size_t* out_len) {
  return guard([&] {
    require(results, "results");
    const fv::NodeTable& t = results->table(milestones_only);
    if (row >= t.size())
      throw fv::Error(fv::Errc::not_found, "row", "no row " + std::to_string(row) + " (there are " + std::to_string(t.size()) + ")");
    const std::vector<std::string>* column = nullptr;
    switch (field) {
      case FV_NODE_ID: column = &t.id; break;
      case FV_NODE_NAME: column = &t.name; break;
      case FV_NODE_KIND: column = &t.kind; break;
      case FV_NODE_PHASE: column = &t.phase; break;
      case FV_NODE_MILESTONE: column = &t.milestone; break;
      case FV_NODE_ROLE: column = &t.role; break;
      default: throw fv::Error(fv::Errc::invalid, "field", "unknown field " + std::to_string(field));
    }
    to_caller_buffer((*column)[row], buffer, buffer_len, out_len);
  });
}

fv_status fv_node_status_name(int status, const char** out) {
  return guard([&] {
    require(out, "out");
    if (status < FV_NODE_DONE || status > FV_NODE_NOT_APPLICABLE)
      throw fv::Error(fv::Errc::invalid, "status", "unknown status " + std::to_string(status));
    *out = fv::to_string(static_cast<fv::Status>(status)).data();
  });
}

fv_status fv_plan_status_name(int status, const char** out) {
  return guard([&] {
    require(out, "out");
    if (status < FV_PLAN_ON_TRACK || status > FV_PLAN_STUCK)
      throw fv::Error(fv::Errc::invalid, "status", "unknown status " + std::to_string(status));
    *out = fv::to_string(static_cast<fv::PlanStatus>(status)).data();
  });
}

fv_status fv_success_plan_evaluate(const char* json, size_t json_len, int32_t as_of, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    const auto plan = fv::SuccessPlan::from_json(text_of(json, json_len, "json"));
    to_buf(fv::goal_reports_to_json(plan.evaluate(as_of)), out);
  });
}

fv_status fv_handoff_assess(const char* json, size_t json_len, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    const auto record = fv::HandoffRecord::from_json(text_of(json, json_len, "json"));
    to_buf(record.assess().to_json(), out);
  });
}

// ---- portfolio and the nightly scan ---------------------------------------------

fv_status fv_portfolio_from_json(const char* json, size_t json_len, fv_portfolio** out) {
  return guard([&] {
    require(out, "out");
    auto p = fv::Portfolio::from_json(text_of(json, json_len, "json"));
    *out = make_tracked<fv_portfolio>(std::move(p));
  });
}

void fv_portfolio_free(fv_portfolio* portfolio) {
  if (portfolio != nullptr && untrack(portfolio)) delete portfolio;
}

fv_status fv_portfolio_add_accounts_json(fv_portfolio* portfolio, const char* json_array, size_t json_len) {
  return guard([&] {
    require(portfolio, "portfolio");
    portfolio->portfolio.add_accounts_json(text_of(json_array, json_len, "json_array"));
  });
}

fv_status fv_portfolio_account_count(const fv_portfolio* portfolio, size_t* out) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(out, "out");
    *out = portfolio->portfolio.size();
  });
}

fv_status fv_portfolio_account_key(const fv_portfolio* portfolio, size_t index, char* buffer, size_t buffer_len,
                                   size_t* out_len) {
  return guard([&] {
    require(portfolio, "portfolio");
    const fv::Account* a = nullptr;
    try {
      a = &portfolio->portfolio.account(index);
    } catch (const fv::Error& e) {
      throw e.under("index");
    }
    to_caller_buffer(a->key, buffer, buffer_len, out_len);
  });
}

fv_status fv_portfolio_find(const fv_portfolio* portfolio, const char* key, size_t key_len, size_t* out_index) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(out_index, "out_index");
    const std::string_view k = text_of(key, key_len, "key");
    const auto i = portfolio->portfolio.find(k);
    if (!i) throw fv::Error(fv::Errc::not_found, "key", "no account \"" + std::string(k) + "\" in the portfolio");
    *out_index = *i;
  });
}

fv_status fv_portfolio_find_in(const fv_portfolio* portfolio, const char* organization, size_t organization_len,
                               const char* key, size_t key_len, size_t* out_index) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(out_index, "out_index");
    const std::string_view k = text_of(key, key_len, "key");
    const auto i = portfolio->portfolio.find(text_of(organization, organization_len, "organization"), k);
    if (!i) throw fv::Error(fv::Errc::not_found, "key", "no account \"" + std::string(k) + "\" in the portfolio");
    *out_index = *i;
  });
}

fv_status fv_portfolio_ingest(fv_portfolio* portfolio, const fv_event_batch* batch, unsigned threads,
                              size_t max_rejected, fv_progress_fn progress, void* user_data, fv_ingest_report** out) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(batch, "batch");
    require(out, "out");
    const size_t n = batch->n_rows;
    if (n > 0) require(batch->ts, "batch.ts");
    fv::EventBatch b;
    b.ts = std::span<const std::int64_t>(batch->ts, batch->ts ? n : 0);
    b.account = dictionary_of(batch->account, n, "batch.account");
    b.type = dictionary_of(batch->type, n, "batch.type");
    b.actor = dictionary_of(batch->actor, n, "batch.actor");
    b.item = dictionary_of(batch->item, n, "batch.item");
    b.organization = dictionary_of(batch->organization, n, "batch.organization");
    b.value = optional_span(batch->value, n);
    b.id = optional_span(batch->id, n);
    fv::IngestOptions options;
    options.threads = threads;
    options.max_rejected = max_rejected;
    if (progress != nullptr)
      options.progress = [progress, user_data](std::size_t done, std::size_t total) {
        return progress(done, total, user_data) != 0;
      };
    auto handle = std::make_unique<fv_ingest_report>();  // before ingesting, so that nothing fails after it
    handle->report = portfolio->portfolio.ingest(b, options);
    const fv::IngestReport& r = handle->report;
    *out = tracked(std::move(handle));
    if (r.cancelled)
      throw fv::Error(fv::Errc::cancelled, "progress",
                      "cancelled after " + std::to_string(r.applied) + " of " + std::to_string(r.accepted) +
                          " accepted rows were applied; submit the same batch again to complete it");
  });
}

void fv_ingest_report_free(fv_ingest_report* report) {
  if (report != nullptr && untrack(report)) delete report;
}

fv_status fv_ingest_report_counts(const fv_ingest_report* report, size_t* rows, size_t* accepted, size_t* rejected,
                                  size_t* applied, int* cancelled) {
  return guard([&] {
    require(report, "report");
    const fv::IngestReport& r = report->report;
    if (rows) *rows = r.rows;
    if (accepted) *accepted = r.accepted;
    if (rejected) *rejected = r.rejected.size();
    if (applied) *applied = r.applied;
    if (cancelled) *cancelled = r.cancelled ? 1 : 0;
  });
}

fv_status fv_ingest_report_rejected(const fv_ingest_report* report, size_t n_rejected, uint64_t* rows,
                                    int8_t* reasons) {
  return guard([&] {
    require(report, "report");
    const auto& rejected = report->report.rejected;
    check_count(n_rejected, rejected.size(), "n_rejected", "rejected rows");
    for (size_t i = 0; i < rejected.size(); ++i) {
      if (rows) rows[i] = rejected[i].row;
      if (reasons) reasons[i] = static_cast<int8_t>(rejected[i].reason);
    }
  });
}

fv_status fv_ingest_report_to_json(const fv_ingest_report* report, fv_buf* out) {
  return guard([&] {
    require(report, "report");
    require(out, "out");
    to_buf(report->report.to_json(), out);
  });
}

fv_status fv_reject_reason_name(int reason, const char** out) {
  return guard([&] {
    require(out, "out");
    if (reason < FV_REJECT_UNKNOWN_ACCOUNT || reason > FV_REJECT_UNKNOWN_PLAN_ITEM)
      throw fv::Error(fv::Errc::invalid, "reason", "unknown reason " + std::to_string(reason));
    *out = fv::to_string(static_cast<fv::RejectReason>(reason)).data();
  });
}

}  // extern "C": the helper below returns a C++ type

namespace {
// A result handle for `portfolio`: the text it serves is copied from its configuration.
std::unique_ptr<fv_scan_result> result_handle(const fv_portfolio* portfolio) {
  const fv::PortfolioConfig& config = portfolio->portfolio.config();
  auto handle = std::make_unique<fv_scan_result>();
  handle->rules = config.signals.rules;
  const int bands = static_cast<int>(config.health.bands().size());
  for (int b = -1; b < bands; ++b) handle->band_names.emplace_back(config.health.band_name(b));
  return handle;
}
}  // namespace

extern "C" {

fv_status fv_portfolio_evaluate(const fv_portfolio* portfolio, int32_t as_of, unsigned threads,
                                fv_scan_result** out) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(out, "out");
    auto handle = result_handle(portfolio);
    handle->result = portfolio->portfolio.evaluate(as_of, threads);
    *out = tracked(std::move(handle));
  });
}

fv_status fv_portfolio_scan(const fv_portfolio* portfolio, int32_t as_of, unsigned threads, size_t block,
                            size_t keep, fv_scan_sink_fn sink, void* user_data, fv_scan_result** out) {
  return guard([&] {
    require(portfolio, "portfolio");
    if (sink == nullptr) throw fv::Error(fv::Errc::invalid, "sink", "must not be NULL");
    require(out, "out");
    auto handle = result_handle(portfolio);
    // Each block, moved in and out of one handle that is live for the sink only.
    fv_scan_result* const view = tracked(result_handle(portfolio), true);
    struct Lent {  // taken back when the scan ends, however it ends; the sink cannot free it
      fv_scan_result* view;
      ~Lent() {
        if (untrack(view, true)) delete view;
      }
    } const lent{view};
    view->result.as_of = as_of;
    view->result.organization = portfolio->portfolio.organization();
    auto on_block = [&](std::span<fv::AccountResult> results) {
      view->result.accounts.assign(std::make_move_iterator(results.begin()), std::make_move_iterator(results.end()));
      if (!view->result.accounts.empty()) view->result.portfolio = view->result.accounts.front().portfolio;
      view->result.by_state = {};
      for (const fv::AccountResult& r : view->result.accounts)
        ++view->result.by_state[static_cast<std::size_t>(r.assessment.state)];
      if (sink(view, user_data) == 0) throw fv::Error(fv::Errc::cancelled, "sink", "stopped the scan");
    };
    handle->result = portfolio->portfolio.scan(as_of, on_block, {threads, block, keep});
    *out = tracked(std::move(handle));
  });
}

void fv_scan_result_free(fv_scan_result* result) {
  if (result != nullptr && untrack(result)) delete result;
}

fv_status fv_scan_result_account_count(const fv_scan_result* result, size_t* out) {
  return guard([&] {
    const auto& r = result_of(result);
    require(out, "out");
    *out = r.accounts.size();
  });
}

fv_status fv_scan_result_by_state(const fv_scan_result* result, size_t* ok, size_t* at_risk, size_t* stalled) {
  return guard([&] {
    const auto& r = result_of(result);
    if (ok) *ok = r.by_state[FV_STATE_OK];
    if (at_risk) *at_risk = r.by_state[FV_STATE_AT_RISK];
    if (stalled) *stalled = r.by_state[FV_STATE_STALLED];
  });
}

fv_status fv_scan_result_account_indices(const fv_scan_result* result, size_t n, uint32_t* out) {
  return guard([&] {
    const auto& accounts = result_of(result).accounts;
    check_count(n, accounts.size(), "n", "accounts");
    if (n > 0) require(out, "out");
    for (size_t i = 0; i < n; ++i) out[i] = accounts[i].account;
  });
}

fv_status fv_scan_result_worklist_total(const fv_scan_result* result, size_t* out) {
  return guard([&] {
    const auto& r = result_of(result);
    require(out, "out");
    *out = r.worklist_total;
  });
}

fv_status fv_state_name(int state, const char** out) {
  return guard([&] {
    require(out, "out");
    if (state < FV_STATE_OK || state > FV_STATE_STALLED)
      throw fv::Error(fv::Errc::invalid, "state", "unknown state " + std::to_string(state));
    *out = fv::to_string(static_cast<fv::AccountState>(state)).data();
  });
}

fv_status fv_scan_result_accounts(const fv_scan_result* result, size_t n_accounts, int8_t* state, double* risk,
                                  int32_t* onset, double* priority, int32_t* days_left, double* health, int8_t* band,
                                  double* health_delta, int8_t* plan_status, int32_t* signal_count) {
  return guard([&] {
    const auto& accounts = result_of(result).accounts;
    check_count(n_accounts, accounts.size(), "n_accounts", "accounts");
    for (size_t i = 0; i < n_accounts; ++i) {
      const fv::AccountResult& a = accounts[i];
      if (state) state[i] = static_cast<int8_t>(a.assessment.state);
      if (risk) risk[i] = a.assessment.risk;
      if (onset) onset[i] = a.assessment.onset;
      if (priority) priority[i] = a.priority;
      if (days_left) days_left[i] = a.days_left;
      if (health) health[i] = a.health;
      if (band) band[i] = static_cast<int8_t>(a.band);
      if (health_delta) health_delta[i] = a.health_delta;
      if (plan_status) plan_status[i] = static_cast<int8_t>(a.plan_status);
      if (signal_count) signal_count[i] = static_cast<int32_t>(a.assessment.signals.size());
    }
  });
}

fv_status fv_metric_count(size_t* out) {
  return guard([&] {
    require(out, "out");
    *out = fv::kMetricNames.size();
  });
}

fv_status fv_metric_name(size_t index, const char** out) {
  return guard([&] {
    require(out, "out");
    if (index >= fv::kMetricNames.size())
      throw fv::Error(fv::Errc::not_found, "index",
                      "no metric " + std::to_string(index) + " (there are " + std::to_string(fv::kMetricNames.size()) +
                          ")");
    *out = fv::kMetricNames[index].data();
  });
}

fv_status fv_scan_result_metric(const fv_scan_result* result, const char* name, size_t name_len, size_t n_accounts,
                                double* out) {
  return guard([&] {
    const auto& accounts = result_of(result).accounts;
    const std::string_view wanted = text_of(name, name_len, "name");
    const auto it = std::find(fv::kMetricNames.begin(), fv::kMetricNames.end(), wanted);
    if (it == fv::kMetricNames.end()) {
      std::string known;
      for (const auto m : fv::kMetricNames) known += (known.empty() ? "" : ", ") + std::string(m);
      throw fv::Error(fv::Errc::not_found, "name", "no metric \"" + std::string(wanted) + "\" (known: " + known + ")");
    }
    check_count(n_accounts, accounts.size(), "n_accounts", "accounts");
    if (n_accounts > 0) require(out, "out");
    const auto k = static_cast<size_t>(it - fv::kMetricNames.begin());
    for (size_t i = 0; i < n_accounts; ++i) out[i] = accounts[i].values[k];
  });
}

fv_status fv_scan_result_worklist_count(const fv_scan_result* result, size_t* out) {
  return guard([&] {
    const auto& r = result_of(result);
    require(out, "out");
    *out = r.worklist.size();
  });
}

fv_status fv_scan_result_worklist(const fv_scan_result* result, size_t n, uint32_t* accounts) {
  return guard([&] {
    const auto& worklist = result_of(result).worklist;
    check_count(n, worklist.size(), "n", "accounts in the worklist");
    if (n > 0) require(accounts, "accounts");
    std::copy(worklist.begin(), worklist.end(), accounts);
  });
}

fv_status fv_scan_result_text(const fv_scan_result* result, size_t account, int field, char* buffer,
                              size_t buffer_len, size_t* out_len) {
  return guard([&] {
    const fv::AccountResult& a = account_of(result, account);
    const fv::Assessment& s = a.assessment;
    const fv::FiredSignal* primary = s.primary < 0 ? nullptr : &s.signals[static_cast<size_t>(s.primary)];
    const fv::SignalRule* rule = primary ? &result->rules[primary->rule] : nullptr;
    std::string_view text;
    switch (field) {
      case FV_SCAN_SIGNAL: text = rule ? std::string_view(rule->name) : ""; break;
      case FV_SCAN_CAUSE: text = primary ? std::string_view(primary->cause) : ""; break;
      case FV_SCAN_ACTION: text = rule ? std::string_view(rule->action) : ""; break;
      case FV_SCAN_ACTION_TEXT: text = rule ? std::string_view(rule->action_text) : ""; break;
      case FV_SCAN_BAND: text = result->band_names[static_cast<size_t>(a.band + 1)]; break;
      case FV_SCAN_PLAN_REASON: text = a.plan_reason; break;
      default: throw fv::Error(fv::Errc::invalid, "field", "unknown field " + std::to_string(field));
    }
    to_caller_buffer(text, buffer, buffer_len, out_len);
  });
}

fv_status fv_portfolio_worklist_json(const fv_portfolio* portfolio, const fv_scan_result* result, fv_buf* out) {
  return guard([&] {
    const fv::Portfolio& p = owner_of(portfolio, result);
    require(out, "out");
    to_buf(p.worklist_json(result->result), out);
  });
}

fv_status fv_portfolio_results_json(const fv_portfolio* portfolio, const fv_scan_result* result, fv_buf* out) {
  return guard([&] {
    const fv::Portfolio& p = owner_of(portfolio, result);
    require(out, "out");
    to_buf(p.results_json(result->result), out);
  });
}

fv_status fv_portfolio_explain_json(const fv_portfolio* portfolio, const fv_scan_result* result, size_t account,
                                    fv_buf* out) {
  return guard([&] {
    const fv::Portfolio& p = owner_of(portfolio, result);
    const fv::AccountResult& a = account_of(result, account);
    require(out, "out");
    to_buf(p.account_result_json(a), out);
  });
}

// ---- time-to-value and cohorts ---------------------------------------------

fv_status fv_portfolio_ttv(const fv_portfolio* portfolio, int32_t as_of, int unit, size_t n_accounts, int8_t* state,
                           int32_t* day, int32_t* duration) {
  return guard([&] {
    const fv::Portfolio& p = portfolio_of(portfolio);
    if (unit != FV_DAYS_BUSINESS && unit != FV_DAYS_CALENDAR)
      throw fv::Error(fv::Errc::invalid, "unit", "must be FV_DAYS_BUSINESS or FV_DAYS_CALENDAR");
    check_count(n_accounts, p.size(), "n_accounts", "accounts");
    const std::vector<fv::AccountTtv> ttv = p.time_to_value(as_of, static_cast<fv::DayCount>(unit));
    for (size_t i = 0; i < ttv.size(); ++i)
      for (size_t k = 0; k < FV_TTV_POINTS; ++k) {
        const fv::TtvPoint& x = ttv[i].points[k];
        const size_t slot = i * FV_TTV_POINTS + k;
        if (state) state[slot] = static_cast<int8_t>(x.state);
        if (day) day[slot] = x.day;
        if (duration) duration[slot] = x.duration;
      }
  });
}

fv_status fv_portfolio_cohort_summaries_json(const fv_portfolio* portfolio, int32_t as_of, const char* options_json,
                                             fv_buf* out) {
  return guard([&] {
    require(out, "out");
    to_buf(summaries_of(portfolio, as_of, options_json).to_json(), out);
  });
}

fv_status fv_cohort_summaries_merge_json(const char* a_json, const char* b_json, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    fv::CohortSummaries a = summaries_from(a_json, "a");
    a.merge(summaries_from(b_json, "b"));
    to_buf(a.to_json(), out);
  });
}

fv_status fv_cohort_report_json(const char* summaries_json, const char* benchmarks_json, double alpha, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    to_buf(reports_of(summaries_from(summaries_json, "summaries"), benchmarks_json, alpha), out);
  });
}

fv_status fv_portfolio_cohort_report_json(const fv_portfolio* portfolio, int32_t as_of, const char* options_json,
                                          const char* benchmarks_json, double alpha, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    to_buf(reports_of(summaries_of(portfolio, as_of, options_json), benchmarks_json, alpha), out);
  });
}

// ---- Kaplan–Meier ------------------------------------------------------------

fv_status fv_km_fit(const double* durations, const uint8_t* events, const double* entry, size_t n, double alpha,
                    fv_km** out) {
  return guard([&] {
    require(out, "out");
    if (n > 0) require(durations, "durations");
    auto km = std::make_unique<fv_km>();
    km->curve = fv::kaplan_meier<double, std::uint8_t>(
        std::span<const double>(durations, n), events ? std::span<const std::uint8_t>(events, n) : std::span<const std::uint8_t>(),
        entry ? std::span<const double>(entry, n) : std::span<const double>(), alpha);
    *out = tracked(std::move(km));
  });
}

void fv_km_free(fv_km* km) {
  if (km != nullptr && untrack(km)) delete km;
}

fv_status fv_km_size(const fv_km* km, size_t* out) {
  return guard([&] {
    require(km, "km");
    require(out, "out");
    *out = km->curve.size();
  });
}

fv_status fv_km_column(const fv_km* km, int column, double* buffer, size_t buffer_len, size_t* out_len) {
  return guard([&] {
    require(km, "km");
    require(out_len, "out_len");
    const fv::SurvivalCurve& c = km->curve;
    const size_t n = c.size();
    // `column_of` runs only once the buffer is known to fit: the bounds are computed, not stored.
    auto write = [&](auto column_of) {
      *out_len = n;
      if (buffer_len == 0) return;
      require(buffer, "buffer");
      if (buffer_len < n)
        throw fv::Error(fv::Errc::buffer_too_small, "buffer",
                        "needs " + std::to_string(n) + " values, got " + std::to_string(buffer_len));
      copy_column(column_of(), buffer);
    };
    auto stored = [](const auto& v) { return [p = &v]() -> const auto& { return *p; }; };
    switch (column) {
      case FV_KM_TIME: return write(stored(c.time));
      case FV_KM_AT_RISK: return write(stored(c.at_risk));
      case FV_KM_EVENTS: return write(stored(c.events));
      case FV_KM_CENSORED: return write(stored(c.censored));
      case FV_KM_ENTERED: return write(stored(c.entered));
      case FV_KM_SURVIVAL: return write(stored(c.survival));
      case FV_KM_LOWER: return write([&] { return c.band().lower; });
      case FV_KM_UPPER: return write([&] { return c.band().upper; });
      case FV_KM_GREENWOOD: return write(stored(c.greenwood));
      default:
        throw fv::Error(fv::Errc::invalid, "column",
                        "no column " + std::to_string(column) + " (FV_KM_TIME..FV_KM_GREENWOOD)");
    }
  });
}

fv_status fv_km_quantile(const fv_km* km, double q, double* time, double* lower, double* upper) {
  return guard([&] {
    require(km, "km");
    const double t = km->curve.quantile(q);
    const auto [lo, hi] = km->curve.quantile_ci(q);
    if (time) *time = t;
    if (lower) *lower = lo;
    if (upper) *upper = hi;
  });
}

fv_status fv_km_predict(const fv_km* km, double t, double* out) {
  return guard([&] {
    require(km, "km");
    require(out, "out");
    *out = km->curve.predict(t);
  });
}

}  // extern "C"

// ---- personal data ----------------------------------------------------------

fv_status fv_mask_pii(const char* text, size_t text_len, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    to_buf(fv::mask_pii(text_of(text, text_len, "text")), out);
  });
}

fv_status fv_pii_masker_new(fv_pii_masker** out) {
  return guard([&] {
    require(out, "out");
    *out = make_tracked<fv_pii_masker>();
  });
}

void fv_pii_masker_free(fv_pii_masker* masker) {
  if (masker != nullptr && untrack(masker)) delete masker;
}

fv_status fv_pii_masker_mask(fv_pii_masker* masker, const char* text, size_t text_len, fv_buf* out) {
  return guard([&] {
    require(masker, "masker");
    require(out, "out");
    to_buf(masker->masker.mask(text_of(text, text_len, "text")), out);
  });
}

fv_status fv_pii_masker_mask_json(fv_pii_masker* masker, const char* json, size_t json_len, fv_buf* out) {
  return guard([&] {
    require(masker, "masker");
    require(out, "out");
    to_buf(masker->masker.mask_json(text_of(json, json_len, "json")), out);
  });
}

fv_status fv_pii_masker_unmask(const fv_pii_masker* masker, const char* text, size_t text_len, fv_buf* out) {
  return guard([&] {
    require(masker, "masker");
    require(out, "out");
    to_buf(masker->masker.unmask(text_of(text, text_len, "text")), out);
  });
}

fv_status fv_pii_masker_map_json(const fv_pii_masker* masker, fv_buf* out) {
  return guard([&] {
    require(masker, "masker");
    require(out, "out");
    to_buf(masker->masker.map_json(), out);
  });
}

// ---- snapshots --------------------------------------------------------------

namespace {
fv::SnapshotOptions snapshot_options(const uint8_t* key, size_t key_len, unsigned threads = 1) {
  fv::SnapshotOptions o;
  o.threads = threads;
  if (key_len == 0) return o;
  require(key, "key");
  if (key_len != 32) throw fv::Error(fv::Errc::invalid, "key_len", "must be 32 (AES-256), not " + std::to_string(key_len));
  fv::SnapshotKey k{};
  std::memcpy(k.data(), key, k.size());
  o.key = k;
  return o;
}
}  // namespace

fv_status fv_portfolio_save(const fv_portfolio* portfolio, const char* path, const uint8_t* key, size_t key_len) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(path, "path");
    portfolio->portfolio.save(path, snapshot_options(key, key_len));
  });
}

fv_status fv_portfolio_save_bytes(const fv_portfolio* portfolio, const uint8_t* key, size_t key_len, fv_buf* out) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(out, "out");
    to_buf(portfolio->portfolio.save_bytes(snapshot_options(key, key_len)), out);
  });
}

fv_status fv_portfolio_load(const char* path, const uint8_t* key, size_t key_len, unsigned threads, fv_portfolio** out) {
  return guard([&] {
    require(path, "path");
    require(out, "out");
    *out = make_tracked<fv_portfolio>(fv::Portfolio::load(path, snapshot_options(key, key_len, threads)));
  });
}

fv_status fv_portfolio_load_bytes(const void* data, size_t data_len, const uint8_t* key, size_t key_len,
                                  unsigned threads, fv_portfolio** out) {
  return guard([&] {
    const std::string_view bytes = text_of(static_cast<const char*>(data), data_len, "data");
    require(out, "out");
    *out = make_tracked<fv_portfolio>(fv::Portfolio::load_bytes(bytes, snapshot_options(key, key_len, threads)));
  });
}

fv_status fv_snapshot_inspect(const char* path, const uint8_t* key, size_t key_len, fv_buf* out) {
  return guard([&] {
    require(path, "path");
    require(out, "out");
    to_buf(fv::inspect_snapshot(path, snapshot_options(key, key_len)).to_json(), out);
  });
}

// ---- data-subject requests --------------------------------------------------

fv_status fv_portfolio_export_account(const fv_portfolio* portfolio, const char* organization, size_t organization_len,
                                      const char* key, size_t key_len, int32_t as_of, fv_buf* out) {
  return guard([&] {
    require(portfolio, "portfolio");
    require(out, "out");
    to_buf(portfolio->portfolio.export_account(text_of(organization, organization_len, "organization"),
                                               text_of(key, key_len, "key"), as_of),
           out);
  });
}

fv_status fv_portfolio_erase_account(fv_portfolio* portfolio, const char* organization, size_t organization_len,
                                     const char* key, size_t key_len, fv_buf* receipt) {
  return guard([&] {
    require(portfolio, "portfolio");
    const fv::ErasureReceipt r = portfolio->portfolio.erase_account(
        text_of(organization, organization_len, "organization"), text_of(key, key_len, "key"));
    if (receipt) to_buf(r.to_json(), receipt);
  });
}
