// JSON forms of cohort options, summaries, benchmarks and reports.

#include <cmath>

#include "cohort_detail.hpp"
#include "firstvalue/cohort.hpp"
#include "firstvalue/error.hpp"
#include "json_reader.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

using json_detail::number_or_null;

std::uint64_t count_at(const json& v, const std::string& path) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    throw_invalid(path, "must be a whole number >= 0");
  return v.get<std::uint64_t>();
}

std::vector<std::uint64_t> counts_at(const json& v, const std::string& path) {
  json_detail::as_array(v, path);
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(count_at(v[i], index_path(path, i)));
  return out;
}

CohortOptions options_from(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"by", "unit", "kickoff_sla", "segment_attribute", "implementation_kind"});
  CohortOptions o;
  if (r.has("by")) {
    const std::string by = r.string("by");
    const auto parsed = parse_cohort_by(by);
    if (!parsed)
      throw_invalid(r.field_path("by"), "must be all, signature_month, tier, segment or template, not " + detail::quoted(by));
    o.by = *parsed;
  }
  if (r.has("unit")) {
    const std::string unit = r.string("unit");
    const auto parsed = parse_day_count(unit);
    if (!parsed) throw_invalid(r.field_path("unit"), "must be calendar or business, not " + detail::quoted(unit));
    o.unit = *parsed;
  }
  if (r.has("kickoff_sla")) {
    const double d = r.number("kickoff_sla");
    if (!(d >= 0 && d <= 1000 && d == std::floor(d))) throw_invalid(r.field_path("kickoff_sla"), "must be a whole number in 0-1000");
    o.kickoff_sla = static_cast<int>(d);
  }
  o.segment_attribute = r.string_or("segment_attribute", o.segment_attribute);
  o.implementation_kind = r.string_or("implementation_kind", o.implementation_kind);
  return o;
}

json options_json(const CohortOptions& o) {
  return {{"by", std::string(to_string(o.by))},
          {"unit", std::string(to_string(o.unit))},
          {"kickoff_sla", o.kickoff_sla},
          {"segment_attribute", o.segment_attribute},
          {"implementation_kind", o.implementation_kind}};
}

json summary_json(const CohortSummary& s) {
  json tallies = json::object();
  const auto named = cohort_detail::tallies(s);
  for (std::size_t k = 0; k < named.size(); ++k)
    tallies[std::string(cohort_detail::kTallyNames[k])] = {named[k]->hits, named[k]->of};
  json ttv = json::object();
  for (std::size_t k = 0; k < kValuePoints.size(); ++k)
    ttv[std::string(kValuePoints[k])] = {{"events", s.ttv[k].events}, {"censored", s.ttv[k].censored}};
  json milestones = json::object();
  for (const auto& [id, d] : s.milestones) {
    json late = json::array();
    for (const auto& [days, n] : d.late) late.push_back({days, n});
    milestones[id] = {{"name", d.name}, {"due", d.due}, {"on_time", d.on_time}, {"late", late}};
  }
  return {{"accounts", s.accounts}, {"tallies", tallies}, {"ttv", ttv}, {"milestones", milestones}};
}

Tally* tally_named(CohortSummary& s, std::string_view name) {
  const auto named = cohort_detail::tallies(s);
  for (std::size_t k = 0; k < named.size(); ++k)
    if (cohort_detail::kTallyNames[k] == name) return named[k];
  return nullptr;
}

CohortSummary summary_from(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"accounts", "tallies", "ttv", "milestones"});
  CohortSummary s;
  s.accounts = count_at(r.required("accounts"), r.field_path("accounts"));
  if (r.has("tallies")) {
    const json& t = r.required("tallies");
    if (!t.is_object()) throw_invalid(r.field_path("tallies"), "must be an object");
    for (const auto& item : t.items()) {
      const std::string p = join_path(r.field_path("tallies"), item.key());
      Tally* x = tally_named(s, item.key());
      if (!x) throw_invalid(p, "unknown key");
      const std::vector<std::uint64_t> pair = counts_at(item.value(), p);
      if (pair.size() != 2 || pair[0] > pair[1]) throw_invalid(p, "expected [hits, of] with hits <= of");
      *x = {pair[0], pair[1]};
    }
  }
  if (r.has("ttv")) {
    const json& t = r.required("ttv");
    if (!t.is_object()) throw_invalid(r.field_path("ttv"), "must be an object");
    for (const auto& item : t.items()) {
      const std::string p = join_path(r.field_path("ttv"), item.key());
      std::size_t k = 0;
      while (k < kValuePoints.size() && kValuePoints[k] != item.key()) ++k;
      if (k == kValuePoints.size()) throw_invalid(p, "unknown key");
      const ObjectReader c(item.value(), p, {"events", "censored"});
      s.ttv[k].events = counts_at(c.required("events"), c.field_path("events"));
      s.ttv[k].censored = counts_at(c.required("censored"), c.field_path("censored"));
      if (s.ttv[k].events.size() != s.ttv[k].censored.size())
        throw_invalid(c.field_path("censored"), "must be as long as events");
    }
  }
  if (r.has("milestones")) {
    const json& m = r.required("milestones");
    if (!m.is_object()) throw_invalid(r.field_path("milestones"), "must be an object");
    for (const auto& item : m.items()) {
      const ObjectReader d(item.value(), join_path(r.field_path("milestones"), item.key()), {"name", "due", "on_time", "late"});
      MilestoneDelays x;
      x.name = d.string_or("name", "");
      x.due = count_at(d.required("due"), d.field_path("due"));
      x.on_time = count_at(d.required("on_time"), d.field_path("on_time"));
      std::uint64_t late = 0;
      if (d.has("late")) {
        const json& list = d.array("late");
        for (std::size_t i = 0; i < list.size(); ++i) {
          const std::string p = index_path(d.field_path("late"), i);
          const std::vector<std::uint64_t> pair = counts_at(list[i], p);
          if (pair.size() != 2 || pair[0] < 1 || pair[0] > 1000000) throw_invalid(p, "expected [business days late >= 1, accounts]");
          x.late[static_cast<int>(pair[0])] += pair[1];
          late += pair[1];
        }
      }
      if (x.on_time + late != x.due) throw_invalid(d.path(), "on_time and late must add up to due");
      s.milestones.emplace(item.key(), std::move(x));
    }
  }
  return s;
}

json kpi_json(const Kpi& k) {
  return {{"name", std::string(k.name)},
          {"value", number_or_null(k.value)},
          {"lower", number_or_null(k.lower)},
          {"upper", number_or_null(k.upper)},
          {"hits", k.hits},
          {"of", k.of},
          {"target", number_or_null(k.target)},
          {"comparison", std::string(to_string(k.comparison))},
          {"meets", k.meets ? json(*k.meets) : json(nullptr)}};
}

json ttv_json(const TtvSummary& t) {
  return {{"point", std::string(to_string(t.point))},
          {"unit", std::string(to_string(t.unit))},
          {"reached", t.reached},
          {"censored", t.censored},
          {"median", number_or_null(t.median)},
          {"median_reached", !std::isinf(t.median)},
          {"lower", number_or_null(t.lower)},
          {"upper", number_or_null(t.upper)},
          {"naive_median", number_or_null(t.naive_median)}};
}

json bottleneck_json(const MilestoneBottleneck& b) {
  return {{"id", b.id},
          {"name", b.name},
          {"due", b.due},
          {"on_time", b.on_time},
          {"delayed", b.delayed},
          {"on_time_rate", number_or_null(b.on_time_rate)},
          {"median_delay", number_or_null(b.median_delay)},
          {"p90_delay", number_or_null(b.p90_delay)}};
}

double benchmark_at(const ObjectReader& r, const char* key, double fallback) {
  if (!r.has(key)) return fallback;
  const json& v = r.required(key);
  if (v.is_null()) return CohortBenchmarks::kOff;
  const double d = json_detail::as_number(v, r.field_path(key));
  if (!std::isfinite(d) || d < 0) throw_invalid(r.field_path(key), "must be a finite number >= 0, or null to switch it off");
  return d;
}

}  // namespace

CohortOptions CohortOptions::from_json(std::string_view text) {
  return options_from(json_detail::parse_document(text, "cohort options"), "");
}

std::string CohortOptions::to_json(int indent) const { return options_json(*this).dump(indent); }

std::string CohortSummaries::to_json(int indent) const {
  json cohorts_j = json::object();
  for (const auto& [label, s] : cohorts) cohorts_j[label] = summary_json(s);
  const json doc{{"as_of", format_date(as_of)}, {"options", options_json(options)}, {"cohorts", cohorts_j}};
  return doc.dump(indent);
}

CohortSummaries CohortSummaries::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "cohort summaries");
  const ObjectReader r(doc, "", {"as_of", "options", "cohorts"});
  CohortSummaries s;
  s.as_of = json_detail::as_date(r.required("as_of"), r.field_path("as_of"));
  if (r.has("options")) s.options = options_from(r.required("options"), r.field_path("options"));
  if (r.has("cohorts")) {
    const json& c = r.required("cohorts");
    if (!c.is_object()) throw_invalid(r.field_path("cohorts"), "must be an object");
    for (const auto& item : c.items())
      s.cohorts.emplace(item.key(), summary_from(item.value(), join_path(r.field_path("cohorts"), item.key())));
  }
  return s;
}

CohortBenchmarks CohortBenchmarks::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "cohort benchmarks");
  const ObjectReader r(doc, "",
                       {"first_value_days", "kickoff_business_days", "seat_activation_day60", "milestone_completion",
                        "implementation_on_time", "adoption_day30", "goals_day90", "completion_on_time",
                        "seat_activation_day30", "kickoff_within_sla"});
  CohortBenchmarks b;
  b.first_value_days = benchmark_at(r, "first_value_days", b.first_value_days);
  b.kickoff_business_days = benchmark_at(r, "kickoff_business_days", b.kickoff_business_days);
  b.seat_activation_day60 = benchmark_at(r, "seat_activation_day60", b.seat_activation_day60);
  b.milestone_completion = benchmark_at(r, "milestone_completion", b.milestone_completion);
  b.implementation_on_time = benchmark_at(r, "implementation_on_time", b.implementation_on_time);
  b.adoption_day30 = benchmark_at(r, "adoption_day30", b.adoption_day30);
  b.goals_day90 = benchmark_at(r, "goals_day90", b.goals_day90);
  b.completion_on_time = benchmark_at(r, "completion_on_time", b.completion_on_time);
  b.seat_activation_day30 = benchmark_at(r, "seat_activation_day30", b.seat_activation_day30);
  b.kickoff_within_sla = benchmark_at(r, "kickoff_within_sla", b.kickoff_within_sla);
  return b;
}

std::string cohort_reports_json(const std::vector<CohortReport>& reports, int indent) {
  json out = json::array();
  for (const CohortReport& r : reports) {
    json kpis = json::array(), ttv = json::array(), bn = json::array();
    for (const Kpi& k : r.kpis) kpis.push_back(kpi_json(k));
    for (const TtvSummary& t : r.ttv) ttv.push_back(ttv_json(t));
    for (const MilestoneBottleneck& b : r.bottlenecks) bn.push_back(bottleneck_json(b));
    out.push_back({{"cohort", r.cohort},
                   {"as_of", format_date(r.as_of)},
                   {"accounts", r.accounts},
                   {"kpis", kpis},
                   {"ttv", ttv},
                   {"bottlenecks", bn}});
  }
  return out.dump(indent);
}

}  // namespace firstvalue
