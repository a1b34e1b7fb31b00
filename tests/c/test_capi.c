/* The C ABI driven from C99: the shared hand-worked cases, the invalid models,
 * and the ABI conventions (status codes, last error, ownership, NULL handling). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firstvalue.h"

static int g_checks = 0;
static int g_failures = 0;

#define CHECK(cond, ...)                                        \
  do {                                                          \
    ++g_checks;                                                 \
    if (!(cond)) {                                              \
      ++g_failures;                                             \
      fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                             \
      fprintf(stderr, "\n");                                    \
    }                                                           \
  } while (0)

static char* read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  long size;
  char* text;
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  text = (char*)malloc((size_t)size + 1);
  if (fread(text, 1, (size_t)size, f) != (size_t)size) exit(2);
  text[size] = '\0';
  fclose(f);
  return text;
}

static double number(const char* s) {
  if (strcmp(s, "nan") == 0) return NAN;
  return strtod(s, NULL);
}

static int same(double a, double b, double tol) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return fabs(a - b) <= tol;
}

/* A dictionary column whose values are NUL-terminated. */
static fv_dictionary column(const int32_t* codes, const char* const* values, size_t n_values) {
  fv_dictionary d;
  d.codes = codes;
  d.values = values;
  d.lengths = NULL;
  d.n_values = n_values;
  return d;
}

/* Splits `line` in place on `sep`; returns the number of fields. */
static int split(char* line, char sep, char** fields, int max_fields) {
  int n = 0;
  char* p = line;
  fields[n++] = p;
  while (*p && n < max_fields) {
    if (*p == sep) {
      *p = '\0';
      fields[n++] = p + 1;
    }
    ++p;
  }
  return n;
}

static fv_health_model* load_model(const char* name) {
  fv_health_model* model = NULL;
  fv_status status;
  if (strcmp(name, "default") == 0) {
    status = fv_health_model_default(&model);
  } else {
    char path[1024];
    char* json;
    snprintf(path, sizeof path, "%s/models/%s", FV_TEST_DATA_DIR, name);
    json = read_file(path);
    status = fv_health_model_from_json(json, strlen(json), &model);
    free(json);
  }
  CHECK(status == FV_OK, "loading %s: %s", name, fv_last_error());
  return model;
}

static void band_name(const fv_health_model* m, int code, char* out, size_t len) {
  size_t n = 0;
  if (fv_health_model_band_name(m, code, out, len, &n) != FV_OK) strcpy(out, "?");
}

static void factor_name(const fv_health_model* m, int code, char* out, size_t len) {
  size_t n = 0;
  if (code < 0) {
    strcpy(out, "-");
    return;
  }
  if (fv_health_model_factor_name(m, (size_t)code, out, len, &n) != FV_OK) strcpy(out, "?");
}

static void run_health_cases(void) {
  char path[1024];
  char* text;
  char* line;
  char* save = NULL;
  int cases = 0;
  snprintf(path, sizeof path, "%s/health_cases.tsv", FV_TEST_DATA_DIR);
  text = read_file(path);
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char* f[16];
    char* pairs[16];
    const char* names[16];
    double values[16];
    const double* columns[16];
    int n_fields, n_pairs, i;
    int has_previous;
    double previous, score = -1, coverage = -1, delta = -1;
    int8_t band = -9, weakest = -9, change = -9;
    char got_band[64], got_weakest[64];
    fv_health_model* model;
    fv_status status;
    fv_buf explanation = {NULL, 0};

    if (line[0] == '#' || strncmp(line, "case\t", 5) == 0) continue;
    n_fields = split(line, '\t', f, 16);
    CHECK(n_fields == 11, "row %s has %d fields", f[0], n_fields);
    if (n_fields != 11) continue;
    model = load_model(f[1]);
    if (!model) continue;
    n_pairs = split(f[2], ';', pairs, 16);
    for (i = 0; i < n_pairs; ++i) {
      char* eq = strchr(pairs[i], '=');
      *eq = '\0';
      names[i] = pairs[i];
      values[i] = number(eq + 1);
      columns[i] = &values[i];
    }
    has_previous = strcmp(f[3], "-") != 0;
    previous = has_previous ? number(f[3]) : NAN;
    status = fv_health_model_score(model, names, columns, (size_t)n_pairs, 1, has_previous ? &previous : NULL, 1,
                                   &score, &band, &coverage, &weakest, has_previous ? &delta : NULL,
                                   has_previous ? &change : NULL);
    CHECK(status == FV_OK, "%s: %s", f[0], fv_last_error());
    band_name(model, band, got_band, sizeof got_band);
    factor_name(model, weakest, got_weakest, sizeof got_weakest);
    CHECK(same(score, number(f[4]), 1e-9), "%s: score %.17g, expected %s", f[0], score, f[4]);
    CHECK(strcmp(got_band, f[5]) == 0, "%s: band %s, expected %s", f[0], got_band, f[5]);
    CHECK(same(coverage, number(f[6]), 1e-12), "%s: coverage %g, expected %s", f[0], coverage, f[6]);
    CHECK(strcmp(got_weakest, f[7]) == 0, "%s: weakest %s, expected %s", f[0], got_weakest, f[7]);
    if (has_previous) {
      CHECK(same(delta, number(f[8]), 1e-9), "%s: delta %g, expected %s", f[0], delta, f[8]);
      CHECK(change == atoi(f[9]), "%s: band change %d, expected %s", f[0], change, f[9]);
    }
    /* The explanation carries the same band; the JSON is checked in depth by the other suites. */
    status = fv_health_model_explain(model, names, values, (size_t)n_pairs, previous, &explanation);
    CHECK(status == FV_OK && explanation.ptr != NULL, "%s: explain: %s", f[0], fv_last_error());
    if (explanation.ptr) {
      char needle[96];
      snprintf(needle, sizeof needle, "\"band\": \"%s\"", f[5]);
      CHECK(strstr(explanation.ptr, needle) != NULL, "%s: explanation lacks %s", f[0], needle);
      CHECK(explanation.size == strlen(explanation.ptr), "%s: fv_buf size", f[0]);
    }
    fv_buf_dispose(&explanation);
    CHECK(explanation.ptr == NULL && explanation.size == 0, "dispose resets the buffer");
    fv_health_model_free(model);
    ++cases;
  }
  CHECK(cases >= 30, "only %d hand-worked cases ran", cases);
  free(text);
}

static void run_invalid_models(void) {
  char path[1024];
  char* text;
  char* line;
  char* save = NULL;
  int cases = 0;
  snprintf(path, sizeof path, "%s/invalid_models.tsv", FV_TEST_DATA_DIR);
  text = read_file(path);
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char* f[4];
    fv_health_model* model = (fv_health_model*)0x1; /* must stay untouched on failure */
    fv_status status;
    if (line[0] == '#' || strncmp(line, "case\t", 5) == 0) continue;
    if (split(line, '\t', f, 4) != 3) continue;
    status = fv_health_model_from_json(f[2], strlen(f[2]), &model);
    CHECK(status == FV_E_INVALID, "%s: status %s", f[0], fv_status_name(status));
    CHECK(strncmp(fv_last_error(), f[1], strlen(f[1])) == 0, "%s: message \"%s\", expected \"%s...\"", f[0],
          fv_last_error(), f[1]);
    CHECK(model == (fv_health_model*)0x1, "%s: out written on failure", f[0]);
    ++cases;
  }
  CHECK(cases >= 20, "only %d invalid models ran", cases);
  free(text);
}

static void run_conventions(void) {
  fv_health_model* model = NULL;
  fv_buf json = {NULL, 0};
  fv_health_model* again = NULL;
  size_t count = 0, len = 0;
  char small[4];
  char name[64];
  int major = -1, minor = -1, patch = -1;
  double score[2] = {-1, -1};
  const double mp[2] = {1, 0}, ua[2] = {0.8, 0}, eq[2] = {5, 0};
  const char* names[3] = {"milestone_progress", "user_adoption", "engagement_quality"};
  const double* cols[3];
  fv_status status;

  cols[0] = mp;
  cols[1] = ua;
  cols[2] = eq;
  CHECK(fv_version(&major, &minor, &patch) == FV_OK, "fv_version");
  CHECK(major == FV_VERSION_MAJOR && minor == FV_VERSION_MINOR && patch == FV_VERSION_PATCH, "version macros");
  CHECK(fv_version(NULL, NULL, NULL) == FV_OK, "fv_version with NULLs");
  CHECK(fv_last_error() != NULL, "fv_last_error never NULL");
  fv_health_model_free(NULL);
  fv_buf_dispose(NULL);
  fv_buf_dispose(&json);

  CHECK(fv_health_model_default(NULL) == FV_E_INVALID, "NULL out");
  CHECK(strstr(fv_last_error(), "out: must not be NULL") != NULL, "%s", fv_last_error());
  CHECK(fv_health_model_default(&model) == FV_OK, "default");
  CHECK(fv_health_model_factor_count(model, &count) == FV_OK && count == 4, "factor count");
  CHECK(fv_health_model_band_count(model, &count) == FV_OK && count == 4, "band count");

  /* two-call protocol */
  CHECK(fv_health_model_factor_name(model, 1, NULL, 0, &len) == FV_OK && len == strlen("user_adoption"),
        "size query gives %zu", len);
  CHECK(fv_health_model_factor_name(model, 1, small, sizeof small, &len) == FV_E_BUFFER_TOO_SMALL, "small buffer");
  CHECK(fv_health_model_factor_name(model, 1, name, sizeof name, &len) == FV_OK && strcmp(name, "user_adoption") == 0,
        "name %s", name);
  CHECK(fv_health_model_factor_name(model, 9, name, sizeof name, &len) == FV_E_NOT_FOUND, "factor 9");
  CHECK(fv_health_model_band_name(model, -1, name, sizeof name, &len) == FV_OK && strcmp(name, "unknown") == 0,
        "band -1");
  CHECK(fv_health_model_band_name(model, 4, name, sizeof name, &len) == FV_E_NOT_FOUND, "band 4");

  /* JSON round trip */
  CHECK(fv_health_model_to_json(model, &json) == FV_OK && json.ptr != NULL, "to_json");
  status = fv_health_model_from_json(json.ptr, json.size, &again);
  CHECK(status == FV_OK, "from_json(to_json): %s", fv_last_error());
  fv_health_model_free(again);
  fv_buf_dispose(&json);
  CHECK(fv_health_model_to_json(NULL, &json) == FV_E_INVALID, "NULL model");

  /* a missing factor input is named, and outputs stay untouched */
  status = fv_health_model_score(model, names, cols, 3, 2, NULL, 1, score, NULL, NULL, NULL, NULL, NULL);
  CHECK(status == FV_E_INVALID, "missing factor accepted");
  CHECK(strcmp(fv_last_error(), "inputs.value_realization: missing input for factor \"value_realization\"") == 0,
        "message: %s", fv_last_error());
  CHECK(score[0] == -1 && score[1] == -1, "outputs written on failure");
  CHECK(fv_health_model_score(model, names, cols, 3, 2, NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL) ==
            FV_E_INVALID, "NULL out_score");
  CHECK(fv_health_model_score(model, names, cols, 3, 2, NULL, 1, score, NULL, NULL, NULL, score, NULL) ==
            FV_E_INVALID, "delta without previous");
  CHECK(fv_health_model_score(model, NULL, cols, 3, 2, NULL, 1, score, NULL, NULL, NULL, NULL, NULL) ==
            FV_E_INVALID, "NULL names");
  CHECK(fv_health_model_from_json(NULL, 5, &again) == FV_E_INVALID, "NULL json");
  CHECK(fv_health_model_from_json("", 0, &again) == FV_E_INVALID, "empty json");
  fv_health_model_free(model);
}

static int32_t day_of(const char* text) {
  int32_t d = 0;
  if (fv_date_parse(text, strlen(text), &d) != FV_OK) {
    fprintf(stderr, "bad date %s\n", text);
    exit(2);
  }
  return d;
}

/* The business-days case of tests/data/schedule_cases.json, through typed columns:
 * a Mon 23 + 3 business days with Thu 26 and Fri 27 off = Mon 30; b then Tue 1, Wed 2;
 * c waits 2 calendar days and takes 3 = Sat 5. */
static void run_plans(void) {
  static const char* calendar_json = "{\"holidays\": [\"2026-11-26\", \"2026-11-27\"]}";
  static const char* templates_json =
      "{\"fallback\": \"t\", \"templates\": [{\"id\": \"t\", \"phases\": [{\"id\": \"p\", \"milestones\": "
      "[{\"id\": \"m\", \"tasks\": [{\"id\": \"a\", \"from\": \"start\", \"duration\": 3},"
      "{\"id\": \"b\", \"depends_on\": [\"a\"], \"duration\": 2},"
      "{\"id\": \"c\", \"depends_on\": [\"a\"], \"days\": \"calendar\", \"offset\": 2, \"duration\": 3}]}]}]}]}";
  static const char* accounts_json = "[{\"account\": \"acme\", \"start\": \"2026-11-23\"}]";
  const char* expected_ids[4] = {"m", "a", "b", "c"};
  const char* expected_due[4] = {"2026-12-05", "2026-11-30", "2026-12-02", "2026-12-05"};
  fv_calendar* cal = NULL;
  fv_template_set* set = NULL;
  fv_scheduler* scheduler = NULL;
  fv_plan_results* results = NULL;
  fv_status status;
  int32_t d = 0, planned_due[8], done[8];
  int8_t node_status[8], plan_status = -1;
  uint8_t critical[8];
  size_t rows = 0, len = 0, i;
  char id[32];
  const char* name = NULL;
  fv_buf buf = {NULL, 0};

  CHECK(fv_calendar_from_json(calendar_json, strlen(calendar_json), &cal) == FV_OK, "%s", fv_last_error());
  CHECK(fv_calendar_add_business_days(cal, day_of("2026-11-25"), 1, &d) == FV_OK && d == day_of("2026-11-30"),
        "Wed 25 + 1 with Thu/Fri off");
  CHECK(fv_calendar_business_days_between(cal, day_of("2026-11-23"), day_of("2026-11-30"), &d) == FV_OK && d == 3,
        "business days between: %d", d);
  CHECK(fv_template_set_from_json(templates_json, strlen(templates_json), &set) == FV_OK, "%s", fv_last_error());
  CHECK(fv_scheduler_new(set, cal, NULL, 0, &scheduler) == FV_OK, "%s", fv_last_error());
  fv_calendar_free(cal);
  fv_template_set_free(set);
  status = fv_scheduler_evaluate(scheduler, accounts_json, strlen(accounts_json), day_of("2026-11-23"), 1, &results);
  CHECK(status == FV_OK, "evaluate: %s", fv_last_error());
  if (status != FV_OK) return;
  CHECK(fv_plan_results_node_count(results, 0, &rows) == FV_OK && rows == 4, "rows %zu", rows);
  CHECK(fv_plan_results_nodes(results, 0, rows, NULL, NULL, planned_due, NULL, NULL, done, node_status, NULL, NULL,
                              NULL, critical, NULL) == FV_OK, "%s", fv_last_error());
  for (i = 0; i < rows && i < 4; ++i) {
    fv_plan_results_node_text(results, 0, i, FV_NODE_ID, id, sizeof id, &len);
    CHECK(strcmp(id, expected_ids[i]) == 0, "row %zu is %s", i, id);
    CHECK(planned_due[i] == day_of(expected_due[i]), "%s due %d, expected %s", id, planned_due[i], expected_due[i]);
    CHECK(done[i] == FV_NO_DAY, "%s not done", id);
  }
  CHECK(critical[1] && !critical[2] && critical[3], "critical path a -> c -> m");
  CHECK(fv_node_status_name(node_status[1], &name) == FV_OK && strcmp(name, "due_soon") == 0, "a is due soon: %s", name);
  CHECK(fv_plan_results_plans(results, 1, &plan_status, NULL, NULL, NULL, NULL) == FV_OK, "plans");
  CHECK(fv_plan_status_name(plan_status, &name) == FV_OK && strcmp(name, "on_track") == 0, "plan status %s", name);
  CHECK(fv_plan_results_nodes(results, 0, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) ==
            FV_E_INVALID, "wrong row count refused");
  CHECK(fv_plan_results_to_json(results, &buf) == FV_OK && strstr(buf.ptr, "\"critical_path\":[\"a\",\"c\",\"m\"]") != NULL,
        "json: %.200s", buf.ptr ? buf.ptr : "(null)");
  fv_buf_dispose(&buf);
  fv_plan_results_free(results);

  /* An unknown milestone id in an account: named, and nothing allocated. */
  results = (fv_plan_results*)0x1;
  status = fv_scheduler_evaluate(scheduler, "[{\"account\":\"x\",\"start\":\"2026-11-23\",\"progress\":{\"go_live2\":{}}}]",
                                 strlen("[{\"account\":\"x\",\"start\":\"2026-11-23\",\"progress\":{\"go_live2\":{}}}]"),
                                 day_of("2026-11-23"), 1, &results);
  CHECK(status == FV_E_INVALID && results == (fv_plan_results*)0x1, "unknown id refused");
  CHECK(strcmp(fv_last_error(), "accounts[0].progress.go_live2: unknown task or milestone \"go_live2\" in template \"t\"") == 0,
        "%s", fv_last_error());
  fv_scheduler_free(scheduler);

  /* Conditions, goals and handoffs. */
  CHECK(fv_expr_check("arr >= 1000 and sso", 19) == FV_OK, "expression");
  CHECK(fv_expr_check("arr >", 5) == FV_E_INVALID && strncmp(fv_last_error(), "column 6:", 9) == 0, "%s", fv_last_error());
  {
    static const char* goals =
        "{\"goals\": [{\"id\": \"m\", \"metric\": \"meetings_per_sdr\", \"baseline\": 5, \"target\": 10, "
        "\"start\": 0, \"due\": 56, \"direction\": \"up\", \"observations\": [[0, 5], [14, 6.3], [28, 7.5]]}]}";
    static const char* handoff =
        "{\"business_case\": \"x\", \"success_metrics\": [\"y\"], \"buying_committee\": [{\"name\": \"a\", \"role\": "
        "\"champion\"}, {\"name\": \"b\", \"role\": \"admin\"}, {\"name\": \"c\", \"role\": \"end_user\"}], "
        "\"agreed_timeline\": {\"note\": \"q1\"}, \"commitments\": [], \"risks\": []}";
    CHECK(fv_success_plan_evaluate(goals, strlen(goals), 28, &buf) == FV_OK, "%s", fv_last_error());
    CHECK(buf.ptr && strstr(buf.ptr, "\"progress\": 0.5") && strstr(buf.ptr, "\"status\": \"on_track\""), "%s", buf.ptr);
    fv_buf_dispose(&buf);
    CHECK(fv_handoff_assess(handoff, strlen(handoff), &buf) == FV_OK, "%s", fv_last_error());
    CHECK(buf.ptr && strstr(buf.ptr, "buying_committee: no executive sponsor") != NULL, "%s", buf.ptr);
    fv_buf_dispose(&buf);
  }
}

/* ---- portfolio and the nightly scan ------------------------------------------------ */

#define DAY 86400
#define SIG_DAY 20697 /* 2026-09-01, a Tuesday */

static const char* const kTypes[] = {"login", "feature_use", "email_from_customer", "email_to_customer",
                                     "customer_reply", "meeting_held", "meeting_postponed", "meeting_cancelled",
                                     "ticket_opened", "ticket_closed", "milestone_completed", "milestone_redated",
                                     "logon"};
enum { T_LOGIN = 0, T_EMAIL_TO = 3, T_REPLY = 4, T_TICKET_OPENED = 8, T_DONE = 10, T_LOGON = 12 };
static const char* const kActors[] = {"u1", "u2", "u3", "u4", "sponsor"};
enum { A_SPONSOR = 4 };

/* A growable event table with fixed dictionaries for accounts, types and actors
 * and an interned one for items. */
typedef struct table {
  size_t n, cap;
  int64_t* ts;
  int32_t *account, *type, *actor, *item;
  double* value;
  const char* accounts[8];
  size_t n_accounts;
  char items[64][48];
  const char* item_ptrs[64];
  size_t n_items;
} table;

static void table_init(table* t, const char* const* accounts, size_t n_accounts) {
  size_t i;
  memset(t, 0, sizeof *t);
  for (i = 0; i < n_accounts; ++i) t->accounts[i] = accounts[i];
  t->n_accounts = n_accounts;
}

static void table_free(table* t) {
  free(t->ts);
  free(t->account);
  free(t->type);
  free(t->actor);
  free(t->item);
  free(t->value);
}

static int32_t intern_item(table* t, const char* item) {
  size_t i;
  if (item == NULL) return -1;
  for (i = 0; i < t->n_items; ++i)
    if (strcmp(t->items[i], item) == 0) return (int32_t)i;
  if (t->n_items == 64 || strlen(item) >= sizeof t->items[0]) {
    fprintf(stderr, "item table full\n");
    exit(2);
  }
  strcpy(t->items[t->n_items], item);
  t->item_ptrs[t->n_items] = t->items[t->n_items];
  return (int32_t)t->n_items++;
}

static void add(table* t, int64_t ts, int32_t account, int32_t type, int32_t actor, const char* item, double value) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 256;
    t->ts = (int64_t*)realloc(t->ts, t->cap * sizeof *t->ts);
    t->account = (int32_t*)realloc(t->account, t->cap * sizeof *t->account);
    t->type = (int32_t*)realloc(t->type, t->cap * sizeof *t->type);
    t->actor = (int32_t*)realloc(t->actor, t->cap * sizeof *t->actor);
    t->item = (int32_t*)realloc(t->item, t->cap * sizeof *t->item);
    t->value = (double*)realloc(t->value, t->cap * sizeof *t->value);
    if (!t->ts || !t->account || !t->type || !t->actor || !t->item || !t->value) exit(2);
  }
  t->ts[t->n] = ts;
  t->account[t->n] = account;
  t->type[t->n] = type;
  t->actor[t->n] = actor;
  t->item[t->n] = intern_item(t, item);
  t->value[t->n] = value;
  ++t->n;
}

static fv_event_batch batch_of(const table* t) {
  fv_event_batch b;
  memset(&b, 0, sizeof b);
  b.n_rows = t->n;
  b.ts = t->ts;
  b.account = column(t->account, t->accounts, t->n_accounts);
  b.type = column(t->type, kTypes, sizeof kTypes / sizeof kTypes[0]);
  b.actor = column(t->actor, kActors, sizeof kActors / sizeof kActors[0]);
  b.item = column(t->item, t->item_ptrs, t->n_items);
  b.value = t->value;
  return b;
}

static int starts_with(const char* text, const char* prefix) { return strncmp(text, prefix, strlen(prefix)) == 0; }

static int64_t at(int32_t day, int hour) { return (int64_t)day * DAY + hour * 3600; }
static int weekday_of(int32_t day) { return (int)(((day % 7) + 7 + 3) % 7); } /* 0 = Monday */

static char* results_json(const fv_portfolio* p, int32_t as_of) {
  fv_scan_result* r = NULL;
  fv_buf buf = {NULL, 0};
  char* copy;
  if (fv_portfolio_evaluate(p, as_of, 1, &r) != FV_OK || fv_portfolio_results_json(p, r, &buf) != FV_OK) {
    fprintf(stderr, "results_json: %s\n", fv_last_error());
    exit(2);
  }
  copy = (char*)malloc(buf.size + 1);
  memcpy(copy, buf.ptr, buf.size + 1);
  fv_buf_dispose(&buf);
  fv_scan_result_free(r);
  return copy;
}

static int text_is(const fv_scan_result* r, size_t account, int field, const char* expected) {
  char buf[512];
  size_t len = 0;
  if (fv_scan_result_text(r, account, field, buf, sizeof buf, &len) != FV_OK) return 0;
  if (strcmp(buf, expected) != 0) fprintf(stderr, "  text %d of %zu: \"%s\"\n", field, account, buf);
  return strcmp(buf, expected) == 0 && len == strlen(expected);
}

#define ACCOUNT_JSON(KEY, ARR)                                                                                   \
  "{\"key\": \"" KEY "\", \"arr\": " ARR ", \"signature\": \"2026-09-01\", \"seats\": {\"planned\": 4}, "      \
  "\"planned_users\": [\"u1\", \"u2\", \"u3\", \"u4\"], \"contacts\": [{\"key\": \"sponsor\", \"name\": "        \
  "\"Sam Sponsor\", \"role\": \"sponsor\"}], \"attributes\": {\"sso\": false, \"migrate_data\": false, "         \
  "\"integrations\": 0}}"

/* The portfolio of tests/cpp/test_portfolio.cpp's hand-built signals, four mid-market accounts signed on
 * Tue 2026-09-01 with four planned users, scanned on day 14 (2026-09-15):
 *  a (ARR 30,000), b (60,000): only u1 ever logs in. Day 14 is the day the rules look: 3 of 4 planned
 *    users never logged in and 25% activation, two 0.3 signals: risk 1 - 0.7^2 = 0.51 >= 0.5, stalled,
 *    onset day 14. Priority = risk x ARR x (1 + 14/90): 17,680 and 35,360. 76 days left of 90.
 *  c (90,000): every user logs in, but the email of day 12 is unanswered after 48 h where replies took
 *    6 h: the mild sponsor rule alone, at risk (0.3). Priority 0.3 x 90,000 x 104/90 = 31,200, above a's,
 *    yet after a in the worklist, because stalled accounts come first.
 *  d (40,000): healthy, ok.
 * Every account completes each task of its plan on the task's planned day. */
static const char* kPortfolioJson =
    "{\"organization\": \"acme\", \"accounts\": [" ACCOUNT_JSON("a", "30000") ", " ACCOUNT_JSON("b", "60000") ", "
    ACCOUNT_JSON("c", "90000") ", " ACCOUNT_JSON("d", "40000") "]}";

/* Completes every task of the mid-market plan due by `until`, on its planned day. The plan comes from
 * the scheduler of the section above, with the attributes the portfolio gives an account. */
static void on_plan(table* t, int32_t account, int32_t until) {
  static const char* plan =
      "[{\"account\": \"x\", \"start\": \"2026-09-01\", \"attributes\": {\"sso\": false, \"migrate_data\": false, "
      "\"integrations\": 0, \"tier\": \"mid_market\", \"arr\": 30000, \"lifecycle\": \"new_customer\"}}]";
  fv_template_set* set = NULL;
  fv_scheduler* scheduler = NULL;
  fv_plan_results* results = NULL;
  size_t rows = 0, i, len;
  int32_t due[128];
  uint8_t active[128];
  char kind[32], id[48];
  if (fv_template_set_default(&set) != FV_OK || fv_scheduler_new(set, NULL, NULL, 0, &scheduler) != FV_OK ||
      fv_scheduler_evaluate(scheduler, plan, strlen(plan), SIG_DAY, 1, &results) != FV_OK ||
      fv_plan_results_node_count(results, 0, &rows) != FV_OK || rows > 128 ||
      fv_plan_results_nodes(results, 0, rows, NULL, NULL, due, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                            active) != FV_OK) {
    fprintf(stderr, "on_plan: %s\n", fv_last_error());
    exit(2);
  }
  for (i = 0; i < rows; ++i) {
    fv_plan_results_node_text(results, 0, i, FV_NODE_KIND, kind, sizeof kind, &len);
    fv_plan_results_node_text(results, 0, i, FV_NODE_ID, id, sizeof id, &len);
    if (strcmp(kind, "task") == 0 && active[i] && due[i] <= until) add(t, at(due[i], 10), account, T_DONE, -1, id, NAN);
  }
  fv_plan_results_free(results);
  fv_scheduler_free(scheduler);
  fv_template_set_free(set);
}

static void scan_events(table* t) {
  static const char* const accounts[] = {"a", "b", "c", "d"};
  const int32_t until = SIG_DAY + 14;
  int32_t k, d, u;
  table_init(t, accounts, 4);
  for (k = 0; k < 4; ++k) {
    on_plan(t, k, until);
    if (k < 2) { /* a, b: only u1 */
      for (d = SIG_DAY + 2; d <= until; ++d)
        if (weekday_of(d) < 5) add(t, at(d, 10), k, T_LOGIN, 0, NULL, NAN);
      add(t, at(SIG_DAY + 1, 10), k, T_EMAIL_TO, A_SPONSOR, NULL, NAN);
      add(t, at(SIG_DAY + 1, 12), k, T_REPLY, A_SPONSOR, NULL, 2.0);
    } else {
      for (d = SIG_DAY + 1; d <= until; ++d)
        if (weekday_of(d) < 5)
          for (u = 0; u < 4; ++u) add(t, at(d, 9), k, T_LOGIN, u, NULL, NAN);
      add(t, at(SIG_DAY + 2, 10), k, T_EMAIL_TO, A_SPONSOR, NULL, NAN);
      add(t, at(SIG_DAY + 2, 12), k, T_REPLY, A_SPONSOR, NULL, 6.0);
      add(t, at(k == 2 ? SIG_DAY + 12 : SIG_DAY + 9, 10), k, T_EMAIL_TO, A_SPONSOR, NULL, NAN);
      if (k == 3) add(t, at(SIG_DAY + 9, 12), k, T_REPLY, A_SPONSOR, NULL, 5.0);
    }
  }
}


/* What a scan's sink saw: each block's accounts in order, their states. */
struct scan_seen {
  const fv_portfolio* portfolio;
  int blocks, stop_after, ordered, explained;
  size_t n;
  int8_t state[8];
};

static int scan_collect(const fv_scan_result* block, void* user_data) {
  struct scan_seen* seen = (struct scan_seen*)user_data;
  size_t n = 0, k;
  uint32_t idx[8];
  int8_t st[8];
  fv_buf buf = {0};
  ++seen->blocks;
  if (fv_scan_result_account_count(block, &n) != FV_OK || n > 8 ||
      fv_scan_result_account_indices(block, n, idx) != FV_OK ||
      fv_scan_result_accounts(block, n, st, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) != FV_OK)
    return 0;
  if (seen->blocks == 1) seen->ordered = 1;
  for (k = 0; k < n; ++k) {
    if (idx[k] != seen->n || seen->n >= 8) seen->ordered = 0;
    else seen->state[seen->n] = st[k];
    ++seen->n;
  }
  if (n > 0 && fv_portfolio_explain_json(seen->portfolio, block, 0, &buf) == FV_OK && buf.ptr &&
      strstr(buf.ptr, "\"metrics\"") != NULL)
    seen->explained = 1;
  fv_buf_dispose(&buf);
  return seen->stop_after == 0 || seen->blocks < seen->stop_after;
}

static void run_scan(void) {
  const int32_t day14 = SIG_DAY + 14;
  fv_portfolio* p = NULL;
  fv_ingest_report* report = NULL;
  fv_scan_result* r = NULL;
  fv_scan_result* r13 = NULL;
  fv_event_batch b;
  table t;
  size_t n = 0, rows = 9, accepted = 9, rejected = 9, applied = 9, ok = 9, at_risk = 9, stalled = 9, i, len = 0;
  int cancelled = 9;
  int8_t state[4], band[4], plan_status[4];
  int32_t onset[4], days_left[4], signal_count[4];
  double risk[4], priority[4], health[4], delta[4], active_users[4];
  uint32_t worklist[4] = {9, 9, 9, 9};
  char small[8], key[8];
  const char* name = NULL;
  fv_buf buf = {NULL, 0};
  fv_status status;

  status = fv_portfolio_from_json(kPortfolioJson, strlen(kPortfolioJson), &p);
  CHECK(status == FV_OK, "portfolio: %s", fv_last_error());
  if (status != FV_OK) return;
  CHECK(fv_portfolio_account_count(p, &n) == FV_OK && n == 4, "%zu accounts", n);
  CHECK(fv_portfolio_find(p, "c", 1, &i) == FV_OK && i == 2, "find c: %zu", i);
  CHECK(fv_portfolio_find(p, "zz", 2, &i) == FV_E_NOT_FOUND && strcmp(fv_last_error(), "key: no account \"zz\" in the portfolio") == 0,
        "%s", fv_last_error());
  CHECK(fv_portfolio_account_key(p, 1, NULL, 0, &len) == FV_OK && len == 1, "key size %zu", len);
  CHECK(fv_portfolio_account_key(p, 1, key, sizeof key, &len) == FV_OK && strcmp(key, "b") == 0, "key %s", key);
  CHECK(fv_portfolio_account_key(p, 4, key, sizeof key, &len) == FV_E_NOT_FOUND &&
            strcmp(fv_last_error(), "index: no account at index 4") == 0, "%s", fv_last_error());

  scan_events(&t);
  b = batch_of(&t);
  status = fv_portfolio_ingest(p, &b, 2, FV_NO_LIMIT, NULL, NULL, &report);
  CHECK(status == FV_OK, "ingest: %s", fv_last_error());
  CHECK(fv_ingest_report_counts(report, &rows, &accepted, &rejected, &applied, &cancelled) == FV_OK, "counts");
  CHECK(rows == t.n && accepted == t.n && rejected == 0 && applied == t.n && cancelled == 0,
        "rows %zu accepted %zu rejected %zu applied %zu cancelled %d", rows, accepted, rejected, applied, cancelled);
  CHECK(fv_ingest_report_counts(report, NULL, NULL, NULL, NULL, NULL) == FV_OK, "counts into NULLs");
  fv_ingest_report_free(report);

  /* Day 13: the rules wait for day 14. */
  CHECK(fv_portfolio_evaluate(p, day14 - 1, 1, &r13) == FV_OK, "%s", fv_last_error());
  CHECK(fv_scan_result_by_state(r13, &ok, &at_risk, &stalled) == FV_OK && ok == 4 && at_risk == 0 && stalled == 0,
        "day 13: %zu ok, %zu at risk, %zu stalled", ok, at_risk, stalled);
  CHECK(fv_scan_result_worklist_count(r13, &n) == FV_OK && n == 0, "day 13 worklist %zu", n);
  CHECK(fv_scan_result_worklist(r13, 0, NULL) == FV_OK, "empty worklist into NULL");
  CHECK(text_is(r13, 0, FV_SCAN_CAUSE, ""), "no signal, no cause");
  fv_scan_result_free(r13);

  status = fv_portfolio_evaluate(p, day14, 0, &r);
  CHECK(status == FV_OK, "evaluate: %s", fv_last_error());
  if (status != FV_OK) return;
  CHECK(fv_scan_result_account_count(r, &n) == FV_OK && n == 4, "%zu accounts", n);
  CHECK(fv_scan_result_by_state(r, &ok, &at_risk, &stalled) == FV_OK && ok == 1 && at_risk == 1 && stalled == 2,
        "%zu ok, %zu at risk, %zu stalled", ok, at_risk, stalled);
  CHECK(fv_scan_result_by_state(r, NULL, NULL, NULL) == FV_OK, "by_state into NULLs");
  status = fv_scan_result_accounts(r, 4, state, risk, onset, priority, days_left, health, band, delta, plan_status,
                                   signal_count);
  CHECK(status == FV_OK, "accounts: %s", fv_last_error());
  CHECK(state[0] == FV_STATE_STALLED && state[1] == FV_STATE_STALLED && state[2] == FV_STATE_AT_RISK &&
            state[3] == FV_STATE_OK, "states %d %d %d %d", state[0], state[1], state[2], state[3]);
  CHECK(same(risk[0], 0.51, 1e-12) && same(risk[1], 0.51, 1e-12) && same(risk[2], 0.3, 1e-12) && risk[3] == 0,
        "risk %g %g %g %g", risk[0], risk[1], risk[2], risk[3]);
  CHECK(onset[0] == day14 && onset[1] == day14 && onset[2] == day14 && onset[3] == FV_NO_DAY,
        "onset %d %d %d %d", onset[0], onset[1], onset[2], onset[3]);
  CHECK(same(priority[0], 17680, 1e-6) && same(priority[1], 35360, 1e-6) && same(priority[2], 31200, 1e-6) &&
            priority[3] == 0, "priority %.17g %.17g %.17g %g", priority[0], priority[1], priority[2], priority[3]);
  CHECK(days_left[0] == 76 && days_left[3] == 76, "days left %d", days_left[0]);
  CHECK(signal_count[0] == 2 && signal_count[2] == 1 && signal_count[3] == 0, "signals %d %d %d", signal_count[0],
        signal_count[2], signal_count[3]);
  CHECK(plan_status[0] == FV_PLAN_ON_TRACK && plan_status[3] == FV_PLAN_ON_TRACK, "plan status %d", plan_status[0]);
  CHECK(health[3] >= 0 && health[3] <= 100 && band[3] >= 0 && !isnan(delta[3]), "health %g band %d delta %g",
        health[3], band[3], delta[3]);
  CHECK(fv_scan_result_accounts(r, 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == FV_OK,
        "every column NULL");
  state[0] = 9;
  CHECK(fv_scan_result_accounts(r, 3, state, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == FV_E_INVALID &&
            strcmp(fv_last_error(), "n_accounts: has 3 for 4 accounts") == 0 && state[0] == 9, "%s", fv_last_error());
  CHECK(fv_state_name(state[2], &name) == FV_OK && strcmp(name, "at_risk") == 0, "%s", name);
  CHECK(fv_state_name(3, &name) == FV_E_INVALID, "state 3");

  /* The worklist: stalled by priority (b, a), then at risk (c) although c outranks a on priority. */
  CHECK(fv_scan_result_worklist_count(r, &n) == FV_OK && n == 3, "worklist %zu", n);
  CHECK(fv_scan_result_worklist(r, 3, worklist) == FV_OK && worklist[0] == 1 && worklist[1] == 0 &&
            worklist[2] == 2, "worklist %u %u %u", worklist[0], worklist[1], worklist[2]);
  CHECK(fv_scan_result_worklist(r, 4, worklist) == FV_E_INVALID && strcmp(fv_last_error(), "n: has 4 for 3 accounts in the worklist") == 0,
        "%s", fv_last_error());

  /* The scan in blocks: the same states, block by block, and the worklist kept. */
  {
    struct scan_seen seen;
    fv_scan_result* top = NULL;
    fv_scan_result* untouched = (fv_scan_result*)0x1;
    fv_buf full_json = {0}, top_json = {0};
    uint32_t indices[4] = {9, 9, 9, 9};
    memset(&seen, 0, sizeof seen);
    seen.portfolio = p;
    status = fv_portfolio_scan(p, day14, 2, 3, 3, scan_collect, &seen, &top);
    CHECK(status == FV_OK, "scan: %s", fv_last_error());
    CHECK(seen.blocks == 2 && seen.n == 4 && seen.ordered, "blocks %d, accounts %zu, ordered %d", seen.blocks, seen.n,
          seen.ordered);
    CHECK(seen.state[0] == FV_STATE_STALLED && seen.state[1] == FV_STATE_STALLED &&
              seen.state[2] == FV_STATE_AT_RISK && seen.state[3] == FV_STATE_OK, "block states %d %d %d %d", seen.state[0], seen.state[1], seen.state[2],
          seen.state[3]);
    CHECK(seen.explained, "explain_json of a block");
    CHECK(fv_scan_result_account_count(top, &n) == FV_OK && n == 3, "kept %zu", n);
    CHECK(fv_scan_result_account_indices(top, 3, indices) == FV_OK && indices[0] == 1 && indices[1] == 0 &&
              indices[2] == 2, "kept %u %u %u", indices[0], indices[1], indices[2]);
    CHECK(fv_scan_result_worklist_total(top, &n) == FV_OK && n == 3, "worklist total %zu", n);
    CHECK(fv_scan_result_by_state(top, &ok, &at_risk, &stalled) == FV_OK && ok == 1 && at_risk == 1 && stalled == 2,
          "scan counts %zu %zu %zu", ok, at_risk, stalled);
    CHECK(fv_portfolio_worklist_json(p, r, &full_json) == FV_OK && fv_portfolio_worklist_json(p, top, &top_json) == FV_OK &&
              full_json.ptr && top_json.ptr && strcmp(full_json.ptr, top_json.ptr) == 0,
          "the scan's worklist JSON is evaluate's");
    fv_buf_dispose(&full_json);
    fv_buf_dispose(&top_json);
    fv_scan_result_free(top);
    CHECK(fv_portfolio_scan(p, day14, 1, 2, 1, scan_collect, &seen, &top) == FV_OK &&
              fv_scan_result_account_count(top, &n) == FV_OK && n == 1 &&
              fv_scan_result_worklist_total(top, &n) == FV_OK && n == 3 &&
              fv_scan_result_account_indices(top, 1, indices) == FV_OK && indices[0] == 1,
          "keep 1: %s", fv_last_error());
    fv_scan_result_free(top);
    seen.stop_after = 1;
    seen.blocks = 0;
    CHECK(fv_portfolio_scan(p, day14, 1, 2, 5, scan_collect, &seen, &untouched) == FV_E_CANCELLED &&
              untouched == (fv_scan_result*)0x1 && seen.blocks == 1 && strcmp(fv_last_error(), "sink: stopped the scan") == 0,
          "a sink that stops: %s", fv_last_error());
    CHECK(fv_portfolio_scan(p, day14, 1, 2, 5, NULL, NULL, &untouched) == FV_E_INVALID &&
              strcmp(fv_last_error(), "sink: must not be NULL") == 0, "%s", fv_last_error());
    CHECK(fv_portfolio_scan(p, day14, 1, 0, 5, scan_collect, &seen, &untouched) == FV_E_INVALID &&
              strcmp(fv_last_error(), "options.block: must be at least 1") == 0 && untouched == (fv_scan_result*)0x1,
          "%s", fv_last_error());
    CHECK(fv_scan_result_account_indices(r, 4, indices) == FV_OK && indices[0] == 0 && indices[3] == 3,
          "evaluate's indices");
  }

  /* JSON. */
  CHECK(fv_portfolio_worklist_json(p, r, &buf) == FV_OK && buf.ptr != NULL, "%s", fv_last_error());
  if (buf.ptr) {
    const char* b_at = strstr(buf.ptr, "\"account\": \"b\"");
    const char* a_at = strstr(buf.ptr, "\"account\": \"a\"");
    const char* c_at = strstr(buf.ptr, "\"account\": \"c\"");
    CHECK(b_at && a_at && c_at && b_at < a_at && a_at < c_at && !strstr(buf.ptr, "\"account\": \"d\""),
          "worklist JSON order");
    CHECK(strstr(buf.ptr, "\"stalled\": 2") != NULL, "counts in the worklist JSON");
  }
  fv_buf_dispose(&buf);
  CHECK(fv_portfolio_explain_json(p, r, 0, &buf) == FV_OK && buf.ptr &&
            strstr(buf.ptr, "\"onset\": \"2026-09-15\"") && strstr(buf.ptr, "\"primary_signal\": \"planned_users_not_logged_in\""),
        "explain: %.300s", buf.ptr ? buf.ptr : fv_last_error());
  fv_buf_dispose(&buf);
  CHECK(fv_portfolio_explain_json(p, r, 7, &buf) == FV_E_NOT_FOUND && buf.ptr == NULL, "explain 7");

  /* The result outlives its portfolio: columns and text are its own. */
  fv_portfolio_free(p);
  p = NULL;
  /* Cause and action of the primary signal, as tests/cpp/test_portfolio.cpp has them. */
  CHECK(text_is(r, 0, FV_SCAN_SIGNAL, "planned_users_not_logged_in"), "signal");
  CHECK(text_is(r, 0, FV_SCAN_CAUSE, "3 of 4 planned users have not logged in 14 days after signature: u2, u3, u4."),
        "cause");
  CHECK(text_is(r, 0, FV_SCAN_ACTION, "inactive_user_followup"), "action");
  CHECK(text_is(r, 2, FV_SCAN_SIGNAL, "sponsor_latency_rising"), "c's signal");
  CHECK(text_is(r, 2, FV_SCAN_CAUSE, "An email to the sponsor has been unanswered for 2 days; replies took 6 h at the start."),
        "c's cause");
  CHECK(text_is(r, 3, FV_SCAN_SIGNAL, "") && text_is(r, 3, FV_SCAN_ACTION_TEXT, ""), "d has no signal");
  CHECK(text_is(r, 1, FV_SCAN_PLAN_REASON, "on schedule"), "plan reason");
  /* two-call protocol */
  CHECK(fv_scan_result_text(r, 0, FV_SCAN_ACTION_TEXT, NULL, 0, &len) == FV_OK && len > 20, "size %zu", len);
  CHECK(fv_scan_result_text(r, 0, FV_SCAN_ACTION_TEXT, small, sizeof small, &len) == FV_E_BUFFER_TOO_SMALL &&
            len > 20, "small buffer");
  CHECK(fv_scan_result_text(r, 4, FV_SCAN_CAUSE, small, sizeof small, &len) == FV_E_NOT_FOUND &&
            strcmp(fv_last_error(), "account: no account 4 (the result has 4)") == 0, "%s", fv_last_error());
  CHECK(fv_scan_result_text(r, 0, 99, small, sizeof small, &len) == FV_E_INVALID, "field 99");
  {
    /* Band names are the portfolio's model's: here the default one. */
    fv_health_model* model = NULL;
    char expected[32];
    CHECK(fv_health_model_default(&model) == FV_OK, "model");
    for (i = 0; i < 4; ++i) {
      CHECK(fv_health_model_band_name(model, band[i], expected, sizeof expected, &len) == FV_OK, "band %d", band[i]);
      CHECK(text_is(r, i, FV_SCAN_BAND, expected), "band of %zu", i);
    }
    fv_health_model_free(model);
  }

  /* Metric columns. */
  CHECK(fv_metric_count(&n) == FV_OK && n == 20, "%zu metrics", n);
  CHECK(fv_metric_name(0, &name) == FV_OK && strcmp(name, "milestone_progress") == 0, "%s", name);
  CHECK(fv_metric_name(20, &name) == FV_E_NOT_FOUND, "metric 20");
  CHECK(fv_scan_result_metric(r, "active_users", 12, 4, active_users) == FV_OK && active_users[0] == 1 &&
            active_users[1] == 1 && active_users[2] == 4 && active_users[3] == 4, "active users %g %g %g %g",
        active_users[0], active_users[1], active_users[2], active_users[3]);
  CHECK(fv_scan_result_metric(r, "active_users", 12, 2, active_users) == FV_E_INVALID, "wrong count");
  CHECK(fv_scan_result_metric(r, "activ_users", 11, 4, active_users) == FV_E_NOT_FOUND &&
            starts_with(fv_last_error(), "name: no metric \"activ_users\""), "%s", fv_last_error());

  fv_scan_result_free(r);
  table_free(&t);
  fv_portfolio_free(p);
}

static void run_ingest_rules(void) {
  static const char* const accounts[] = {"a", "nobody"};
  const int32_t day14 = SIG_DAY + 14;
  fv_portfolio* p = NULL;
  fv_ingest_report* report = NULL;
  fv_ingest_report* untouched = (fv_ingest_report*)0x1;
  fv_event_batch b, broken;
  table t, bad;
  size_t rejected = 0, accepted = 0, i;
  uint64_t rows[8];
  int8_t reasons[8];
  const uint64_t expected_rows[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int8_t expected_reasons[8] = {FV_REJECT_UNKNOWN_ACCOUNT,   FV_REJECT_UNKNOWN_TYPE, FV_REJECT_BAD_TIMESTAMP,
                                      FV_REJECT_BAD_TIMESTAMP,     FV_REJECT_MISSING_ACTOR, FV_REJECT_BAD_VALUE,
                                      FV_REJECT_UNKNOWN_PLAN_ITEM, FV_REJECT_BAD_VALUE};
  const int32_t bad_codes[2] = {0, 9};
  const char* const null_value[4] = {"a", "b", "c", NULL};
  const char* name = NULL;
  char* before;
  char* after;
  fv_buf json = {NULL, 0};
  fv_status status;

  status = fv_portfolio_from_json(kPortfolioJson, strlen(kPortfolioJson), &p);
  CHECK(status == FV_OK, "%s", fv_last_error());
  if (status != FV_OK) return;
  scan_events(&t);
  b = batch_of(&t);
  CHECK(fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  fv_ingest_report_free(report);
  report = NULL;
  before = results_json(p, day14);

  /* The bad rows of tests/cpp/test_portfolio.cpp; row 0 repeats an event already ingested. */
  table_init(&bad, accounts, 2);
  add(&bad, at(SIG_DAY + 2, 10), 0, T_LOGIN, 0, NULL, NAN);         /* 0 ok (a replay) */
  add(&bad, at(SIG_DAY + 2, 10), 1, T_LOGIN, 0, NULL, NAN);         /* 1 unknown account */
  add(&bad, at(SIG_DAY + 2, 10), 0, T_LOGON, 0, NULL, NAN);         /* 2 unknown type */
  add(&bad, -5, 0, T_LOGIN, 0, NULL, NAN);                          /* 3 before 1970 */
  add(&bad, (int64_t)4102444800 * 1000, 0, T_LOGIN, 0, NULL, NAN);  /* 4 milliseconds */
  add(&bad, at(SIG_DAY + 2, 10), 0, T_LOGIN, -1, NULL, NAN);        /* 5 no user */
  add(&bad, at(SIG_DAY + 2, 10), 0, T_REPLY, A_SPONSOR, NULL, NAN); /* 6 no latency */
  add(&bad, at(SIG_DAY + 2, 10), 0, T_DONE, -1, "kickof", NAN);     /* 7 not in the plan */
  add(&bad, at(SIG_DAY + 2, 10), 0, T_TICKET_OPENED, -1, "T1", 7);  /* 8 severity 7 */
  b = batch_of(&bad);

  /* Strict: over the limit, nothing changes and *out stays untouched. */
  CHECK(fv_portfolio_ingest(p, &b, 1, 0, NULL, NULL, &untouched) == FV_E_INVALID && untouched == (fv_ingest_report*)0x1,
        "strict limit");
  CHECK(starts_with(fv_last_error(), "events: 8 of 9 rows rejected (limit 0); nothing was ingested. First: row 1: "), "%s", fv_last_error());

  status = fv_portfolio_ingest(p, &b, 1, 8, NULL, NULL, &report);
  CHECK(status == FV_OK, "%s", fv_last_error());
  if (status == FV_OK) {
    CHECK(fv_ingest_report_counts(report, NULL, &accepted, &rejected, NULL, NULL) == FV_OK && accepted == 1 &&
              rejected == 8, "accepted %zu rejected %zu", accepted, rejected);
    CHECK(fv_ingest_report_rejected(report, 8, rows, reasons) == FV_OK, "%s", fv_last_error());
    for (i = 0; i < 8; ++i)
      CHECK(rows[i] == expected_rows[i] && reasons[i] == expected_reasons[i], "rejected %zu: row %llu reason %d", i,
            (unsigned long long)rows[i], reasons[i]);
    CHECK(fv_ingest_report_rejected(report, 7, rows, NULL) == FV_E_INVALID &&
              strcmp(fv_last_error(), "n_rejected: has 7 for 8 rejected rows") == 0, "%s", fv_last_error());
    CHECK(fv_ingest_report_rejected(report, 8, NULL, NULL) == FV_OK, "NULL columns");
    CHECK(fv_ingest_report_to_json(report, &json) == FV_OK && json.ptr &&
              strstr(json.ptr, "row 1: unknown account \\\"nobody\\\"") && strstr(json.ptr, "\\\"kickof\\\""),
          "report JSON: %s", json.ptr ? json.ptr : fv_last_error());
    fv_buf_dispose(&json);
    fv_ingest_report_free(report);
  }
  CHECK(fv_reject_reason_name(FV_REJECT_UNKNOWN_PLAN_ITEM, &name) == FV_OK && strcmp(name, "unknown_plan_item") == 0,
        "%s", name);
  CHECK(fv_reject_reason_name(7, &name) == FV_E_INVALID, "reason 7");
  after = results_json(p, day14);
  CHECK(strcmp(before, after) == 0, "a replay and rejected rows changed the results");
  free(after);

  /* Structurally broken batches: FV_E_INVALID, nothing changes, *out untouched. */
  broken = batch_of(&t);
  broken.account.codes = bad_codes;
  broken.n_rows = 2;
  CHECK(fv_portfolio_ingest(p, &broken, 1, FV_NO_LIMIT, NULL, NULL, &untouched) == FV_E_INVALID &&
            untouched == (fv_ingest_report*)0x1, "code out of range");
  CHECK(strcmp(fv_last_error(), "events.account[1]: code 9 is outside its dictionary of 4 values") == 0, "%s",
        fv_last_error());
  broken = batch_of(&t);
  broken.ts = NULL;
  CHECK(fv_portfolio_ingest(p, &broken, 1, FV_NO_LIMIT, NULL, NULL, &untouched) == FV_E_INVALID &&
            strcmp(fv_last_error(), "batch.ts: must not be NULL") == 0, "%s", fv_last_error());
  broken = batch_of(&t);
  broken.account.values = null_value;
  CHECK(fv_portfolio_ingest(p, &broken, 1, FV_NO_LIMIT, NULL, NULL, &untouched) == FV_E_INVALID &&
            strcmp(fv_last_error(), "batch.account.values[3]: must not be NULL") == 0, "%s", fv_last_error());
  broken = batch_of(&t);
  broken.type.codes = NULL;
  CHECK(fv_portfolio_ingest(p, &broken, 1, FV_NO_LIMIT, NULL, NULL, &untouched) == FV_E_INVALID &&
            strcmp(fv_last_error(), "events.type: is required") == 0, "%s", fv_last_error());
  CHECK(untouched == (fv_ingest_report*)0x1, "out written on failure");
  after = results_json(p, day14);
  CHECK(strcmp(before, after) == 0, "a broken batch changed the results");
  free(after);

  /* Zero rows: every pointer may be NULL. */
  memset(&broken, 0, sizeof broken);
  CHECK(fv_portfolio_ingest(p, &broken, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  fv_ingest_report_free(report);

  /* add_accounts_json is all or nothing and names the path. */
  {
    static const char* dup = "[" ACCOUNT_JSON("e", "20000") ", " ACCOUNT_JSON("e", "20000") "]";
    static const char* again = "[" ACCOUNT_JSON("a", "20000") "]";
    static const char* fine = "[" ACCOUNT_JSON("e", "20000") "]";
    size_t n = 0;
    CHECK(fv_portfolio_add_accounts_json(p, dup, strlen(dup)) == FV_E_INVALID &&
              strcmp(fv_last_error(), "accounts[1].key: duplicate account \"e\" (also accounts[0])") == 0,
          "%s", fv_last_error());
    CHECK(fv_portfolio_add_accounts_json(p, again, strlen(again)) == FV_E_INVALID &&
              strcmp(fv_last_error(), "accounts[0].key: account \"a\" is already in the portfolio") == 0, "%s", fv_last_error());
    CHECK(fv_portfolio_account_count(p, &n) == FV_OK && n == 4, "%zu accounts after failed adds", n);
    CHECK(fv_portfolio_find(p, "e", 1, &i) == FV_E_NOT_FOUND, "e added");
    after = results_json(p, day14);
    CHECK(strcmp(before, after) == 0, "a failed add changed the results");
    free(after);
    CHECK(fv_portfolio_add_accounts_json(p, fine, strlen(fine)) == FV_OK, "%s", fv_last_error());
    CHECK(fv_portfolio_account_count(p, &n) == FV_OK && n == 5 && fv_portfolio_find(p, "e", 1, &i) == FV_OK && i == 4,
          "%zu accounts", n);
  }
  free(before);
  table_free(&t);
  table_free(&bad);
  fv_portfolio_free(p);
}

/* Cancels after the first progress tick (2^20 rows) and resubmits. */
typedef struct progress_state {
  int calls;
  int cancel_at;
  size_t last_done, last_total;
} progress_state;

static int on_progress(size_t done, size_t total, void* user_data) {
  progress_state* s = (progress_state*)user_data;
  ++s->calls;
  s->last_done = done;
  s->last_total = total;
  return s->calls != s->cancel_at;
}

static void run_cancel(void) {
  static const char* json =
      "{\"organization\": \"acme\", \"accounts\": [" ACCOUNT_JSON("a", "30000") "]}";
  static const char* const accounts[] = {"a"};
  static const char* const types[] = {"login"};
  const size_t tick = (size_t)1 << 20, n = tick + 3000;
  const int32_t as_of = SIG_DAY + 20;
  fv_portfolio* p = NULL;
  fv_portfolio* cold = NULL;
  fv_ingest_report* report = NULL;
  fv_event_batch b;
  progress_state s = {0, 1, 0, 0};
  int64_t* ts = (int64_t*)malloc(n * sizeof *ts);
  int32_t* zeros = (int32_t*)calloc(n, sizeof *zeros);
  int32_t* actor = (int32_t*)malloc(n * sizeof *actor);
  size_t i, applied = 0, accepted = 0;
  int cancelled = 0;
  char *partial, *warm, *expected;
  fv_status status;

  if (!ts || !zeros || !actor) exit(2);
  /* u1 on 20 days over and over; u2, u3 and u4 only after the first tick. */
  for (i = 0; i < n; ++i) {
    ts[i] = at(SIG_DAY + 1 + (int32_t)(i % 20), 10);
    actor[i] = i < tick ? 0 : 1 + (int32_t)(i % 3);
  }
  memset(&b, 0, sizeof b);
  b.n_rows = n;
  b.ts = ts;
  b.account = column(zeros, accounts, 1);
  b.type = column(zeros, types, 1);
  b.actor = column(actor, kActors, 5);

  CHECK(fv_portfolio_from_json(json, strlen(json), &p) == FV_OK && fv_portfolio_from_json(json, strlen(json), &cold) == FV_OK,
        "%s", fv_last_error());
  if (!p || !cold) return;
  status = fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, on_progress, &s, &report);
  CHECK(status == FV_E_CANCELLED, "status %s", fv_status_name(status));
  CHECK(strcmp(fv_last_error(), "progress: cancelled after 1048576 of 1051576 accepted rows were applied; submit the same batch again to complete it") == 0, "%s", fv_last_error());
  CHECK(report != NULL, "a cancelled ingestion writes its report");
  CHECK(s.calls == 1 && s.last_done == tick && s.last_total == n, "calls %d at %zu of %zu", s.calls, s.last_done,
        s.last_total);
  if (report) {
    CHECK(fv_ingest_report_counts(report, NULL, &accepted, NULL, &applied, &cancelled) == FV_OK && cancelled == 1 &&
              accepted == n && applied == tick, "accepted %zu applied %zu cancelled %d", accepted, applied, cancelled);
    fv_ingest_report_free(report);
    report = NULL;
  }
  partial = results_json(p, as_of);

  s.calls = 0;
  s.cancel_at = -1;
  CHECK(fv_portfolio_ingest(cold, &b, 1, FV_NO_LIMIT, on_progress, &s, &report) == FV_OK, "%s", fv_last_error());
  CHECK(s.calls == 2 && s.last_done == n && s.last_total == n, "calls %d, last at %zu", s.calls, s.last_done);
  CHECK(fv_ingest_report_counts(report, NULL, NULL, NULL, &applied, &cancelled) == FV_OK && applied == n &&
            cancelled == 0, "cold: applied %zu", applied);
  fv_ingest_report_free(report);
  expected = results_json(cold, as_of);
  CHECK(strcmp(partial, expected) != 0, "the cancelled ingestion applied every row");

  CHECK(fv_portfolio_ingest(p, &b, 2, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  fv_ingest_report_free(report);
  warm = results_json(p, as_of);
  CHECK(strcmp(warm, expected) == 0, "resubmitting after a cancel differs from a cold ingestion");
  free(partial);
  free(warm);
  free(expected);
  free(ts);
  free(zeros);
  free(actor);
  fv_portfolio_free(p);
  fv_portfolio_free(cold);
}

static void run_portfolio_conventions(void) {
  static const char* json = "{\"organization\": \"acme\", \"accounts\": [" ACCOUNT_JSON("a", "30000") "]}";
  fv_portfolio* p = NULL;
  fv_portfolio* other = NULL;
  fv_scan_result* r = NULL;
  fv_scan_result* foreign = NULL;
  fv_scan_result* orphan = NULL;
  fv_scan_result* untouched = (fv_scan_result*)0x1;
  fv_portfolio* untouched_p = (fv_portfolio*)0x1;
  fv_event_batch b;
  fv_ingest_report* report = NULL;
  fv_buf buf = {NULL, 0};
  size_t n = 0;
  char key[8];

  fv_portfolio_free(NULL);
  fv_ingest_report_free(NULL);
  fv_scan_result_free(NULL);
  memset(&b, 0, sizeof b);

  CHECK(fv_portfolio_from_json("{\"organization\": \"o\", \"signals\": {\"rules\": [{\"detector\": \"nope\"}]}}", 67,
                               &untouched_p) == FV_E_INVALID && untouched_p == (fv_portfolio*)0x1 &&
            starts_with(fv_last_error(), "signals.rules[0].detector: "), "%s", fv_last_error());
  CHECK(fv_portfolio_from_json(NULL, 4, &untouched_p) == FV_E_INVALID, "NULL json");
  CHECK(fv_portfolio_from_json(json, strlen(json), NULL) == FV_E_INVALID, "NULL out");
  CHECK(fv_portfolio_from_json(json, strlen(json), &p) == FV_OK, "%s", fv_last_error());
  CHECK(fv_portfolio_from_json(json, strlen(json), &other) == FV_OK, "%s", fv_last_error());
  if (!p || !other) return;

  /* NULL handles are named. */
  CHECK(fv_portfolio_account_count(NULL, &n) == FV_E_INVALID && strcmp(fv_last_error(), "portfolio: must not be NULL") == 0,
        "%s", fv_last_error());
  CHECK(fv_portfolio_account_key(NULL, 0, key, sizeof key, &n) == FV_E_INVALID, "NULL portfolio");
  CHECK(fv_portfolio_find(NULL, "a", 1, &n) == FV_E_INVALID, "NULL portfolio");
  CHECK(fv_portfolio_add_accounts_json(NULL, "[]", 2) == FV_E_INVALID, "NULL portfolio");
  CHECK(fv_portfolio_ingest(NULL, &b, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_E_INVALID, "NULL portfolio");
  CHECK(fv_portfolio_ingest(p, NULL, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_E_INVALID &&
            strcmp(fv_last_error(), "batch: must not be NULL") == 0, "%s", fv_last_error());
  CHECK(fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, NULL, NULL, NULL) == FV_E_INVALID, "NULL out");
  CHECK(fv_portfolio_evaluate(NULL, SIG_DAY, 1, &untouched) == FV_E_INVALID && untouched == (fv_scan_result*)0x1,
        "NULL portfolio");
  CHECK(fv_portfolio_evaluate(p, FV_NO_DAY, 1, &untouched) == FV_E_INVALID && untouched == (fv_scan_result*)0x1 &&
            strcmp(fv_last_error(), "as_of: day -2147483648 is outside 1970-2100") == 0, "%s",
        fv_last_error());
  CHECK(fv_portfolio_evaluate(p, 47483, 1, &untouched) == FV_E_INVALID && untouched == (fv_scan_result*)0x1 &&
            strcmp(fv_last_error(), "as_of: day 47483 is outside 1970-2100") == 0, "%s", fv_last_error());
  CHECK(fv_ingest_report_counts(NULL, &n, NULL, NULL, NULL, NULL) == FV_E_INVALID &&
            strcmp(fv_last_error(), "report: must not be NULL") == 0, "%s", fv_last_error());
  CHECK(fv_ingest_report_rejected(NULL, 0, NULL, NULL) == FV_E_INVALID, "NULL report");
  CHECK(fv_ingest_report_to_json(NULL, &buf) == FV_E_INVALID, "NULL report");
  CHECK(fv_scan_result_account_count(NULL, &n) == FV_E_INVALID && strcmp(fv_last_error(), "result: must not be NULL") == 0,
        "%s", fv_last_error());
  CHECK(fv_scan_result_by_state(NULL, &n, NULL, NULL) == FV_E_INVALID, "NULL result");
  CHECK(fv_scan_result_accounts(NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == FV_E_INVALID,
        "NULL result");
  CHECK(fv_scan_result_metric(NULL, "health", 6, 0, NULL) == FV_E_INVALID, "NULL result");
  CHECK(fv_scan_result_worklist_count(NULL, &n) == FV_E_INVALID, "NULL result");
  CHECK(fv_scan_result_worklist(NULL, 0, NULL) == FV_E_INVALID, "NULL result");
  CHECK(fv_scan_result_text(NULL, 0, FV_SCAN_CAUSE, NULL, 0, &n) == FV_E_INVALID, "NULL result");
  CHECK(fv_metric_count(NULL) == FV_E_INVALID && fv_metric_name(0, NULL) == FV_E_INVALID, "NULL out");

  /* A result answers only to the portfolio it came from, even once that one is freed. */
  CHECK(fv_portfolio_evaluate(p, SIG_DAY + 3, 1, &r) == FV_OK, "%s", fv_last_error());
  CHECK(fv_portfolio_evaluate(other, SIG_DAY + 3, 1, &foreign) == FV_OK, "%s", fv_last_error());
  CHECK(fv_portfolio_worklist_json(p, foreign, &buf) == FV_E_INVALID && buf.ptr == NULL &&
            strcmp(fv_last_error(), "result: was evaluated on another portfolio, or before an account was erased") == 0, "%s", fv_last_error());
  CHECK(fv_portfolio_results_json(other, r, &buf) == FV_E_INVALID && buf.ptr == NULL, "results_json");
  CHECK(fv_portfolio_explain_json(other, r, 0, &buf) == FV_E_INVALID && buf.ptr == NULL, "explain_json");
  CHECK(fv_portfolio_worklist_json(NULL, r, &buf) == FV_E_INVALID, "NULL portfolio");
  CHECK(fv_portfolio_worklist_json(p, NULL, &buf) == FV_E_INVALID, "NULL result");
  CHECK(fv_portfolio_worklist_json(p, r, NULL) == FV_E_INVALID, "NULL out");
  CHECK(fv_portfolio_results_json(p, r, &buf) == FV_OK && buf.ptr && buf.size == strlen(buf.ptr), "%s", fv_last_error());
  fv_buf_dispose(&buf);
  fv_portfolio_free(other);
  CHECK(fv_portfolio_from_json(json, strlen(json), &other) == FV_OK, "%s", fv_last_error());
  CHECK(fv_portfolio_worklist_json(other, foreign, &buf) == FV_E_INVALID, "a new portfolio took the freed one's place");
  /* The result itself outlives its portfolio. */
  CHECK(fv_portfolio_evaluate(other, SIG_DAY + 3, 1, &orphan) == FV_OK, "%s", fv_last_error());
  fv_portfolio_free(other);
  CHECK(fv_scan_result_account_count(orphan, &n) == FV_OK && n == 1, "orphan result");
  CHECK(fv_scan_result_text(orphan, 0, FV_SCAN_PLAN_REASON, NULL, 0, &n) == FV_OK && n > 0, "text of an orphan result");
  fv_scan_result_free(orphan);
  fv_scan_result_free(foreign);
  fv_scan_result_free(r);
  fv_portfolio_free(p);
}

/* Days are kept relative to the signature in 16 bits: an event more than
 * 32,000 days from it is a rejected row, never a clamped one. */
static void run_far_from_signature(void) {
  static const char* json = "{\"organization\": \"o\", \"accounts\": [{\"key\": \"late\", \"signature\": \"2099-06-01\", "
      "\"attributes\": {\"sso\": false, \"migrate_data\": false, \"integrations\": 0}}]}";
  static const char* const accounts[] = {"late"};
  fv_portfolio* p = NULL;
  fv_ingest_report* report = NULL;
  fv_event_batch b;
  table t;
  size_t rows = 0, accepted = 0, rejected = 0, applied = 0;
  int cancelled = 1;
  uint64_t rejected_row = 99;
  int8_t reason = -1;

  CHECK(fv_portfolio_from_json(json, strlen(json), &p) == FV_OK, "%s", fv_last_error());
  if (!p) return;
  table_init(&t, accounts, 1);
  add(&t, at(4, 10), 0, T_LOGIN, 0, NULL, NAN);      /* 1970-01-05: 47,267 days before */
  add(&t, at(18262, 10), 0, T_LOGIN, 1, NULL, NAN);  /* 2020-01-01: 29,007 days before, kept */
  b = batch_of(&t);
  CHECK(fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  CHECK(fv_ingest_report_counts(report, &rows, &accepted, &rejected, &applied, &cancelled) == FV_OK && rows == 2 &&
            accepted == 1 && rejected == 1 && applied == 1 && !cancelled,
        "%zu rows, %zu accepted", rows, accepted);
  CHECK(fv_ingest_report_rejected(report, 1, &rejected_row, &reason) == FV_OK && rejected_row == 0 &&
            reason == FV_REJECT_BAD_TIMESTAMP, "row %llu reason %d", (unsigned long long)rejected_row, reason);
  fv_ingest_report_free(report);
  table_free(&t);
  fv_portfolio_free(p);
}

/* firstvalue.h: a negative code means "none" for its row, whatever its value.
 * The scan's events with their -1 codes made other negative values give the
 * same results. */
static void run_negative_codes(void) {
  fv_portfolio* p = NULL;
  fv_portfolio* q = NULL;
  fv_ingest_report* report = NULL;
  table t;
  fv_event_batch b;
  size_t i, changed = 0, rows = 0, accepted = 0, rejected = 0, applied = 0;
  int cancelled = 0;
  char* expected;
  char* got;
  if (fv_portfolio_from_json(kPortfolioJson, strlen(kPortfolioJson), &p) != FV_OK ||
      fv_portfolio_from_json(kPortfolioJson, strlen(kPortfolioJson), &q) != FV_OK) {
    CHECK(0, "%s", fv_last_error());
    fv_portfolio_free(p);
    return;
  }
  scan_events(&t);
  b = batch_of(&t);
  CHECK(fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  fv_ingest_report_free(report);
  report = NULL;
  for (i = 0; i < t.n; ++i) {
    if (t.actor[i] == -1) t.actor[i] = -2 - (int32_t)(i % 5), ++changed;
    if (t.item[i] == -1) t.item[i] = INT32_MIN, ++changed;
  }
  CHECK(changed > 0, "the scan's events have no code to change");
  CHECK(fv_portfolio_ingest(q, &b, 2, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  CHECK(fv_ingest_report_counts(report, &rows, &accepted, &rejected, &applied, &cancelled) == FV_OK &&
            accepted == t.n && applied == t.n,
        "accepted %zu of %zu", accepted, t.n);
  fv_ingest_report_free(report);
  expected = results_json(p, SIG_DAY + 14);
  got = results_json(q, SIG_DAY + 14);
  CHECK(strcmp(expected, got) == 0, "codes below -1 changed the results");
  free(expected);
  free(got);
  table_free(&t);
  fv_portfolio_free(p);
  fv_portfolio_free(q);
}

static void run_portfolio(void) {
  run_scan();
  run_ingest_rules();
  run_negative_codes();
  run_far_from_signature();
  run_cancel();
  run_portfolio_conventions();
}

/* ---- time-to-value, cohorts, Kaplan–Meier (the hand-worked cohort of tests/cpp/test_cohort.cpp) ---- */

static const char* kCohortJson =
    "{\"organization\": \"acme\","
    " \"calendar\": {\"weekend\": [\"sat\", \"sun\"], \"holidays\": [\"2026-09-07\"]},"
    " \"templates\": {\"fallback\": \"t\", \"templates\": [{\"id\": \"t\", \"phases\": [{\"id\": \"p\", \"milestones\": ["
    "  {\"id\": \"ko\", \"kind\": \"kickoff\", \"tasks\": [{\"id\": \"k1\", \"from\": \"start\", \"duration\": 3}]},"
    "  {\"id\": \"fv\", \"kind\": \"first_value\", \"tasks\": [{\"id\": \"f1\", \"depends_on\": [\"k1\"], \"duration\": 5}]},"
    "  {\"id\": \"gl\", \"kind\": \"go_live\", \"condition\": \"has_golive\","
    "   \"tasks\": [{\"id\": \"g1\", \"depends_on\": [\"f1\"], \"duration\": 5}]},"
    "  {\"id\": \"full\", \"kind\": \"full_value\","
    "   \"tasks\": [{\"id\": \"q1\", \"from\": \"start\", \"offset\": 60, \"days\": \"calendar\", \"duration\": 1}]},"
    "  {\"id\": \"hand\", \"kind\": \"handoff\", \"tasks\": [{\"id\": \"h1\", \"depends_on\": [\"f1\"], \"duration\": 2}]}"
    " ]}]}]},"
    " \"accounts\": ["
    "  {\"key\": \"A\", \"signature\": \"2026-09-01\", \"attributes\": {\"has_golive\": true},"
    "   \"progress\": {\"k1\": {\"done\": \"2026-09-04\"}, \"f1\": {\"done\": \"2026-09-15\"}, \"h1\": {\"done\": \"2026-09-16\"}}},"
    "  {\"key\": \"B\", \"signature\": \"2026-09-01\", \"attributes\": {\"has_golive\": true}, \"exit\": \"2026-09-10\","
    "   \"exit_reason\": \"churned\", \"progress\": {\"k1\": {\"done\": \"2026-09-08\"}, \"f1\": {\"done\": \"2026-09-12\"}}},"
    "  {\"key\": \"C\", \"signature\": \"2026-09-01\", \"attributes\": {\"has_golive\": true}, \"exit\": \"2026-10-15\"},"
    "  {\"key\": \"D\", \"signature\": \"2026-09-01\", \"attributes\": {\"has_golive\": false},"
    "   \"progress\": {\"k1\": {\"done\": \"2026-09-11\"}, \"f1\": {\"done\": \"2026-09-11\"}, \"h1\": {\"done\": \"2026-09-18\"}}}"
    " ]}";

/* The JSON object around the first occurrence of `anchor` contains `want`. */
static int object_has(const char* json, const char* anchor, const char* want) {
  const char* at = strstr(json, anchor);
  const char* begin;
  const char* end;
  if (at == NULL) return 0;
  for (begin = at; begin > json && *begin != '{'; --begin) {
  }
  end = strchr(at, '}');
  if (end == NULL) return 0;
  {
    const char* hit = strstr(begin, want);
    return hit != NULL && hit < end;
  }
}

static void run_cohort(void) {
  const int32_t as_of = day_of("2026-10-01");
  fv_portfolio* p = NULL;
  int8_t state[16];
  int32_t day[16], duration[16];
  fv_buf summaries = {NULL, 0}, merged = {NULL, 0}, report = {NULL, 0}, direct = {NULL, 0}, other = {NULL, 0};
  fv_buf untouched = {NULL, 0};
  fv_status status = fv_portfolio_from_json(kCohortJson, strlen(kCohortJson), &p);
  CHECK(status == FV_OK, "cohort portfolio: %s", fv_last_error());
  if (status != FV_OK) return;

  CHECK(fv_portfolio_ttv(p, as_of, FV_DAYS_CALENDAR, 4, state, day, duration) == FV_OK, "%s", fv_last_error());
  /* A: kickoff 3 business days, first value 14 days, go-live open at 30. */
  CHECK(state[0 * 4 + FV_TTV_KICKOFF] == FV_TTV_REACHED && duration[0 * 4 + FV_TTV_KICKOFF] == 3, "A kickoff");
  CHECK(state[0 * 4 + FV_TTV_FIRST_VALUE] == FV_TTV_REACHED && duration[0 * 4 + FV_TTV_FIRST_VALUE] == 14, "A first value");
  CHECK(state[0 * 4 + FV_TTV_GO_LIVE] == FV_TTV_OPEN && duration[0 * 4 + FV_TTV_GO_LIVE] == 30 &&
            day[0 * 4 + FV_TTV_GO_LIVE] == as_of, "A go-live open");
  /* B left on 09-10, before its declared first value. */
  CHECK(state[1 * 4 + FV_TTV_FIRST_VALUE] == FV_TTV_EXITED && duration[1 * 4 + FV_TTV_FIRST_VALUE] == 9, "B exited");
  CHECK(state[2 * 4 + FV_TTV_KICKOFF] == FV_TTV_OPEN && duration[2 * 4 + FV_TTV_KICKOFF] == 21, "C kickoff open");
  CHECK(state[3 * 4 + FV_TTV_GO_LIVE] == FV_TTV_NOT_PLANNED && day[3 * 4 + FV_TTV_GO_LIVE] == FV_NO_DAY, "D no go-live");
  CHECK(fv_portfolio_ttv(p, as_of, FV_DAYS_BUSINESS, 4, NULL, NULL, duration) == FV_OK &&
            duration[0 * 4 + FV_TTV_FIRST_VALUE] == 9, "A first value in business days");
  CHECK(fv_portfolio_ttv(p, as_of, FV_DAYS_BUSINESS, 3, state, day, duration) == FV_E_INVALID &&
            starts_with(fv_last_error(), "n_accounts"), "n_accounts checked: %s", fv_last_error());
  CHECK(fv_portfolio_ttv(p, as_of, 7, 4, state, day, duration) == FV_E_INVALID && starts_with(fv_last_error(), "unit"),
        "unit checked");

  CHECK(fv_portfolio_cohort_summaries_json(p, as_of, "{\"by\": \"all\"}", &summaries) == FV_OK, "%s", fv_last_error());
  CHECK(fv_cohort_report_json(summaries.ptr, NULL, 0.05, &report) == FV_OK, "%s", fv_last_error());
  if (report.ptr != NULL) {
    CHECK(object_has(report.ptr, "\"name\": \"milestone_completion\"", "\"hits\": 7,"), "7 of 12 milestones done");
    CHECK(object_has(report.ptr, "\"name\": \"milestone_completion\"", "\"of\": 12,"), "7 of 12 milestones due");
    CHECK(object_has(report.ptr, "\"name\": \"kickoff_business_days\"", "\"value\": 4.0"), "KM kickoff median 4");
    CHECK(object_has(report.ptr, "\"name\": \"first_value_days\"", "\"meets\": true"), "first value median 14 <= 14");
    CHECK(object_has(report.ptr, "\"point\": \"first_value\"", "\"naive_median\": 12.0"), "naive median 12");
    CHECK(strstr(report.ptr, "\"bottlenecks\": [") != NULL &&
              object_has(strstr(report.ptr, "\"bottlenecks\": ["), "\"delayed\": 3", "\"id\": \"ko\""),
          "kickoff is the worst bottleneck");
  }
  CHECK(fv_portfolio_cohort_report_json(p, as_of, "{\"by\": \"all\"}", "", 0.05, &direct) == FV_OK &&
            report.ptr != NULL && strcmp(direct.ptr, report.ptr) == 0, "one call gives the same report");

  /* Merging with an empty partition changes nothing; unlike summaries refuse. */
  CHECK(fv_portfolio_cohort_summaries_json(p, as_of, "{\"by\": \"all\", \"kickoff_sla\": 3}", &other) == FV_OK,
        "%s", fv_last_error());
  {
    const char* empty = "{\"as_of\": \"2026-10-01\", \"options\": {\"by\": \"all\"}, \"cohorts\": {}}";
    CHECK(fv_cohort_summaries_merge_json(summaries.ptr, empty, &merged) == FV_OK && merged.ptr != NULL &&
              strcmp(merged.ptr, summaries.ptr) == 0, "merge with an empty partition: %s", fv_last_error());
  }
  CHECK(fv_cohort_summaries_merge_json(summaries.ptr, other.ptr, &untouched) == FV_E_INVALID &&
            starts_with(fv_last_error(), "options") && untouched.ptr == NULL, "unlike options: %s", fv_last_error());
  CHECK(fv_cohort_summaries_merge_json(summaries.ptr, "{\"as_of\": \"bad\"}", &untouched) == FV_E_INVALID &&
            starts_with(fv_last_error(), "b.as_of"), "bad summary names b: %s", fv_last_error());
  CHECK(fv_portfolio_cohort_summaries_json(p, as_of, "{\"by\": \"region\"}", &untouched) == FV_E_INVALID &&
            starts_with(fv_last_error(), "options.by"), "bad option: %s", fv_last_error());
  CHECK(fv_cohort_report_json(summaries.ptr, "{\"goals\": 1}", 0.05, &untouched) == FV_E_INVALID &&
            starts_with(fv_last_error(), "benchmarks.goals"), "bad benchmark: %s", fv_last_error());

  fv_buf_dispose(&summaries);
  fv_buf_dispose(&merged);
  fv_buf_dispose(&report);
  fv_buf_dispose(&direct);
  fv_buf_dispose(&other);
  fv_portfolio_free(p);
}

static void run_km(void) {
  /* 1, 2, 2+, 3, 4+: S = 0.8 at 1, 0.6 at 2, 0.3 at 3 (rows 0, 1, 2, 3, 4). */
  const double durations[] = {1, 2, 2, 3, 4};
  const uint8_t events[] = {1, 1, 0, 1, 0};
  const uint8_t bad[] = {1, 2, 0, 1, 0};
  double s[5], at_risk[5], g[5], lower[5], upper[5], t = 0, lo = 0, hi = 0, p = 0;
  size_t n = 0;
  fv_km* km = NULL;
  fv_km* untouched = (fv_km*)0x1;
  fv_km_free(NULL);
  CHECK(fv_km_fit(durations, events, NULL, 5, 0.05, &km) == FV_OK, "%s", fv_last_error());
  if (km == NULL) return;
  CHECK(fv_km_size(km, &n) == FV_OK && n == 5, "rows: %zu", n);
  CHECK(fv_km_column(km, FV_KM_SURVIVAL, NULL, 0, &n) == FV_OK && n == 5, "size query");
  CHECK(fv_km_column(km, FV_KM_SURVIVAL, s, 4, &n) == FV_E_BUFFER_TOO_SMALL, "buffer too small");
  CHECK(fv_km_column(km, FV_KM_SURVIVAL, s, 5, &n) == FV_OK && same(s[0], 1, 1e-15) && same(s[1], 0.8, 1e-15) &&
            same(s[2], 0.6, 1e-15) && same(s[3], 0.3, 1e-15) && same(s[4], 0.3, 1e-15),
        "survival %g %g %g %g %g", s[0], s[1], s[2], s[3], s[4]);
  CHECK(fv_km_column(km, FV_KM_AT_RISK, at_risk, 5, &n) == FV_OK && at_risk[0] == 5 && at_risk[2] == 4 &&
            at_risk[3] == 2 && at_risk[4] == 1, "at risk");
  /* Greenwood: 1/(5*4) at 1, + 1/(4*3) at 2, + 1/(2*1) at 3. */
  CHECK(fv_km_column(km, FV_KM_GREENWOOD, g, 5, &n) == FV_OK && same(g[0], 0, 1e-15) && same(g[1], 0.05, 1e-15) &&
            same(g[2], 0.05 + 1.0 / 12, 1e-15) && same(g[3], 0.55 + 1.0 / 12, 1e-15) && same(g[4], g[3], 0),
        "greenwood %g %g %g %g", g[1], g[2], g[3], g[4]);
  {
    /* The bounds, computed on request: lifelines' exp(-exp(log(-log S) -/+ z sqrt(g) / log S)) at row 3. */
    const double v = log(0.3), z = 1.959963984540054, h = z * sqrt(0.55 + 1.0 / 12) / v;
    CHECK(fv_km_column(km, FV_KM_LOWER, lower, 5, &n) == FV_OK && fv_km_column(km, FV_KM_UPPER, upper, 5, &n) == FV_OK &&
              same(lower[3], exp(-exp(log(-v) - h)), 1e-14) && same(upper[3], exp(-exp(log(-v) + h)), 1e-14) &&
              lower[0] == 1 && upper[0] == 1,
          "bounds %g %g", lower[3], upper[3]);
  }
  CHECK(fv_km_column(km, 99, s, 5, &n) == FV_E_INVALID && starts_with(fv_last_error(), "column"), "bad column");
  CHECK(fv_km_quantile(km, 0.5, &t, &lo, &hi) == FV_OK && t == 3, "median %g", t);
  CHECK(fv_km_quantile(km, 1.5, &t, NULL, NULL) == FV_E_INVALID && starts_with(fv_last_error(), "q"), "bad q");
  CHECK(fv_km_predict(km, 2.5, &p) == FV_OK && same(p, 0.6, 1e-15), "predict %g", p);
  CHECK(fv_km_fit(durations, bad, NULL, 5, 0.05, &untouched) == FV_E_INVALID &&
            starts_with(fv_last_error(), "events[1]") && untouched == (fv_km*)0x1, "bad flag: %s", fv_last_error());
  CHECK(fv_km_fit(NULL, NULL, NULL, 5, 0.05, &untouched) == FV_E_INVALID, "NULL durations");
  fv_km_free(km);
}

/* Per-organization isolation through the C ABI: another organization's
 * account is FV_E_FORBIDDEN on a lookup, in a batch and in added accounts,
 * and a refused call changes nothing. */
static void run_isolation(void) {
  const char* json =
      "{\"organization\": \"acme\", \"accounts\": [{\"key\": \"a\", \"signature\": \"2026-09-01\", "
      "\"planned_users\": [\"u1\", \"u2\"], \"attributes\": {\"sso\": false, \"migrate_data\": false, "
      "\"integrations\": 0}}, {\"key\": \"shared\", \"signature\": \"2026-09-01\", \"attributes\": "
      "{\"sso\": false, \"migrate_data\": false, \"integrations\": 0}}]}";
  const char* globex = "[{\"organization\": \"globex\", \"key\": \"g\", \"signature\": \"2026-09-01\"}]";
  fv_portfolio* p = NULL;
  fv_ingest_report* report = (fv_ingest_report*)0x1;
  fv_scan_result* before = NULL;
  fv_scan_result* after = NULL;
  fv_buf x = {0}, y = {0};
  size_t i = 99, accepted = 0;
  CHECK(fv_portfolio_from_json(json, strlen(json), &p) == FV_OK, "%s", fv_last_error());
  if (!p) return;
  CHECK(fv_portfolio_find_in(p, "acme", 4, "a", 1, &i) == FV_OK && i == 0, "own account: %s", fv_last_error());
  i = 99;
  CHECK(fv_portfolio_find_in(p, "globex", 6, "shared", 6, &i) == FV_E_FORBIDDEN && i == 99 &&
            starts_with(fv_last_error(), "organization: account \"shared\" of organization \"globex\""),
        "%s", fv_last_error());
  CHECK(fv_portfolio_find_in(p, "globex", 6, "nobody", 6, &i) == FV_E_FORBIDDEN && i == 99, "%s", fv_last_error());
  CHECK(fv_portfolio_find_in(p, "acme", 4, "nobody", 6, &i) == FV_E_NOT_FOUND, "%s", fv_last_error());
  CHECK(fv_portfolio_find_in(p, NULL, 3, "a", 1, &i) == FV_E_INVALID, "NULL organization");
  CHECK(fv_portfolio_add_accounts_json(p, globex, strlen(globex)) == FV_E_FORBIDDEN &&
            starts_with(fv_last_error(), "accounts[0].organization: "),
        "%s", fv_last_error());
  CHECK(fv_portfolio_find(p, "g", 1, &i) == FV_E_NOT_FOUND, "refused account not added");

  {
    const int64_t ts[3] = {1788948000, 1789034400, 1789120800}; /* 2026-09-09..11 10:00 */
    const int32_t account[3] = {0, 0, 0}, type[3] = {0, 0, 0}, actor[3] = {0, 1, 1}, mixed[3] = {0, -1, 1};
    const char* accounts[1] = {"a"};
    const char* types[1] = {"login"};
    const char* actors[2] = {"u1", "u2"};
    const char* orgs[2] = {"acme", "globex"};
    fv_event_batch b = {0};
    b.n_rows = 3;
    b.ts = ts;
    b.account = column(account, accounts, 1);
    b.type = column(type, types, 1);
    b.actor = column(actor, actors, 2);
    b.organization = column(mixed, orgs, 2);
    CHECK(fv_portfolio_evaluate(p, SIG_DAY + 30, 1, &before) == FV_OK, "%s", fv_last_error());
    CHECK(fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_E_FORBIDDEN &&
              report == (fv_ingest_report*)0x1 && starts_with(fv_last_error(), "events.organization[2]: "),
          "%s", fv_last_error());
    CHECK(fv_portfolio_evaluate(p, SIG_DAY + 30, 1, &after) == FV_OK, "%s", fv_last_error());
    CHECK(fv_portfolio_results_json(p, before, &x) == FV_OK && fv_portfolio_results_json(p, after, &y) == FV_OK &&
              strcmp(x.ptr, y.ptr) == 0,
          "a refused batch changed the results");
    b.n_rows = 2; /* the portfolio's own rows, and one that names no organization */
    CHECK(fv_portfolio_ingest(p, &b, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
    CHECK(fv_ingest_report_counts(report, NULL, &accepted, NULL, NULL, NULL) == FV_OK && accepted == 2,
          "accepted %zu", accepted);
    fv_ingest_report_free(report);
  }
  {
    /* A result of another organization's portfolio cannot be read through this one. */
    const char* other_json = "{\"organization\": \"globex\"}";
    fv_portfolio* theirs = NULL;
    fv_buf z = {0};
    CHECK(fv_portfolio_from_json(other_json, strlen(other_json), &theirs) == FV_OK, "%s", fv_last_error());
    CHECK(fv_portfolio_worklist_json(theirs, before, &z) == FV_E_FORBIDDEN && z.ptr == NULL &&
              strcmp(fv_last_error(), "result: holds organization \"acme\"'s accounts, not \"globex\"'s") == 0,
          "%s", fv_last_error());
    CHECK(fv_portfolio_explain_json(theirs, before, 0, &z) == FV_E_FORBIDDEN, "%s", fv_last_error());
    fv_portfolio_free(theirs);
  }
  {
    /* Still forbidden once the portfolio that evaluated it is gone: the result names its organization. */
    const char* mine_json = "{\"organization\": \"acme\"}";
    const char* other_json = "{\"organization\": \"globex\"}";
    fv_portfolio* mine = NULL;
    fv_portfolio* theirs = NULL;
    fv_scan_result* orphan = NULL;
    fv_buf z = {0};
    CHECK(fv_portfolio_from_json(mine_json, strlen(mine_json), &mine) == FV_OK &&
              fv_portfolio_evaluate(mine, SIG_DAY + 30, 1, &orphan) == FV_OK, "%s", fv_last_error());
    fv_portfolio_free(mine);
    CHECK(fv_portfolio_from_json(other_json, strlen(other_json), &theirs) == FV_OK, "%s", fv_last_error());
    CHECK(fv_portfolio_worklist_json(theirs, orphan, &z) == FV_E_FORBIDDEN && z.ptr == NULL &&
              strcmp(fv_last_error(), "result: holds organization \"acme\"'s accounts, not \"globex\"'s") == 0,
          "%s", fv_last_error());
    fv_portfolio_free(theirs);
    fv_scan_result_free(orphan);
  }
  fv_buf_dispose(&x);
  fv_buf_dispose(&y);
  fv_scan_result_free(before);
  fv_scan_result_free(after);
  fv_portfolio_free(p);
}

/* PII masking: the shared corpus through the C ABI (every value of a
 * positive line mapped with exactly its text, nothing of a negative line
 * touched), stable tokens, the map and the masked JSON. */
static void run_pii(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/pii/positive.tsv", FV_TEST_DATA_DIR);
  char* text = read_file(path);
  CHECK(text != NULL, "reading %s", path);
  if (text == NULL) return;
  int lines = 0, values = 0, found = 0;
  char* save = NULL;
  for (char* line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#') continue;
    char* f[16];
    const int n = split(line, '\t', f, 16);
    fv_pii_masker* m = NULL;
    CHECK(fv_pii_masker_new(&m) == FV_OK, "masker: %s", fv_last_error());
    fv_buf masked = {0}, map = {0}, back = {0};
    CHECK(fv_pii_masker_mask(m, f[0], strlen(f[0]), &masked) == FV_OK, "%s: %s", f[0], fv_last_error());
    CHECK(fv_pii_masker_map_json(m, &map) == FV_OK, "map: %s", fv_last_error());
    CHECK(fv_pii_masker_unmask(m, masked.ptr, masked.size, &back) == FV_OK && strcmp(back.ptr, f[0]) == 0,
          "%s: unmasked to %s", f[0], back.ptr);
    for (int k = 1; k < n; ++k) {
      /* The value appears in the map as a JSON string, quotes included. */
      char quoted[512];
      snprintf(quoted, sizeof quoted, "\"%s\"", f[k]);
      ++values;
      if (strstr(map.ptr, quoted) != NULL && strstr(masked.ptr, f[k]) == NULL) ++found;
      else CHECK(0, "%s: %s not masked (map %s)", f[0], f[k], map.ptr);
    }
    fv_buf_dispose(&masked);
    fv_buf_dispose(&map);
    fv_buf_dispose(&back);
    fv_pii_masker_free(m);
    ++lines;
  }
  free(text);
  CHECK(lines >= 200 && found == values, "%d lines, %d of %d values masked", lines, found, values);

  snprintf(path, sizeof path, "%s/pii/negative.txt", FV_TEST_DATA_DIR);
  text = read_file(path);
  CHECK(text != NULL, "reading %s", path);
  if (text == NULL) return;
  lines = 0;
  for (char* line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#') continue;
    fv_buf out = {0};
    CHECK(fv_mask_pii(line, strlen(line), &out) == FV_OK && strcmp(out.ptr, line) == 0, "masked \"%s\" to \"%s\"",
          line, out.ptr);
    fv_buf_dispose(&out);
    ++lines;
  }
  free(text);
  CHECK(lines >= 200, "%d negative lines", lines);

  fv_pii_masker* m = NULL;
  fv_buf a = {0}, b = {0}, j = {0};
  fv_pii_masker_new(&m);
  fv_pii_masker_mask(m, "ana@acme.com +44 20 7946 0958", 29, &a);
  fv_pii_masker_mask(m, "+44 (0)20 7946 0958 or ANA@ACME.COM", 35, &b);
  CHECK(strcmp(a.ptr, "<email:1> <phone:1>") == 0, "first text: %s", a.ptr);
  CHECK(strcmp(b.ptr, "<phone:1> or <email:1>") == 0, "second text: %s", b.ptr);
  const char* doc = "{\"cause\":\"call +44 20 7946 0958\",\"arr\":120000}";
  CHECK(fv_pii_masker_mask_json(m, doc, strlen(doc), &j) == FV_OK &&
            strcmp(j.ptr, "{\"cause\":\"call <phone:1>\",\"arr\":120000}") == 0,
        "masked JSON: %s", j.ptr);
  fv_buf_dispose(&a);
  fv_buf_dispose(&b);
  fv_buf_dispose(&j);
  CHECK(fv_pii_masker_mask_json(m, "{", 1, &j) == FV_E_INVALID && j.ptr == NULL, "bad JSON refused");
  CHECK(fv_pii_masker_mask(NULL, "x", 1, &a) == FV_E_INVALID, "NULL masker refused");
  CHECK(fv_mask_pii(NULL, 3, &a) == FV_E_INVALID, "NULL text with a length refused");
  CHECK(fv_mask_pii(NULL, 0, &a) == FV_OK && a.size == 0, "NULL text of length 0 is empty");
  fv_buf_dispose(&a);
  CHECK(fv_mask_pii("x", 1, NULL) == FV_E_INVALID, "NULL out refused");
  fv_pii_masker_free(m);
  fv_pii_masker_free(NULL);
}

/* Snapshots and data-subject requests through the C ABI: a saved portfolio
 * loads back to the same results; damaged or wrongly keyed snapshots are
 * refused with nothing loaded; export holds the account; erase leaves no
 * byte of it in a later snapshot, and another organization can do neither. */
static int holds(const fv_buf* b, const char* needle) {
  const size_t n = strlen(needle);
  size_t k;
  for (k = 0; b->ptr && k + n <= b->size; ++k)
    if (memcmp(b->ptr + k, needle, n) == 0) return 1;
  return 0;
}

static void run_snapshots(void) {
  static const char* json =
      "{\"organization\": \"acme\", \"accounts\": [" ACCOUNT_JSON("a", "30000") ", "
      "{\"key\": \"erase-me-5150\", \"arr\": 50000, \"signature\": \"2026-09-01\", \"planned_users\": "
      "[\"olwen.ridge@erase.example\"], \"attributes\": {\"sso\": false, \"migrate_data\": false, "
      "\"integrations\": 0, \"region\": \"Atlantis-Deep-44\"}}]}";
  uint8_t key[32];
  const char* path = "fv_c_snapshot_test.fvsnap";
  fv_portfolio* p = NULL;
  fv_portfolio* back = NULL;
  fv_portfolio* untouched = (fv_portfolio*)0x1;
  fv_ingest_report* report = NULL;
  fv_scan_result* r1 = NULL;
  fv_scan_result* r2 = NULL;
  fv_buf plain = {0}, again = {0}, sealed = {0}, a = {0}, b = {0}, doc = {0}, receipt = {0}, info = {0};
  table t;
  fv_event_batch batch;
  size_t n = 0, k;
  for (k = 0; k < sizeof key; ++k) key[k] = (uint8_t)(k * 7 + 1);
  CHECK(fv_portfolio_from_json(json, strlen(json), &p) == FV_OK, "%s", fv_last_error());
  if (!p) return;
  scan_events(&t);
  batch = batch_of(&t);
  CHECK(fv_portfolio_ingest(p, &batch, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_OK, "%s", fv_last_error());
  fv_ingest_report_free(report);

  /* A file, plain: the same results back; saving the loaded one gives the same bytes. */
  CHECK(fv_portfolio_save(p, path, NULL, 0) == FV_OK, "save: %s", fv_last_error());
  CHECK(fv_portfolio_load(path, NULL, 0, 0, &back) == FV_OK, "load: %s", fv_last_error());
  CHECK(fv_portfolio_evaluate(p, SIG_DAY + 30, 1, &r1) == FV_OK && fv_portfolio_evaluate(back, SIG_DAY + 30, 1, &r2) == FV_OK &&
            fv_portfolio_results_json(p, r1, &a) == FV_OK && fv_portfolio_results_json(back, r2, &b) == FV_OK &&
            strcmp(a.ptr, b.ptr) == 0, "loaded results differ");
  CHECK(fv_portfolio_save_bytes(p, NULL, 0, &plain) == FV_OK && fv_portfolio_save_bytes(back, NULL, 0, &again) == FV_OK &&
            plain.size == again.size && memcmp(plain.ptr, again.ptr, plain.size) == 0, "snapshot bytes differ");
  CHECK(fv_snapshot_inspect(path, NULL, 0, &info) == FV_OK && holds(&info, "\"accounts\": 2") && holds(&info, "\"encrypted\": false"),
        "inspect: %s", info.ptr ? info.ptr : fv_last_error());
  fv_buf_dispose(&info);
  fv_portfolio_free(back);
  back = NULL;

  /* Encrypted: the key opens it; none, another, or a short one does not, and nothing is loaded. */
  CHECK(fv_portfolio_save(p, path, key, 32) == FV_OK, "%s", fv_last_error());
  CHECK(fv_portfolio_load(path, NULL, 0, 1, &untouched) == FV_E_INVALID && untouched == (fv_portfolio*)0x1 &&
            starts_with(fv_last_error(), "key: is required"), "%s", fv_last_error());
  key[0] ^= 1;
  CHECK(fv_portfolio_load(path, key, 32, 1, &untouched) == FV_E_INVALID && untouched == (fv_portfolio*)0x1 &&
            starts_with(fv_last_error(), "key: does not open"), "%s", fv_last_error());
  key[0] ^= 1;
  CHECK(fv_portfolio_load(path, key, 16, 1, &untouched) == FV_E_INVALID && starts_with(fv_last_error(), "key_len: "),
        "%s", fv_last_error());
  CHECK(fv_portfolio_load(path, NULL, 32, 1, &untouched) == FV_E_INVALID, "NULL key with a length");
  CHECK(fv_portfolio_load(path, key, 32, 1, &back) == FV_OK, "%s", fv_last_error());
  fv_portfolio_free(back);
  back = NULL;
  CHECK(fv_portfolio_save_bytes(p, key, 32, &sealed) == FV_OK && !holds(&sealed, "Atlantis"), "plaintext in the sealed bytes");
  sealed.ptr[sealed.size / 2] ^= 0x10;
  CHECK(fv_portfolio_load_bytes(sealed.ptr, sealed.size, key, 32, 1, &untouched) == FV_E_CORRUPT &&
            untouched == (fv_portfolio*)0x1, "%s", fv_last_error());
  CHECK(fv_portfolio_load_bytes(plain.ptr, plain.size - 1, NULL, 0, 1, &untouched) == FV_E_CORRUPT &&
            starts_with(fv_last_error(), "snapshot: is truncated"), "%s", fv_last_error());
  plain.ptr[8] = 9; /* the format field */
  CHECK(fv_portfolio_load_bytes(plain.ptr, plain.size, NULL, 0, 1, &untouched) == FV_E_UNSUPPORTED &&
            strcmp(fv_status_name(FV_E_UNSUPPORTED), "FV_E_UNSUPPORTED") == 0, "%s", fv_last_error());
  CHECK(fv_portfolio_load_bytes(NULL, 10, NULL, 0, 1, &untouched) == FV_E_INVALID, "NULL data");
  CHECK(fv_portfolio_load_bytes("", 0, NULL, 0, 1, &untouched) == FV_E_INVALID, "empty data");
  CHECK(fv_portfolio_load("no/such/dir/x.fvsnap", NULL, 0, 1, &untouched) == FV_E_NOT_FOUND, "%s", fv_last_error());
  CHECK(fv_portfolio_save(p, NULL, NULL, 0) == FV_E_INVALID && fv_portfolio_save(NULL, path, NULL, 0) == FV_E_INVALID,
        "NULL path or portfolio");

  /* Export and erase: another organization is refused, the account's own gives it all. */
  CHECK(fv_portfolio_export_account(p, "globex", 6, "erase-me-5150", 13, SIG_DAY + 30, &doc) == FV_E_FORBIDDEN &&
            doc.ptr == NULL, "%s", fv_last_error());
  CHECK(fv_portfolio_export_account(p, "acme", 4, "nobody", 6, SIG_DAY + 30, &doc) == FV_E_NOT_FOUND, "%s", fv_last_error());
  CHECK(fv_portfolio_export_account(p, "acme", 4, "erase-me-5150", 13, SIG_DAY + 30, &doc) == FV_OK &&
            holds(&doc, "\"region\": \"Atlantis-Deep-44\"") && holds(&doc, "olwen.ridge@erase.example") &&
            holds(&doc, "\"signal_history\""), "%s", doc.ptr ? doc.ptr : fv_last_error());
  CHECK(fv_portfolio_erase_account(p, "globex", 6, "erase-me-5150", 13, &receipt) == FV_E_FORBIDDEN && receipt.ptr == NULL,
        "%s", fv_last_error());
  /* SHA-256("erase-me-5150"), from sha256sum. */
  CHECK(fv_portfolio_erase_account(p, "acme", 4, "erase-me-5150", 13, &receipt) == FV_OK &&
            holds(&receipt, "\"key_sha256\": \"3de30b7a1776a7746fef3009ef3a520f4b0a6f4838d75db3299d4c6c4e8c1b48\"") &&
            !holds(&receipt, "erase-me"), "%s", receipt.ptr ? receipt.ptr : fv_last_error());
  CHECK(fv_portfolio_account_count(p, &n) == FV_OK && n == 1, "%zu accounts left", n);
  CHECK(fv_portfolio_results_json(p, r1, &doc) == FV_E_INVALID, "a result from before the erase was rendered");
  fv_buf_dispose(&again);
  CHECK(fv_portfolio_save_bytes(p, NULL, 0, &again) == FV_OK && !holds(&again, "erase-me-5150") &&
            !holds(&again, "Atlantis") && !holds(&again, "olwen") && holds(&again, "Sam Sponsor"),
        "the erased account is in a later snapshot");
  CHECK(fv_portfolio_erase_account(p, "acme", 4, "erase-me-5150", 13, NULL) == FV_E_NOT_FOUND, "erased twice");
  remove(path);
  fv_buf_dispose(&plain);
  fv_buf_dispose(&again);
  fv_buf_dispose(&sealed);
  fv_buf_dispose(&a);
  fv_buf_dispose(&b);
  fv_buf_dispose(&doc);
  fv_buf_dispose(&receipt);
  fv_scan_result_free(r1);
  fv_scan_result_free(r2);
  fv_portfolio_free(p);
  table_free(&t);
}

/* Bad input through the C ABI: NULL pointers, zero lengths, freed handles
 * and handles of another type each get FV_E_INVALID with the argument's
 * name, and the portfolio's snapshot is byte for byte what it was. */
static void run_bad_input(void) {
  static const char* json = "{\"organization\": \"acme\", \"accounts\": [" ACCOUNT_JSON("a", "30000") "]}";
  fv_portfolio* p = NULL;
  fv_portfolio* gone = NULL;
  fv_health_model* model = NULL;
  fv_ingest_report* report = (fv_ingest_report*)0x1;
  fv_scan_result* result = (fv_scan_result*)0x1;
  fv_buf before = {0}, after = {0}, out = {0};
  fv_event_batch empty;
  size_t n = 99, i = 99;
  int local = 0;
  memset(&empty, 0, sizeof empty);
  CHECK(fv_portfolio_from_json(json, strlen(json), &p) == FV_OK && fv_health_model_default(&model) == FV_OK, "%s",
        fv_last_error());
  if (!p || !model) return;
  CHECK(fv_portfolio_save_bytes(p, NULL, 0, &before) == FV_OK, "%s", fv_last_error());

  CHECK(fv_portfolio_add_accounts_json(p, NULL, 5) == FV_E_INVALID && starts_with(fv_last_error(), "json_array: must not be NULL"),
        "%s", fv_last_error());
  CHECK(fv_portfolio_add_accounts_json(p, "", 0) == FV_E_INVALID, "empty accounts: %s", fv_last_error());
  CHECK(fv_portfolio_add_accounts_json(p, "[]", 0) == FV_E_INVALID, "zero length: %s", fv_last_error());
  CHECK(fv_portfolio_ingest(p, NULL, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_E_INVALID && report == (fv_ingest_report*)0x1 &&
            starts_with(fv_last_error(), "batch: must not be NULL"), "%s", fv_last_error());
  empty.n_rows = 3; /* rows, but no columns */
  CHECK(fv_portfolio_ingest(p, &empty, 1, FV_NO_LIMIT, NULL, NULL, &report) == FV_E_INVALID && report == (fv_ingest_report*)0x1,
        "%s", fv_last_error());
  CHECK(fv_portfolio_find(p, NULL, 1, &i) == FV_E_INVALID && i == 99, "NULL key");
  CHECK(fv_portfolio_find(p, "a", 1, NULL) == FV_E_INVALID && starts_with(fv_last_error(), "out_index: must not be NULL"),
        "%s", fv_last_error());
  CHECK(fv_portfolio_find(p, "", 0, &i) == FV_E_NOT_FOUND && i == 99, "empty key: %s", fv_last_error());
  CHECK(fv_portfolio_evaluate(p, SIG_DAY, 1, NULL) == FV_E_INVALID, "NULL out");
  CHECK(fv_portfolio_evaluate(p, -1, 1, &result) == FV_E_INVALID && result == (fv_scan_result*)0x1 &&
            starts_with(fv_last_error(), "as_of: "), "%s", fv_last_error());
  CHECK(fv_portfolio_export_account(p, "acme", 4, NULL, 3, SIG_DAY, &out) == FV_E_INVALID && out.ptr == NULL, "NULL key");
  CHECK(fv_portfolio_export_account(p, "acme", 4, "a", 1, SIG_DAY, NULL) == FV_E_INVALID, "NULL out");
  CHECK(fv_portfolio_erase_account(p, NULL, 4, "a", 1, NULL) == FV_E_INVALID, "NULL organization");
  CHECK(fv_portfolio_erase_account(p, "acme", 4, "", 0, NULL) == FV_E_NOT_FOUND, "empty key: %s", fv_last_error());
  CHECK(fv_mask_pii(NULL, 3, &out) == FV_E_INVALID && fv_mask_pii("x", 1, NULL) == FV_E_INVALID, "mask NULLs");
  CHECK(fv_mask_pii(NULL, 0, &out) == FV_OK && out.size == 0, "NULL with length 0 is the empty text");
  fv_buf_dispose(&out);

  /* Event text that is not UTF-8 is quoted with its bytes as \\xNN: the report's JSON and the error stay text. */
  {
    static const int64_t ts[1] = {(int64_t)SIG_DAY * 86400 + 36000};
    static const int32_t zero[1] = {0};
    static const char* const raw_account[1] = {"acct-\xff\xfe"};
    static const char* const login[1] = {"login"};
    static const char* const user[1] = {"u"};
    fv_event_batch raw;
    fv_ingest_report* quoted = NULL;
    fv_buf text = {NULL, 0};
    memset(&raw, 0, sizeof raw);
    raw.n_rows = 1;
    raw.ts = ts;
    raw.account.codes = zero, raw.account.values = raw_account, raw.account.n_values = 1;
    raw.type.codes = zero, raw.type.values = login, raw.type.n_values = 1;
    raw.actor.codes = zero, raw.actor.values = user, raw.actor.n_values = 1;
    CHECK(fv_portfolio_ingest(p, &raw, 1, 0, NULL, NULL, &report) == FV_E_INVALID &&
              strstr(fv_last_error(), "unknown account \"acct-\\xFF\\xFE\"") != NULL, "%s", fv_last_error());
    CHECK(fv_portfolio_ingest(p, &raw, 1, FV_NO_LIMIT, NULL, NULL, &quoted) == FV_OK, "%s", fv_last_error());
    CHECK(fv_ingest_report_to_json(quoted, &text) == FV_OK && text.ptr &&
              strstr(text.ptr, "row 0: unknown account \\\"acct-\\\\xFF\\\\xFE\\\"") != NULL,
          "report JSON: %s", text.ptr ? text.ptr : fv_last_error());
    fv_buf_dispose(&text);
    fv_ingest_report_free(quoted);
  }

  /* Handles: freed, of another type, never created. */
  CHECK(fv_portfolio_from_json(json, strlen(json), &gone) == FV_OK, "%s", fv_last_error());
  fv_portfolio_free(gone);
  CHECK(fv_portfolio_account_count(gone, &n) == FV_E_INVALID && n == 99 &&
            strcmp(fv_last_error(), "portfolio: is not a live handle (it was freed, or never created by firstvalue)") == 0,
        "%s", fv_last_error());
  CHECK(fv_portfolio_evaluate(gone, SIG_DAY, 1, &result) == FV_E_INVALID && result == (fv_scan_result*)0x1, "freed portfolio");
  fv_portfolio_free(gone); /* a second free is refused quietly, not a double free */
  CHECK(fv_portfolio_account_count((fv_portfolio*)(void*)model, &n) == FV_E_INVALID &&
            strcmp(fv_last_error(), "portfolio: is a handle of another type") == 0, "%s", fv_last_error());
  fv_portfolio_free((fv_portfolio*)(void*)model); /* not a portfolio: left alone */
  CHECK(fv_health_model_factor_count(model, &n) == FV_OK && n > 0, "the model survived a free as another type");
  CHECK(fv_portfolio_account_count((fv_portfolio*)(void*)&local, &n) == FV_E_INVALID, "never created");

  CHECK(fv_portfolio_save_bytes(p, NULL, 0, &after) == FV_OK && after.size == before.size &&
            memcmp(after.ptr, before.ptr, before.size) == 0, "bad input changed the portfolio");
  fv_buf_dispose(&before);
  fv_buf_dispose(&after);
  fv_health_model_free(model);
  fv_portfolio_free(p);
}

int main(int argc, char** argv) {
  /* No argument: every section. "core": all but the portfolio; "portfolio": only it. */
  const char* which = argc > 1 ? argv[1] : "all";
  const int core = strcmp(which, "portfolio") != 0, portfolio = strcmp(which, "core") != 0;
  if (core) {
    run_plans();
    run_health_cases();
    run_invalid_models();
    run_conventions();
    run_km();
    run_pii();
  }
  if (portfolio) {
    run_portfolio();
    run_cohort();
    run_isolation();
    run_snapshots();
    run_bad_input();
  }
  printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
  return g_failures == 0 && g_checks > 0 ? 0 : 1;
}
