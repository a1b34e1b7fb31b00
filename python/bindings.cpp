// firstvalue._core: translation between Python objects and the C++ core.
// No onboarding rule lives here; the idiomatic API is in the pure-Python
// package next to this file.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <string>
#include <vector>

#include "firstvalue/firstvalue.hpp"

namespace py = pybind11;
namespace fv = firstvalue;

namespace {

using InputArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

struct ErrorClasses {
  PyObject* base = nullptr;
  PyObject* invalid = nullptr;
  PyObject* not_found = nullptr;
  PyObject* forbidden = nullptr;
};
ErrorClasses g_errors;

PyObject* new_error_class(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  const std::string qualified = std::string("firstvalue._core.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (cls == nullptr) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(cls));
  return cls;
}

void register_errors(py::module_& m) {
  g_errors.base = new_error_class(m, "Error", PyExc_Exception,
                                  "Base class of every firstvalue error. Attributes: code, path, detail.");
  auto pair = [&](PyObject* other) {
    return py::make_tuple(py::reinterpret_borrow<py::object>(g_errors.base),
                          py::reinterpret_borrow<py::object>(other)).release().ptr();
  };
  g_errors.invalid = new_error_class(m, "InvalidError", pair(PyExc_ValueError),
                                     "Bad input: malformed JSON, failed validation, bad argument.");
  g_errors.not_found = new_error_class(m, "NotFoundError", pair(PyExc_LookupError),
                                       "A named thing does not exist.");
  g_errors.forbidden = new_error_class(m, "ForbiddenError", pair(PyExc_PermissionError),
                                       "The data belongs to another organization.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fv::Error& e) {
      PyObject* cls = g_errors.base;
      if (e.code() == fv::Errc::invalid) cls = g_errors.invalid;
      else if (e.code() == fv::Errc::not_found) cls = g_errors.not_found;
      else if (e.code() == fv::Errc::forbidden) cls = g_errors.forbidden;
      py::object instance = py::reinterpret_borrow<py::object>(cls)(e.what());
      instance.attr("code") = fv::errc_name(e.code());
      instance.attr("path") = e.path();
      instance.attr("detail") = e.detail();
      PyErr_SetObject(cls, instance.ptr());
    }
  });
}

// Converts a mapping of name → array-like without copying float64 contiguous
// input; the arrays stay referenced while the GIL is released.
struct Inputs {
  std::vector<std::string> names;
  std::vector<InputArray> arrays;
  std::vector<fv::Column> columns;
};

Inputs to_inputs(const py::dict& mapping) {
  Inputs in;
  for (auto item : mapping) {
    const std::string name = py::cast<std::string>(py::str(item.first));
    InputArray array = InputArray::ensure(item.second);
    if (!array) {
      PyErr_Clear();
      throw fv::Error(fv::Errc::invalid, fv::join_path("inputs", name), "expected numbers");
    }
    if (array.ndim() != 1)
      throw fv::Error(fv::Errc::invalid, fv::join_path("inputs", name),
                      "expected a 1-D array, got " + std::to_string(array.ndim()) + " dimensions");
    in.names.push_back(name);
    in.arrays.push_back(std::move(array));
  }
  for (std::size_t c = 0; c < in.names.size(); ++c)
    in.columns.push_back({in.names[c], std::span<const double>(in.arrays[c].data(),
                                                                static_cast<std::size_t>(in.arrays[c].size()))});
  return in;
}

template <class T>
std::span<T> span_of(py::array_t<T>& a) {
  return {a.mutable_data(), static_cast<std::size_t>(a.size())};
}

// An output array: a fresh one, or the caller's (reused between calls), which
// must already have the right dtype, length and layout.
template <class T>
py::array_t<T> output(const py::object& given, const char* name, py::ssize_t n) {
  if (given.is_none()) return py::array_t<T>(n);
  if (!py::isinstance<py::array_t<T>>(given))
    throw fv::Error(fv::Errc::invalid, fv::join_path("out", name),
                    std::string("expected a numpy array of ") + py::str(py::dtype::of<T>()).cast<std::string>());
  auto a = py::reinterpret_borrow<py::array_t<T>>(given);
  if (a.ndim() != 1 || a.size() != n || !(a.flags() & py::array::c_style) || !a.writeable())
    throw fv::Error(fv::Errc::invalid, fv::join_path("out", name),
                    "expected a writeable contiguous 1-D array of " + std::to_string(n) + " elements");
  return a;
}

py::tuple score(const fv::HealthModel& model, const py::dict& mapping, const py::object& previous,
                unsigned threads, const py::object& out_arrays) {
  Inputs in = to_inputs(mapping);
  std::size_t n = in.arrays.empty() ? 0 : static_cast<std::size_t>(in.arrays[0].size());
  InputArray prev;
  fv::ScoreOptions options;
  options.threads = threads;
  const bool trend = !previous.is_none();
  if (trend) {
    prev = InputArray::ensure(previous);
    if (!prev || prev.ndim() != 1) {
      PyErr_Clear();
      throw fv::Error(fv::Errc::invalid, "previous", "expected a 1-D array of numbers");
    }
    options.previous = std::span<const double>(prev.data(), static_cast<std::size_t>(prev.size()));
  }
  py::object given[6] = {py::none(), py::none(), py::none(), py::none(), py::none(), py::none()};
  if (!out_arrays.is_none()) {
    const auto t = py::cast<py::tuple>(out_arrays);
    if (t.size() != 6) throw fv::Error(fv::Errc::invalid, "out", "expected the arrays of a ScoreResult");
    for (std::size_t i = 0; i < 6; ++i) given[i] = t[i];
  }
  const auto count = static_cast<py::ssize_t>(n);
  auto score_out = output<double>(given[0], "score", count);
  auto band_out = output<std::int8_t>(given[1], "band_code", count);
  auto coverage_out = output<double>(given[2], "coverage", count);
  auto weakest_out = output<std::int8_t>(given[3], "weakest_code", count);
  // Without previous scores the trend arrays of a reused result are left alone.
  auto delta_out = output<double>(trend ? given[4] : py::none(), "delta", trend ? count : 0);
  auto change_out = output<std::int8_t>(trend ? given[5] : py::none(), "band_change", trend ? count : 0);
  fv::ScoreOutput out{span_of(score_out), span_of(band_out),  span_of(coverage_out),
                      span_of(weakest_out), span_of(delta_out), span_of(change_out)};
  if (!trend) out.delta = {}, out.band_change = {};
  {
    py::gil_scoped_release release;
    model.score(in.columns, out, options);
  }
  return py::make_tuple(score_out, band_out, coverage_out, weakest_out,
                        trend ? py::object(delta_out) : py::object(py::none()),
                        trend ? py::object(change_out) : py::object(py::none()));
}

// Times the bare C++ call on the given inputs and outputs, inside this
// process: the reference that benchmarks/health_vs_numpy.py interleaves with
// Python calls to measure the binding's overhead on a noisy machine.
std::vector<double> time_score(const fv::HealthModel& model, const py::dict& mapping, unsigned threads,
                               const py::tuple& out_arrays, int repeat) {
  Inputs in = to_inputs(mapping);
  const auto count = in.arrays.empty() ? py::ssize_t{0} : in.arrays[0].size();
  auto score_out = output<double>(out_arrays[0], "score", count);
  auto band_out = output<std::int8_t>(out_arrays[1], "band_code", count);
  auto coverage_out = output<double>(out_arrays[2], "coverage", count);
  auto weakest_out = output<std::int8_t>(out_arrays[3], "weakest_code", count);
  const fv::ScoreOutput out{span_of(score_out), span_of(band_out), span_of(coverage_out), span_of(weakest_out), {}, {}};
  fv::ScoreOptions options;
  options.threads = threads;
  std::vector<double> seconds;
  py::gil_scoped_release release;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    model.score(in.columns, out, options);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return seconds;
}

std::string explain(const fv::HealthModel& model, const py::dict& mapping, double previous) {
  std::vector<std::string> names;
  std::vector<double> values;
  for (auto item : mapping) {
    const std::string name = py::cast<std::string>(py::str(item.first));
    try {
      values.push_back(py::cast<double>(item.second));
    } catch (const py::cast_error&) {
      throw fv::Error(fv::Errc::invalid, fv::join_path("inputs", name), "expected a number");
    }
    names.push_back(name);
  }
  std::vector<fv::NamedValue> row;
  for (std::size_t c = 0; c < names.size(); ++c) row.push_back({names[c], values[c]});
  return model.explain(row, previous).to_json();
}

// ---- plans ---------------------------------------------------------------------

// Days arrive as int32 exactly: the Python layer checks ranges and fractions,
// so nothing here may be cast (and wrapped or truncated) silently.
using DayArray = py::array_t<std::int32_t, py::array::c_style>;

DayArray days_in(const py::object& obj, const char* name) {
  if (py::isinstance<py::int_>(obj)) {
    const auto v = py::cast<long long>(obj);
    if (v < INT32_MIN || v > INT32_MAX) throw fv::Error(fv::Errc::invalid, name, std::to_string(v) + " is out of range");
    DayArray a(1);
    a.mutable_data()[0] = static_cast<std::int32_t>(v);
    return a;
  }
  if (!py::isinstance<DayArray>(obj) || py::cast<py::array>(obj).ndim() != 1)
    throw fv::Error(fv::Errc::invalid, name, "expected a contiguous 1-D int32 array of days");
  return py::reinterpret_borrow<DayArray>(obj);
}

// Applies `f` element-wise over broadcast-free 1-D inputs (equal sizes, or a scalar second operand).
template <class F>
py::array_t<std::int32_t> map_days(const py::object& first, const py::object& second, F f) {
  DayArray a = days_in(first, "days");
  DayArray b = days_in(second, "n");
  if (b.size() != 1 && b.size() != a.size())
    throw fv::Error(fv::Errc::invalid, "n", "has " + std::to_string(b.size()) + " values for " + std::to_string(a.size()) + " days");
  py::array_t<std::int32_t> out(a.size());
  const std::int32_t* pa = a.data();
  const std::int32_t* pb = b.data();
  std::int32_t* po = out.mutable_data();
  const bool scalar = b.size() == 1;
  const auto n = static_cast<std::size_t>(a.size());
  {
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[scalar ? 0 : i]);
  }
  return out;
}

template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::dict node_columns(const fv::NodeTable& t) {
  py::dict d;
  d["account"] = to_numpy(t.account);
  d["id"] = t.id;
  d["name"] = t.name;
  d["kind"] = t.kind;
  d["phase"] = t.phase;
  d["milestone"] = t.milestone;
  d["role"] = t.role;
  d["is_milestone"] = to_numpy(t.is_milestone);
  d["active"] = to_numpy(t.active);
  d["critical"] = to_numpy(t.critical);
  d["customer_owned"] = to_numpy(t.customer_owned);
  d["planned_start"] = to_numpy(t.planned_start);
  d["planned_due"] = to_numpy(t.planned_due);
  d["due"] = to_numpy(t.due);
  d["forecast"] = to_numpy(t.forecast);
  d["done"] = to_numpy(t.done);
  d["status"] = to_numpy(t.status);
  d["completion"] = to_numpy(t.completion);
  d["slip_count"] = to_numpy(t.slip_count);
  d["slip_days"] = to_numpy(t.slip_days);
  return d;
}

struct PlanResults {
  std::vector<fv::PlanReport> reports;
};

py::dict plan_columns(const PlanResults& r) {
  std::vector<std::int8_t> status;
  std::vector<double> percent;
  std::vector<std::int32_t> planned, forecast, start;
  std::vector<std::uint8_t> concluded;
  py::list account, template_id, selection, reason;
  for (const auto& p : r.reports) {
    status.push_back(static_cast<std::int8_t>(p.status));
    percent.push_back(p.percent_done);
    planned.push_back(p.planned_finish);
    forecast.push_back(p.forecast_finish);
    start.push_back(p.start);
    concluded.push_back(p.concluded ? 1 : 0);
    account.append(p.account);
    template_id.append(p.template_id);
    selection.append(p.selection);
    reason.append(p.reason);
  }
  py::dict d;
  d["account"] = account;
  d["template"] = template_id;
  d["selection"] = selection;
  d["start"] = to_numpy(start);
  d["status"] = to_numpy(status);
  d["reason"] = reason;
  d["percent_done"] = to_numpy(percent);
  d["planned_finish"] = to_numpy(planned);
  d["forecast_finish"] = to_numpy(forecast);
  d["concluded"] = to_numpy(concluded);
  return d;
}

std::vector<std::string> enum_names(int count, std::string_view (*name)(int)) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.emplace_back(name(i));
  return out;
}

py::dict sample_health_portfolio(std::size_t n, std::uint64_t seed) {
  fv::SampleHealthPortfolio p;
  {
    py::gil_scoped_release release;
    p = fv::sample_health_portfolio(n, seed);
  }
  py::list key, name, tier, arr, archetype;
  for (const auto& a : p.accounts) {
    key.append(a.key);
    name.append(a.name);
    tier.append(a.tier);
    arr.append(a.arr);
    archetype.append(a.archetype);
  }
  py::dict inputs;
  for (std::size_t k = 0; k < p.factor_names.size(); ++k)
    inputs[py::str(p.factor_names[k])] = py::array_t<double>(static_cast<py::ssize_t>(n), p.inputs[k].data());
  py::dict out;
  out["account"] = key;
  out["name"] = name;
  out["tier"] = tier;
  out["arr"] = arr;
  out["archetype"] = archetype;
  out["inputs"] = inputs;
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "firstvalue compiled core (use the firstvalue package, not this module)";
  m.attr("__version__") = fv::version_string;
  register_errors(m);

  py::class_<fv::HealthModel>(m, "HealthModel")
      .def_static("default", &fv::HealthModel::default_model)
      .def_static("from_json", [](std::string_view text) { return fv::HealthModel::from_json(text); },
                  py::arg("json"))
      .def("to_json", &fv::HealthModel::to_json, py::arg("indent") = 2)
      .def_property_readonly("name", &fv::HealthModel::name)
      .def_property_readonly("missing_policy",
                             [](const fv::HealthModel& model) { return std::string(fv::to_string(model.missing_policy())); })
      .def_property_readonly("factor_names",
                             [](const fv::HealthModel& model) {
                               std::vector<std::string> names;
                               for (const auto& f : model.factors()) names.push_back(f.name);
                               return names;
                             })
      .def_property_readonly("weights",
                             [](const fv::HealthModel& model) {
                               std::vector<double> w;
                               for (const auto& f : model.factors()) w.push_back(f.weight);
                               return w;
                             })
      .def_property_readonly("band_names",
                             [](const fv::HealthModel& model) {
                               std::vector<std::string> names;
                               for (const auto& b : model.bands()) names.push_back(b.name);
                               return names;
                             })
      .def_property_readonly("band_colors",
                             [](const fv::HealthModel& model) {
                               std::vector<std::string> colors;
                               for (const auto& b : model.bands()) colors.push_back(b.color);
                               return colors;
                             })
      .def("band_of", &fv::HealthModel::band_of, py::arg("score"))
      .def("_score", &score, py::arg("inputs"), py::arg("previous") = py::none(), py::arg("threads") = 1,
           py::arg("out") = py::none())
      .def("_time_score", &time_score, py::arg("inputs"), py::arg("threads"), py::arg("out"), py::arg("repeat"))
      .def("_explain", &explain, py::arg("inputs"), py::arg("previous") = fv::kNaN)
      .def("__eq__", [](const fv::HealthModel& a, const fv::HealthModel& b) { return a == b; })
      .def("__repr__", [](const fv::HealthModel& model) {
        return "<firstvalue.HealthModel \"" + model.name() + "\" with " + std::to_string(model.factors().size()) +
               " factors>";
      });

  py::class_<fv::Calendar>(m, "Calendar")
      .def_static("from_json", [](std::string_view text) { return fv::Calendar::from_json(text); }, py::arg("json"))
      .def("to_json", &fv::Calendar::to_json, py::arg("indent") = 2)
      .def("is_business_day",
           [](const fv::Calendar& c, const py::object& days) {
             return map_days(days, py::int_(0), [&](std::int32_t d, std::int32_t) { return c.is_business_day(d) ? 1 : 0; });
           })
      .def("add_business_days",
           [](const fv::Calendar& c, const py::object& days, const py::object& n) {
             return map_days(days, n, [&](std::int32_t d, std::int32_t k) { return c.add_business_days(d, k); });
           })
      .def("business_days_between",
           [](const fv::Calendar& c, const py::object& a, const py::object& b) {
             return map_days(a, b, [&](std::int32_t x, std::int32_t y) { return c.business_days_between(x, y); });
           })
      .def("roll_forward",
           [](const fv::Calendar& c, const py::object& days) {
             return map_days(days, py::int_(0), [&](std::int32_t d, std::int32_t) { return c.roll_forward(d); });
           })
      .def("__eq__", [](const fv::Calendar& a, const fv::Calendar& b) { return a == b; });

  py::class_<fv::TemplateSet>(m, "TemplateSet")
      .def_static("default", &fv::TemplateSet::default_set)
      .def_static("from_json", [](std::string_view text) { return fv::TemplateSet::from_json(text); }, py::arg("json"))
      .def("to_json", &fv::TemplateSet::to_json, py::arg("indent") = 2)
      .def_property_readonly("fallback", &fv::TemplateSet::fallback)
      .def_property_readonly("template_ids",
                             [](const fv::TemplateSet& set) {
                               std::vector<std::string> ids;
                               for (const auto& t : set.templates()) ids.push_back(t.id);
                               return ids;
                             })
      .def("template_json",
           [](const fv::TemplateSet& set, std::string_view id) {
             const fv::Template* t = set.find(id);
             if (!t) throw fv::Error(fv::Errc::not_found, "id", "no template \"" + std::string(id) + "\"");
             return t->to_json();
           })
      .def("select", [](const fv::TemplateSet& set, std::string_view attributes_json) {
        // Attributes travel as a one-account document so the core parses them.
        const std::string doc = std::string(R"({"account":"_","start":0,"attributes":)") + std::string(attributes_json) + "}";
        const auto account = fv::AccountPlan::from_json(doc);
        const auto s = set.select(account.attributes);
        return py::make_tuple(set.templates()[s.index].id, s.reason);
      });

  m.def("_template_check", [](std::string_view text) {
    const auto t = fv::Template::from_json(text);
    return py::make_tuple(t.to_json(), t.variables());
  });
  m.def("_expr_check", [](std::string_view source) { return fv::Expr::parse(source).variables(); });

  py::class_<PlanResults>(m, "PlanResults")
      .def("__len__", [](const PlanResults& r) { return r.reports.size(); })
      .def("report_json", [](const PlanResults& r, std::size_t i) {
        if (i >= r.reports.size()) throw fv::Error(fv::Errc::not_found, "index", "no account " + std::to_string(i));
        return r.reports[i].to_json();
      })
      .def("nodes", [](const PlanResults& r, bool milestones_only) { return node_columns(fv::node_table(r.reports, milestones_only)); })
      .def("plans", &plan_columns)
      .def("goals", [](const PlanResults& r) {
        py::list rows;
        for (std::size_t i = 0; i < r.reports.size(); ++i)
          for (const auto& g : r.reports[i].goals) rows.append(py::make_tuple(i, g.to_json(-1)));
        return rows;
      })
      .def("handoffs", [](const PlanResults& r) {
        py::list rows;
        for (std::size_t i = 0; i < r.reports.size(); ++i)
          if (r.reports[i].handoff) rows.append(py::make_tuple(i, r.reports[i].handoff->to_json(-1)));
        return rows;
      });

  py::class_<fv::Scheduler>(m, "Scheduler")
      .def(py::init([](const fv::TemplateSet& set, const fv::Calendar& calendar, const std::string& policy_json) {
             return fv::Scheduler(set, calendar, policy_json.empty() ? fv::PlanPolicy{} : fv::PlanPolicy::from_json(policy_json));
           }),
           py::arg("templates"), py::arg("calendar"), py::arg("policy_json") = "")
      .def("evaluate", [](const fv::Scheduler& s, std::string_view accounts_json, std::int32_t as_of, unsigned threads) {
        PlanResults r;
        {
          py::gil_scoped_release release;
          const auto accounts = fv::AccountPlan::list_from_json(accounts_json);
          r.reports = s.evaluate(accounts, as_of, threads);
        }
        return r;
      }, py::arg("accounts_json"), py::arg("as_of"), py::arg("threads") = 1);

  m.attr("NODE_STATUS") = enum_names(7, [](int i) { return fv::to_string(static_cast<fv::Status>(i)); });
  m.attr("PLAN_STATUS") = enum_names(3, [](int i) { return fv::to_string(static_cast<fv::PlanStatus>(i)); });
  m.attr("COMPLETION") = enum_names(4, [](int i) { return fv::to_string(static_cast<fv::Completion>(i)); });
  m.attr("NO_DAY") = fv::kNoDay;

  m.def("_evaluate_goals", [](std::string_view text, std::int32_t as_of) {
    return fv::goal_reports_to_json(fv::SuccessPlan::from_json(text).evaluate(as_of));
  });
  m.def("_assess_handoff", [](std::string_view text) { return fv::HandoffRecord::from_json(text).assess().to_json(); });
  m.def("_parse_date", [](std::string_view text) {
    const auto d = fv::parse_date(text);
    if (!d) throw fv::Error(fv::Errc::invalid, "", "not a date \"" + std::string(text) + "\" (expected YYYY-MM-DD)");
    return *d;
  });

  m.def("_sample_health_portfolio", &sample_health_portfolio, py::arg("n_accounts") = 40,
        py::arg("seed") = 2026);
}
