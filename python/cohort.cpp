// firstvalue._core: time-to-value and cohort summaries. Translation only: the
// portfolio computes, the summaries merge in the core, reports cross as JSON.

#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>

#include "firstvalue/cohort.hpp"
#include "firstvalue/portfolio.hpp"
#include "firstvalue/ttv.hpp"
#include "numpy_arrays.hpp"

namespace py = pybind11;
namespace fv = firstvalue;

namespace {

using firstvalue::python::to_numpy;

fv::DayCount unit_named(const std::string& unit) {
  if (const auto u = fv::parse_day_count(unit)) return *u;
  throw fv::Error(fv::Errc::invalid, "unit", "must be calendar or business, not \"" + unit + "\"");
}

// Point-major columns: row p * accounts + i is point p of account i.
py::dict ttv_columns(const fv::Portfolio& p, std::int32_t as_of, const std::string& unit, unsigned threads) {
  const fv::DayCount u = unit_named(unit);
  std::vector<std::int8_t> state;
  std::vector<std::int32_t> day, duration;
  {
    py::gil_scoped_release release;
    const std::vector<fv::AccountTtv> ttv = p.time_to_value(as_of, u, threads);
    const std::size_t n = ttv.size(), points = fv::kValuePoints.size();
    state.resize(n * points);
    day.resize(n * points);
    duration.resize(n * points);
    for (std::size_t k = 0; k < points; ++k)
      for (std::size_t i = 0; i < n; ++i) {
        const fv::TtvPoint& x = ttv[i].points[k];
        state[k * n + i] = static_cast<std::int8_t>(x.state);
        day[k * n + i] = x.day;
        duration[k * n + i] = x.duration;
      }
  }
  py::dict d;
  d["state"] = to_numpy(state);
  d["day"] = to_numpy(day);
  d["duration"] = to_numpy(duration);
  return d;
}

fv::CohortSummaries summaries_of(const fv::Portfolio& p, std::int32_t as_of, const std::string& options_json,
                                 unsigned threads) {
  const fv::CohortOptions o = fv::CohortOptions::from_json(options_json);
  py::gil_scoped_release release;
  return p.cohort_summaries(as_of, o, threads);
}

std::string reports_json(const fv::CohortSummaries& s, const std::string& benchmarks_json, double alpha, bool total) {
  const fv::CohortBenchmarks b = fv::CohortBenchmarks::from_json(benchmarks_json);
  return fv::cohort_reports_json(fv::cohort_reports(s, b, alpha, total), -1);
}

}  // namespace

void bind_cohort(py::module_& m) {
  m.attr("VALUE_POINTS") = py::cast(std::vector<std::string>(fv::kValuePoints.begin(), fv::kValuePoints.end()));
  m.attr("TTV_STATES") = py::cast(std::vector<std::string>(fv::kTtvStates.begin(), fv::kTtvStates.end()));
  m.attr("KPI_NAMES") = py::cast(std::vector<std::string>(fv::kKpiNames.begin(), fv::kKpiNames.end()));

  py::class_<fv::CohortSummaries>(m, "CohortSummaries")
      .def_static("from_json", [](std::string_view text) { return fv::CohortSummaries::from_json(text); })
      .def("to_json", &fv::CohortSummaries::to_json, py::arg("indent") = -1)
      .def_readonly("as_of", &fv::CohortSummaries::as_of)
      .def_property_readonly("options", [](const fv::CohortSummaries& s) { return s.options.to_json(-1); })
      .def_property_readonly("cohorts", [](const fv::CohortSummaries& s) {
        std::vector<std::string> labels;
        for (const auto& [label, c] : s.cohorts) labels.push_back(label);
        return labels;
      })
      .def("accounts", [](const fv::CohortSummaries& s, std::string_view label) {
        const auto it = s.cohorts.find(label);
        if (it == s.cohorts.end()) throw fv::Error(fv::Errc::not_found, "cohort", "no cohort \"" + std::string(label) + "\"");
        return it->second.accounts;
      })
      .def("merge", [](fv::CohortSummaries& s, const fv::CohortSummaries& other) { s.merge(other); })
      .def("copy", [](const fv::CohortSummaries& s) { return s; })
      .def("reports_json", &reports_json, py::arg("benchmarks_json") = "{}", py::arg("alpha") = 0.05,
           py::arg("total") = true)
      .def(py::self == py::self)
      .def(py::pickle([](const fv::CohortSummaries& s) { return s.to_json(); },
                      [](const std::string& text) { return fv::CohortSummaries::from_json(text); }));

  auto portfolio = py::reinterpret_borrow<py::class_<fv::Portfolio>>(m.attr("Portfolio"));
  portfolio.def("ttv_columns", &ttv_columns, py::arg("as_of"), py::arg("unit") = "calendar", py::arg("threads") = 1)
      .def("cohort_summaries", &summaries_of, py::arg("as_of"), py::arg("options_json") = "{}", py::arg("threads") = 1);
}
