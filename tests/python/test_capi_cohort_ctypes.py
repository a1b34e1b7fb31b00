"""Kaplan–Meier and cohort reports through the C ABI, driven with ctypes and
numpy: the C estimator over typed arrays agrees with lifelines, and the C
cohort report is the Python one, byte for byte once parsed."""

import ctypes
import json
import warnings

import numpy as np
import pytest

import firstvalue as fv

FV_OK, FV_E_INVALID, FV_E_BUFFER_TOO_SMALL = 0, -1, -5
FV_KM_TIME, FV_KM_SURVIVAL, FV_KM_LOWER, FV_KM_UPPER = 0, 5, 6, 7
vp, sz = ctypes.c_void_p, ctypes.c_size_t
dp = ctypes.POINTER(ctypes.c_double)


class FvBuf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("size", sz)]


@pytest.fixture(scope="module")
def lib(c_library_path):
    lib = ctypes.CDLL(str(c_library_path))
    lib.fv_last_error.restype = ctypes.c_char_p
    lib.fv_km_fit.argtypes = [dp, ctypes.POINTER(ctypes.c_uint8), dp, sz, ctypes.c_double, ctypes.POINTER(vp)]
    lib.fv_km_free.argtypes = [vp]
    lib.fv_km_size.argtypes = [vp, ctypes.POINTER(sz)]
    lib.fv_km_column.argtypes = [vp, ctypes.c_int, dp, sz, ctypes.POINTER(sz)]
    lib.fv_km_quantile.argtypes = [vp, ctypes.c_double, dp, dp, dp]
    lib.fv_portfolio_from_json.argtypes = [ctypes.c_char_p, sz, ctypes.POINTER(vp)]
    lib.fv_portfolio_free.argtypes = [vp]
    lib.fv_portfolio_cohort_report_json.argtypes = [vp, ctypes.c_int32, ctypes.c_char_p, ctypes.c_char_p,
                                                    ctypes.c_double, ctypes.POINTER(FvBuf)]
    lib.fv_portfolio_cohort_summaries_json.argtypes = [vp, ctypes.c_int32, ctypes.c_char_p, ctypes.POINTER(FvBuf)]
    lib.fv_buf_dispose.argtypes = [ctypes.POINTER(FvBuf)]
    return lib


def km_column(lib, km, column):
    n = sz()
    assert lib.fv_km_column(km, column, None, 0, ctypes.byref(n)) == FV_OK
    out = np.empty(n.value)
    assert lib.fv_km_column(km, column, out.ctypes.data_as(dp), n.value, ctypes.byref(n)) == FV_OK
    return out


def test_km_over_typed_arrays_matches_lifelines(lib):
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(8)
    durations = np.round(rng.exponential(20, 2000), 1)
    events = (rng.random(2000) < 0.7).astype(np.uint8)
    km = vp()
    assert lib.fv_km_fit(durations.ctypes.data_as(dp), events.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), None,
                         len(durations), 0.05, ctypes.byref(km)) == FV_OK, lib.fv_last_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ll = lifelines.KaplanMeierFitter().fit(durations, events)
        np.testing.assert_array_equal(km_column(lib, km, FV_KM_TIME), ll.survival_function_.index.to_numpy())
        np.testing.assert_allclose(km_column(lib, km, FV_KM_SURVIVAL), ll.survival_function_.iloc[:, 0], atol=1e-9)
        np.testing.assert_allclose(km_column(lib, km, FV_KM_LOWER), ll.confidence_interval_.iloc[:, 0], atol=1e-9)
        np.testing.assert_allclose(km_column(lib, km, FV_KM_UPPER), ll.confidence_interval_.iloc[:, 1], atol=1e-9)
        t, lo, hi = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        assert lib.fv_km_quantile(km, 0.5, ctypes.byref(t), ctypes.byref(lo), ctypes.byref(hi)) == FV_OK
        ours = fv.kaplan_meier(durations, events.astype(bool))
        assert (t.value, lo.value, hi.value) == (ours.median, *ours.median_ci)
        small = np.empty(3)
        n = sz()
        assert lib.fv_km_column(km, FV_KM_TIME, small.ctypes.data_as(dp), 3, ctypes.byref(n)) == FV_E_BUFFER_TOO_SMALL
    finally:
        lib.fv_km_free(km)
    bad = durations.copy()
    bad[5] = np.nan
    assert lib.fv_km_fit(bad.ctypes.data_as(dp), None, None, len(bad), 0.05, ctypes.byref(km)) == FV_E_INVALID
    assert lib.fv_last_error().decode().startswith("durations[5]")


def test_cohort_report_through_c_is_pythons(lib):
    s = fv.generate_portfolio(accounts=120, seed=4)
    p = s.portfolio()
    p.ingest(s.events)
    # The same accounts through the C ABI, with the same events replayed by the Python surface's core.
    doc = json.dumps({"organization": "sample-org", "accounts": [p.account(k) for k in p.accounts.index]})
    handle = vp()
    assert lib.fv_portfolio_from_json(doc.encode(), len(doc.encode()), ctypes.byref(handle)) == FV_OK
    try:
        buf = FvBuf()
        as_of = int(np.datetime64("2026-11-23", "D").astype(np.int64))
        assert lib.fv_portfolio_cohort_report_json(handle, as_of, b'{"by": "tier"}', None, 0.05,
                                                   ctypes.byref(buf)) == FV_OK, lib.fv_last_error()
        c_report = json.loads(buf.ptr.decode())
        lib.fv_buf_dispose(ctypes.byref(buf))
        # No events went into the C portfolio: compare with a Python one without events too.
        bare = fv.Portfolio.from_json(doc)
        py_report = json.loads(bare.cohort_report("2026-11-23", by="tier").to_json())
        assert c_report == py_report
        assert lib.fv_portfolio_cohort_summaries_json(handle, as_of, b'{"by": "tiers"}', ctypes.byref(buf)) == FV_E_INVALID
        assert lib.fv_last_error().decode().startswith("options.by")
    finally:
        lib.fv_portfolio_free(handle)
