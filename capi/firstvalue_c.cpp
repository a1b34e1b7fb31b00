// The C ABI: translation only. Every entry point runs inside one guard that
// turns C++ exceptions into an fv_status and a thread-local message.

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "firstvalue.h"
#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"
#include "firstvalue/version.hpp"

namespace fv = firstvalue;

static_assert(FV_VERSION_MAJOR == FIRSTVALUE_VERSION_MAJOR && FV_VERSION_MINOR == FIRSTVALUE_VERSION_MINOR &&
                  FV_VERSION_PATCH == FIRSTVALUE_VERSION_PATCH,
              "capi/firstvalue.h version macros must match project(VERSION) in CMakeLists.txt");
static_assert(static_cast<int>(fv::Errc::invalid) == FV_E_INVALID &&
                  static_cast<int>(fv::Errc::not_found) == FV_E_NOT_FOUND &&
                  static_cast<int>(fv::Errc::forbidden) == FV_E_FORBIDDEN &&
                  static_cast<int>(fv::Errc::io) == FV_E_IO &&
                  static_cast<int>(fv::Errc::buffer_too_small) == FV_E_BUFFER_TOO_SMALL &&
                  static_cast<int>(fv::Errc::cancelled) == FV_E_CANCELLED &&
                  static_cast<int>(fv::Errc::internal) == FV_E_INTERNAL,
              "fv_status and firstvalue::Errc must agree");

struct fv_health_model {
  fv::HealthModel model;
};

namespace {

thread_local std::string g_last_error;

fv_status fail(fv_status status, std::string message) {
  g_last_error = std::move(message);
  return status;
}

template <class F>
fv_status guard(F&& body) noexcept {
  try {
    body();
    return FV_OK;
  } catch (const fv::Error& e) {
    return fail(static_cast<fv_status>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(FV_E_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail(FV_E_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(FV_E_INTERNAL, "internal error: unknown exception");
  }
}

void require(const void* p, const char* name) {
  if (p == nullptr) throw fv::Error(fv::Errc::invalid, name, "must not be NULL");
}

const fv::HealthModel& model_of(const fv_health_model* handle) {
  require(handle, "model");
  return handle->model;
}

// Copies `text` into a library-allocated fv_buf.
void to_buf(const std::string& text, fv_buf* out) {
  char* p = static_cast<char*>(std::malloc(text.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  out->ptr = p;
  out->size = text.size();
}

// The two-call protocol for caller-allocated string buffers.
void to_caller_buffer(std::string_view text, char* buffer, size_t buffer_len, size_t* out_len) {
  require(out_len, "out_len");
  *out_len = text.size();
  if (buffer_len == 0) return;  // size query
  require(buffer, "buffer");
  if (buffer_len <= text.size())
    throw fv::Error(fv::Errc::buffer_too_small, "buffer",
                    "needs " + std::to_string(text.size() + 1) + " bytes, got " +
                        std::to_string(buffer_len));
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
}

template <class T>
std::span<T> optional_span(T* p, size_t n) {
  return p == nullptr ? std::span<T>() : std::span<T>(p, n);
}

}  // namespace

extern "C" {

const char* fv_last_error(void) { return g_last_error.c_str(); }

const char* fv_status_name(fv_status status) {
  switch (status) {
    case FV_OK: return "FV_OK";
    case FV_E_INVALID: return "FV_E_INVALID";
    case FV_E_NOT_FOUND: return "FV_E_NOT_FOUND";
    case FV_E_FORBIDDEN: return "FV_E_FORBIDDEN";
    case FV_E_IO: return "FV_E_IO";
    case FV_E_BUFFER_TOO_SMALL: return "FV_E_BUFFER_TOO_SMALL";
    case FV_E_CANCELLED: return "FV_E_CANCELLED";
    case FV_E_INTERNAL: return "FV_E_INTERNAL";
  }
  return "FV_E_UNKNOWN";
}

fv_status fv_version(int* major, int* minor, int* patch) {
  if (major) *major = FIRSTVALUE_VERSION_MAJOR;
  if (minor) *minor = FIRSTVALUE_VERSION_MINOR;
  if (patch) *patch = FIRSTVALUE_VERSION_PATCH;
  return FV_OK;
}

void fv_buf_dispose(fv_buf* buf) {
  if (buf == nullptr) return;
  std::free(buf->ptr);
  buf->ptr = nullptr;
  buf->size = 0;
}

fv_status fv_health_model_default(fv_health_model** out) {
  return guard([&] {
    require(out, "out");
    *out = new fv_health_model{fv::HealthModel::default_model()};
  });
}

fv_status fv_health_model_from_json(const char* json, size_t json_len, fv_health_model** out) {
  return guard([&] {
    require(out, "out");
    if (json_len > 0) require(json, "json");
    auto parsed = fv::HealthModel::from_json(std::string_view(json ? json : "", json_len));
    *out = new fv_health_model{std::move(parsed)};
  });
}

fv_status fv_health_model_to_json(const fv_health_model* model, fv_buf* out) {
  return guard([&] {
    require(out, "out");
    to_buf(model_of(model).to_json(), out);
  });
}

void fv_health_model_free(fv_health_model* model) { delete model; }

fv_status fv_health_model_factor_count(const fv_health_model* model, size_t* out) {
  return guard([&] {
    const auto& m = model_of(model);
    require(out, "out");
    *out = m.factors().size();
  });
}

fv_status fv_health_model_factor_name(const fv_health_model* model, size_t index, char* buffer,
                                      size_t buffer_len, size_t* out_len) {
  return guard([&] {
    const auto& m = model_of(model);
    if (index >= m.factors().size())
      throw fv::Error(fv::Errc::not_found, "index",
                      "no factor " + std::to_string(index) + " (the model has " +
                          std::to_string(m.factors().size()) + ")");
    to_caller_buffer(m.factors()[index].name, buffer, buffer_len, out_len);
  });
}

fv_status fv_health_model_band_count(const fv_health_model* model, size_t* out) {
  return guard([&] {
    const auto& m = model_of(model);
    require(out, "out");
    *out = m.bands().size();
  });
}

fv_status fv_health_model_band_name(const fv_health_model* model, int band, char* buffer,
                                    size_t buffer_len, size_t* out_len) {
  return guard([&] {
    const auto& m = model_of(model);
    if (band < -1 || band >= static_cast<int>(m.bands().size()))
      throw fv::Error(fv::Errc::not_found, "band", "no band with code " + std::to_string(band));
    to_caller_buffer(m.band_name(band), buffer, buffer_len, out_len);
  });
}

fv_status fv_health_model_score(const fv_health_model* model, const char* const* names,
                                const double* const* columns, size_t n_columns, size_t n_accounts,
                                const double* previous, unsigned threads, double* out_score,
                                int8_t* out_band, double* out_coverage, int8_t* out_weakest,
                                double* out_delta, int8_t* out_band_change) {
  return guard([&] {
    const auto& m = model_of(model);
    if (n_columns > 0) {
      require(names, "names");
      require(columns, "columns");
    }
    require(out_score, "out_score");
    std::vector<fv::Column> cols(n_columns);
    for (size_t c = 0; c < n_columns; ++c) {
      if (names[c] == nullptr) throw fv::Error(fv::Errc::invalid, fv::index_path("names", c), "must not be NULL");
      if (columns[c] == nullptr && n_accounts > 0)
        throw fv::Error(fv::Errc::invalid, fv::index_path("columns", c), "must not be NULL");
      cols[c] = {names[c], std::span<const double>(columns[c], columns[c] ? n_accounts : 0)};
    }
    const fv::ScoreOutput out{optional_span(out_score, n_accounts), optional_span(out_band, n_accounts),
                              optional_span(out_coverage, n_accounts), optional_span(out_weakest, n_accounts),
                              optional_span(out_delta, n_accounts), optional_span(out_band_change, n_accounts)};
    fv::ScoreOptions options;
    options.previous = optional_span(previous, n_accounts);
    options.threads = threads;
    m.score(cols, out, options);
  });
}

fv_status fv_health_model_explain(const fv_health_model* model, const char* const* names,
                                  const double* values, size_t n_values, double previous_score,
                                  fv_buf* out) {
  return guard([&] {
    const auto& m = model_of(model);
    require(out, "out");
    if (n_values > 0) {
      require(names, "names");
      require(values, "values");
    }
    std::vector<fv::NamedValue> row(n_values);
    for (size_t c = 0; c < n_values; ++c) {
      if (names[c] == nullptr) throw fv::Error(fv::Errc::invalid, fv::index_path("names", c), "must not be NULL");
      row[c] = {names[c], values[c]};
    }
    to_buf(m.explain(row, previous_score).to_json(), out);
  });
}

}  // extern "C"
