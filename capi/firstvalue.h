/*
 * firstvalue C ABI.
 *
 * Conventions (the same for every function):
 *  - Every call returns an fv_status. FV_OK is 0; errors are negative.
 *  - Outputs are out-parameters, written only on success.
 *  - After a failure, fv_last_error() describes it, with the field path
 *    (e.g. "factors[1].weight: must be > 0 and finite"). The message is
 *    thread-local, owned by the library, valid until the next failing call on
 *    the same thread, and never NULL.
 *  - No C++ exception ever crosses this boundary.
 *  - Handles are opaque and typed. fv_<object>_free(NULL) is a no-op.
 *  - Strings passed in are UTF-8 and are read with an explicit length where a
 *    length parameter exists; otherwise they must be NUL-terminated.
 *  - Buffers the library allocates come back in an fv_buf, which the caller
 *    releases with fv_buf_dispose. Buffers the caller allocates follow the
 *    two-call protocol: pass buffer_len = 0 to learn the size in *out_len,
 *    then call again with a buffer that large.
 *  - Configurations (models) cross as JSON, so new options need no new
 *    signatures; bulk data crosses as typed arrays (pointer and length).
 */
#ifndef FIRSTVALUE_H
#define FIRSTVALUE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FV_BUILDING_LIBRARY)
#define FV_API __attribute__((visibility("default")))
#else
#define FV_API
#endif

#define FV_VERSION_MAJOR 0
#define FV_VERSION_MINOR 1
#define FV_VERSION_PATCH 0

/* ---- status ---------------------------------------------------------- */

typedef enum fv_status {
  FV_OK = 0,
  FV_E_INVALID = -1,          /* bad input: malformed JSON, failed validation, bad argument */
  FV_E_NOT_FOUND = -2,        /* a named thing does not exist */
  FV_E_FORBIDDEN = -3,        /* the data belongs to another organization */
  FV_E_IO = -4,               /* the file system failed */
  FV_E_BUFFER_TOO_SMALL = -5, /* caller buffer too small; *out_len holds the size needed */
  FV_E_CANCELLED = -6,        /* a callback asked to stop */
  FV_E_INTERNAL = -99         /* a bug in firstvalue; please report it */
} fv_status;

/* The last failure on this thread. Owned by the library; never NULL ("" when
 * nothing has failed yet). */
FV_API const char* fv_last_error(void);

/* A short constant name for a status ("FV_E_INVALID"); never NULL. */
FV_API const char* fv_status_name(fv_status status);

/* Writes the library version into each non-NULL pointer. */
FV_API fv_status fv_version(int* major, int* minor, int* patch);

/* ---- library-allocated buffers ---------------------------------------- */

typedef struct fv_buf {
  char* ptr;   /* NUL-terminated; owned by the library until fv_buf_dispose */
  size_t size; /* bytes, not counting the terminating NUL */
} fv_buf;

/* Frees buf->ptr and resets the struct. NULL, or an already disposed buffer, is a no-op. */
FV_API void fv_buf_dispose(fv_buf* buf);

/* ---- health model ----------------------------------------------------- */

typedef struct fv_health_model fv_health_model;

/* The seed model (milestone progress 30, user adoption 25, engagement quality
 * 25, value realization 20; bands 80/60/40/0). The caller owns *out and
 * releases it with fv_health_model_free. */
FV_API fv_status fv_health_model_default(fv_health_model** out);

/* Parses and validates a model. `json` need not be NUL-terminated. On failure
 * *out is untouched and fv_last_error() names the field path. The caller owns
 * *out. */
FV_API fv_status fv_health_model_from_json(const char* json, size_t json_len, fv_health_model** out);

/* The model as JSON, into a library-allocated buffer the caller disposes. */
FV_API fv_status fv_health_model_to_json(const fv_health_model* model, fv_buf* out);

FV_API void fv_health_model_free(fv_health_model* model);

FV_API fv_status fv_health_model_factor_count(const fv_health_model* model, size_t* out);

/* Name of factor `index` (model order), copied into the caller's buffer with a
 * terminating NUL. *out_len receives the length without the NUL; when
 * buffer_len <= *out_len nothing is copied and FV_E_BUFFER_TOO_SMALL is
 * returned (the two-call protocol). */
FV_API fv_status fv_health_model_factor_name(const fv_health_model* model, size_t index,
                                             char* buffer, size_t buffer_len, size_t* out_len);

FV_API fv_status fv_health_model_band_count(const fv_health_model* model, size_t* out);

/* Name of the band with code `band` (0 is the highest band; -1 is "unknown"),
 * with the same two-call protocol. */
FV_API fv_status fv_health_model_band_name(const fv_health_model* model, int band,
                                           char* buffer, size_t buffer_len, size_t* out_len);

/* Batch scoring. `names[c]` names the factor whose n_accounts inputs are in
 * `columns[c]` (NaN = missing); every factor must be given exactly once.
 * `previous` may be NULL; when given it holds each account's previous score
 * and enables out_delta and out_band_change.
 * Outputs are caller-owned arrays of n_accounts elements; every one except
 * out_score may be NULL. Band codes index the model's bands (-1 = unknown);
 * weakest codes index its factors (-1 = no factor lost points); band changes
 * count bands moved up (+) or down (-).
 * `threads`: 1 for the calling thread only, 0 for one per hardware thread. */
FV_API fv_status fv_health_model_score(const fv_health_model* model, const char* const* names,
                                       const double* const* columns, size_t n_columns,
                                       size_t n_accounts, const double* previous,
                                       unsigned threads, double* out_score, int8_t* out_band,
                                       double* out_coverage, int8_t* out_weakest,
                                       double* out_delta, int8_t* out_band_change);

/* Why one account has its score: per factor the raw input, fraction, points,
 * maximum points and weight share, the weakest factor and, when
 * previous_score is not NaN, the trend. JSON in a library-allocated buffer. */
FV_API fv_status fv_health_model_explain(const fv_health_model* model, const char* const* names,
                                         const double* values, size_t n_values,
                                         double previous_score, fv_buf* out);

#ifdef __cplusplus
}
#endif

#endif /* FIRSTVALUE_H */
