#include <algorithm>
#include <unordered_set>

#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"
#include "parallel.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

constexpr std::size_t kMaxBands = 127;    // band codes travel as int8
constexpr std::size_t kMaxFactors = 127;  // weakest-factor codes travel as int8

bool is_fraction(double f) { return f >= 0.0 && f <= 1.0; }

void check_points(const std::vector<CurvePoint>& points, std::size_t min_count,
                  const char* list_name) {
  if (points.size() < min_count)
    throw_invalid(list_name, "needs at least " + std::to_string(min_count) +
                                 (min_count == 1 ? " entry" : " points"));
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string path = index_path(list_name, i);
    // Bounded so that spans and slopes stay finite and exact enough.
    if (!(std::fabs(points[i].x) <= 1e15)) throw_invalid(path, "x must be a number within [-1e15, 1e15]");
    if (!is_fraction(points[i].fraction))
      throw_invalid(path, "fraction must be within [0, 1]");
    if (i > 0 && !(points[i].x > points[i - 1].x))
      throw_invalid(path, "x must be increasing");
  }
}

void check_output(std::string_view name, std::size_t size, std::size_t n, bool required) {
  if (size == n) return;
  if (size == 0 && !required) return;
  throw_invalid(join_path("out", name), "has " + std::to_string(size) + " slots for " +
                                            std::to_string(n) + " accounts");
}

// Batch scoring in blocks of accounts, factor by factor, with selects instead
// of branches so the compiler can vectorise the inner loops. The arithmetic
// and the order of the sums are exactly those of HealthModel::score_one (which
// explain uses), so batch and explain agree to the last bit: adding +0.0 for a
// factor that does not count leaves a non-negative sum unchanged.
class BlockKernel {
 public:
  static constexpr std::size_t kBlock = 512;

  BlockKernel(const HealthModel& model, const std::vector<const double*>& cols) {
    const MissingPolicy policy = model.missing_policy();
    renormalize_ = policy == MissingPolicy::renormalize;
    total_ = model.total_weight();
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const Factor& f = model.factors()[k];
      Plan p;
      p.x = cols[k];
      p.w = f.weight;
      p.missing_sum = policy == MissingPolicy::neutral ? f.weight * 0.5 : 0.0;
      p.missing_loss = policy == MissingPolicy::neutral ? f.weight * 0.5
                                                        : (policy == MissingPolicy::zero ? f.weight : 0.0);
      p.curve = &f.curve;
      const auto& pts = f.curve.points();
      p.two_point = f.curve.kind() == Curve::Kind::linear && pts.size() == 2;
      if (p.two_point) {
        p.x0 = pts[0].x;
        p.y0 = pts[0].fraction;
        p.x1 = pts[1].x;
        p.y1 = pts[1].fraction;
        p.slope = (p.y1 - p.y0) / (p.x1 - p.x0);  // the value Curve precomputes
      }
      plans_.push_back(p);
    }
    for (std::size_t b = 0; b + 1 < model.bands().size(); ++b)
      thresholds_.push_back(model.bands()[b].min - kBandTolerance);
  }

  void run(std::size_t begin, std::size_t end, const ScoreOutput& out, std::span<const double> previous) const {
    for (std::size_t b = begin; b < end; b += kBlock) block(b, std::min(end, b + kBlock), out, previous);
  }

 private:
  struct Plan {
    const double* x;
    double w, missing_sum, missing_loss;
    const Curve* curve;
    bool two_point;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0, slope = 0;
  };

  // Band code = the number of band lower bounds the score falls below: with
  // bounds sorted downwards this is band_of's first match, without a branch.
  void fractions(const Plan& p, const double* x, std::size_t m, double* frac) const noexcept {
    if (p.two_point) {
      const double x0 = p.x0, x1 = p.x1, y0 = p.y0, y1 = p.y1, slope = p.slope;
      for (std::size_t i = 0; i < m; ++i) {
        const double v = x[i];
        const double t = slope * (v - x0) + y0;
        double f = v <= x0 ? y0 : t;
        f = v >= x1 ? y1 : f;
        frac[i] = f;
      }
      return;
    }
    for (std::size_t i = 0; i < m; ++i) frac[i] = x[i] == x[i] ? (*p.curve)(x[i]) : 0.0;
  }

  // Band codes for a block, threshold by threshold; see band_code.
  void band_codes(const double* score, std::size_t m, double* code) const noexcept {
    for (std::size_t i = 0; i < m; ++i) code[i] = 0;
    for (const double t : thresholds_)
      for (std::size_t i = 0; i < m; ++i) code[i] += score[i] < t ? 1.0 : 0.0;
    for (std::size_t i = 0; i < m; ++i) code[i] = score[i] != score[i] ? -1.0 : code[i];
  }

  void block(std::size_t begin, std::size_t end, const ScoreOutput& out,
             std::span<const double> previous) const noexcept {
    const std::size_t m = end - begin;
    // Codes are kept as doubles inside the block so that every lane of the
    // vectorised loops has the same width.
    alignas(64) double sum[kBlock], present[kBlock], worst[kBlock], frac[kBlock], weakest[kBlock], loss[kBlock];
    for (std::size_t i = 0; i < m; ++i) {
      sum[i] = 0;
      present[i] = 0;
      worst[i] = 0;
      weakest[i] = -1;
    }
    for (std::size_t k = 0; k < plans_.size(); ++k) {
      const Plan& p = plans_[k];
      const double* x = p.x + begin;
      fractions(p, x, m, frac);
      const double w = p.w, ms = p.missing_sum, ml = p.missing_loss;
      for (std::size_t i = 0; i < m; ++i) {
        const double f = frac[i];
        sum[i] += std::isnan(x[i]) ? ms : w * f;
        present[i] += std::isnan(x[i]) ? 0.0 : w;
        loss[i] = std::isnan(x[i]) ? ml : w * (1.0 - f);
      }
      // The first factor with the largest loss, as score_one's strict `>`
      // keeps it. Separate single-select loops: GCC 12 vectorises those but
      // not two selects on one comparison.
      const auto code = static_cast<double>(k);
      for (std::size_t i = 0; i < m; ++i) weakest[i] = loss[i] > worst[i] ? code : weakest[i];
      for (std::size_t i = 0; i < m; ++i) worst[i] = worst[i] < loss[i] ? loss[i] : worst[i];
    }
    double* score = out.score.data() + begin;
    for (std::size_t i = 0; i < m; ++i) {
      const double denom = renormalize_ ? present[i] : total_;
      double s = 100.0 * sum[i] / denom;
      s = s < 0 ? 0 : (s > 100 ? 100 : s);
      score[i] = present[i] == 0 ? kNaN : s;
    }
    if (!out.coverage.empty()) {
      double* coverage = out.coverage.data() + begin;
      for (std::size_t i = 0; i < m; ++i) coverage[i] = present[i] / total_;
    }
    if (!out.weakest.empty()) {
      std::int8_t* w = out.weakest.data() + begin;
      for (std::size_t i = 0; i < m; ++i) w[i] = static_cast<std::int8_t>(present[i] == 0 ? -1.0 : weakest[i]);
    }
    double* codes = frac;  // the fractions are no longer needed
    if (!out.band.empty() || !out.band_change.empty()) band_codes(score, m, codes);
    if (!out.band.empty()) {
      std::int8_t* band = out.band.data() + begin;
      for (std::size_t i = 0; i < m; ++i) band[i] = static_cast<std::int8_t>(codes[i]);
    }
    if (previous.empty()) return;
    const double* prev = previous.data() + begin;
    if (!out.delta.empty()) {
      double* delta = out.delta.data() + begin;
      for (std::size_t i = 0; i < m; ++i) delta[i] = score[i] - prev[i];
    }
    if (!out.band_change.empty()) {
      double* before = worst;  // reused as scratch
      band_codes(prev, m, before);
      std::int8_t* change = out.band_change.data() + begin;
      for (std::size_t i = 0; i < m; ++i)
        change[i] = static_cast<std::int8_t>(codes[i] < 0 || before[i] < 0 ? 0.0 : before[i] - codes[i]);
    }
  }

  bool renormalize_ = true;
  double total_ = 0;
  std::vector<Plan> plans_;
  std::vector<double> thresholds_;
};

}  // namespace

std::string_view to_string(MissingPolicy policy) noexcept {
  switch (policy) {
    case MissingPolicy::renormalize: return "renormalize";
    case MissingPolicy::zero: return "zero";
    case MissingPolicy::neutral: return "neutral";
  }
  return "renormalize";
}

std::optional<MissingPolicy> parse_missing_policy(std::string_view text) noexcept {
  if (text == "renormalize") return MissingPolicy::renormalize;
  if (text == "zero") return MissingPolicy::zero;
  if (text == "neutral") return MissingPolicy::neutral;
  return std::nullopt;
}

Curve::Curve(Kind kind, std::vector<CurvePoint> points) : kind_(kind), points_(std::move(points)) {
  if (kind_ == Kind::linear) {
    slopes_.reserve(points_.size() - 1);
    for (std::size_t j = 0; j + 1 < points_.size(); ++j)
      slopes_.push_back((points_[j + 1].fraction - points_[j].fraction) /
                        (points_[j + 1].x - points_[j].x));
  }
}

Curve Curve::linear(std::vector<CurvePoint> points) {
  check_points(points, 2, "points");
  return Curve(Kind::linear, std::move(points));
}

Curve Curve::steps(std::vector<CurvePoint> tiers) {
  check_points(tiers, 1, "tiers");
  return Curve(Kind::steps, std::move(tiers));
}

HealthModel::HealthModel(std::string name, std::vector<Factor> factors, std::vector<Band> bands,
                         MissingPolicy missing)
    : name_(std::move(name)),
      factors_(std::move(factors)),
      bands_(std::move(bands)),
      missing_(missing) {
  if (factors_.empty()) throw_invalid("factors", "a model needs at least one factor");
  if (factors_.size() > kMaxFactors)
    throw_invalid("factors", "at most " + std::to_string(kMaxFactors) + " factors");
  std::unordered_set<std::string_view> seen;
  for (std::size_t k = 0; k < factors_.size(); ++k) {
    const Factor& f = factors_[k];
    const std::string path = index_path("factors", k);
    if (f.name.empty()) throw_invalid(join_path(path, "name"), "must not be empty");
    if (!seen.insert(f.name).second)
      throw_invalid(join_path(path, "name"), "duplicate factor " + detail::quoted(f.name));
    // Bounded so that no weighted sum can overflow or lose the smaller weights.
    if (!(f.weight > 0)) throw_invalid(join_path(path, "weight"), "must be > 0");
    if (!(f.weight >= 1e-9 && f.weight <= 1e9))
      throw_invalid(join_path(path, "weight"), "must be between 1e-9 and 1e9");
    weights_.push_back(f.weight);
    total_weight_ += f.weight;
  }
  if (bands_.empty()) throw_invalid("bands", "a model needs at least one band");
  if (bands_.size() > kMaxBands)
    throw_invalid("bands", "at most " + std::to_string(kMaxBands) + " bands");
  for (std::size_t b = 0; b < bands_.size(); ++b) {
    const std::string path = index_path("bands", b);
    const Band& band = bands_[b];
    if (band.name.empty()) throw_invalid(join_path(path, "name"), "must not be empty");
    if (band.name == "unknown")
      throw_invalid(join_path(path, "name"), "\"unknown\" is reserved for scores with no data");
    if (!(band.min >= 0 && band.min <= 100))
      throw_invalid(join_path(path, "min"), "must be within [0, 100]");
    for (std::size_t a = 0; a < b; ++a)
      if (bands_[a].name == band.name)
        throw_invalid(join_path(path, "name"), "duplicate band " + detail::quoted(band.name));
    if (b > 0 && band.min == bands_[b - 1].min)
      throw_invalid(join_path(path, "min"),
                    "overlaps band " + detail::quoted(bands_[b - 1].name) + " (same lower bound)");
    if (b > 0 && band.min > bands_[b - 1].min)
      throw_invalid(join_path(path, "min"),
                    "bands must be ordered from the highest lower bound to the lowest");
  }
  if (bands_.back().min != 0)
    throw_invalid(index_path("bands", bands_.size() - 1) + ".min",
                  "the lowest band must start at 0 so that every score has a band");
}

HealthModel HealthModel::default_model() {
  std::vector<Factor> factors{
      {"milestone_progress", 30, Curve::linear({{0, 0}, {1, 1}}),
       "share of due milestones completed on schedule, 0-1"},
      {"user_adoption", 25, Curve::linear({{0, 0}, {0.8, 1}}),
       "share of provisioned seats active in the last 7 days, 0-1"},
      {"engagement_quality", 25, Curve::linear({{0, 0}, {5, 1}}),
       "active days per week of the active users, 0-7"},
      {"value_realization", 20, Curve::linear({{0, 0}, {1, 1}}),
       "share of first-value criteria met, 0-1"},
  };
  std::vector<Band> bands{{"excellent", "green", 80},
                          {"on_track", "yellow", 60},
                          {"at_risk", "orange", 40},
                          {"critical", "red", 0}};
  return HealthModel("default", std::move(factors), std::move(bands), MissingPolicy::renormalize);
}

std::optional<std::size_t> HealthModel::factor_index(std::string_view name) const noexcept {
  for (std::size_t k = 0; k < factors_.size(); ++k)
    if (factors_[k].name == name) return k;
  return std::nullopt;
}

std::vector<std::size_t> HealthModel::resolve_columns(std::span<const Column> inputs,
                                                      std::size_t& n_accounts) const {
  constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);
  std::vector<std::size_t> column_of(factors_.size(), kAbsent);
  bool sized = false;
  for (std::size_t c = 0; c < inputs.size(); ++c) {
    const std::string name(inputs[c].name);
    const std::string path = join_path("inputs", name.empty() ? index_path("", c) : name);
    const auto k = factor_index(name);
    if (!k) throw_invalid(path, "unknown factor " + detail::quoted(name) + " in model " + detail::quoted(name_));
    if (column_of[*k] != kAbsent) throw_invalid(path, "given twice");
    if (!sized) {
      n_accounts = inputs[c].values.size();
      sized = true;
    } else if (inputs[c].values.size() != n_accounts) {
      throw_invalid(path, "has " + std::to_string(inputs[c].values.size()) +
                              " values where the other inputs have " +
                              std::to_string(n_accounts));
    }
    if (inputs[c].values.data() == nullptr && !inputs[c].values.empty())
      throw_invalid(path, "values pointer is null");
    column_of[*k] = c;
  }
  for (std::size_t k = 0; k < factors_.size(); ++k)
    if (column_of[k] == kAbsent)
      throw_invalid(join_path("inputs", factors_[k].name),
                    "missing input for factor " + detail::quoted(factors_[k].name));
  if (!sized) n_accounts = 0;
  return column_of;
}

void HealthModel::score(std::span<const Column> inputs, const ScoreOutput& out,
                        const ScoreOptions& options) const {
  std::size_t n = 0;
  const std::vector<std::size_t> column_of = resolve_columns(inputs, n);
  check_output("score", out.score.size(), n, true);
  check_output("band", out.band.size(), n, false);
  check_output("coverage", out.coverage.size(), n, false);
  check_output("weakest", out.weakest.size(), n, false);
  const bool trend = !options.previous.empty();
  if (trend && options.previous.size() != n)
    throw_invalid("previous", "has " + std::to_string(options.previous.size()) +
                                  " values for " + std::to_string(n) + " accounts");
  if (!trend && (!out.delta.empty() || !out.band_change.empty()))
    throw_invalid("previous", "the trend outputs need the previous scores");
  check_output("delta", out.delta.size(), n, false);
  check_output("band_change", out.band_change.size(), n, false);

  std::vector<const double*> cols(factors_.size());
  for (std::size_t k = 0; k < factors_.size(); ++k) cols[k] = inputs[column_of[k]].values.data();
  const BlockKernel kernel(*this, cols);

  // Below kMinPerThread accounts a thread costs more than it saves; ranges
  // start on block boundaries so every thread works on whole cache lines.
  constexpr std::size_t kMinPerThread = 1u << 15;
  detail::parallel_ranges(n, options.threads, kMinPerThread, BlockKernel::kBlock,
                          [&](std::size_t begin, std::size_t end) { kernel.run(begin, end, out, options.previous); });
}

ScoreResult HealthModel::score(std::span<const Column> inputs, const ScoreOptions& options) const {
  std::size_t n = 0;
  resolve_columns(inputs, n);
  ScoreResult r;
  r.score.resize(n);
  r.band.resize(n);
  r.coverage.resize(n);
  r.weakest.resize(n);
  ScoreOutput out{r.score, r.band, r.coverage, r.weakest, {}, {}};
  if (!options.previous.empty()) {
    r.delta.resize(n);
    r.band_change.resize(n);
    out.delta = r.delta;
    out.band_change = r.band_change;
  }
  score(inputs, out, options);
  return r;
}

Explanation HealthModel::explain(std::span<const NamedValue> inputs, double previous_score) const {
  std::vector<double> row(factors_.size(), kNaN);
  std::vector<bool> given(factors_.size(), false);
  for (std::size_t c = 0; c < inputs.size(); ++c) {
    const std::string name(inputs[c].name);
    const auto k = factor_index(name);
    const std::string path = join_path("inputs", name.empty() ? index_path("", c) : name);
    if (!k) throw_invalid(path, "unknown factor " + detail::quoted(name) + " in model " + detail::quoted(name_));
    if (given[*k]) throw_invalid(path, "given twice");
    given[*k] = true;
    row[*k] = inputs[c].value;
  }
  for (std::size_t k = 0; k < factors_.size(); ++k)
    if (!given[k])
      throw_invalid(join_path("inputs", factors_[k].name),
                    "missing input for factor " + detail::quoted(factors_[k].name));

  const AccountResult r = score_one(row.data());
  Explanation e;
  e.model = name_;
  e.missing_policy = missing_;
  e.score = r.score;
  e.coverage = r.coverage;
  e.band = band_of(r.score);
  e.band_name = std::string(band_name(e.band));
  if (e.band >= 0) e.band_color = bands_[static_cast<std::size_t>(e.band)].color;

  const bool any = !std::isnan(r.score);
  const double present_w = r.coverage * total_weight_;
  const double denom = missing_ == MissingPolicy::renormalize ? present_w : total_weight_;
  for (std::size_t k = 0; k < factors_.size(); ++k) {
    FactorExplanation f;
    f.name = factors_[k].name;
    f.input = row[k];
    f.missing = std::isnan(row[k]);
    if (!f.missing) {
      f.fraction = factors_[k].curve(row[k]);
    } else if (missing_ == MissingPolicy::neutral) {
      f.fraction = 0.5;
    } else if (missing_ == MissingPolicy::zero) {
      f.fraction = 0.0;
    }
    const bool counts = any && (!f.missing || missing_ != MissingPolicy::renormalize);
    if (counts) {
      f.weight_share = weights_[k] / denom;
      f.max_points = 100.0 * f.weight_share;
      f.points = f.max_points * f.fraction;
      f.lost = f.max_points - f.points;
    }
    e.factors.push_back(std::move(f));
  }
  e.weakest = r.weakest;
  if (e.weakest >= 0) e.weakest_name = factors_[static_cast<std::size_t>(e.weakest)].name;

  e.previous_score = previous_score;
  e.delta = r.score - previous_score;
  e.previous_band = band_of(previous_score);
  e.previous_band_name = std::string(band_name(e.previous_band));
  e.band_change = e.band < 0 || e.previous_band < 0 ? 0 : e.previous_band - e.band;
  return e;
}

}  // namespace firstvalue
