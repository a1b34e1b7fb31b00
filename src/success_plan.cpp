// Success-plan goals: validation, evaluation against the status rules in
// success_plan.hpp, and the JSON form.

#include "firstvalue/success_plan.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <unordered_map>
#include <utility>

#include "firstvalue/error.hpp"
#include "json_reader.hpp"
#include "success_plan_json.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

// Through int64 so that days far apart cannot overflow int32.
double days_between(Day from, Day to) {
  return static_cast<double>(static_cast<std::int64_t>(to) - static_cast<std::int64_t>(from));
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// ---------------------------------------------------------------------------
// Validation

void validate_observations(const Goal& g, const std::string& path) {
  for (std::size_t i = 0; i < g.observations.size(); ++i) {
    const Observation& o = g.observations[i];
    const std::string p = index_path(path, i);
    if (!std::isfinite(o.value)) throw_invalid(index_path(p, 1), "must be finite");
    if (o.day < g.start)
      throw_invalid(index_path(p, 0), "must not precede the goal's start (day " +
                                          std::to_string(g.start) + ")");
    // Day order makes "the latest reading" well defined for repeated days.
    if (i > 0 && o.day < g.observations[i - 1].day)
      throw_invalid(index_path(p, 0),
                    "observations must be in day order (the previous one is day " +
                        std::to_string(g.observations[i - 1].day) + ")");
  }
}

void validate_target(const Goal& g, const std::string& path) {
  if (!std::isfinite(g.baseline)) throw_invalid(join_path(path, "baseline"), "must be finite");
  if (!std::isfinite(g.target)) throw_invalid(join_path(path, "target"), "must be finite");
  // Progress divides by target − baseline.
  if (g.target == g.baseline) throw_invalid(join_path(path, "target"), "must differ from baseline");
  if (g.direction == GoalDirection::up && g.target < g.baseline)
    throw_invalid(join_path(path, "target"), "must be above baseline for an \"up\" goal");
  if (g.direction == GoalDirection::down && g.target > g.baseline)
    throw_invalid(join_path(path, "target"), "must be below baseline for a \"down\" goal");
}

void validate_goal(const Goal& g, const std::string& path) {
  if (is_blank(g.id)) throw_invalid(join_path(path, "id"), "must not be blank");
  if (is_blank(g.metric)) throw_invalid(join_path(path, "metric"), "must not be blank");
  validate_target(g, path);
  if (g.due <= g.start)
    throw_invalid(join_path(path, "due"),
                  "must be after start (day " + std::to_string(g.start) + ")");
  validate_observations(g, join_path(path, "observations"));
}

void validate_plan(const std::vector<Goal>& goals) {
  std::unordered_map<std::string_view, std::size_t> seen;
  std::optional<std::size_t> first_value;
  for (std::size_t k = 0; k < goals.size(); ++k) {
    const std::string path = index_path("goals", k);
    validate_goal(goals[k], path);
    const auto [it, inserted] = seen.emplace(goals[k].id, k);
    if (!inserted)
      throw_invalid(join_path(path, "id"), "duplicate id " + detail::quoted(goals[k].id) + " (also " +
                                               index_path("goals", it->second) + ")");
    if (goals[k].first_value) {
      if (first_value)
        throw_invalid(join_path(path, "first_value"),
                      "only one goal may define first value (" + index_path("goals", *first_value) +
                          " already does)");
      first_value = k;
    }
  }
}

void validate_policy(const GoalPolicy& p) {
  if (!(p.at_risk_ratio >= 0 && p.at_risk_ratio <= 1))
    throw_invalid("at_risk_ratio", "must be within [0, 1]");
  if (p.grace_days < 0) throw_invalid("grace_days", "must not be negative");
}

// ---------------------------------------------------------------------------
// Evaluation

bool reached(const Goal& g, double value) {
  return g.direction == GoalDirection::up ? value >= g.target : value <= g.target;
}

double fraction_of_way(const Goal& g, double value) {
  return (value - g.baseline) / (g.target - g.baseline);
}

struct Trend {
  double slope;
  double projected;  // at the due day
};

// Days are centred on their mean: the two columns become orthogonal, so day
// numbers around 20000 cost no precision.
Trend least_squares(std::span<const Observation> seen, Day due) {
  const auto n = static_cast<Eigen::Index>(seen.size());
  double mean_day = 0;
  for (const Observation& o : seen) mean_day += static_cast<double>(o.day);
  mean_day /= static_cast<double>(n);
  Eigen::MatrixX2d a(n, 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Observation& o = seen[static_cast<std::size_t>(i)];
    a(i, 0) = 1;
    a(i, 1) = static_cast<double>(o.day) - mean_day;
    y(i) = o.value;
  }
  const Eigen::Vector2d coef = a.colPivHouseholderQr().solve(y);
  return {coef(1), coef(0) + coef(1) * (static_cast<double>(due) - mean_day)};
}

// Readings on one day only give no line; the pace since (start, baseline) is
// the only evidence. Readings on the start day alone give no pace at all.
std::optional<Trend> trend(const Goal& g, std::span<const Observation> seen) {
  if (seen.empty()) return std::nullopt;
  if (seen.front().day != seen.back().day) return least_squares(seen, g.due);
  const Observation& last = seen.back();
  if (last.day == g.start) return std::nullopt;
  const double elapsed = days_between(g.start, last.day);
  const double rise = last.value - g.baseline;
  return Trend{rise / elapsed, g.baseline + rise * (days_between(g.start, g.due) / elapsed)};
}

GoalStatus status_of(const Goal& g, Day as_of, const GoalReport& r, const GoalPolicy& policy) {
  if (r.achieved_on) return GoalStatus::achieved;
  if (as_of > g.due) return GoalStatus::off_track;
  if (std::isnan(r.projected))
    return days_between(g.start, as_of) <= policy.grace_days ? GoalStatus::on_track
                                                              : GoalStatus::off_track;
  if (r.projected_progress >= 1 - kProgressTolerance) return GoalStatus::on_track;
  if (r.projected_progress >= policy.at_risk_ratio - kProgressTolerance) return GoalStatus::at_risk;
  return GoalStatus::off_track;
}

GoalReport evaluate_goal(const Goal& g, Day as_of, const GoalPolicy& policy) {
  const auto end = std::partition_point(g.observations.begin(), g.observations.end(),
                                        [as_of](const Observation& o) { return o.day <= as_of; });
  const std::span<const Observation> seen(g.observations.begin(), end);

  GoalReport r;
  r.id = g.id;
  r.first_value = g.first_value;
  for (const Observation& o : seen) {
    if (reached(g, o.value)) {
      r.achieved_on = o.day;
      break;
    }
  }
  if (!seen.empty()) {
    r.actual = seen.back().value;
    r.progress = std::clamp(fraction_of_way(g, r.actual), 0.0, 1.0);
  }
  if (const auto t = trend(g, seen)) {
    r.slope = t->slope;
    r.projected = t->projected;
    r.projected_progress = fraction_of_way(g, t->projected);
  }
  r.status = status_of(g, as_of, r, policy);
  return r;
}

// ---------------------------------------------------------------------------
// JSON

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

GoalDirection parse_direction(const ObjectReader& r) {
  const std::string text = r.string("direction");
  const auto d = parse_goal_direction(text);
  if (!d)
    throw_invalid(r.field_path("direction"),
                  "unknown direction " + detail::quoted(text) + " (expected \"up\" or \"down\")");
  return *d;
}

std::vector<Observation> parse_observations(const json& list, const std::string& path) {
  json_detail::as_array(list, path);
  std::vector<Observation> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = index_path(path, i);
    const json& pair = list[i];
    if (!pair.is_array() || pair.size() != 2) throw_invalid(p, "expected a pair [day, value]");
    out.push_back({json_detail::as_date(pair[0], index_path(p, 0)),
                   json_detail::as_number(pair[1], index_path(p, 1))});
  }
  return out;
}

Goal parse_goal(const json& value, const std::string& path) {
  const ObjectReader r(value, path,
                       {"id", "metric", "unit", "baseline", "target", "start", "due", "direction",
                        "first_value", "observations"});
  Goal g;
  g.id = r.string("id");
  g.metric = r.string("metric");
  g.unit = r.string_or("unit", "");
  g.baseline = r.number("baseline");
  g.target = r.number("target");
  g.start = json_detail::as_date(r.required("start"), r.field_path("start"));
  g.due = json_detail::as_date(r.required("due"), r.field_path("due"));
  g.direction = parse_direction(r);
  if (r.has("first_value"))
    g.first_value = json_detail::as_bool(r.required("first_value"), r.field_path("first_value"));
  if (r.has("observations"))
    g.observations = parse_observations(r.required("observations"), r.field_path("observations"));
  return g;
}

json goal_to_json(const Goal& g) {
  json observations = json::array();
  for (const Observation& o : g.observations) observations.push_back(json::array({o.day, o.value}));
  return json{{"id", g.id},
              {"metric", g.metric},
              {"unit", g.unit},
              {"baseline", g.baseline},
              {"target", g.target},
              {"start", g.start},
              {"due", g.due},
              {"direction", std::string(to_string(g.direction))},
              {"first_value", g.first_value},
              {"observations", std::move(observations)}};
}

}  // namespace

std::string_view to_string(GoalDirection direction) noexcept {
  return direction == GoalDirection::down ? "down" : "up";
}

std::optional<GoalDirection> parse_goal_direction(std::string_view text) noexcept {
  if (text == "up") return GoalDirection::up;
  if (text == "down") return GoalDirection::down;
  return std::nullopt;
}

std::string_view to_string(GoalStatus status) noexcept {
  switch (status) {
    case GoalStatus::on_track: return "on_track";
    case GoalStatus::at_risk: return "at_risk";
    case GoalStatus::off_track: return "off_track";
    case GoalStatus::achieved: return "achieved";
  }
  return "unknown";
}

SuccessPlan::SuccessPlan(std::vector<Goal> goals) : goals_(std::move(goals)) {
  validate_plan(goals_);
}

const Goal* SuccessPlan::find(std::string_view id) const noexcept {
  for (const Goal& g : goals_)
    if (g.id == id) return &g;
  return nullptr;
}

const Goal* SuccessPlan::first_value_goal() const noexcept {
  for (const Goal& g : goals_)
    if (g.first_value) return &g;
  return nullptr;
}

std::vector<GoalReport> SuccessPlan::evaluate(Day as_of, const GoalPolicy& policy) const {
  validate_policy(policy);
  std::vector<GoalReport> reports;
  reports.reserve(goals_.size());
  for (const Goal& g : goals_) reports.push_back(evaluate_goal(g, as_of, policy));
  return reports;
}

namespace json_detail {


bool as_bool(const json& value, const std::string& path) {
  if (!value.is_boolean())
    throw_invalid(path, std::string("expected a boolean, got ") + value.type_name());
  return value.get<bool>();
}

}  // namespace json_detail

SuccessPlan success_plan_from_json(const json& value, const std::string& path) {
  const ObjectReader r(value, path, {"goals"});
  const json& list = r.array("goals");
  std::vector<Goal> goals;
  goals.reserve(list.size());
  for (std::size_t k = 0; k < list.size(); ++k)
    goals.push_back(parse_goal(list[k], index_path(r.field_path("goals"), k)));
  // Parsing already wrote full paths; validation writes them relative to the plan.
  try {
    return SuccessPlan(std::move(goals));
  } catch (const Error& e) {
    throw e.under(path);
  }
}

json to_json_value(const SuccessPlan& plan) {
  json goals = json::array();
  for (const Goal& g : plan.goals()) goals.push_back(goal_to_json(g));
  return json{{"goals", std::move(goals)}};
}

json to_json_value(const GoalReport& r) {
  return json{{"id", r.id},
              {"first_value", r.first_value},
              {"status", std::string(to_string(r.status))},
              {"actual", number_or_null(r.actual)},
              {"progress", number_or_null(r.progress)},
              {"projected", number_or_null(r.projected)},
              {"projected_progress", number_or_null(r.projected_progress)},
              {"slope", number_or_null(r.slope)},
              {"achieved_on", r.achieved_on ? json(*r.achieved_on) : json(nullptr)}};
}

SuccessPlan SuccessPlan::from_json(std::string_view text) {
  return success_plan_from_json(json_detail::parse_document(text, "success plan"), "");
}

std::string SuccessPlan::to_json(int indent) const { return to_json_value(*this).dump(indent); }

std::string GoalReport::to_json(int indent) const { return to_json_value(*this).dump(indent); }

std::string goal_reports_to_json(const std::vector<GoalReport>& reports, int indent) {
  json list = json::array();
  for (const GoalReport& r : reports) list.push_back(to_json_value(r));
  return list.dump(indent);
}

}  // namespace firstvalue
