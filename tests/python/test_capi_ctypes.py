"""Drives the C ABI shared library directly with ctypes (as LightGBM's
c_api_test does): the shared cases, the invalid models, the conventions, and
the exported symbol list."""

import ctypes
import math
import subprocess

import numpy as np
import pytest

from conftest import health_cases, invalid_models, model_json, same

FV_OK, FV_E_INVALID, FV_E_NOT_FOUND, FV_E_BUFFER_TOO_SMALL = 0, -1, -2, -5


class FvBuf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("size", ctypes.c_size_t)]


@pytest.fixture(scope="module")
def lib(c_library_path):
    lib = ctypes.CDLL(str(c_library_path))
    lib.fv_last_error.restype = ctypes.c_char_p
    lib.fv_status_name.restype = ctypes.c_char_p
    lib.fv_health_model_from_json.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
    lib.fv_health_model_default.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.fv_health_model_free.argtypes = [ctypes.c_void_p]
    lib.fv_health_model_to_json.argtypes = [ctypes.c_void_p, ctypes.POINTER(FvBuf)]
    lib.fv_buf_dispose.argtypes = [ctypes.POINTER(FvBuf)]
    dp = ctypes.POINTER(ctypes.c_double)
    i8 = ctypes.POINTER(ctypes.c_int8)
    lib.fv_health_model_score.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(dp), ctypes.c_size_t, ctypes.c_size_t,
        dp, ctypes.c_uint, dp, i8, dp, i8, dp, i8]
    lib.fv_health_model_explain.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), dp, ctypes.c_size_t, ctypes.c_double, ctypes.POINTER(FvBuf)]
    lib.fv_health_model_band_name.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                                              ctypes.POINTER(ctypes.c_size_t)]
    lib.fv_health_model_factor_name.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
                                                ctypes.POINTER(ctypes.c_size_t)]
    return lib


def load(lib, name):
    handle = ctypes.c_void_p()
    text = model_json(name)
    if text is None:
        assert lib.fv_health_model_default(ctypes.byref(handle)) == FV_OK
    else:
        data = text.encode()
        assert lib.fv_health_model_from_json(data, len(data), ctypes.byref(handle)) == FV_OK, lib.fv_last_error()
    return handle


def name_of(lib, fn, handle, code):
    size = ctypes.c_size_t()
    assert fn(handle, code, None, 0, ctypes.byref(size)) == FV_OK
    buf = ctypes.create_string_buffer(size.value + 1)
    assert fn(handle, code, buf, len(buf), ctypes.byref(size)) == FV_OK
    return buf.value.decode()


def ptr(a):
    return a.ctypes.data_as(ctypes.POINTER(a.dtype.type == np.int8 and ctypes.c_int8 or ctypes.c_double))


@pytest.mark.parametrize("case", health_cases(), ids=lambda c: c["name"])
def test_hand_worked_cases_through_the_c_abi(lib, case):
    handle = load(lib, case["model"])
    try:
        names = list(case["inputs"])
        arrays = [np.array([case["inputs"][n]], dtype=np.float64) for n in names]
        c_names = (ctypes.c_char_p * len(names))(*[n.encode() for n in names])
        c_cols = (ctypes.POINTER(ctypes.c_double) * len(names))(*[ptr(a) for a in arrays])
        score, coverage, delta = np.full(1, -1.0), np.full(1, -1.0), np.full(1, -1.0)
        band, weakest, change = (np.full(1, -9, dtype=np.int8) for _ in range(3))
        has_prev = case["previous"] is not None
        prev = np.array([case["previous"] if has_prev else math.nan])
        status = lib.fv_health_model_score(
            handle, c_names, c_cols, len(names), 1, ptr(prev) if has_prev else None, 1,
            ptr(score), ptr(band), ptr(coverage), ptr(weakest),
            ptr(delta) if has_prev else None, ptr(change) if has_prev else None)
        assert status == FV_OK, lib.fv_last_error()
        assert same(score[0], case["score"], 1e-9)
        assert name_of(lib, lib.fv_health_model_band_name, handle, int(band[0])) == case["band"]
        assert same(coverage[0], case["coverage"], 1e-12)
        weakest_name = None if weakest[0] < 0 else name_of(lib, lib.fv_health_model_factor_name, handle, int(weakest[0]))
        assert weakest_name == case["weakest"]
        if has_prev:
            assert same(delta[0], case["delta"], 1e-9)
            assert change[0] == case["band_change"]
        out = FvBuf()
        values = np.array([case["inputs"][n] for n in names], dtype=np.float64)
        assert lib.fv_health_model_explain(handle, c_names, ptr(values), len(names), prev[0], ctypes.byref(out)) == FV_OK
        import json

        doc = json.loads(out.ptr.decode())
        lib.fv_buf_dispose(ctypes.byref(out))
        assert doc["band"] == case["band"]
        assert (doc["weakest"] or None) == case["weakest"]
    finally:
        lib.fv_health_model_free(handle)


@pytest.mark.parametrize("case", invalid_models(), ids=lambda c: c["name"])
def test_invalid_models_through_the_c_abi(lib, case):
    handle = ctypes.c_void_p(1234)
    data = case["json"].encode()
    assert lib.fv_health_model_from_json(data, len(data), ctypes.byref(handle)) == FV_E_INVALID
    assert lib.fv_last_error().decode().startswith(case["message"])
    assert handle.value == 1234, "out must stay untouched on failure"


def test_conventions(lib):
    lib.fv_health_model_free(None)
    lib.fv_buf_dispose(None)
    major, minor, patch = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    assert lib.fv_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch)) == FV_OK
    import firstvalue as fv

    assert f"{major.value}.{minor.value}.{patch.value}" == fv.__version__
    assert lib.fv_version(None, None, None) == FV_OK
    assert lib.fv_status_name(FV_E_INVALID) == b"FV_E_INVALID"
    handle = load(lib, "default")
    small = ctypes.create_string_buffer(3)
    size = ctypes.c_size_t()
    assert lib.fv_health_model_factor_name(handle, 0, small, 3, ctypes.byref(size)) == FV_E_BUFFER_TOO_SMALL
    assert size.value == len("milestone_progress")
    assert lib.fv_health_model_factor_name(handle, 99, small, 3, ctypes.byref(size)) == FV_E_NOT_FOUND
    lib.fv_health_model_free(handle)


def test_batch_matches_python(lib):
    import firstvalue as fv

    rng = np.random.default_rng(4)
    n = 50_000
    names = fv.HealthModel.default().factor_names
    arrays = [rng.uniform(-0.2, 6, n) for _ in names]
    arrays[1][rng.random(n) < 0.2] = np.nan
    handle = load(lib, "default")
    c_names = (ctypes.c_char_p * 4)(*[x.encode() for x in names])
    c_cols = (ctypes.POINTER(ctypes.c_double) * 4)(*[ptr(a) for a in arrays])
    score = np.empty(n)
    assert lib.fv_health_model_score(handle, c_names, c_cols, 4, n, None, 0, ptr(score),
                                     None, None, None, None, None) == FV_OK
    lib.fv_health_model_free(handle)
    np.testing.assert_array_equal(score, fv.HealthModel.default().score(dict(zip(names, arrays))).score)


def test_only_fv_symbols_are_exported(c_library_path):
    out = subprocess.run(["nm", "-D", "--defined-only", str(c_library_path)], check=True,
                         capture_output=True, text=True).stdout
    exported = [line.split()[-1] for line in out.splitlines() if line.split()[1] in ("T", "D", "B", "R", "W")]
    assert exported, out
    assert all(s.startswith("fv_") for s in exported), [s for s in exported if not s.startswith("fv_")]
