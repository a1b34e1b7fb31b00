/* The C ABI driven from C99: the shared hand-worked cases, the invalid models,
 * and the ABI conventions (status codes, last error, ownership, NULL handling). */
#include <math.h>
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

int main(void) {
  run_plans();
  run_health_cases();
  run_invalid_models();
  run_conventions();
  printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
  return g_failures == 0 ? 0 : 1;
}
