#include "firstvalue/plan.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "firstvalue/error.hpp"
#include "firstvalue/sample_portfolio.hpp"
#include "json_reader.hpp"
#include "plan_graph.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;
using json_detail::ObjectReader;

// ---- parsing ---------------------------------------------------------------

int whole_number(const ObjectReader& r, std::string_view key, int fallback) {
  if (!r.has(key)) return fallback;
  const double v = r.number(key);
  if (v != std::floor(v) || v < 0 || v > 100000)
    throw_invalid(r.field_path(key), "must be a whole number of days >= 0");
  return static_cast<int>(v);
}

std::optional<Expr> expression(const ObjectReader& r, std::string_view key) {
  if (!r.has(key)) return std::nullopt;
  const std::string source = r.string(key);
  try {
    return Expr::parse(source);
  } catch (const Error& e) {
    throw e.under(r.field_path(key));
  }
}

std::vector<std::string> string_list(const ObjectReader& r, std::string_view key) {
  std::vector<std::string> out;
  if (!r.has(key)) return out;
  const json& list = r.array(key);
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(json_detail::as_string(list[i], index_path(r.field_path(key), i)));
  return out;
}

template <class E>
E enum_value(const ObjectReader& r, std::string_view key, E fallback,
             std::initializer_list<std::pair<std::string_view, E>> names) {
  if (!r.has(key)) return fallback;
  const std::string text = r.string(key);
  std::string expected;
  for (const auto& [name, value] : names) {
    if (text == name) return value;
    expected += (expected.empty() ? "" : ", ") + std::string(name);
  }
  throw_invalid(r.field_path(key), "unknown value " + detail::quoted(text) + " (expected " + expected + ")");
}

std::string required_id(const ObjectReader& r) {
  std::string id = r.string("id");
  if (id.empty()) throw_invalid(r.field_path("id"), "must not be empty");
  return id;
}

DayCount day_count(const ObjectReader& r) {
  return enum_value(r, "days", DayCount::business,
                    {{"business", DayCount::business}, {"calendar", DayCount::calendar}});
}

Task parse_task(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"id", "name", "owner", "role", "offset", "duration", "days", "from",
                                 "depends_on", "condition", "done_when"});
  Task t;
  t.id = required_id(r);
  t.name = r.string_or("name", t.id);
  t.owner = enum_value(r, "owner", Owner::internal, {{"internal", Owner::internal}, {"customer", Owner::customer}});
  t.role = r.string_or("role", "");
  t.offset = whole_number(r, "offset", 0);
  if (r.has("duration") && r.number("duration") < 0) throw_invalid(r.field_path("duration"), "must be >= 0");
  t.duration = whole_number(r, "duration", 1);
  t.days = day_count(r);
  t.from = enum_value(r, "from", Anchor::predecessors,
                      {{"start", Anchor::plan_start}, {"predecessors", Anchor::predecessors}});
  t.depends_on = string_list(r, "depends_on");
  t.condition = expression(r, "condition");
  t.done_when = expression(r, "done_when");
  return t;
}

Milestone parse_milestone(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"id", "name", "kind", "depends_on", "offset", "days", "condition",
                                 "done_when", "tasks"});
  Milestone m;
  m.id = required_id(r);
  m.name = r.string_or("name", m.id);
  m.kind = r.string_or("kind", m.id);
  m.depends_on = string_list(r, "depends_on");
  m.offset = whole_number(r, "offset", 0);
  m.days = day_count(r);
  m.condition = expression(r, "condition");
  m.done_when = expression(r, "done_when");
  if (r.has("tasks")) {
    const json& list = r.array("tasks");
    for (std::size_t i = 0; i < list.size(); ++i)
      m.tasks.push_back(parse_task(list[i], index_path(r.field_path("tasks"), i)));
  }
  return m;
}

Phase parse_phase(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"id", "name", "milestones"});
  Phase p;
  p.id = required_id(r);
  p.name = r.string_or("name", p.id);
  const json& list = r.array("milestones");
  for (std::size_t i = 0; i < list.size(); ++i)
    p.milestones.push_back(parse_milestone(list[i], index_path(r.field_path("milestones"), i)));
  return p;
}

Template parse_template(const json& v, const std::string& path) {
  const ObjectReader r(v, path, {"id", "name", "tier", "entry", "exit", "core_features", "phases"});
  Template t;
  t.id = required_id(r);
  t.name = r.string_or("name", t.id);
  t.tier = r.string_or("tier", "");
  t.entry = expression(r, "entry");
  t.exit = expression(r, "exit");
  t.core_features = string_list(r, "core_features");
  const json& list = r.array("phases");
  if (list.empty()) throw_invalid(r.field_path("phases"), "a template needs at least one phase");
  for (std::size_t i = 0; i < list.size(); ++i)
    t.phases.push_back(parse_phase(list[i], index_path(r.field_path("phases"), i)));
  try {
    (void)plan_detail::build_graph(t);
  } catch (const Error& e) {
    throw e.under(path);
  }
  return t;
}

// ---- serialisation ---------------------------------------------------------

void put_expr(json& j, const char* key, const std::optional<Expr>& e) {
  if (e) j[key] = e->source();
}

json task_json(const Task& t) {
  json j{{"id", t.id},         {"name", t.name},         {"owner", std::string(to_string(t.owner))},
         {"role", t.role},     {"offset", t.offset},     {"duration", t.duration},
         {"days", std::string(to_string(t.days))},      {"from", std::string(to_string(t.from))},
         {"depends_on", t.depends_on}};
  put_expr(j, "condition", t.condition);
  put_expr(j, "done_when", t.done_when);
  return j;
}

json milestone_json(const Milestone& m) {
  json tasks = json::array();
  for (const Task& t : m.tasks) tasks.push_back(task_json(t));
  json j{{"id", m.id},     {"name", m.name}, {"kind", m.kind}, {"depends_on", m.depends_on},
         {"offset", m.offset}, {"days", std::string(to_string(m.days))}, {"tasks", tasks}};
  put_expr(j, "condition", m.condition);
  put_expr(j, "done_when", m.done_when);
  return j;
}

json template_json(const Template& t) {
  json phases = json::array();
  for (const Phase& p : t.phases) {
    json milestones = json::array();
    for (const Milestone& m : p.milestones) milestones.push_back(milestone_json(m));
    phases.push_back({{"id", p.id}, {"name", p.name}, {"milestones", milestones}});
  }
  json j{{"id", t.id}, {"name", t.name}, {"tier", t.tier}, {"core_features", t.core_features}, {"phases", phases}};
  put_expr(j, "entry", t.entry);
  put_expr(j, "exit", t.exit);
  return j;
}

void collect(const std::optional<Expr>& e, std::set<std::string>& seen, std::vector<std::string>& out) {
  if (!e) return;
  for (const std::string& v : e->variables())
    if (seen.insert(v).second) out.push_back(v);
}

}  // namespace

// ---- the dependency graph ----------------------------------------------------

namespace plan_detail {
namespace {

struct Lookup {
  std::unordered_map<std::string, std::size_t> by_id;
};

[[noreturn]] void throw_cycle(const Graph& g, const std::vector<std::size_t>& stack, std::size_t from,
                              std::size_t to, const std::string& edge_path) {
  // The DFS stack runs to → … → from, each depending on the next; `from`
  // depends on `to` through the entry at edge_path. Listing the cycle from
  // `from` makes it read from the field the message names.
  const auto first = std::find(stack.begin(), stack.end(), to);
  std::vector<std::size_t> cycle{from};
  cycle.insert(cycle.end(), first, stack.end() - 1);
  cycle.push_back(from);
  std::string text;
  for (std::size_t i = 0; i < cycle.size(); ++i) text += (i ? " \u2192 " : "") + g.nodes[cycle[i]].id;
  throw_invalid(edge_path, "dependency cycle: " + text);
}

}  // namespace

Graph build_graph(const Template& t) {
  Graph g;
  Lookup ids;
  auto add = [&](Node n) {
    const auto [it, fresh] = ids.by_id.emplace(n.id, g.nodes.size());
    if (!fresh)
      throw_invalid(join_path(n.path, "id"),
                    "duplicate id " + detail::quoted(n.id) + " (already used at " + g.nodes[it->second].path + ")");
    g.nodes.push_back(std::move(n));
    return g.nodes.size() - 1;
  };
  for (std::size_t p = 0; p < t.phases.size(); ++p)
    for (std::size_t q = 0; q < p; ++q)
      if (t.phases[q].id == t.phases[p].id)
        throw_invalid("phases[" + std::to_string(p) + "].id",
                      "duplicate phase " + detail::quoted(t.phases[p].id) + " (already used at phases[" + std::to_string(q) + "])");
  // Nodes first, so dependencies may point forward in the document.
  for (std::size_t p = 0; p < t.phases.size(); ++p) {
    for (std::size_t m = 0; m < t.phases[p].milestones.size(); ++m) {
      const Milestone& ms = t.phases[p].milestones[m];
      const std::string mpath = "phases[" + std::to_string(p) + "].milestones[" + std::to_string(m) + "]";
      const std::size_t mnode = add(Node{ms.id, mpath, true, p, m, kNone, kNone, {}});
      for (std::size_t k = 0; k < ms.tasks.size(); ++k)
        add(Node{ms.tasks[k].id, index_path(mpath + ".tasks", k), false, p, m, k, mnode, {}});
    }
  }
  // Edges, each remembered with the path of the entry that created it.
  std::vector<std::vector<std::string>> edge_paths(g.nodes.size());
  auto link = [&](std::size_t node, std::size_t pred, std::string path) {
    g.nodes[node].preds.push_back(pred);
    edge_paths[node].push_back(std::move(path));
  };
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    const Milestone& ms = t.phases[node.phase].milestones[node.milestone_index];
    const auto& deps = node.milestone ? ms.depends_on : ms.tasks[node.task_index].depends_on;
    for (std::size_t d = 0; d < deps.size(); ++d) {
      const std::string path = index_path(join_path(node.path, "depends_on"), d);
      const auto it = ids.by_id.find(deps[d]);
      if (it == ids.by_id.end() || (node.milestone && !g.nodes[it->second].milestone))
        throw_invalid(path, std::string(node.milestone ? "unknown milestone \"" : "unknown task or milestone \"") +
                                deps[d] + "\"");
      if (it->second == n) throw_invalid(path, detail::quoted(deps[d]) + " cannot depend on itself");
      link(n, it->second, path);
    }
    if (node.milestone) {
      for (std::size_t k = 0; k < ms.tasks.size(); ++k)
        link(n, ids.by_id.at(ms.tasks[k].id), node.path);  // a milestone waits for its own tasks
    }
  }
  // Depth-first topological sort; a back edge is a cycle.
  enum : std::uint8_t { white, grey, black };
  std::vector<std::uint8_t> colour(g.nodes.size(), white);
  std::vector<std::size_t> stack;
  std::vector<std::size_t> next_edge(g.nodes.size(), 0);
  for (std::size_t root = 0; root < g.nodes.size(); ++root) {
    if (colour[root] != white) continue;
    stack.push_back(root);
    colour[root] = grey;
    while (!stack.empty()) {  // iterative: templates can be deep without exhausting the stack
      const std::size_t u = stack.back();
      if (next_edge[u] < g.nodes[u].preds.size()) {
        const std::size_t e = next_edge[u]++;
        const std::size_t v = g.nodes[u].preds[e];
        if (colour[v] == grey) throw_cycle(g, stack, u, v, edge_paths[u][e]);
        if (colour[v] == white) {
          colour[v] = grey;
          stack.push_back(v);
        }
      } else {
        colour[u] = black;
        g.order.push_back(u);
        stack.pop_back();
      }
    }
  }
  return g;
}

}  // namespace plan_detail

// ---- public API ----------------------------------------------------------------

std::string_view to_string(Owner v) noexcept { return v == Owner::customer ? "customer" : "internal"; }
std::string_view to_string(DayCount v) noexcept { return v == DayCount::calendar ? "calendar" : "business"; }
std::optional<DayCount> parse_day_count(std::string_view text) noexcept {
  if (text == "calendar") return DayCount::calendar;
  if (text == "business") return DayCount::business;
  return std::nullopt;
}
std::string_view to_string(Anchor v) noexcept { return v == Anchor::plan_start ? "start" : "predecessors"; }

bool is_standard_milestone_kind(std::string_view kind) noexcept {
  return std::find(kMilestoneKinds.begin(), kMilestoneKinds.end(), kind) != kMilestoneKinds.end();
}

Template Template::from_json(std::string_view text) {
  return parse_template(json_detail::parse_document(text, "template"), "");
}

std::string Template::to_json(int indent) const { return template_json(*this).dump(indent); }

std::vector<std::string> Template::variables() const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  collect(entry, seen, out);
  collect(exit, seen, out);
  for (const Phase& p : phases)
    for (const Milestone& m : p.milestones) {
      collect(m.condition, seen, out);
      collect(m.done_when, seen, out);
      for (const Task& t : m.tasks) {
        collect(t.condition, seen, out);
        collect(t.done_when, seen, out);
      }
    }
  return out;
}

TemplateSet::TemplateSet(std::vector<Template> templates, std::string fallback)
    : templates_(std::move(templates)), fallback_(std::move(fallback)) {
  if (templates_.empty()) throw_invalid("templates", "a template set needs at least one template");
  for (std::size_t i = 0; i < templates_.size(); ++i) {
    (void)plan_detail::build_graph(templates_[i]);
    for (std::size_t j = 0; j < i; ++j)
      if (templates_[j].id == templates_[i].id)
        throw_invalid(index_path("templates", i) + ".id", "duplicate template " + detail::quoted(templates_[i].id));
  }
  if (!find(fallback_)) throw_invalid("fallback", "unknown template " + detail::quoted(fallback_));
}

const Template* TemplateSet::find(std::string_view id) const noexcept {
  for (const Template& t : templates_)
    if (t.id == id) return &t;
  return nullptr;
}

TemplateSet TemplateSet::from_json(std::string_view text) {
  const json doc = json_detail::parse_document(text, "template set");
  const ObjectReader r(doc, "", {"templates", "fallback"});
  const json& list = r.array("templates");
  std::vector<Template> templates;
  for (std::size_t i = 0; i < list.size(); ++i) templates.push_back(parse_template(list[i], index_path("templates", i)));
  std::string fallback = r.has("fallback") ? r.string("fallback") : (templates.empty() ? "" : templates.back().id);
  return TemplateSet(std::move(templates), std::move(fallback));
}

std::string TemplateSet::to_json(int indent) const {
  json list = json::array();
  for (const Template& t : templates_) list.push_back(template_json(t));
  return json{{"fallback", fallback_}, {"templates", list}}.dump(indent);
}

TemplateSet::Selection TemplateSet::select(const Attributes& attributes) const {
  auto lookup = [&](std::string_view name) -> Value {
    const auto it = attributes.find(name);
    return it == attributes.end() ? Value{} : it->second;
  };
  for (std::size_t i = 0; i < templates_.size(); ++i) {
    if (!templates_[i].entry) continue;
    try {
      if (templates_[i].entry->test(lookup)) return {i, "entry criteria"};
    } catch (const Error& e) {
      throw e.under(index_path("templates", i) + ".entry");
    }
  }
  auto by_tier = [&](const std::string& tier) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < templates_.size(); ++i)
      if (!tier.empty() && templates_[i].tier == tier) return i;
    return std::nullopt;
  };
  if (const auto it = attributes.find("tier"); it != attributes.end() && std::holds_alternative<std::string>(it->second))
    if (const auto i = by_tier(std::get<std::string>(it->second))) return {*i, "tier"};
  if (const auto it = attributes.find("arr"); it != attributes.end() && std::holds_alternative<double>(it->second))
    if (const auto i = by_tier(tier_for_arr(std::get<double>(it->second)))) return {*i, "arr"};
  for (std::size_t i = 0; i < templates_.size(); ++i)
    if (templates_[i].id == fallback_) return {i, "fallback"};
  return {0, "fallback"};
}

}  // namespace firstvalue
