// JSON form of account plans (input) and plan reports (output).

#include <cmath>

#include "firstvalue/error.hpp"
#include "firstvalue/schedule.hpp"
#include "handoff_json.hpp"
#include "json_reader.hpp"
#include "success_plan_json.hpp"
#include "account_plan_json.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

Value value_of(const json& v, const std::string& path) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) throw_invalid(path, "must be finite");
    return d;
  }
  if (v.is_string()) return v.get<std::string>();
  throw_invalid(path, std::string("expected a number, string or boolean, got ") + v.type_name());
}

json value_json(const Value& v) {
  if (std::holds_alternative<bool>(v)) return std::get<bool>(v);
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return nullptr;
}

Attributes attributes_of(const json& v, const std::string& path) {
  if (!v.is_object()) throw_invalid(path, std::string("expected an object, got ") + v.type_name());
  Attributes out;
  for (const auto& item : v.items()) out.emplace(item.key(), value_of(item.value(), join_path(path, item.key())));
  return out;
}

json attributes_json(const Attributes& a) {
  json j = json::object();
  for (const auto& [k, v] : a) j[k] = value_json(v);
  return j;
}

Progress progress_of(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"done", "skipped", "redates"});
  Progress p;
  if (r.has("done") && !r.required("done").is_null()) p.done = json_detail::as_date(r.required("done"), r.field_path("done"));
  if (r.has("skipped")) {
    if (!r.required("skipped").is_boolean()) throw_invalid(r.field_path("skipped"), "expected true or false");
    p.skipped = r.required("skipped").get<bool>();
  }
  if (r.has("redates")) {
    const json& list = r.array("redates");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string rp = index_path(r.field_path("redates"), i);
      const ObjectReader rr(list[i], rp, {"on", "to"});
      p.redates.push_back({json_detail::as_date(rr.required("on"), rr.field_path("on")), json_detail::as_date(rr.required("to"), rr.field_path("to"))});
      if (i > 0 && p.redates[i].on < p.redates[i - 1].on)
        throw_invalid(join_path(rp, "on"), "re-dates must be listed in the order they were made");
    }
  }
  return p;
}

json node_json(const NodeReport& x) {
  json j{{"id", std::string(x.id)},
         {"name", std::string(x.name)},
         {"phase", std::string(x.phase)},
         {"milestone", std::string(x.milestone)},
         {"kind", std::string(x.kind)},
         {"active", x.active},
         {"planned_start", json_detail::day_or_null(x.planned_start)},
         {"planned_due", json_detail::day_or_null(x.planned_due)},
         {"due", json_detail::day_or_null(x.due)},
         {"forecast", json_detail::day_or_null(x.forecast)},
         {"done", json_detail::day_or_null(x.done)},
         {"completion", std::string(to_string(x.completion))},
         {"status", std::string(to_string(x.status))},
         {"slip_count", x.slip_count},
         {"slip_days", x.slip_days},
         {"critical", x.critical}};
  if (!x.is_milestone) {
    j["owner"] = std::string(to_string(x.owner));
    j["role"] = std::string(x.role);
  }
  return j;
}

}  // namespace

AccountPlan account_plan_from_json(const json& doc, const std::string& path) {
  const ObjectReader r(doc, path, {"account", "template", "start", "attributes", "progress", "metrics", "goals", "handoff"});
  AccountPlan a;
  a.account = r.string("account");
  if (a.account.empty()) throw_invalid(r.field_path("account"), "must not be empty");
  a.template_id = r.string_or("template", "");
  a.start = json_detail::as_date(r.required("start"), r.field_path("start"));
  if (r.has("attributes")) a.attributes = attributes_of(r.required("attributes"), r.field_path("attributes"));
  if (r.has("progress")) {
    const json& p = r.required("progress");
    if (!p.is_object()) throw_invalid(r.field_path("progress"), "expected an object keyed by task or milestone id");
    for (const auto& item : p.items())
      a.progress.emplace(item.key(), progress_of(item.value(), join_path(r.field_path("progress"), item.key())));
  }
  if (r.has("metrics")) {
    const json& list = r.array("metrics");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string mp = index_path(r.field_path("metrics"), i);
      const ObjectReader m(list[i], mp, {"day", "values"});
      a.metrics.push_back({json_detail::as_date(m.required("day"), m.field_path("day")),
                           attributes_of(m.required("values"), m.field_path("values"))});
    }
  }
  if (r.has("goals")) {
    try {
      a.goals = success_plan_from_json(json{{"goals", r.required("goals")}}, "");
    } catch (const Error& e) {
      throw e.under(path);
    }
  }
  if (r.has("handoff")) a.handoff = handoff_from_json(r.required("handoff"), r.field_path("handoff"));
  return a;
}

AccountPlan AccountPlan::from_json(std::string_view text) {
  return account_plan_from_json(json_detail::parse_document(text, "account"), "");
}

std::vector<AccountPlan> AccountPlan::list_from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "accounts");
  json_detail::as_array(doc, "accounts");
  std::vector<AccountPlan> out;
  out.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) out.push_back(account_plan_from_json(doc[i], index_path("accounts", i)));
  return out;
}

std::string PlanPolicy::to_json(int indent) const {
  return json{{"due_soon_days", due_soon_days},
              {"stuck_days", stuck_days},
              {"goals", {{"at_risk_ratio", goals.at_risk_ratio}, {"grace_days", goals.grace_days}}}}
      .dump(indent);
}

PlanPolicy PlanPolicy::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "policy");
  const ObjectReader r(doc, "", {"due_soon_days", "stuck_days", "goals"});
  PlanPolicy p;
  auto whole = [&](const char* key, int fallback) {
    if (!r.has(key)) return fallback;
    const double v = r.number(key);
    if (v != std::floor(v) || v < 0 || v > 10000) throw_invalid(r.field_path(key), "must be a whole number >= 0");
    return static_cast<int>(v);
  };
  p.due_soon_days = whole("due_soon_days", p.due_soon_days);
  p.stuck_days = whole("stuck_days", p.stuck_days);
  if (r.has("goals")) {
    const ObjectReader g(r.required("goals"), "goals", {"at_risk_ratio", "grace_days"});
    p.goals.at_risk_ratio = g.number_or("at_risk_ratio", p.goals.at_risk_ratio);
    if (!(p.goals.at_risk_ratio >= 0 && p.goals.at_risk_ratio <= 1))
      throw_invalid(g.field_path("at_risk_ratio"), "must be within [0, 1]");
    if (g.has("grace_days")) {
      const double v = g.number("grace_days");
      if (v != std::floor(v) || v < 0 || v > 3650) throw_invalid(g.field_path("grace_days"), "must be a whole number of days within [0, 3650]");
      p.goals.grace_days = static_cast<Day>(v);
    }
  }
  return p;
}

json account_plan_to_json_value(const AccountPlan& plan) {
  const auto& [account, template_id, start, attributes, progress, metrics, goals, handoff] = plan;
  json progress_j = json::object();
  for (const auto& [id, p] : progress) {
    json pj = json::object();
    if (p.done) pj["done"] = format_date(*p.done);
    if (p.skipped) pj["skipped"] = true;
    if (!p.redates.empty()) {
      json list = json::array();
      for (const Redate& rd : p.redates) list.push_back({{"on", format_date(rd.on)}, {"to", format_date(rd.to)}});
      pj["redates"] = list;
    }
    progress_j[id] = pj;
  }
  json metrics_j = json::array();
  for (const MetricSnapshot& s : metrics) metrics_j.push_back({{"day", format_date(s.day)}, {"values", attributes_json(s.values)}});
  json doc{{"account", account}, {"start", format_date(start)}, {"attributes", attributes_json(attributes)},
           {"progress", progress_j}, {"metrics", metrics_j}, {"goals", to_json_value(goals)["goals"]}};
  if (!template_id.empty()) doc["template"] = template_id;
  if (handoff) doc["handoff"] = to_json_value(*handoff);
  return doc;
}

std::string AccountPlan::to_json(int indent) const { return account_plan_to_json_value(*this).dump(indent); }

std::string PlanReport::to_json(int indent) const {
  json nodes_j = json::array();
  for (const NodeReport& x : nodes) nodes_j.push_back(node_json(x));
  json goals_j = json::array();
  for (const GoalReport& g : goals) goals_j.push_back(to_json_value(g));
  json doc{{"account", account},
           {"template", template_id},
           {"selection", selection},
           {"start", format_date(start)},
           {"as_of", format_date(as_of)},
           {"status", std::string(firstvalue::to_string(status))},
           {"reason", reason},
           {"percent_done", percent_done},
           {"concluded", concluded},
           {"concluded_on", json_detail::day_or_null(concluded_on)},
           {"planned_finish", json_detail::day_or_null(planned_finish)},
           {"forecast_finish", json_detail::day_or_null(forecast_finish)},
           {"critical_path", [&] {
              json path = json::array();
              for (std::string_view id : critical_path) path.push_back(std::string(id));
              return path;
            }()},
           {"nodes", nodes_j},
           {"goals", goals_j},
           {"handoff", handoff ? to_json_value(*handoff) : json(nullptr)},
           {"warnings", warnings}};
  return doc.dump(indent);
}

}  // namespace firstvalue
