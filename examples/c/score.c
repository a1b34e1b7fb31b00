/* Scores three accounts with the seed model through the C ABI and explains the
 * weakest one. Build against an installed firstvalue with CMake
 * (find_package(firstvalue) + firstvalue::firstvalue_c) or with
 *   cc score.c $(pkg-config --cflags --libs firstvalue)                      */
#include <math.h>
#include <stdio.h>

#include "firstvalue.h"

int main(void) {
  const char* names[4] = {"milestone_progress", "user_adoption", "engagement_quality", "value_realization"};
  const double progress[3] = {0.95, 0.6, 0.2};
  const double adoption[3] = {0.85, 0.5, NAN}; /* NAN: no seat data yet for the third account */
  const double days[3] = {4.5, 3.0, 0.5};
  const double value[3] = {1.0, 0.5, 0.0};
  const double* columns[4];
  double score[3], coverage[3];
  int8_t band[3], weakest[3];
  fv_health_model* model = NULL;
  fv_buf why = {NULL, 0};
  char band_name[32], factor[64];
  size_t len = 0;
  int i, worst = 0;

  columns[0] = progress;
  columns[1] = adoption;
  columns[2] = days;
  columns[3] = value;
  if (fv_health_model_default(&model) != FV_OK ||
      fv_health_model_score(model, names, columns, 4, 3, NULL, 1, score, band, coverage, weakest, NULL, NULL) !=
          FV_OK) {
    fprintf(stderr, "firstvalue: %s\n", fv_last_error());
    fv_health_model_free(model);
    return 1;
  }
  for (i = 0; i < 3; ++i) {
    fv_health_model_band_name(model, band[i], band_name, sizeof band_name, &len);
    if (weakest[i] >= 0) fv_health_model_factor_name(model, (size_t)weakest[i], factor, sizeof factor, &len);
    printf("account %d: score %5.1f  %-9s  coverage %3.0f%%  weakest %s\n", i + 1, score[i], band_name,
           100 * coverage[i], weakest[i] >= 0 ? factor : "-");
    if (score[i] < score[worst]) worst = i;
  }
  {
    const double row[4] = {progress[worst], adoption[worst], days[worst], value[worst]};
    if (fv_health_model_explain(model, names, row, 4, NAN, &why) == FV_OK) printf("why account %d:\n%s\n", worst + 1, why.ptr);
  }
  fv_buf_dispose(&why);
  fv_health_model_free(model);
  return 0;
}
