// firstvalue._core: translation between Python objects and the C++ core.
// No onboarding rule lives here; the idiomatic API is in the pure-Python
// package next to this file.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "firstvalue/firstvalue.hpp"
#include "numpy_arrays.hpp"

namespace py = pybind11;
namespace fv = firstvalue;

namespace {

using InputArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

struct ErrorClasses {
  PyObject* base = nullptr;
  PyObject* invalid = nullptr;
  PyObject* not_found = nullptr;
  PyObject* forbidden = nullptr;
  PyObject* io = nullptr;
  PyObject* corrupt = nullptr;
  PyObject* unsupported = nullptr;
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
  g_errors.io = new_error_class(m, "StorageError", pair(PyExc_OSError), "The file system failed (a snapshot's file).");
  g_errors.corrupt = new_error_class(m, "CorruptError", pair(PyExc_ValueError),
                                     "A snapshot is damaged, truncated or was tampered with; nothing was loaded.");
  g_errors.unsupported = new_error_class(m, "UnsupportedError", pair(PyExc_ValueError),
                                         "A snapshot of a newer format than this firstvalue reads.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fv::Error& e) {
      PyObject* cls = g_errors.base;
      if (e.code() == fv::Errc::invalid) cls = g_errors.invalid;
      else if (e.code() == fv::Errc::not_found) cls = g_errors.not_found;
      else if (e.code() == fv::Errc::forbidden) cls = g_errors.forbidden;
      else if (e.code() == fv::Errc::io) cls = g_errors.io;
      else if (e.code() == fv::Errc::corrupt) cls = g_errors.corrupt;
      else if (e.code() == fv::Errc::unsupported) cls = g_errors.unsupported;
      py::object instance = py::reinterpret_borrow<py::object>(cls)(e.what());
      instance.attr("code") = fv::errc_name(e.code());
      instance.attr("path") = e.path();
      instance.attr("detail") = e.detail();
      PyErr_SetObject(cls, instance.ptr());
    }
  });
}

// A snapshot key from Python: None, 32 bytes, or 64 hexadecimal digits.
fv::SnapshotOptions snapshot_options(const py::object& key, unsigned threads = 1) {
  fv::SnapshotOptions o;
  o.threads = threads;
  if (key.is_none()) return o;
  if (py::isinstance<py::str>(key)) {
    o.key = fv::snapshot_key_from_hex(key.cast<std::string>());
    return o;
  }
  if (!py::isinstance<py::bytes>(key) && !py::isinstance<py::bytearray>(key))
    throw fv::Error(fv::Errc::invalid, "key", "must be 32 bytes or 64 hexadecimal digits");
  const std::string bytes = py::isinstance<py::bytes>(key) ? key.cast<std::string>()
                                                           : std::string(py::bytearray(key));
  if (bytes.size() != 32)
    throw fv::Error(fv::Errc::invalid, "key", "must be 32 bytes (AES-256), not " + std::to_string(bytes.size()));
  fv::SnapshotKey k{};
  std::memcpy(k.data(), bytes.data(), k.size());
  o.key = k;
  return o;
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

using firstvalue::python::to_numpy;
using firstvalue::python::view_numpy;

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
  std::vector<std::int32_t> planned, forecast, start, concluded_on;
  std::vector<std::uint8_t> concluded;
  py::list account, template_id, selection, reason;
  for (const auto& p : r.reports) {
    status.push_back(static_cast<std::int8_t>(p.status));
    percent.push_back(p.percent_done);
    planned.push_back(p.planned_finish);
    forecast.push_back(p.forecast_finish);
    start.push_back(p.start);
    concluded.push_back(p.concluded ? 1 : 0);
    concluded_on.push_back(p.concluded_on);
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
  d["concluded_on"] = to_numpy(concluded_on);
  return d;
}

std::vector<std::string> enum_names(int count, std::string_view (*name)(int)) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.emplace_back(name(i));
  return out;
}

// ---- the portfolio scan ------------------------------------------------------

using Int64Array = py::array_t<std::int64_t, py::array::c_style>;
using Int32Array = py::array_t<std::int32_t, py::array::c_style>;
using UInt64Array = py::array_t<std::uint64_t, py::array::c_style>;
using DoubleArray = py::array_t<double, py::array::c_style>;

// A dictionary-encoded column as the Python layer hands it over: int32 codes,
// or int8 codes for a small dictionary (or None for no column), and the
// distinct values as a list or a 1-D object array. The core reads the str
// objects in place while the GIL is released (the arrays and the values stay
// referenced meanwhile), so nothing is copied per value: a million accounts'
// users are 17M values. ASCII str, the common case for keys, are read
// straight from the object; the UTF-8 of the others, and str() of values that
// are not str (a pandas categorical of numbers), are kept aside by index.
struct EncodedColumn {
  Int32Array codes;
  py::array_t<std::int8_t, py::array::c_style> small_codes;
  py::object values;
  PyObject* const* items = nullptr;
  std::size_t n_items = 0;
  std::vector<std::pair<std::size_t, std::string_view>> others;  // by index: values not ASCII str
  std::vector<py::object> converted;                             // str() of the values that were not str

  // Runs without the GIL: it only reads immutable str objects.
  static std::string_view read(const void* context, std::size_t i) noexcept {
    const auto& c = *static_cast<const EncodedColumn*>(context);
    PyObject* s = c.items[i];
    if (PyUnicode_Check(s) && PyUnicode_IS_COMPACT_ASCII(s))
      return {static_cast<const char*>(PyUnicode_DATA(s)), static_cast<std::size_t>(PyUnicode_GET_LENGTH(s))};
    const auto it = std::lower_bound(c.others.begin(), c.others.end(), i,
                                     [](const auto& o, std::size_t k) { return o.first < k; });
    // Every other value was put aside when the column was read; a slot the
    // host replaced since (the dictionary must not change during the call)
    // reads as no value rather than past the end.
    return it != c.others.end() && it->first == i ? it->second : std::string_view();
  }
  fv::Dictionary dictionary() const {
    fv::Dictionary d;
    if (codes) d.codes = {codes.data(), static_cast<std::size_t>(codes.size())};
    if (small_codes) d.small_codes = {small_codes.data(), static_cast<std::size_t>(small_codes.size())};
    if (codes || small_codes)
      d.values = fv::DictionaryValues::read_by(&EncodedColumn::read, this, n_items,
                                               reinterpret_cast<const void* const*>(items));
    return d;
  }
};

template <class A>
A exact_array(const py::object& obj, const char* name) {
  if (!py::isinstance<A>(obj) || py::cast<py::array>(obj).ndim() != 1)
    throw fv::Error(fv::Errc::invalid, std::string("events.") + name,
                    std::string("expected a contiguous 1-D array of ") +
                        py::str(py::dtype::of<typename A::value_type>()).cast<std::string>());
  return py::reinterpret_borrow<A>(obj);
}

// The UTF-8 of a str. ASCII strings, the common case for keys, are read
// straight from the object. A str with a lone surrogate (what
// surrogateescape makes of bytes) has none.
std::string_view utf8(PyObject* s, const char* name) {
  if (PyUnicode_IS_COMPACT_ASCII(s))
    return {static_cast<const char*>(PyUnicode_DATA(s)), static_cast<std::size_t>(PyUnicode_GET_LENGTH(s))};
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(s, &size);
  if (data == nullptr) {
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) throw py::error_already_set();
    PyErr_Clear();
    const Py_ssize_t length = PyUnicode_GET_LENGTH(s);
    const auto head = py::reinterpret_steal<py::object>(PyUnicode_Substring(s, 0, std::min<Py_ssize_t>(length, 64)));
    if (!head) throw py::error_already_set();
    throw fv::Error(fv::Errc::invalid, std::string("events.") + name,
                    "holds a str with a lone surrogate, which has no UTF-8: " + py::repr(head).cast<std::string>() +
                        (length > 64 ? " (the first 64 of " + std::to_string(length) + " characters)" : ""));
  }
  return {data, static_cast<std::size_t>(size)};
}

EncodedColumn encoded(const py::object& codes, const py::object& values, const char* name) {
  EncodedColumn c;
  if (codes.is_none()) return c;
  if (py::isinstance<py::array_t<std::int8_t, py::array::c_style>>(codes) && py::cast<py::array>(codes).ndim() == 1)
    c.small_codes = py::reinterpret_borrow<py::array_t<std::int8_t, py::array::c_style>>(codes);
  else
    c.codes = exact_array<Int32Array>(codes, name);
  PyObject* const* items = nullptr;
  std::size_t n = 0;
  if (py::isinstance<py::list>(values)) {
    items = PySequence_Fast_ITEMS(values.ptr());
    n = static_cast<std::size_t>(PyList_GET_SIZE(values.ptr()));
  } else if (py::isinstance<py::array>(values) && py::cast<py::array>(values).dtype().kind() == 'O' &&
             py::cast<py::array>(values).ndim() == 1 &&
             (py::cast<py::array>(values).flags() & py::array::c_style) != 0) {
    const auto arr = py::cast<py::array>(values);
    items = static_cast<PyObject* const*>(arr.data());
    n = static_cast<std::size_t>(arr.size());
  } else {
    throw fv::Error(fv::Errc::invalid, std::string("events.") + name,
                    "expected the dictionary as a list or a 1-D object array of str");
  }
  c.values = values;
  c.items = items;
  c.n_items = n;
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* item = items[i];
    if (item == nullptr) throw fv::Error(fv::Errc::invalid, std::string("events.") + name, "has an empty slot");
    if (PyUnicode_Check(item) && PyUnicode_IS_COMPACT_ASCII(item)) continue;
    if (!PyUnicode_Check(item)) {
      c.converted.push_back(py::str(py::handle(item)));
      item = c.converted.back().ptr();
    }
    c.others.emplace_back(i, utf8(item, name));
  }
  return c;
}

py::dict report_dict(const fv::IngestReport& r) {
  std::vector<std::uint64_t> rows;
  std::vector<std::int8_t> reasons;
  rows.reserve(r.rejected.size());
  reasons.reserve(r.rejected.size());
  for (const auto& x : r.rejected) {
    rows.push_back(x.row);
    reasons.push_back(static_cast<std::int8_t>(x.reason));
  }
  py::dict d;
  d["rows"] = r.rows;
  d["accepted"] = r.accepted;
  d["rejected_rows"] = to_numpy(rows);
  d["rejected_reasons"] = to_numpy(reasons);
  d["messages"] = r.messages;
  d["cancelled"] = r.cancelled;
  d["applied"] = r.applied;
  d["json"] = r.to_json();
  return d;
}

// Ingests one batch with the GIL released. The progress callback runs with
// the GIL held; Ctrl-C or an exception in the callback cancels the ingestion
// (which is idempotent, so resubmitting completes it) and is raised afterwards.
py::dict ingest(fv::Portfolio& portfolio, const py::object& ts, const py::object& account_codes,
                const py::object& account_values, const py::object& type_codes, const py::object& type_values,
                const py::object& actor_codes, const py::object& actor_values, const py::object& item_codes,
                const py::object& item_values, const py::object& value, const py::object& id, unsigned threads,
                std::size_t max_rejected, const py::object& callback, const py::object& organization_codes,
                const py::object& organization_values) {
  const Int64Array ts_a = exact_array<Int64Array>(ts, "ts");
  const EncodedColumn account = encoded(account_codes, account_values, "account");
  const EncodedColumn type = encoded(type_codes, type_values, "type");
  const EncodedColumn actor = encoded(actor_codes, actor_values, "actor");
  const EncodedColumn item = encoded(item_codes, item_values, "item");
  const EncodedColumn organization = encoded(organization_codes, organization_values, "organization");
  const DoubleArray value_a = value.is_none() ? DoubleArray() : exact_array<DoubleArray>(value, "value");
  const UInt64Array id_a = id.is_none() ? UInt64Array() : exact_array<UInt64Array>(id, "id");

  fv::EventBatch batch;
  batch.ts = {ts_a.data(), static_cast<std::size_t>(ts_a.size())};
  batch.account = account.dictionary();
  batch.type = type.dictionary();
  batch.actor = actor.dictionary();
  batch.item = item.dictionary();
  batch.organization = organization.dictionary();
  if (value_a) batch.value = {value_a.data(), static_cast<std::size_t>(value_a.size())};
  if (id_a) batch.id = {id_a.data(), static_cast<std::size_t>(id_a.size())};

  std::optional<py::error_already_set> raised;
  fv::IngestOptions options;
  options.threads = threads;
  options.max_rejected = max_rejected;
  options.progress = [&](std::size_t done, std::size_t total) {
    py::gil_scoped_acquire acquire;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (callback.is_none()) return true;
      const py::object answer = callback(done, total);
      return answer.is_none() || py::cast<bool>(py::bool_(answer));
    } catch (py::error_already_set& e) {
      raised = std::move(e);
      return false;
    }
  };
  fv::IngestReport report;
  {
    py::gil_scoped_release release;
    report = portfolio.ingest(batch, options);
  }
  if (raised) throw std::move(*raised);
  return report_dict(report);
}

// Every account, or those at `at` (portfolio indices, e.g. a scan block's).
py::dict account_columns(const fv::Portfolio& p, std::optional<py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>> at) {
  py::list key, name, tier;
  std::vector<double> arr;
  std::vector<std::int32_t> signature, planned, provisioned;
  const std::size_t n = at ? static_cast<std::size_t>(at->size()) : p.size();
  for (std::size_t k = 0; k < n; ++k) {
    const fv::Account& a = p.account(at ? at->data()[k] : k);
    key.append(a.key);
    name.append(a.name);
    tier.append(a.tier);
    arr.push_back(a.arr);
    signature.push_back(a.signature);
    planned.push_back(a.planned_seats);
    provisioned.push_back(a.provisioned_seats);
  }
  py::dict d;
  d["account"] = key;
  d["name"] = name;
  d["tier"] = tier;
  d["arr"] = to_numpy(arr);
  d["signature"] = to_numpy(signature);
  d["planned_seats"] = to_numpy(planned);
  d["provisioned_seats"] = to_numpy(provisioned);
  return d;
}

// Tonight's results as columns, in portfolio order; the primary signal's
// rule, cause and action are spelled out so a DataFrame can show them.
py::dict result_columns(const fv::Portfolio& p, std::span<const fv::AccountResult> results) {
  for (const fv::AccountResult& r : results) p.check_evaluated_here(r);
  const auto& rules = p.config().signals.rules;
  const std::size_t n = results.size();
  const fv::HealthModel& model = p.config().health;
  std::vector<std::int8_t> state(n), plan_status(n);
  std::vector<double> risk(n), priority(n), health(n), delta(n);
  std::vector<std::int32_t> onset(n), days_left(n), signals(n), day(n);
  std::vector<std::uint32_t> index(n);
  std::vector<std::vector<double>> metrics(fv::kMetricNames.size(), std::vector<double>(n));
  py::list signal, cause, action, action_text, plan_reason, never, band, weakest;
  for (std::size_t i = 0; i < n; ++i) {
    const fv::AccountResult& a = results[i];
    const fv::Assessment& as = a.assessment;
    index[i] = a.account;
    state[i] = static_cast<std::int8_t>(as.state);
    risk[i] = as.risk;
    onset[i] = as.onset;
    priority[i] = a.priority;
    days_left[i] = a.days_left;
    day[i] = a.metrics.day;
    health[i] = a.health;
    band.append(std::string(model.band_name(a.band)));
    if (a.weakest >= 0) weakest.append(model.factors()[static_cast<std::size_t>(a.weakest)].name);
    else weakest.append(py::none());
    delta[i] = a.health_delta;
    plan_status[i] = static_cast<std::int8_t>(a.plan_status);
    signals[i] = static_cast<std::int32_t>(as.signals.size());
    for (std::size_t k = 0; k < metrics.size(); ++k) metrics[k][i] = a.values[k];
    plan_reason.append(a.plan_reason);
    py::list users;
    for (const std::uint32_t u : a.metrics.planned_never) users.append(p.account(a.account).planned_users[u]);
    never.append(users);
    if (as.primary >= 0) {
      const fv::FiredSignal& f = as.signals[static_cast<std::size_t>(as.primary)];
      const fv::SignalRule& rule = rules[f.rule];
      signal.append(rule.name);
      cause.append(f.cause);
      action.append(rule.action);
      action_text.append(rule.action_text);
    } else {
      signal.append(py::none());
      cause.append(py::none());
      action.append(py::none());
      action_text.append(py::none());
    }
  }
  py::dict m;
  for (std::size_t k = 0; k < metrics.size(); ++k) m[py::str(std::string(fv::kMetricNames[k]))] = to_numpy(metrics[k]);
  py::dict d;
  d["index"] = to_numpy(index);
  d["state"] = to_numpy(state);
  d["risk"] = to_numpy(risk);
  d["onset"] = to_numpy(onset);
  d["priority"] = to_numpy(priority);
  d["days_left"] = to_numpy(days_left);
  d["day"] = to_numpy(day);
  d["health"] = to_numpy(health);
  d["band"] = band;
  d["weakest_factor"] = weakest;
  d["health_delta_7d"] = to_numpy(delta);
  d["plan_status"] = to_numpy(plan_status);
  d["plan_reason"] = plan_reason;
  d["signals"] = to_numpy(signals);
  d["primary_signal"] = signal;
  d["cause"] = cause;
  d["action"] = action;
  d["action_text"] = action_text;
  d["planned_users_never_logged_in"] = never;
  d["metrics"] = m;
  return d;
}

// The generated sample: accounts stay in C++ (a portfolio is made from them
// directly), events cross as columns the Python layer turns into categoricals.
struct Generated {
  fv::GeneratedPortfolio g;
};

py::dict generated_events(const py::object& self) {
  // Views of the generator's columns, kept alive by the generator object.
  const fv::EventTable& t = self.cast<const Generated&>().g.events;
  py::dict d;
  d["ts"] = view_numpy(t.ts, self);
  d["account"] = view_numpy(t.account, self);
  d["type"] = view_numpy(t.type, self);
  d["actor"] = view_numpy(t.actor, self);
  d["item"] = view_numpy(t.item, self);
  d["value"] = view_numpy(t.value, self);
  d["id"] = view_numpy(t.id, self);
  d["accounts"] = t.accounts;
  d["types"] = t.types;
  d["actors"] = t.actors;
  d["items"] = t.items;
  return d;
}

py::dict generated_truth(const Generated& x) {
  py::list key, cause;
  std::vector<std::int32_t> onset;
  for (std::size_t i = 0; i < x.g.accounts.size(); ++i) {
    key.append(x.g.accounts[i].key);
    cause.append(std::string(fv::to_string(x.g.truth[i].cause)));
    onset.push_back(x.g.truth[i].onset);
  }
  py::dict d;
  d["account"] = key;
  d["cause"] = cause;
  d["onset"] = to_numpy(onset);
  return d;
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

void bind_survival(py::module_& m);  // survival.cpp
void bind_cohort(py::module_& m);     // cohort.cpp

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
  m.def("mask_pii", [](std::string_view text) { return fv::mask_pii(text); }, py::arg("text"));
  py::class_<fv::PiiMasker>(m, "PiiMasker")
      .def(py::init<>())
      .def("mask", &fv::PiiMasker::mask, py::arg("text"))
      .def("mask_json", [](fv::PiiMasker& masker, std::string_view json, int indent) { return masker.mask_json(json, indent); },
           py::arg("json"), py::arg("indent") = -1)
      .def("unmask", &fv::PiiMasker::unmask, py::arg("text"))
      .def("entries", [](const fv::PiiMasker& masker) {
        py::list out;
        for (const auto& e : masker.entries())
          out.append(py::make_tuple(e.token, fv::to_string(e.kind), e.value));
        return out;
      });
  m.def("_parse_date", [](std::string_view text) {
    const auto d = fv::parse_date(text);
    if (!d) throw fv::Error(fv::Errc::invalid, "", "not a date \"" + std::string(text) + "\" (expected YYYY-MM-DD)");
    return *d;
  });

  py::class_<fv::Portfolio>(m, "Portfolio")
      .def_static("from_json", [](std::string_view text) {
        py::gil_scoped_release release;
        return fv::Portfolio::from_json(text);
      })
      .def_property_readonly("organization", &fv::Portfolio::organization)
      .def("__len__", &fv::Portfolio::size)
      .def("find", [](const fv::Portfolio& p, std::string_view key) -> py::object {
        const auto i = p.find(key);
        return i ? py::object(py::int_(*i)) : py::object(py::none());
      })
      .def("find_in", [](const fv::Portfolio& p, std::string_view organization, std::string_view key) -> py::object {
        const auto i = p.find(organization, key);
        return i ? py::object(py::int_(*i)) : py::object(py::none());
      })
      .def("add_accounts_json", [](fv::Portfolio& p, std::string_view text) {
        py::gil_scoped_release release;
        p.add_accounts_json(text);
      })
      .def("account_json", [](const fv::Portfolio& p, std::size_t i) { return p.account(i).to_json(); })
      .def("save", [](const fv::Portfolio& p, const std::string& path, const py::object& key) {
        const fv::SnapshotOptions o = snapshot_options(key);
        py::gil_scoped_release release;
        p.save(path, o);
      }, py::arg("path"), py::arg("key") = py::none())
      .def("save_bytes", [](const fv::Portfolio& p, const py::object& key) {
        const fv::SnapshotOptions o = snapshot_options(key);
        std::string bytes;
        {
          py::gil_scoped_release release;
          bytes = p.save_bytes(o);
        }
        return py::bytes(bytes);
      }, py::arg("key") = py::none())
      .def_static("load", [](const std::string& path, const py::object& key, unsigned threads) {
        const fv::SnapshotOptions o = snapshot_options(key, threads);
        py::gil_scoped_release release;
        return fv::Portfolio::load(path, o);
      }, py::arg("path"), py::arg("key") = py::none(), py::arg("threads") = 1)
      .def_static("load_bytes", [](const py::bytes& data, const py::object& key, unsigned threads) {
        const fv::SnapshotOptions o = snapshot_options(key, threads);
        const std::string_view bytes(data);
        py::gil_scoped_release release;
        return fv::Portfolio::load_bytes(bytes, o);
      }, py::arg("data"), py::arg("key") = py::none(), py::arg("threads") = 1)
      .def("export_account", [](const fv::Portfolio& p, std::string_view organization, std::string_view key,
                                std::int32_t as_of) {
        py::gil_scoped_release release;
        return p.export_account(organization, key, as_of);
      }, py::arg("organization"), py::arg("key"), py::arg("as_of"))
      .def("erase_account", [](fv::Portfolio& p, std::string_view organization, std::string_view key) {
        return p.erase_account(organization, key).to_json();
      }, py::arg("organization"), py::arg("key"))
      .def("accounts", &account_columns, py::arg("at") = py::none())
      .def("ingest", &ingest, py::arg("ts"), py::arg("account_codes"), py::arg("account_values"),
           py::arg("type_codes"), py::arg("type_values"), py::arg("actor_codes"), py::arg("actor_values"),
           py::arg("item_codes"), py::arg("item_values"), py::arg("value"), py::arg("id"), py::arg("threads"),
           py::arg("max_rejected"), py::arg("progress"), py::arg("organization_codes") = py::none(),
           py::arg("organization_values") = py::none())
      .def("evaluate", [](const fv::Portfolio& p, std::int32_t as_of, unsigned threads) {
        py::gil_scoped_release release;
        return p.evaluate(as_of, threads);
      }, py::arg("as_of"), py::arg("threads") = 1)
      .def("scan", [](const fv::Portfolio& p, std::int32_t as_of, const py::function& on_block, unsigned threads,
                      std::size_t block, std::size_t keep) {
        py::gil_scoped_release release;
        return p.scan(as_of, [&](std::span<fv::AccountResult> results) {
          py::gil_scoped_acquire acquire;
          on_block(result_columns(p, results));
        }, {threads, block, keep});
      }, py::arg("as_of"), py::arg("on_block"), py::arg("threads") = 1, py::arg("block") = 16384,
         py::arg("keep") = 1000)
      .def("result_columns", [](const fv::Portfolio& p, const fv::ScanResult& r) { return result_columns(p, r.accounts); })
      .def("plan_reports", [](const fv::Portfolio& p, std::int32_t as_of) {
        PlanResults r;
        py::gil_scoped_release release;
        r.reports.reserve(p.size());
        for (std::size_t i = 0; i < p.size(); ++i) r.reports.push_back(p.plan_report(i, as_of));
        return r;
      }, py::arg("as_of"))
      .def("worklist_json", [](const fv::Portfolio& p, const fv::ScanResult& r, int indent) {
        return p.worklist_json(r, indent);
      }, py::arg("result"), py::arg("indent") = 2)
      .def("results_json", [](const fv::Portfolio& p, const fv::ScanResult& r, int indent) {
        return p.results_json(r, indent);
      }, py::arg("result"), py::arg("indent") = 2)
      .def("account_result_json", [](const fv::Portfolio& p, const fv::ScanResult& r, std::size_t i, int indent) {
        if (i >= r.accounts.size()) throw fv::Error(fv::Errc::not_found, "account", "no account at index " + std::to_string(i));
        return p.account_result_json(r.accounts[i], indent);
      }, py::arg("result"), py::arg("index"), py::arg("indent") = 2);

  py::class_<fv::ScanResult>(m, "ScanResult")
      .def_readonly("as_of", &fv::ScanResult::as_of)
      .def("__len__", [](const fv::ScanResult& r) { return r.accounts.size(); })
      .def_property_readonly("by_state", [](const fv::ScanResult& r) { return r.by_state; })
      .def_readonly("worklist_total", &fv::ScanResult::worklist_total)
      .def_property_readonly("indices", [](const fv::ScanResult& r) {
        std::vector<std::uint32_t> at(r.accounts.size());
        for (std::size_t i = 0; i < at.size(); ++i) at[i] = r.accounts[i].account;
        return to_numpy(at);
      })
      .def_property_readonly("worklist", [](const fv::ScanResult& r) { return to_numpy(r.worklist); });

  py::class_<Generated>(m, "GeneratedPortfolio")
      .def("__len__", [](const Generated& x) { return x.g.accounts.size(); })
      .def_property_readonly("as_of", [](const Generated& x) { return x.g.options.as_of; })
      .def_property_readonly("first_signature", [](const Generated& x) { return x.g.first_signature(); })
      .def("events", &generated_events)
      .def("truth", &generated_truth)
      .def("portfolio", [](const Generated& x, std::string_view config_json) {
        py::gil_scoped_release release;
        fv::PortfolioConfig config = config_json.empty() ? fv::PortfolioConfig{} : fv::PortfolioConfig::from_json(config_json);
        if (config.organization.empty()) config.organization = x.g.options.organization;
        return fv::make_portfolio(x.g, std::move(config));
      }, py::arg("config_json") = "")
      .def("detection_quality", [](const Generated& x, std::string_view config_json, std::int32_t first_night, unsigned threads) {
        py::gil_scoped_release release;
        fv::PortfolioConfig config = config_json.empty() ? fv::PortfolioConfig{} : fv::PortfolioConfig::from_json(config_json);
        if (config.organization.empty()) config.organization = x.g.options.organization;
        return fv::detection_quality(x.g, std::move(config), first_night, threads).to_json();
      }, py::arg("config_json"), py::arg("first_night"), py::arg("threads") = 1);

  m.def("_generate_portfolio", [](std::size_t accounts, std::uint64_t seed, std::int32_t as_of, int max_age_days,
                                  double stall_share, double incident_share, std::string organization) {
    fv::GeneratorOptions o;
    o.accounts = accounts;
    o.seed = seed;
    o.as_of = as_of;
    o.max_age_days = max_age_days;
    o.stall_share = stall_share;
    o.incident_share = incident_share;
    o.organization = std::move(organization);
    Generated x;
    {
      py::gil_scoped_release release;
      x.g = fv::generate_portfolio(o);
    }
    return x;
  }, py::arg("accounts"), py::arg("seed"), py::arg("as_of"), py::arg("max_age_days"), py::arg("stall_share"),
     py::arg("incident_share"), py::arg("organization"));
  m.attr("EVENT_TYPES") = enum_names(static_cast<int>(fv::kEventTypeNames.size()), [](int i) { return fv::kEventTypeNames[static_cast<std::size_t>(i)]; });
  m.attr("REJECT_REASONS") = enum_names(static_cast<int>(fv::kRejectReasonNames.size()), [](int i) { return fv::kRejectReasonNames[static_cast<std::size_t>(i)]; });
  m.attr("ACCOUNT_STATES") = enum_names(3, [](int i) { return fv::to_string(static_cast<fv::AccountState>(i)); });
  m.attr("METRIC_NAMES") = enum_names(static_cast<int>(fv::kMetricNames.size()), [](int i) { return fv::kMetricNames[static_cast<std::size_t>(i)]; });
  m.attr("STALL_CAUSES") = enum_names(static_cast<int>(fv::kStallCauseNames.size()), [](int i) { return fv::kStallCauseNames[static_cast<std::size_t>(i)]; });

  m.def("inspect_snapshot", [](const std::string& path, const py::object& key) {
    return fv::inspect_snapshot(path, snapshot_options(key)).to_json();
  }, py::arg("path"), py::arg("key") = py::none());
  m.def("inspect_snapshot_bytes", [](const py::bytes& data, const py::object& key) {
    return fv::inspect_snapshot_bytes(std::string_view(data), snapshot_options(key)).to_json();
  }, py::arg("data"), py::arg("key") = py::none());

  m.def("_sample_health_portfolio", &sample_health_portfolio, py::arg("n_accounts") = 40,
        py::arg("seed") = 2026);
  bind_survival(m);
  bind_cohort(m);
}
