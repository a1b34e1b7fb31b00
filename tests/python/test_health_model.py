"""The Python surface of the health model: JSON, validation, inputs and results."""

import json
import math
import pathlib
import re
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import firstvalue as fv
from conftest import ROOT, invalid_models

INVALID = invalid_models()
FACTORS = ["milestone_progress", "user_adoption", "engagement_quality", "value_realization"]


def test_version_equals_the_cmake_project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    version = re.search(r"project\(firstvalue VERSION ([0-9.]+)", text).group(1)
    assert fv.__version__ == version
    from importlib.metadata import version as dist_version

    assert dist_version("firstvalue") == version


def test_default_model_is_the_seed_model():
    m = fv.HealthModel.default()
    assert m.factor_names == FACTORS
    assert m.weights == [30, 25, 25, 20]
    assert m.band_names == ["excellent", "on_track", "at_risk", "critical"]
    assert m.band_colors == ["green", "yellow", "orange", "red"]
    assert m.missing_policy == "renormalize"
    assert [m.band_of(s) for s in (80, 79.99, 60, 59.99, 40, 39.99, float("nan"))] == [
        "excellent", "on_track", "on_track", "at_risk", "at_risk", "critical", "unknown"]


def test_json_round_trip():
    m = fv.HealthModel.default()
    again = fv.HealthModel.from_json(m.to_json())
    assert again == m
    doc = json.loads(m.to_json())
    assert doc["factors"][1]["curve"] == {"type": "linear", "points": [[0, 0], [0.8, 1]]}
    assert fv.HealthModel.from_json(m.to_json().encode()) == m


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_invalid_models_name_the_path(case):
    with pytest.raises(fv.InvalidError) as info:
        fv.HealthModel.from_json(case["json"])
    assert str(info.value).startswith(case["message"])
    assert isinstance(info.value, ValueError)
    assert info.value.code == "invalid"
    assert str(info.value).startswith(info.value.path)


def _inputs(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "milestone_progress": rng.uniform(0, 1, n),
        "user_adoption": rng.uniform(0, 1, n),
        "engagement_quality": rng.uniform(0, 7, n),
        "value_realization": rng.uniform(0, 1, n),
    }


def test_missing_factor_input_at_scoring_time():
    inputs = _inputs()
    del inputs["engagement_quality"]
    with pytest.raises(fv.InvalidError, match=r'^inputs\.engagement_quality: missing input for factor "engagement_quality"'):
        fv.HealthModel.default().score(inputs)
    with pytest.raises(fv.InvalidError) as info:
        fv.HealthModel.default().explain(milestone_progress=1)
    assert info.value.path == "inputs.user_adoption"


def test_unknown_and_bad_inputs():
    inputs = _inputs()
    inputs["nps"] = np.zeros(5)
    with pytest.raises(fv.InvalidError, match=r'^inputs\.nps: unknown factor'):
        fv.HealthModel.default().score(inputs)
    inputs = _inputs()
    inputs["user_adoption"] = np.zeros(4)
    with pytest.raises(fv.InvalidError, match=r"^inputs\.user_adoption: has 4 values"):
        fv.HealthModel.default().score(inputs)
    inputs = _inputs()
    inputs["user_adoption"] = np.zeros((5, 2))
    with pytest.raises(fv.InvalidError, match=r"^inputs\.user_adoption: expected a 1-D array"):
        fv.HealthModel.default().score(inputs)
    inputs = _inputs()
    inputs["user_adoption"] = ["a", "b", "c", "d", "e"]
    with pytest.raises(fv.InvalidError, match=r"^inputs\.user_adoption: expected numbers"):
        fv.HealthModel.default().score(inputs)
    with pytest.raises(TypeError):
        fv.HealthModel.default().score([1, 2, 3])


def test_dataframe_in_and_out_keeps_the_index():
    df = pd.DataFrame(_inputs(6), index=[f"acct-{i}" for i in range(6)])
    df["account_owner"] = "sam"  # extra columns are ignored
    r = fv.HealthModel.default().score(df, previous=pd.Series(np.full(6, 50.0), index=df.index))
    out = r.to_frame()
    assert list(out.index) == list(df.index)
    assert list(out.columns) == ["score", "band", "coverage", "weakest", "delta", "band_change"]
    assert out["band"].dtype == "category"
    np.testing.assert_array_equal(out["score"].to_numpy(), r.score)
    np.testing.assert_array_equal(out["delta"].to_numpy(), r.score - 50)
    e = fv.HealthModel.default().explain(df.iloc[2])
    assert e.score == r.score[2]
    assert e.to_frame().loc[e.weakest, "lost"] == max(f["lost"] for f in e.factors)


def test_results_have_the_documented_dtypes():
    r = fv.HealthModel.default().score(_inputs(7))
    assert r.score.dtype == np.float64 and r.coverage.dtype == np.float64
    assert r.band_code.dtype == np.int8 and r.weakest_code.dtype == np.int8
    assert r.band.dtype == object and len(r) == 7


def test_float64_contiguous_inputs_are_not_copied():
    n = 1_000_000
    inputs = _inputs(n)
    tracemalloc.start()
    try:
        fv.HealthModel.default().score(inputs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outputs = n * (8 + 1 + 8 + 1)
    # A copy of the inputs would add 32 MB on top of the 18 MB of outputs.
    assert peak < outputs + 4 * n, peak


def test_other_dtypes_and_layouts_are_converted():
    base = _inputs(10)
    m = fv.HealthModel.default()
    expected = m.score(base).score
    converted = {k: v.astype(np.float32).astype(np.float64) for k, v in base.items()}
    strided = {k: np.repeat(v, 2)[::2] for k, v in base.items()}
    readonly = {k: v.copy() for k, v in base.items()}
    for v in readonly.values():
        v.flags.writeable = False
    np.testing.assert_array_equal(m.score(strided).score, expected)
    np.testing.assert_array_equal(m.score(readonly).score, expected)
    np.testing.assert_allclose(m.score({k: v.astype(np.float32) for k, v in base.items()}).score,
                               m.score(converted).score)
    as_lists = {k: list(v) for k, v in base.items()}
    np.testing.assert_array_equal(m.score(as_lists).score, expected)


def test_threads_give_identical_results():
    inputs = _inputs(200_000, seed=3)
    m = fv.HealthModel.default()
    a, b = m.score(inputs), m.score(inputs, threads=0)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.band_code, b.band_code)


def test_cli_scan_worklist_is_complete(cli_path):
    import subprocess

    doc = json.loads(subprocess.run([str(cli_path), "scan", "--sample", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    assert doc["stalled"] + doc["at_risk"] + doc["ok"] == doc["accounts"] == 200
    worklist = doc["worklist"]
    assert len(worklist) == doc["stalled"] + doc["at_risk"]
    assert [w["rank"] for w in worklist] == list(range(1, len(worklist) + 1))
    states = [w["state"] for w in worklist]
    assert states == sorted(states, key=lambda s: s != "stalled")
    for w in worklist:
        assert w["cause"] and w["action"] and w["action_text"] and w["signals"]
        assert w["primary_signal"] in {s["name"] for s in w["signals"]}
        # Noisy-OR of the fired weights, as signals.hpp documents.
        survive = 1.0
        for s in w["signals"]:
            survive *= 1 - s["weight"]
        assert math.isclose(w["risk"], 1 - survive, rel_tol=1e-12)
    assert doc["ingestion"][0]["rejected"] == 0


def test_sample_portfolio_is_deterministic():
    a, b = fv.sample_health_portfolio(50, 9), fv.sample_health_portfolio(50, 9)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(fv.sample_health_portfolio(50, 10))


def test_stub_file_ships_with_the_package():
    pkg = pathlib.Path(fv.__file__).parent
    assert (pkg / "_core.pyi").exists() and (pkg / "py.typed").exists()


def test_out_reuses_the_result_arrays():
    m = fv.HealthModel.default()
    first = m.score(_inputs(8, seed=1), previous=np.full(8, 50.0))
    second_inputs = _inputs(8, seed=2)
    again = m.score(second_inputs, previous=np.full(8, 70.0), out=first)
    assert again.score is first.score and again.band_code is first.band_code
    fresh = m.score(second_inputs, previous=np.full(8, 70.0))
    np.testing.assert_array_equal(again.score, fresh.score)
    np.testing.assert_array_equal(again.band_change, fresh.band_change)


def test_out_from_a_trend_call_can_be_reused_without_previous():
    m = fv.HealthModel.default()
    with_trend = m.score(_inputs(8, seed=1), previous=np.full(8, 50.0))
    again = m.score(_inputs(8, seed=2), out=with_trend)
    assert again.delta is None and again.score is with_trend.score
    np.testing.assert_array_equal(again.score, m.score(_inputs(8, seed=2)).score)


def test_out_of_the_wrong_shape_is_rejected_without_writing():
    m = fv.HealthModel.default()
    small = m.score(_inputs(3))
    before = small.score.copy()
    with pytest.raises(fv.InvalidError, match=r"^out\.score: expected a writeable contiguous 1-D array of 8"):
        m.score(_inputs(8), out=small)
    np.testing.assert_array_equal(small.score, before)
    # Arrays the earlier result lacks (the trend) are allocated; the rest are reused.
    no_trend = m.score(_inputs(8))
    with_trend = m.score(_inputs(8), previous=np.zeros(8), out=no_trend)
    assert with_trend.score is no_trend.score
    np.testing.assert_array_equal(with_trend.delta, with_trend.score)
    with pytest.raises(fv.InvalidError, match=r"^out\.band_code: expected a numpy array of int8"):
        m.score(_inputs(8), out=fv.ScoreResult(np.zeros(8), np.zeros(8), np.zeros(8), np.zeros(8), None, None))


def test_gil_is_released_while_scoring():
    """With a 10 s switch interval, another Python thread can run during the call only
    if the extension releases the GIL: otherwise it waits until scoring is over."""
    import sys
    import threading
    import time

    inputs = _inputs(5_000_000, seed=5)
    model = fv.HealthModel.default()
    started, done = threading.Event(), threading.Event()

    def work():
        started.set()
        model.score(inputs)
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        started.wait()
        time.sleep(0.005)  # lets the worker reach the C++ call
        ran_during_call = 0
        while not done.is_set() and ran_during_call < 1000:
            ran_during_call += 1
        worker.join()
    finally:
        sys.setswitchinterval(old)
    assert ran_during_call == 1000
