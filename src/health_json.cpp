// JSON form of health models and explanations.

#include <cmath>

#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"
#include "json_reader.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

using json_detail::number_or_null;

std::vector<CurvePoint> parse_points(const json& list, const std::string& path) {
  json_detail::as_array(list, path);
  std::vector<CurvePoint> points;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = index_path(path, i);
    const json& pair = list[i];
    if (!pair.is_array() || pair.size() != 2)
      throw_invalid(p, "expected a pair [x, fraction]");
    points.push_back({json_detail::as_number(pair[0], index_path(p, 0)),
                      json_detail::as_number(pair[1], index_path(p, 1))});
  }
  return points;
}

Curve parse_curve(const json& value, const std::string& path) {
  const ObjectReader r(value, path, {"type", "points", "tiers"});
  const std::string type = r.string_or("type", r.has("tiers") ? "steps" : "linear");
  try {
    if (type == "linear") {
      if (r.has("tiers")) throw_invalid("tiers", "belongs to a \"steps\" curve");
      return Curve::linear(parse_points(r.required("points"), "points"));
    }
    if (type == "steps") {
      if (r.has("points")) throw_invalid("points", "belongs to a \"linear\" curve");
      return Curve::steps(parse_points(r.required("tiers"), "tiers"));
    }
  } catch (const Error& e) {
    throw e.under(path);
  }
  throw_invalid(r.field_path("type"), "unknown curve type " + detail::quoted(type) + " (expected \"linear\" or \"steps\")");
}

Factor parse_factor(const json& value, const std::string& path) {
  const ObjectReader r(value, path, {"name", "weight", "curve", "description"});
  Factor f;
  f.name = r.string("name");
  f.weight = r.number("weight");
  f.curve = parse_curve(r.required("curve"), r.field_path("curve"));
  f.description = r.string_or("description", "");
  return f;
}

Band parse_band(const json& value, const std::string& path) {
  const ObjectReader r(value, path, {"name", "color", "min"});
  return Band{r.string("name"), r.string_or("color", ""), r.number("min")};
}

json curve_to_json(const Curve& c) {
  json points = json::array();
  for (const CurvePoint& p : c.points()) points.push_back(json::array({p.x, p.fraction}));
  if (c.kind() == Curve::Kind::steps) return json{{"type", "steps"}, {"tiers", points}};
  return json{{"type", "linear"}, {"points", points}};
}

}  // namespace

HealthModel HealthModel::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "health model");
  const ObjectReader r(doc, "", {"name", "factors", "bands", "missing"});

  const json& factor_list = r.array("factors");
  std::vector<Factor> factors;
  for (std::size_t k = 0; k < factor_list.size(); ++k)
    factors.push_back(parse_factor(factor_list[k], index_path("factors", k)));

  std::vector<Band> bands;
  if (r.has("bands")) {
    const json& band_list = r.array("bands");
    for (std::size_t b = 0; b < band_list.size(); ++b)
      bands.push_back(parse_band(band_list[b], index_path("bands", b)));
  } else {
    bands = default_model().bands();
  }

  MissingPolicy missing = MissingPolicy::renormalize;
  if (r.has("missing")) {
    const std::string policy = r.string("missing");
    const auto parsed = parse_missing_policy(policy);
    if (!parsed)
      throw_invalid("missing", "unknown policy " + detail::quoted(policy) +
                                   " (expected \"renormalize\", \"zero\" or \"neutral\")");
    missing = *parsed;
  }
  return HealthModel(r.string_or("name", "custom"), std::move(factors), std::move(bands), missing);
}

std::string HealthModel::to_json(int indent) const {
  json factors = json::array();
  for (const Factor& f : factors_) {
    json jf{{"name", f.name}, {"weight", f.weight}, {"curve", curve_to_json(f.curve)}};
    if (!f.description.empty()) jf["description"] = f.description;
    factors.push_back(std::move(jf));
  }
  json bands = json::array();
  for (const Band& b : bands_) bands.push_back({{"name", b.name}, {"color", b.color}, {"min", b.min}});
  const json doc{{"name", name_},
                 {"missing", std::string(firstvalue::to_string(missing_))},
                 {"factors", std::move(factors)},
                 {"bands", std::move(bands)}};
  return doc.dump(indent);
}

std::string Explanation::to_json(int indent) const {
  json factor_list = json::array();
  for (const FactorExplanation& f : factors) {
    factor_list.push_back({{"name", f.name},
                           {"input", number_or_null(f.input)},
                           {"missing", f.missing},
                           {"fraction", number_or_null(f.fraction)},
                           {"points", f.points},
                           {"max_points", f.max_points},
                           {"weight_share", f.weight_share},
                           {"lost", f.lost}});
  }
  json doc{{"model", model},
           {"missing_policy", std::string(firstvalue::to_string(missing_policy))},
           {"score", number_or_null(score)},
           {"band", band_name},
           {"band_code", band},
           {"color", band_color},
           {"coverage", coverage},
           {"factors", std::move(factor_list)},
           {"weakest", weakest_name.empty() ? json(nullptr) : json(weakest_name)},
           {"trend",
            {{"previous_score", number_or_null(previous_score)},
             {"delta", number_or_null(delta)},
             {"previous_band", previous_band_name},
             {"band_change", band_change}}}};
  return doc.dump(indent);
}

}  // namespace firstvalue
