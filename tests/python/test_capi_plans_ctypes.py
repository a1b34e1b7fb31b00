"""The plan half of the C ABI driven with ctypes: the shared hand-worked
schedules through fv_scheduler_evaluate, typed columns against the JSON
reports, and errors."""

import ctypes
import json

import numpy as np
import pytest

from conftest import DATA
from test_plans import CASES, check_report

FV_OK, FV_E_INVALID = 0, -1
FV_NO_DAY = -(2**31)


class FvBuf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("size", ctypes.c_size_t)]


@pytest.fixture(scope="module")
def lib(c_library_path):
    lib = ctypes.CDLL(str(c_library_path))
    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    lib.fv_last_error.restype = ctypes.c_char_p
    for name in ("fv_calendar_from_json", "fv_template_set_from_json"):
        getattr(lib, name).argtypes = [ctypes.c_char_p, sz, ctypes.POINTER(vp)]
    lib.fv_template_set_default.argtypes = [ctypes.POINTER(vp)]
    lib.fv_scheduler_new.argtypes = [vp, vp, ctypes.c_char_p, sz, ctypes.POINTER(vp)]
    lib.fv_scheduler_evaluate.argtypes = [vp, ctypes.c_char_p, sz, ctypes.c_int32, ctypes.c_uint, ctypes.POINTER(vp)]
    lib.fv_plan_results_to_json.argtypes = [vp, ctypes.POINTER(FvBuf)]
    lib.fv_plan_results_node_count.argtypes = [vp, ctypes.c_int, ctypes.POINTER(sz)]
    i32 = ctypes.POINTER(ctypes.c_int32)
    i8 = ctypes.POINTER(ctypes.c_int8)
    u8 = ctypes.POINTER(ctypes.c_uint8)
    lib.fv_plan_results_nodes.argtypes = [vp, ctypes.c_int, sz, i32, i32, i32, i32, i32, i32, i8, i8, i32, i32, u8, u8]
    lib.fv_plan_results_node_text.argtypes = [vp, ctypes.c_int, sz, ctypes.c_int, ctypes.c_char_p, sz, ctypes.POINTER(sz)]
    lib.fv_node_status_name.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    lib.fv_buf_dispose.argtypes = [ctypes.POINTER(FvBuf)]
    for name in ("fv_calendar_free", "fv_template_set_free", "fv_scheduler_free", "fv_plan_results_free"):
        getattr(lib, name).argtypes = [vp]
    lib.fv_date_parse.argtypes = [ctypes.c_char_p, sz, i32]
    return lib


def day(lib, text):
    out = ctypes.c_int32()
    assert lib.fv_date_parse(text.encode(), len(text), ctypes.byref(out)) == FV_OK
    return out.value


def evaluate(lib, case):
    cal, ts, sched, res = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    cal_json = json.dumps(case.get("calendar", {})).encode()
    assert lib.fv_calendar_from_json(cal_json, len(cal_json), ctypes.byref(cal)) == FV_OK, lib.fv_last_error()
    ts_json = json.dumps(case["templates"]).encode()
    assert lib.fv_template_set_from_json(ts_json, len(ts_json), ctypes.byref(ts)) == FV_OK, lib.fv_last_error()
    assert lib.fv_scheduler_new(ts, cal, None, 0, ctypes.byref(sched)) == FV_OK, lib.fv_last_error()
    lib.fv_calendar_free(cal)  # the scheduler keeps its own copies
    lib.fv_template_set_free(ts)
    accounts = json.dumps([case["account"]]).encode()
    status = lib.fv_scheduler_evaluate(sched, accounts, len(accounts), day(lib, case["as_of"]), 1, ctypes.byref(res))
    lib.fv_scheduler_free(sched)
    assert status == FV_OK, lib.fv_last_error()
    return res


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_schedule_cases_through_the_c_abi(lib, case):
    res = evaluate(lib, case)
    try:
        buf = FvBuf()
        assert lib.fv_plan_results_to_json(res, ctypes.byref(buf)) == FV_OK
        reports = json.loads(buf.ptr.decode())
        lib.fv_buf_dispose(ctypes.byref(buf))
        check_report(case, reports[0])

        # The typed columns say what the JSON says.
        n = ctypes.c_size_t()
        assert lib.fv_plan_results_node_count(res, 0, ctypes.byref(n)) == FV_OK
        cols = {k: np.zeros(n.value, dtype=np.int32) for k in ("account", "planned_start", "planned_due", "due", "forecast", "done")}
        status = np.zeros(n.value, dtype=np.int8)
        p = lambda a: a.ctypes.data_as(ctypes.POINTER(np.ctypeslib.as_ctypes_type(a.dtype)))
        assert lib.fv_plan_results_nodes(res, 0, n.value, p(cols["account"]), p(cols["planned_start"]), p(cols["planned_due"]),
                                         p(cols["due"]), p(cols["forecast"]), p(cols["done"]), p(status),
                                         None, None, None, None, None) == FV_OK
        by_id = {node["id"]: node for node in reports[0]["nodes"]}
        for row in range(n.value):
            size = ctypes.c_size_t()
            text = ctypes.create_string_buffer(128)
            assert lib.fv_plan_results_node_text(res, 0, row, 0, text, 128, ctypes.byref(size)) == FV_OK
            node = by_id[text.value.decode()]
            for col in ("planned_start", "planned_due", "due", "forecast", "done"):
                want = FV_NO_DAY if node[col] is None else day(lib, node[col])
                assert cols[col][row] == want, (node["id"], col)
            name = ctypes.c_char_p()
            assert lib.fv_node_status_name(int(status[row]), ctypes.byref(name)) == FV_OK
            assert name.value.decode() == node["status"]
        # A wrong row count is refused, never a silent overrun.
        assert lib.fv_plan_results_nodes(res, 0, n.value + 1, None, None, None, None, None, None, None,
                                         None, None, None, None, None) == FV_E_INVALID
    finally:
        lib.fv_plan_results_free(res)


def test_errors_and_nothing_allocated_on_failure(lib):
    ts, sched = ctypes.c_void_p(), ctypes.c_void_p()
    assert lib.fv_template_set_default(ctypes.byref(ts)) == FV_OK
    assert lib.fv_scheduler_new(ts, None, None, 0, ctypes.byref(sched)) == FV_OK
    lib.fv_template_set_free(ts)
    res = ctypes.c_void_p(77)
    bad = json.dumps([{"account": "a", "start": "2026-11-02", "template": "smb", "attributes": {"integrations": 0}},
                      {"account": "b", "start": "2026-11-02", "template": "smb", "progress": {"kickof": {}},
                       "attributes": {"integrations": 0}}]).encode()
    assert lib.fv_scheduler_evaluate(sched, bad, len(bad), 20760, 1, ctypes.byref(res)) == FV_E_INVALID
    assert lib.fv_last_error().decode() == 'accounts[1].progress.kickof: unknown task or milestone "kickof" in template "smb"'
    assert res.value == 77
    bad_template = b'{"templates":[{"id":"t","phases":[{"id":"p","milestones":[{"id":"m","depends_on":["go_live2"]}]}]}]}'
    assert lib.fv_template_set_from_json(bad_template, len(bad_template), ctypes.byref(ts)) == FV_E_INVALID
    assert lib.fv_last_error().decode() == 'templates[0].phases[0].milestones[0].depends_on[0]: unknown milestone "go_live2"'
    lib.fv_scheduler_free(sched)
    lib.fv_scheduler_free(None)
    lib.fv_plan_results_free(None)
