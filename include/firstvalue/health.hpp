#pragma once
// The weighted health model: factors with scoring curves, bands, and an
// explicit missing-data policy. The per-account kernel lives here, in the
// header, because it is the hot loop; parsing and the batch driver live in src/.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace firstvalue {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A score within this distance below a band's lower bound still belongs to the
// band: a hand-exact 80 that floating point renders as 79.99999999999999 must
// read `excellent`, while 79.99 stays `on_track`.
inline constexpr double kBandTolerance = 1e-9;

// What a factor scores when its input is NaN.
enum class MissingPolicy : std::uint8_t {
  renormalize,  // score over the present factors only, rescaled to 0-100
  zero,         // a missing factor scores 0 points
  neutral,      // a missing factor scores half its points
};
std::string_view to_string(MissingPolicy policy) noexcept;
std::optional<MissingPolicy> parse_missing_policy(std::string_view text) noexcept;

// One point of a curve: raw input x maps to a fraction (0-1) of the factor's points.
// For a step curve, x is the inclusive lower bound of a tier.
struct CurvePoint {
  double x = 0;
  double fraction = 0;
  bool operator==(const CurvePoint&) const = default;
};

// Maps a raw input to a fraction of the factor's points, clamped at both ends.
class Curve {
 public:
  enum class Kind : std::uint8_t { linear, steps };

  // Validates; a rejection carries a path relative to the curve (`points[2]`).
  static Curve linear(std::vector<CurvePoint> points);
  static Curve steps(std::vector<CurvePoint> tiers);

  Kind kind() const noexcept { return kind_; }
  const std::vector<CurvePoint>& points() const noexcept { return points_; }

  // Same arithmetic as numpy.interp for linear curves (slope × (x − xⱼ) + fⱼ on
  // the segment xⱼ ≤ x < xⱼ₊₁), so a node maps exactly to its fraction.
  // Defined for non-NaN x; ±inf clamp to the ends.
  double operator()(double x) const noexcept {
    const CurvePoint* p = points_.data();
    const std::size_t last = points_.size() - 1;
    if (kind_ == Kind::steps) {
      std::size_t j = 0;
      while (j < last && x >= p[j + 1].x) ++j;
      return p[j].fraction;
    }
    if (x <= p[0].x) return p[0].fraction;
    if (x >= p[last].x) return p[last].fraction;
    std::size_t j = 0;
    while (x >= p[j + 1].x) ++j;
    return slopes_[j] * (x - p[j].x) + p[j].fraction;
  }

  bool operator==(const Curve& other) const noexcept {
    return kind_ == other.kind_ && points_ == other.points_;
  }

 private:
  Curve(Kind kind, std::vector<CurvePoint> points);

  Kind kind_ = Kind::linear;
  std::vector<CurvePoint> points_;
  std::vector<double> slopes_;  // per linear segment, precomputed once
};

struct Factor {
  std::string name;
  double weight = 1;
  Curve curve = Curve::linear({{0, 0}, {1, 1}});
  std::string description;  // optional: what the raw input is
  bool operator==(const Factor&) const = default;
};

struct Band {
  std::string name;
  std::string color;
  double min = 0;  // inclusive lower bound on the 0-100 score
  bool operator==(const Band&) const = default;
};

// A named input column: one value per account.
struct Column {
  std::string_view name;
  std::span<const double> values;
};

// A named input value for one account.
struct NamedValue {
  std::string_view name;
  double value = kNaN;
};

// Caller-owned output buffers for batch scoring. `score` is required; every
// other span may be empty (not wanted) or must have one slot per account.
struct ScoreOutput {
  std::span<double> score;
  std::span<std::int8_t> band;         // index into HealthModel::bands(); -1 = unknown
  std::span<double> coverage;          // share of total weight that was present
  std::span<std::int8_t> weakest;      // factor that lost the most points; -1 = none lost any
  std::span<double> delta;             // score − previous score (needs ScoreOptions::previous)
  std::span<std::int8_t> band_change;  // bands moved since previous: +n up, −n down, 0 same/unknown
};

struct ScoreOptions {
  std::span<const double> previous;  // previous scores, for the trend outputs
  unsigned threads = 1;              // 0 = one per hardware thread
};

// An allocating convenience over ScoreOutput.
struct ScoreResult {
  std::vector<double> score;
  std::vector<std::int8_t> band;
  std::vector<double> coverage;
  std::vector<std::int8_t> weakest;
  std::vector<double> delta;            // filled only when previous scores were given
  std::vector<std::int8_t> band_change; // idem
};

struct FactorExplanation {
  std::string name;
  double input = kNaN;    // the raw input, NaN when missing
  bool missing = false;
  double fraction = kNaN; // fraction applied: curve(input), or the policy's value when missing
  double points = 0;      // contribution to the score
  double max_points = 0;  // what the factor could have contributed for this account
  double weight_share = 0;// effective share of the weight (renormalised when factors are missing)
  double lost = 0;        // max_points − points
};

// Why an account has its score. Points add up to the score; max points add up
// to 100 (or 0 when nothing is known).
struct Explanation {
  std::string model;
  MissingPolicy missing_policy = MissingPolicy::renormalize;
  double score = kNaN;
  int band = -1;
  std::string band_name = "unknown";
  std::string band_color;
  double coverage = 0;
  std::vector<FactorExplanation> factors;
  int weakest = -1;        // index into factors; -1 when no factor lost points
  std::string weakest_name;
  double previous_score = kNaN;
  double delta = kNaN;
  int previous_band = -1;
  std::string previous_band_name = "unknown";
  int band_change = 0;

  std::string to_json(int indent = 2) const;
};

class HealthModel {
 public:
  // Validates everything; a rejection names the path (`factors[1].weight: must be > 0`).
  HealthModel(std::string name, std::vector<Factor> factors, std::vector<Band> bands,
              MissingPolicy missing = MissingPolicy::renormalize);

  // The seed model: milestone progress 30, user adoption 25, engagement quality
  // 25, value realization 20; bands 80/60/40/0.
  static HealthModel default_model();
  static HealthModel from_json(std::string_view json);
  std::string to_json(int indent = 2) const;

  const std::string& name() const noexcept { return name_; }
  const std::vector<Factor>& factors() const noexcept { return factors_; }
  // Ordered from the highest lower bound to the lowest; a band code indexes this.
  const std::vector<Band>& bands() const noexcept { return bands_; }
  MissingPolicy missing_policy() const noexcept { return missing_; }
  double total_weight() const noexcept { return total_weight_; }
  std::optional<std::size_t> factor_index(std::string_view name) const noexcept;

  int band_of(double score) const noexcept {
    if (std::isnan(score)) return -1;
    for (std::size_t b = 0; b < bands_.size(); ++b)
      if (score >= bands_[b].min - kBandTolerance) return static_cast<int>(b);
    return static_cast<int>(bands_.size()) - 1;
  }
  std::string_view band_name(int code) const noexcept {
    return code >= 0 && static_cast<std::size_t>(code) < bands_.size()
               ? std::string_view(bands_[static_cast<std::size_t>(code)].name)
               : std::string_view("unknown");
  }

  // Batch scoring over columns named after the factors. Allocates nothing per
  // account. Throws Error(invalid) naming the column for a missing, unknown,
  // duplicated or mis-sized input, before writing anything.
  void score(std::span<const Column> inputs, const ScoreOutput& out,
             const ScoreOptions& options = {}) const;
  ScoreResult score(std::span<const Column> inputs, const ScoreOptions& options = {}) const;

  Explanation explain(std::span<const NamedValue> inputs, double previous_score = kNaN) const;

  bool operator==(const HealthModel& other) const noexcept {
    return name_ == other.name_ && factors_ == other.factors_ && bands_ == other.bands_ &&
           missing_ == other.missing_;
  }

  // Per-account kernel, shared by batch scoring and explain so they cannot
  // disagree. `x[k]` is the input of factor k.
  struct AccountResult {
    double score;
    double coverage;
    int weakest;
  };
  AccountResult score_one(const double* x) const noexcept {
    double sum_wf = 0;       // Σ weight × fraction over factors that count
    double present_w = 0;    // Σ weight over present factors
    double worst_loss = 0;   // max weight × (1 − fraction); same argmax as points lost
    int weakest = -1;
    const std::size_t k_count = factors_.size();
    for (std::size_t k = 0; k < k_count; ++k) {
      const double w = weights_[k];
      const double v = x[k];
      double loss;
      if (v == v) {
        const double f = factors_[k].curve(v);
        sum_wf += w * f;
        present_w += w;
        loss = w * (1.0 - f);
      } else if (missing_ == MissingPolicy::neutral) {
        sum_wf += w * 0.5;
        loss = w * 0.5;
      } else if (missing_ == MissingPolicy::zero) {
        loss = w;
      } else {
        loss = 0;  // renormalize: a missing factor is out of the account's model
      }
      if (loss > worst_loss) {
        worst_loss = loss;
        weakest = static_cast<int>(k);
      }
    }
    if (present_w == 0) return {kNaN, 0.0, -1};
    const double denom = missing_ == MissingPolicy::renormalize ? present_w : total_weight_;
    double s = 100.0 * sum_wf / denom;
    s = s < 0 ? 0 : (s > 100 ? 100 : s);
    return {s, present_w / total_weight_, weakest};
  }

 private:
  std::vector<std::size_t> resolve_columns(std::span<const Column> inputs,
                                           std::size_t& n_accounts) const;

  std::string name_;
  std::vector<Factor> factors_;
  std::vector<Band> bands_;
  MissingPolicy missing_;
  std::vector<double> weights_;
  double total_weight_ = 0;
};

}  // namespace firstvalue
