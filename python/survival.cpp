// firstvalue._core: Kaplan–Meier counts and curves. Translation only: the
// arrays are handed to the header-first estimator without copies where their
// dtype allows.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <span>
#include <string>

#include "firstvalue/error.hpp"
#include "firstvalue/kaplan_meier.hpp"
#include "numpy_arrays.hpp"

namespace py = pybind11;
namespace fv = firstvalue;

namespace {

using firstvalue::python::move_numpy;
using firstvalue::python::to_numpy;
using firstvalue::python::view_numpy;

py::array one_d(const py::object& given, const char* name) {
  py::array a = py::array::ensure(given);
  if (!a) {
    PyErr_Clear();
    throw fv::Error(fv::Errc::invalid, name, "expected an array of numbers");
  }
  if (a.ndim() != 1)
    throw fv::Error(fv::Errc::invalid, name, "expected a 1-D array, got " + std::to_string(a.ndim()) + " dimensions");
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw fv::Error(fv::Errc::invalid, name, "expected numbers, got dtype " + py::str(a.dtype()).cast<std::string>());
  return a;
}

// Integer times stay integers (no float round trip); any other numbers are doubles.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> as(const py::array& a) {
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

template <class T>
std::span<const T> span_of(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
  return {a.data(), static_cast<std::size_t>(a.size())};
}

template <class D>
fv::SurvivalCounts count_with(const py::array& durations, const py::object& events, const py::object& entry) {
  const auto d = as<D>(durations);
  py::array_t<D, py::array::c_style | py::array::forcecast> e;
  if (!entry.is_none()) e = as<D>(one_d(entry, "entry"));
  auto run = [&](auto flags) {
    py::gil_scoped_release release;
    return fv::count_survival<D>(span_of(d), flags, entry.is_none() ? std::span<const D>{} : span_of(e));
  };
  if (events.is_none()) return run(std::span<const std::uint8_t>{});
  const py::array ev = one_d(events, "events");
  const char kind = ev.dtype().kind();
  // Booleans are bytes of 0 and 1: read in place. Numbers keep their values,
  // so a 2 or a 0.5 is reported rather than truncated.
  if (kind == 'b') {
    const auto flags = as<std::uint8_t>(ev.attr("view")("uint8"));
    return run(span_of(flags));
  }
  if (kind == 'f') {
    const auto flags = as<double>(ev);
    return run(span_of(flags));
  }
  const auto flags = as<std::int64_t>(ev);
  return run(span_of(flags));
}

fv::SurvivalCounts counts_of(const py::object& durations, const py::object& events, const py::object& entry) {
  const py::array d = one_d(durations, "durations");
  const bool integers = (d.dtype().kind() == 'i' || d.dtype().kind() == 'u' || d.dtype().kind() == 'b') &&
                        (entry.is_none() || py::array::ensure(entry).dtype().kind() != 'f');
  return integers ? count_with<std::int64_t>(d, events, entry) : count_with<double>(d, events, entry);
}

py::array_t<double> predict(const fv::SurvivalCurve& c, const py::object& times) {
  const auto t = as<double>(one_d(times, "times"));
  py::array_t<double> out(t.size());
  double* o = out.mutable_data();
  for (py::ssize_t i = 0; i < t.size(); ++i) o[i] = c.predict(t.data()[i]);
  return out;
}

}  // namespace

void bind_survival(py::module_& m) {
  py::class_<fv::SurvivalCounts>(m, "SurvivalCounts")
      .def(py::init<>())
      .def_static("from_arrays", &counts_of, py::arg("durations"), py::arg("events") = py::none(),
                  py::arg("entry") = py::none())
      .def("__len__", &fv::SurvivalCounts::size)
      .def_property_readonly("subjects", &fv::SurvivalCounts::subjects)
      .def_property_readonly("time", [](const fv::SurvivalCounts& c) { return to_numpy(c.time); })
      .def_property_readonly("events", [](const fv::SurvivalCounts& c) { return to_numpy(c.events); })
      .def_property_readonly("censored", [](const fv::SurvivalCounts& c) { return to_numpy(c.censored); })
      .def_property_readonly("entered", [](const fv::SurvivalCounts& c) { return to_numpy(c.entered); })
      .def("merge", [](fv::SurvivalCounts& c, const fv::SurvivalCounts& other) { c.merge(other); }, py::arg("other"))
      .def("__eq__", [](const fv::SurvivalCounts& a, const fv::SurvivalCounts& b) { return a == b; })
      .def(py::pickle(
          [](const fv::SurvivalCounts& c) {
            return py::make_tuple(to_numpy(c.time), to_numpy(c.events), to_numpy(c.censored), to_numpy(c.entered));
          },
          [](const py::tuple& t) {
            if (t.size() != 4) throw fv::Error(fv::Errc::invalid, "state", "expected 4 columns");
            fv::SurvivalCounts c;
            c.time = t[0].cast<std::vector<double>>();
            c.events = t[1].cast<std::vector<std::int64_t>>();
            c.censored = t[2].cast<std::vector<std::int64_t>>();
            c.entered = t[3].cast<std::vector<std::int64_t>>();
            c.check_columns("state");
            return c;
          }));

  py::class_<fv::SurvivalCurve>(m, "SurvivalCurve")
      .def("__len__", &fv::SurvivalCurve::size)
      .def_readonly("alpha", &fv::SurvivalCurve::alpha)
      // The stored columns are read-only views of the curve, which they keep
      // alive; the bounds are computed here and handed over.
      .def("columns", [](const py::object& self) {
        const auto& c = self.cast<const fv::SurvivalCurve&>();
        fv::SurvivalBand band;
        {
          py::gil_scoped_release release;
          band = c.band();
        }
        py::dict d;
        d["time"] = view_numpy(c.time, self);
        d["at_risk"] = view_numpy(c.at_risk, self);
        d["events"] = view_numpy(c.events, self);
        d["censored"] = view_numpy(c.censored, self);
        d["entered"] = view_numpy(c.entered, self);
        d["survival"] = view_numpy(c.survival, self);
        d["ci_lower"] = move_numpy(std::move(band.lower));
        d["ci_upper"] = move_numpy(std::move(band.upper));
        d["greenwood"] = view_numpy(c.greenwood, self);
        return d;
      })
      .def("counts", [](const fv::SurvivalCurve& c) {
        return fv::SurvivalCounts{c.time, c.events, c.censored, c.entered};
      })
      .def("predict", &predict, py::arg("times"))
      .def("quantile", &fv::SurvivalCurve::quantile, py::arg("q"))
      .def("quantile_ci", &fv::SurvivalCurve::quantile_ci, py::arg("q"));

  m.def("kaplan_meier", [](const py::object& durations, const py::object& events, const py::object& entry, double alpha) {
    fv::SurvivalCounts counts = counts_of(durations, events, entry);
    py::gil_scoped_release release;
    return fv::kaplan_meier(std::move(counts), alpha);
  }, py::arg("durations"), py::arg("events") = py::none(), py::arg("entry") = py::none(), py::arg("alpha") = 0.05);
  m.def("kaplan_meier_from_counts", [](const fv::SurvivalCounts& counts, double alpha) {
    py::gil_scoped_release release;
    return fv::kaplan_meier(counts, alpha);
  }, py::arg("counts"), py::arg("alpha") = 0.05);
  m.def("normal_quantile", &fv::normal_quantile, py::arg("p"));
}
