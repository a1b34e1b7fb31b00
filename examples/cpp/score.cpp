// Scores three accounts with the seed model through the C++ API.
#include <cstdio>
#include <vector>

#include "firstvalue/firstvalue.hpp"

int main() {
  namespace fv = firstvalue;
  const fv::HealthModel model = fv::HealthModel::default_model();
  const std::vector<double> progress{0.95, 0.6, 0.2}, adoption{0.85, 0.5, fv::kNaN}, days{4.5, 3.0, 0.5},
      value{1.0, 0.5, 0.0};
  const std::vector<fv::Column> inputs{{"milestone_progress", progress},
                                       {"user_adoption", adoption},
                                       {"engagement_quality", days},
                                       {"value_realization", value}};
  try {
    const fv::ScoreResult r = model.score(inputs);
    for (std::size_t i = 0; i < r.score.size(); ++i)
      std::printf("account %zu: score %5.1f  %s\n", i + 1, r.score[i], std::string(model.band_name(r.band[i])).c_str());
  } catch (const fv::Error& e) {
    std::fprintf(stderr, "firstvalue: %s\n", e.what());
    return 1;
  }
  std::printf("firstvalue %s\n", fv::version_string);
  return 0;
}
