/*
 * firstvalue C ABI.
 *
 * Conventions (the same for every function):
 *  - Every call returns an fv_status. FV_OK is 0; errors are negative.
 *  - Outputs are out-parameters, written only on success (one documented
 *    exception: fv_portfolio_ingest when cancelled).
 *  - After a failure, fv_last_error() describes it, with the field path
 *    (e.g. "factors[1].weight: must be > 0 and finite"). The message is
 *    thread-local, owned by the library, valid until the next failing call on
 *    the same thread, and never NULL.
 *  - No C++ exception ever crosses this boundary.
 *  - Handles are opaque and typed. fv_<object>_free(NULL) is a no-op.
 *  - Strings passed in are UTF-8 and are read with an explicit length where a
 *    length parameter exists; otherwise they must be NUL-terminated.
 *  - Buffers the library allocates come back in an fv_buf, which the caller
 *    releases with fv_buf_dispose. Buffers the caller allocates follow the
 *    two-call protocol: pass buffer_len = 0 to learn the size in *out_len,
 *    then call again with a buffer that large.
 *  - Configurations (models) cross as JSON, so new options need no new
 *    signatures; bulk data crosses as typed arrays (pointer and length).
 */
#ifndef FIRSTVALUE_H
#define FIRSTVALUE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FV_BUILDING_LIBRARY)
#define FV_API __attribute__((visibility("default")))
#else
#define FV_API
#endif

#define FV_VERSION_MAJOR 0
#define FV_VERSION_MINOR 2
#define FV_VERSION_PATCH 0

/* ---- status ---------------------------------------------------------- */

typedef enum fv_status {
  FV_OK = 0,
  FV_E_INVALID = -1,          /* bad input: malformed JSON, failed validation, bad argument */
  FV_E_NOT_FOUND = -2,        /* a named thing does not exist */
  FV_E_FORBIDDEN = -3,        /* the data belongs to another organization */
  FV_E_IO = -4,               /* the file system failed */
  FV_E_BUFFER_TOO_SMALL = -5, /* caller buffer too small; *out_len holds the size needed */
  FV_E_CANCELLED = -6,        /* a callback asked to stop */
  FV_E_CORRUPT = -7,          /* a snapshot is damaged, truncated or was tampered with */
  FV_E_UNSUPPORTED = -8,      /* a snapshot of a newer format than this library reads */
  FV_E_INTERNAL = -99         /* a bug in firstvalue; please report it */
} fv_status;

/* The last failure on this thread. Owned by the library; never NULL ("" when
 * nothing has failed yet). */
FV_API const char* fv_last_error(void);

/* A short constant name for a status ("FV_E_INVALID"); never NULL. */
FV_API const char* fv_status_name(fv_status status);

/* Writes the library version into each non-NULL pointer. */
FV_API fv_status fv_version(int* major, int* minor, int* patch);

/* ---- library-allocated buffers ---------------------------------------- */

typedef struct fv_buf {
  char* ptr;   /* NUL-terminated; owned by the library until fv_buf_dispose */
  size_t size; /* bytes, not counting the terminating NUL */
} fv_buf;

/* Frees buf->ptr and resets the struct. NULL, or an already disposed buffer, is a no-op. */
FV_API void fv_buf_dispose(fv_buf* buf);

/* ---- health model ----------------------------------------------------- */

typedef struct fv_health_model fv_health_model;

/* The seed model (milestone progress 30, user adoption 25, engagement quality
 * 25, value realization 20; bands 80/60/40/0). The caller owns *out and
 * releases it with fv_health_model_free. */
FV_API fv_status fv_health_model_default(fv_health_model** out);

/* Parses and validates a model. `json` need not be NUL-terminated. On failure
 * *out is untouched and fv_last_error() names the field path. The caller owns
 * *out. */
FV_API fv_status fv_health_model_from_json(const char* json, size_t json_len, fv_health_model** out);

/* The model as JSON, into a library-allocated buffer the caller disposes. */
FV_API fv_status fv_health_model_to_json(const fv_health_model* model, fv_buf* out);

FV_API void fv_health_model_free(fv_health_model* model);

FV_API fv_status fv_health_model_factor_count(const fv_health_model* model, size_t* out);

/* Name of factor `index` (model order), copied into the caller's buffer with a
 * terminating NUL. *out_len receives the length without the NUL; when
 * buffer_len <= *out_len nothing is copied and FV_E_BUFFER_TOO_SMALL is
 * returned (the two-call protocol). */
FV_API fv_status fv_health_model_factor_name(const fv_health_model* model, size_t index,
                                             char* buffer, size_t buffer_len, size_t* out_len);

FV_API fv_status fv_health_model_band_count(const fv_health_model* model, size_t* out);

/* Name of the band with code `band` (0 is the highest band; -1 is "unknown"),
 * with the same two-call protocol. */
FV_API fv_status fv_health_model_band_name(const fv_health_model* model, int band,
                                           char* buffer, size_t buffer_len, size_t* out_len);

/* Batch scoring. `names[c]` names the factor whose n_accounts inputs are in
 * `columns[c]` (NaN = missing); every factor must be given exactly once.
 * `previous` may be NULL; when given it holds each account's previous score
 * and enables out_delta and out_band_change.
 * Outputs are caller-owned arrays of n_accounts elements; every one except
 * out_score may be NULL. Band codes index the model's bands (-1 = unknown);
 * weakest codes index its factors (-1 = no factor lost points); band changes
 * count bands moved up (+) or down (-).
 * `threads`: 1 for the calling thread only, 0 for one per hardware thread. */
FV_API fv_status fv_health_model_score(const fv_health_model* model, const char* const* names,
                                       const double* const* columns, size_t n_columns,
                                       size_t n_accounts, const double* previous,
                                       unsigned threads, double* out_score, int8_t* out_band,
                                       double* out_coverage, int8_t* out_weakest,
                                       double* out_delta, int8_t* out_band_change);

/* Why one account has its score: per factor the raw input, fraction, points,
 * maximum points and weight share, the weakest factor and, when
 * previous_score is not NaN, the trend. JSON in a library-allocated buffer. */
FV_API fv_status fv_health_model_explain(const fv_health_model* model, const char* const* names,
                                         const double* values, size_t n_values,
                                         double previous_score, fv_buf* out);

/* ---- dates and calendars ------------------------------------------------ */

/* Dates are int32 days since 1970-01-01; FV_NO_DAY marks "none". */
#define FV_NO_DAY INT32_MIN

typedef struct fv_calendar fv_calendar;

/* Monday to Friday, no holidays. The caller owns *out (fv_calendar_free). */
FV_API fv_status fv_calendar_default(fv_calendar** out);
/* {"weekend": ["sat", "sun"], "holidays": ["2026-12-25", ...]}, both optional. */
FV_API fv_status fv_calendar_from_json(const char* json, size_t json_len, fv_calendar** out);
FV_API fv_status fv_calendar_to_json(const fv_calendar* calendar, fv_buf* out);
FV_API void fv_calendar_free(fv_calendar* calendar);
FV_API fv_status fv_calendar_is_business_day(const fv_calendar* calendar, int32_t day, int* out);
/* The n-th business day after `day` (before, for n < 0). */
FV_API fv_status fv_calendar_add_business_days(const fv_calendar* calendar, int32_t day, int32_t n, int32_t* out);
/* Business days in (a, b] for b >= a, minus those in [b, a) for b < a. */
FV_API fv_status fv_calendar_business_days_between(const fv_calendar* calendar, int32_t a, int32_t b, int32_t* out);
FV_API fv_status fv_calendar_roll_forward(const fv_calendar* calendar, int32_t day, int32_t* out);
/* "YYYY-MM-DD" to a day; FV_E_INVALID when malformed. */
FV_API fv_status fv_date_parse(const char* text, size_t text_len, int32_t* out);

/* ---- conditions and criteria ---------------------------------------------- */

/* Checks that an expression of the condition language parses; on failure
 * fv_last_error() gives the column ("column 7: expected a value ..."). */
FV_API fv_status fv_expr_check(const char* source, size_t source_len);

/* ---- templates and plans ---------------------------------------------------- */

typedef struct fv_template_set fv_template_set;

/* The seeds' five phases in enterprise, mid-market and SMB flavours. */
FV_API fv_status fv_template_set_default(fv_template_set** out);
/* {"fallback": "smb", "templates": [...]}; errors name the path
 * ("templates[0].phases[2].milestones[0].depends_on[1]: unknown milestone ..."). */
FV_API fv_status fv_template_set_from_json(const char* json, size_t json_len, fv_template_set** out);
FV_API fv_status fv_template_set_to_json(const fv_template_set* set, fv_buf* out);
FV_API void fv_template_set_free(fv_template_set* set);

/* A template set compiled against a calendar. `calendar` may be NULL (Monday
 * to Friday); `policy_json` may be NULL or {"due_soon_days": 3, "stuck_days":
 * 10, "goals": {"at_risk_ratio": 0.8, "grace_days": 14}}. The scheduler copies
 * what it needs: the set and calendar may be freed afterwards. */
typedef struct fv_scheduler fv_scheduler;
FV_API fv_status fv_scheduler_new(const fv_template_set* set, const fv_calendar* calendar, const char* policy_json,
                                  size_t policy_len, fv_scheduler** out);
FV_API void fv_scheduler_free(fv_scheduler* scheduler);

/* Schedules and evaluates every account of `accounts_json` (a JSON array of
 * account documents, see AccountPlan in schedule.hpp) as of `as_of`. On
 * failure nothing is allocated and fv_last_error() names the account and
 * field ("accounts[3].progress.kickof: unknown task or milestone ..."). */
typedef struct fv_plan_results fv_plan_results;
FV_API fv_status fv_scheduler_evaluate(const fv_scheduler* scheduler, const char* accounts_json, size_t json_len,
                                       int32_t as_of, unsigned threads, fv_plan_results** out);
FV_API void fv_plan_results_free(fv_plan_results* results);
/* Every report as a JSON array, in account order. */
FV_API fv_status fv_plan_results_to_json(const fv_plan_results* results, fv_buf* out);
FV_API fv_status fv_plan_results_account_count(const fv_plan_results* results, size_t* out);

/* Plan-level columns, one slot per account; any pointer may be NULL.
 * status: FV_PLAN_ON_TRACK, FV_PLAN_BEHIND or FV_PLAN_STUCK. */
enum { FV_PLAN_ON_TRACK = 0, FV_PLAN_BEHIND = 1, FV_PLAN_STUCK = 2 };
FV_API fv_status fv_plan_results_plans(const fv_plan_results* results, size_t n_accounts, int8_t* status,
                                       double* percent_done, int32_t* planned_finish, int32_t* forecast_finish,
                                       uint8_t* concluded);

/* Task and milestone rows. `milestones_only` selects milestones (1) or every
 * task and milestone (0). Columns are caller-allocated with n_rows slots
 * (from fv_plan_results_node_count); any pointer may be NULL. Dates are days,
 * FV_NO_DAY where none. */
enum {
  FV_NODE_DONE = 0, FV_NODE_ON_TIME = 1, FV_NODE_DUE_SOON = 2, FV_NODE_OVERDUE = 3,
  FV_NODE_SLIPPED = 4, FV_NODE_SKIPPED = 5, FV_NODE_NOT_APPLICABLE = 6
};
enum { FV_COMPLETION_OPEN = 0, FV_COMPLETION_DECLARED = 1, FV_COMPLETION_TASKS = 2, FV_COMPLETION_DETECTED = 3 };
FV_API fv_status fv_plan_results_node_count(const fv_plan_results* results, int milestones_only, size_t* out);
FV_API fv_status fv_plan_results_nodes(const fv_plan_results* results, int milestones_only, size_t n_rows,
                                       int32_t* account, int32_t* planned_start, int32_t* planned_due,
                                       int32_t* due, int32_t* forecast, int32_t* done, int8_t* status,
                                       int8_t* completion, int32_t* slip_count, int32_t* slip_days,
                                       uint8_t* critical, uint8_t* active);
/* Text of one row, with the two-call protocol. */
enum { FV_NODE_ID = 0, FV_NODE_NAME = 1, FV_NODE_KIND = 2, FV_NODE_PHASE = 3, FV_NODE_MILESTONE = 4, FV_NODE_ROLE = 5 };
FV_API fv_status fv_plan_results_node_text(const fv_plan_results* results, int milestones_only, size_t row,
                                           int field, char* buffer, size_t buffer_len, size_t* out_len);
/* Names of the status codes above ("overdue", "stuck", ...); *out is a static string. */
FV_API fv_status fv_node_status_name(int status, const char** out);
FV_API fv_status fv_plan_status_name(int status, const char** out);

/* ---- success plans and handoff records -------------------------------------- */

/* {"goals": [...]} evaluated as of a day: a JSON array of goal reports
 * (progress, projected value at the due day, status). */
FV_API fv_status fv_success_plan_evaluate(const char* json, size_t json_len, int32_t as_of, fv_buf* out);
/* A handoff record's completeness and each missing item, as JSON. */
FV_API fv_status fv_handoff_assess(const char* json, size_t json_len, fv_buf* out);

/* ---- portfolio and the nightly scan ------------------------------------------ */

/* One organization's accounts in onboarding, the activity state their events
 * build up, and the nightly evaluation (firstvalue::Portfolio).
 *
 * Threads: fv_portfolio_evaluate and the read-only calls may run concurrently
 * on the same portfolio; fv_portfolio_add_accounts_json and
 * fv_portfolio_ingest need it to themselves. Distinct handles are
 * independent. */
typedef struct fv_portfolio fv_portfolio;

/* {"organization", "calendar"?, "templates"?, "plan_policy"?, "health_model"?,
 *  "signals"?, "accounts"?: [...]}: the configuration documents of the
 * sections above under their keys, and the accounts (see Account in
 * portfolio.hpp: {"key", "name"?, "tier"?, "arr"?, "signature", "seats"?,
 * "planned_users"?, "contacts"?, "template"?, "attributes"?, "progress"?,
 * "goals"?, "handoff"?}). Errors name the path ("signals.rules[0].detector:
 * ...", "accounts[3].key: ..."). The caller owns *out (fv_portfolio_free). */
FV_API fv_status fv_portfolio_from_json(const char* json, size_t json_len, fv_portfolio** out);
FV_API void fv_portfolio_free(fv_portfolio* portfolio);

/* Adds the accounts of a JSON array, all or none: a duplicate key, a bad
 * template or a missing attribute fails with its path ("accounts[1].key:
 * account "a" is already in the portfolio") and leaves the portfolio unchanged. New accounts
 * are appended, so existing indices stay valid. */
FV_API fv_status fv_portfolio_add_accounts_json(fv_portfolio* portfolio, const char* json_array, size_t json_len);

FV_API fv_status fv_portfolio_account_count(const fv_portfolio* portfolio, size_t* out);
/* Key of account `index` (portfolio order), with the two-call protocol.
 * FV_E_NOT_FOUND when index >= the account count. */
FV_API fv_status fv_portfolio_account_key(const fv_portfolio* portfolio, size_t index, char* buffer,
                                          size_t buffer_len, size_t* out_len);
/* Index of the account with this key; FV_E_NOT_FOUND when there is none. */
FV_API fv_status fv_portfolio_find(const fv_portfolio* portfolio, const char* key, size_t key_len,
                                   size_t* out_index);
/* The same, with the account named by its organization too: another
 * organization's account is FV_E_FORBIDDEN, whether or not the key exists
 * here, and *out_index is left alone. */
FV_API fv_status fv_portfolio_find_in(const fv_portfolio* portfolio, const char* organization,
                                      size_t organization_len, const char* key, size_t key_len, size_t* out_index);

/* ---- events ---- */

/* One dictionary-encoded string column, as Arrow dictionaries and pandas
 * categoricals store them: codes[row] indexes values, and a negative code
 * means "none" for that row. values[i] has lengths[i] bytes, or is
 * NUL-terminated when lengths is NULL (values[i] may be NULL only when
 * lengths[i] is 0). codes == NULL means the column is absent, which only actor
 * and item may be. A code >= n_values makes the batch invalid. The strings are
 * read where they are, during the call, and not copied: they must not change
 * until fv_portfolio_ingest returns. */
typedef struct fv_dictionary {
  const int32_t* codes;      /* n_rows codes, or NULL */
  const char* const* values; /* n_values strings */
  const size_t* lengths;     /* n_values lengths, or NULL */
  size_t n_values;
} fv_dictionary;

/* A batch of events, borrowed for the duration of fv_portfolio_ingest (nothing
 * is kept). Every column present has n_rows entries. With n_rows = 0 every
 * pointer may be NULL. */
typedef struct fv_event_batch {
  size_t n_rows;
  const int64_t* ts;     /* seconds since 1970-01-01 UTC; required */
  fv_dictionary account; /* account keys of the portfolio; required */
  fv_dictionary type;    /* event type names ("login", "feature_use", ..., see events.hpp); required */
  fv_dictionary actor;   /* the user or contact; optional */
  fv_dictionary item;    /* feature, meeting, ticket, milestone or task id; optional */
  const double* value;   /* NULL: no column; NaN = none. Its meaning depends on the type */
  const uint64_t* id;    /* NULL: no column; 0 = none */
  /* Whose events the rows are, when the host says so (codes == NULL: not
   * said). Every row must name the portfolio's organization, or none; a row
   * of another organization refuses the whole batch with FV_E_FORBIDDEN.
   * Added in 0.2, which changed the struct's size: the soname says so
   * (libfirstvalue_c.so.0.2), and hosts built against 0.1 must be rebuilt.
   * Zero-initialize the struct (fv_event_batch b = {0};) so that a column
   * the host does not set reads as absent. */
  fv_dictionary organization;
} fv_event_batch;

/* Called on the calling thread after each pass over a range of accounts (at
 * most two rows per account, a 64th of the batch or a million rows, whichever
 * is most) with the accepted rows applied so far, and once at the end with
 * rows_done == rows_total. Return nonzero to continue, 0 to cancel; 0 from the
 * final call changes nothing, as every row is applied by then. */
typedef int (*fv_progress_fn)(size_t rows_done, size_t rows_total, void* user_data);

/* max_rejected without a limit. */
#define FV_NO_LIMIT SIZE_MAX

typedef struct fv_ingest_report fv_ingest_report;

/* Applies a batch to the portfolio's activity state (Portfolio::ingest with
 * IngestOptions{threads, max_rejected, progress}). Rows are judged first and
 * applied after, so:
 *  - FV_OK: done. Rows that break an ingestion rule (unknown account or type,
 *    a timestamp outside [1970, 2100), a missing actor or item, a bad value,
 *    an item that is not in the account's plan) are turned away and listed in
 *    *out; they are not an error.
 *  - FV_E_INVALID: a structurally broken batch (ts, account or type missing
 *    with n_rows > 0, a NULL dictionary value, a code outside its dictionary)
 *    or more than max_rejected rejected rows (FV_NO_LIMIT: no limit; 0:
 *    strict). Nothing changed; *out is untouched.
 *  - FV_E_CANCELLED: `progress` returned 0. A documented exception to the
 *    out-parameter rule: *out IS written (the caller frees it), with
 *    cancelled = 1 and `applied` counting the accepted rows applied: the
 *    accounts of the passes done have all their rows and the others none
 *    (an account with more rows than a pass takes gets passes of its own,
 *    over successive windows of the batch). Ingestion is idempotent, so
 *    submitting the same batch again completes it exactly.
 * `progress` may be NULL; `user_data` is passed to it untouched. `threads`: 1
 * for the calling thread only, 0 for one per hardware thread. The caller owns
 * *out (fv_ingest_report_free). */
FV_API fv_status fv_portfolio_ingest(fv_portfolio* portfolio, const fv_event_batch* batch, unsigned threads,
                                     size_t max_rejected, fv_progress_fn progress, void* user_data,
                                     fv_ingest_report** out);
FV_API void fv_ingest_report_free(fv_ingest_report* report);

/* Writes each non-NULL pointer: rows in the batch, rows accepted, rows
 * rejected (accepted + rejected == rows), accepted rows applied (all of them
 * unless cancelled), and whether the progress callback cancelled (0 or 1). */
FV_API fv_status fv_ingest_report_counts(const fv_ingest_report* report, size_t* rows, size_t* accepted,
                                         size_t* rejected, size_t* applied, int* cancelled);

/* Why a row was turned away (firstvalue::RejectReason). */
enum {
  FV_REJECT_UNKNOWN_ACCOUNT = 0,
  FV_REJECT_UNKNOWN_TYPE = 1,
  FV_REJECT_BAD_TIMESTAMP = 2,   /* outside [1970, 2100): milliseconds given for seconds, or corrupt */
  FV_REJECT_MISSING_ACTOR = 3,   /* login and feature_use need the user */
  FV_REJECT_MISSING_ITEM = 4,    /* feature, meeting, ticket and plan events need their id */
  FV_REJECT_BAD_VALUE = 5,       /* missing, NaN, infinite or out of range for the type */
  FV_REJECT_UNKNOWN_PLAN_ITEM = 6 /* not a milestone or task of the account's plan */
};

/* The rejected rows in row order: their row numbers in the batch (from 0) and
 * their FV_REJECT_* codes, into caller-allocated arrays of n_rejected slots;
 * n_rejected must equal the rejected count. Either pointer may be NULL. */
FV_API fv_status fv_ingest_report_rejected(const fv_ingest_report* report, size_t n_rejected, uint64_t* rows,
                                           int8_t* reasons);
/* The report as JSON, with the counts by reason and the first rejected rows
 * spelled out ("row 17: unknown account \"acme-9\""). */
FV_API fv_status fv_ingest_report_to_json(const fv_ingest_report* report, fv_buf* out);
/* "unknown_account", ...; *out is a static string. */
FV_API fv_status fv_reject_reason_name(int reason, const char** out);

/* ---- the nightly scan ---- */

typedef struct fv_scan_result fv_scan_result;

/* Evaluates every account as of `as_of` (a day, as in the section on dates):
 * metrics, plan, health, signals, state and the worklist. `as_of` must lie in
 * 1970-01-01 .. 2100-01-01 (days 0 .. 47482). `threads`: 1 for the calling
 * thread only, 0 for one per hardware thread. The result is a snapshot: it
 * stays valid, and its columns and text unchanged, after the portfolio
 * changes or is freed; the JSON calls below need the portfolio it came from.
 * The caller owns *out (fv_scan_result_free). */
FV_API fv_status fv_portfolio_evaluate(const fv_portfolio* portfolio, int32_t as_of, unsigned threads,
                                       fv_scan_result** out);
FV_API void fv_scan_result_free(fv_scan_result* result);

/* Accounts in the result (the portfolio's size when it was evaluated). */
FV_API fv_status fv_scan_result_account_count(const fv_scan_result* result, size_t* out);
/* How many accounts are in each state; each pointer may be NULL. */
FV_API fv_status fv_scan_result_by_state(const fv_scan_result* result, size_t* ok, size_t* at_risk,
                                         size_t* stalled);

/* An account's state: moving, at risk, or stalled (the accumulated risk of its
 * signals reached the stall threshold). */
enum { FV_STATE_OK = 0, FV_STATE_AT_RISK = 1, FV_STATE_STALLED = 2 };
/* "ok", "at_risk", "stalled"; *out is a static string. */
FV_API fv_status fv_state_name(int state, const char** out);

/* Per-account columns in portfolio order, into caller-allocated arrays of
 * n_accounts slots (n_accounts must equal the result's account count); any
 * pointer may be NULL.
 *   state        FV_STATE_*
 *   risk         accumulated risk of the fired signals, 0-1
 *   onset        the day the current state was reached; FV_NO_DAY when ok
 *   priority     risk x ARR x (1 + elapsed share of the onboarding window)
 *   days_left    days left in the onboarding window (>= 0)
 *   health       health score 0-100; NaN when not measurable
 *   band         health band code of the portfolio's model (0 = highest; -1 = unknown)
 *   health_delta health minus health 7 days earlier; NaN when not known
 *   plan_status  FV_PLAN_*
 *   signal_count signals that fired */
FV_API fv_status fv_scan_result_accounts(const fv_scan_result* result, size_t n_accounts, int8_t* state,
                                         double* risk, int32_t* onset, double* priority, int32_t* days_left,
                                         double* health, int8_t* band, double* health_delta, int8_t* plan_status,
                                         int32_t* signal_count);

/* The metrics a health factor can be named after ("milestone_progress",
 * "user_adoption", ..., see kMetricNames in portfolio.hpp). fv_metric_name
 * gives a static string; FV_E_NOT_FOUND when index >= the count. */
FV_API fv_status fv_metric_count(size_t* out);
FV_API fv_status fv_metric_name(size_t index, const char** out);
/* One metric for every account (NaN = not measurable), into a caller-allocated
 * array of n_accounts slots. FV_E_NOT_FOUND, naming it, for an unknown name. */
FV_API fv_status fv_scan_result_metric(const fv_scan_result* result, const char* name, size_t name_len,
                                       size_t n_accounts, double* out);

/* The worklist a CSM acts on: account indices, stalled accounts first, then
 * those at risk, each by priority (highest first; ties by key). n must equal
 * the worklist count. */
FV_API fv_status fv_scan_result_worklist_count(const fv_scan_result* result, size_t* out);
FV_API fv_status fv_scan_result_worklist(const fv_scan_result* result, size_t n, uint32_t* accounts);

/* Text about one account, with the two-call protocol. The first four describe
 * its primary signal (the one that started first) and are "" when no signal
 * fired. FV_E_NOT_FOUND when account >= the account count. */
enum {
  FV_SCAN_SIGNAL = 0,      /* the rule's name, e.g. "planned_users_not_logged_in" */
  FV_SCAN_CAUSE = 1,       /* a sentence with the numbers */
  FV_SCAN_ACTION = 2,      /* the intervention's id, e.g. "inactive_user_followup" */
  FV_SCAN_ACTION_TEXT = 3, /* what to do, in a sentence */
  FV_SCAN_BAND = 4,        /* the health band's name ("unknown" when health is NaN) */
  FV_SCAN_PLAN_REASON = 5  /* why the plan has its status */
};
FV_API fv_status fv_scan_result_text(const fv_scan_result* result, size_t account, int field, char* buffer,
                                     size_t buffer_len, size_t* out_len);

/* The result as JSON, in library-allocated buffers: the worklist with the
 * counts by state, every account, or one account's evaluation (metrics,
 * health, every signal with its evidence, cause and action). The same bytes
 * as Portfolio::worklist_json, results_json and account_result_json (indent
 * 2). `result` must come from fv_portfolio_evaluate on this portfolio, else
 * FV_E_INVALID ("result: was evaluated on another portfolio"). */
FV_API fv_status fv_portfolio_worklist_json(const fv_portfolio* portfolio, const fv_scan_result* result, fv_buf* out);
FV_API fv_status fv_portfolio_results_json(const fv_portfolio* portfolio, const fv_scan_result* result, fv_buf* out);
FV_API fv_status fv_portfolio_explain_json(const fv_portfolio* portfolio, const fv_scan_result* result,
                                           size_t account, fv_buf* out);

/* The scan in bounded memory (Portfolio::scan): accounts are evaluated
 * `block` at a time (>= 1), and each block is handed to `sink` on the calling
 * thread as a result of its own, valid only during the call: the block's
 * accounts in portfolio order (fv_scan_result_account_indices), read with the
 * calls above (columns, metrics, text, JSON); its worklist is empty. Return
 * nonzero to go on, 0 to stop: the scan then returns FV_E_CANCELLED and *out
 * is untouched. *out holds only the worklist: the full results of its first
 * `keep` accounts, in rank order (fv_scan_result_worklist gives 0, 1, ...),
 * with the counts by state of every account and the whole worklist's length
 * (fv_scan_result_worklist_total). Memory: one block's results, whatever the
 * portfolio's size. The caller owns *out (fv_scan_result_free). */
typedef int (*fv_scan_sink_fn)(const fv_scan_result* block, void* user_data);
FV_API fv_status fv_portfolio_scan(const fv_portfolio* portfolio, int32_t as_of, unsigned threads, size_t block,
                                   size_t keep, fv_scan_sink_fn sink, void* user_data, fv_scan_result** out);
/* The portfolio index of each account in the result, into n slots (n must
 * equal the account count): 0, 1, ... for fv_portfolio_evaluate. */
FV_API fv_status fv_scan_result_account_indices(const fv_scan_result* result, size_t n, uint32_t* out);
/* Accounts on the whole worklist: the worklist count, unless a scan kept fewer. */
FV_API fv_status fv_scan_result_worklist_total(const fv_scan_result* result, size_t* out);

/* ---- time-to-value and cohorts ------------------------------------------ */

/* The value points, in this order: kickoff (in business days), first value,
 * go-live, full value. */
enum { FV_TTV_KICKOFF = 0, FV_TTV_FIRST_VALUE = 1, FV_TTV_GO_LIVE = 2, FV_TTV_FULL_VALUE = 3, FV_TTV_POINTS = 4 };
/* A point's state: reached; not yet, censored at as_of (open); not before the
 * account left, censored at its exit day (exited); or not in its plan. */
enum { FV_TTV_REACHED = 0, FV_TTV_OPEN = 1, FV_TTV_EXITED = 2, FV_TTV_NOT_PLANNED = 3 };
enum { FV_DAYS_BUSINESS = 0, FV_DAYS_CALENDAR = 1 };

/* Every account's time-to-value as of a day (include/firstvalue/ttv.hpp),
 * into caller-allocated arrays of n_accounts * FV_TTV_POINTS slots, account
 * by account: slot [i * FV_TTV_POINTS + point]. `unit` (FV_DAYS_*) is that of
 * every point but kickoff, which is in business days. Any array may be NULL.
 *   state     FV_TTV_*
 *   day       the day reached, or censored at; FV_NO_DAY when not planned
 *   duration  from the signature to `day` */
FV_API fv_status fv_portfolio_ttv(const fv_portfolio* portfolio, int32_t as_of, int unit, size_t n_accounts,
                                  int8_t* state, int32_t* day, int32_t* duration);

/* Cohort summaries as of a day, as JSON in a library-allocated buffer.
 * options_json (NULL or "" for the defaults): {"by": "all" |
 * "signature_month" | "tier" | "segment" | "template", "unit": "calendar" |
 * "business", "kickoff_sla": 5, "segment_attribute": "segment",
 * "implementation_kind": "go_live"}. Summaries are exact counts: those of
 * disjoint partitions merge (fv_cohort_summaries_merge_json) into exactly the
 * summary of their union. */
FV_API fv_status fv_portfolio_cohort_summaries_json(const fv_portfolio* portfolio, int32_t as_of,
                                                    const char* options_json, fv_buf* out);
/* Two summaries' JSON merged, into a library-allocated buffer. FV_E_INVALID
 * ("as_of: ..." or "options: ...") when they were not built alike. */
FV_API fv_status fv_cohort_summaries_merge_json(const char* a_json, const char* b_json, fv_buf* out);
/* The reports of a summary's JSON, one per cohort and a "(total)" last: the
 * KPIs against the benchmarks, TTV (Kaplan–Meier median with its interval at
 * `alpha`, and the naive median), and the bottleneck milestones.
 * benchmarks_json (NULL or "" for the seed targets): {"first_value_days": 14,
 * ...}, null switching one off. */
FV_API fv_status fv_cohort_report_json(const char* summaries_json, const char* benchmarks_json, double alpha,
                                       fv_buf* out);
/* fv_portfolio_cohort_summaries_json then fv_cohort_report_json, in one call. */
FV_API fv_status fv_portfolio_cohort_report_json(const fv_portfolio* portfolio, int32_t as_of,
                                                 const char* options_json, const char* benchmarks_json, double alpha,
                                                 fv_buf* out);

/* ---- Kaplan–Meier ---------------------------------------------------------- */

typedef struct fv_km fv_km;

/* Fits the Kaplan–Meier curve (include/firstvalue/kaplan_meier.hpp; lifelines'
 * conventions) to n durations. `events` (NULL: every duration is an event)
 * holds 0 (censored) or 1; `entry` (NULL: all enter at 0) holds late-entry
 * times. The arrays are read during the call only. Errors name the array and
 * row ("events[3]: 2 is not 0 or 1"). The caller owns *out (fv_km_free). */
FV_API fv_status fv_km_fit(const double* durations, const uint8_t* events, const double* entry, size_t n,
                           double alpha, fv_km** out);
FV_API void fv_km_free(fv_km* km);
/* Rows of the survival table: distinct times. */
FV_API fv_status fv_km_size(const fv_km* km, size_t* out);
enum {
  FV_KM_TIME = 0, FV_KM_AT_RISK = 1, FV_KM_EVENTS = 2, FV_KM_CENSORED = 3, FV_KM_ENTERED = 4,
  FV_KM_SURVIVAL = 5, FV_KM_LOWER = 6, FV_KM_UPPER = 7, FV_KM_GREENWOOD = 8
};
/* One column of the table as doubles, with the two-call protocol: buffer_len
 * = 0 asks for the row count in *out_len. The bounds (FV_KM_LOWER/UPPER) are
 * computed from S and the Greenwood sum when a buffer is given; FV_KM_GREENWOOD
 * is that sum, sum of d / (n (n - d)) up to t, the variance of log S. */
FV_API fv_status fv_km_column(const fv_km* km, int column, double* buffer, size_t buffer_len, size_t* out_len);
/* The q-quantile time, the first at which S <= q (q = 0.5: the median; +inf
 * when S stays above q; NaN for an empty fit), and its interval; the
 * pointers may be NULL. */
FV_API fv_status fv_km_quantile(const fv_km* km, double q, double* time, double* lower, double* upper);
/* S(t): 1 before the first time. */
FV_API fv_status fv_km_predict(const fv_km* km, double t, double* out);

/* ---- personal data ------------------------------------------------------ */

/* Masks email addresses and phone numbers in UTF-8 text before it leaves for
 * a model (cause sentences, notes, subjects); dates, amounts, ticket numbers,
 * versions and IP addresses are left alone (see include/firstvalue/pii.hpp).
 * Each value becomes a token, "<email:1>", "<phone:2>", numbered within this
 * text. */
FV_API fv_status fv_mask_pii(const char* text, size_t text_len, fv_buf* out);

/* A masker whose tokens are stable across every text it masks; it keeps the
 * map from tokens back to values, which stays with the host. */
typedef struct fv_pii_masker fv_pii_masker;
FV_API fv_status fv_pii_masker_new(fv_pii_masker** out);
FV_API void fv_pii_masker_free(fv_pii_masker* masker);
FV_API fv_status fv_pii_masker_mask(fv_pii_masker* masker, const char* text, size_t text_len, fv_buf* out);
/* Masks every string value of a JSON document (a worklist, an explanation, a
 * value review); keys, numbers and the order of members are kept. */
FV_API fv_status fv_pii_masker_mask_json(fv_pii_masker* masker, const char* json, size_t json_len, fv_buf* out);
/* The masker's tokens in text put back to their values. */
FV_API fv_status fv_pii_masker_unmask(const fv_pii_masker* masker, const char* text, size_t text_len, fv_buf* out);
/* {"<email:1>": "ana@acme.com", ...}: every token issued so far. */
FV_API fv_status fv_pii_masker_map_json(const fv_pii_masker* masker, fv_buf* out);

/* ---- snapshots: durable state ------------------------------------------ */
/* A portfolio's whole state (configuration, accounts, activity) in one file,
 * so that tomorrow night continues from tonight. The file is versioned and
 * checksummed chunk by chunk; with a key (32 bytes, key_len 32) it is
 * encrypted with AES-256-GCM. NULL and key_len 0 mean no key; any other
 * length is FV_E_INVALID. Loading needs the key exactly when the file is
 * encrypted: a wrong, missing or unexpected key is FV_E_INVALID at "key".
 * A damaged, truncated or tampered file is FV_E_CORRUPT, a newer format
 * FV_E_UNSUPPORTED, a missing file FV_E_NOT_FOUND, and nothing is loaded. */

/* Writes atomically: a temporary file beside `path` (path + ".fvtmp",
 * created 0600), flushed to disk, then renamed over `path`, so a crash
 * leaves the previous snapshot whole. `path` is NUL-terminated. */
FV_API fv_status fv_portfolio_save(const fv_portfolio* portfolio, const char* path, const uint8_t* key,
                                   size_t key_len);
/* The same snapshot in memory (out->size bytes, binary). */
FV_API fv_status fv_portfolio_save_bytes(const fv_portfolio* portfolio, const uint8_t* key, size_t key_len,
                                         fv_buf* out);
/* A new portfolio from a snapshot; `threads` (0 = one per core) re-validate
 * the accounts. The caller owns *out (fv_portfolio_free); it is left alone
 * on failure. */
FV_API fv_status fv_portfolio_load(const char* path, const uint8_t* key, size_t key_len, unsigned threads,
                                   fv_portfolio** out);
FV_API fv_status fv_portfolio_load_bytes(const void* data, size_t data_len, const uint8_t* key, size_t key_len,
                                         unsigned threads, fv_portfolio** out);
/* {"format", "encrypted", "chunk_bytes", "organization", "accounts", "library"}
 * from the header and first record; the last three are null for an
 * encrypted file read without its key. */
FV_API fv_status fv_snapshot_inspect(const char* path, const uint8_t* key, size_t key_len, fv_buf* out);

/* ---- data-subject requests (GDPR) ---------------------------------------- */
/* Everything held about one account as one JSON document: attributes,
 * contacts, planned users, plan and progress, goals, handoff, the decoded
 * activity state, the evaluation as of `as_of` and the weekly signal
 * history. Another organization's account is FV_E_FORBIDDEN, an unknown
 * key FV_E_NOT_FOUND. */
FV_API fv_status fv_portfolio_export_account(const fv_portfolio* portfolio, const char* organization,
                                             size_t organization_len, const char* key, size_t key_len, int32_t as_of,
                                             fv_buf* out);
/* Removes the account and everything derived from it, in memory and from
 * every snapshot saved afterwards, and writes the receipt (JSON, naming the
 * account by the SHA-256 of its key) to *receipt (may be NULL). Account
 * indices after it shift down by one, and results evaluated before are
 * refused from then on. Errors as export. */
FV_API fv_status fv_portfolio_erase_account(fv_portfolio* portfolio, const char* organization,
                                            size_t organization_len, const char* key, size_t key_len,
                                            fv_buf* receipt);

#ifdef __cplusplus
}
#endif

#endif /* FIRSTVALUE_H */
