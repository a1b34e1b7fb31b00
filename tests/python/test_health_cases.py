"""The shared hand-worked cases through the Python API."""

import math

import numpy as np
import pytest

import firstvalue as fv
from conftest import health_cases, model_json, same

CASES = health_cases()


def _model(name: str) -> fv.HealthModel:
    text = model_json(name)
    return fv.HealthModel.default() if text is None else fv.HealthModel.from_json(text)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_batch_score_matches_hand_computation(case):
    model = _model(case["model"])
    inputs = {k: np.array([v]) for k, v in case["inputs"].items()}
    previous = None if case["previous"] is None else np.array([case["previous"]])
    r = model.score(inputs, previous=previous)
    assert same(r.score[0], case["score"], 1e-9), (case["why"], r.score[0])
    assert r.band[0] == case["band"]
    assert same(r.coverage[0], case["coverage"], 1e-12)
    assert r.weakest[0] == case["weakest"]
    if previous is not None:
        assert same(r.delta[0], case["delta"], 1e-9)
        assert r.band_change[0] == case["band_change"]
    else:
        assert r.delta is None and r.band_change is None


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_explanation_adds_up(case):
    model = _model(case["model"])
    e = model.explain(case["inputs"], previous=case["previous"])
    assert same(e.score, case["score"], 1e-9)
    assert e.band == case["band"]
    assert e.weakest == case["weakest"]
    points = sum(f["points"] for f in e.factors)
    if math.isnan(case["score"]):
        assert points == 0
    else:
        assert points == pytest.approx(case["score"], abs=1e-9)
        assert sum(f["max_points"] for f in e.factors) == pytest.approx(100, abs=1e-9)
    if case["previous"] is not None:
        assert same(e.trend["delta"], case["delta"], 1e-9)
        assert e.trend["band_change"] == case["band_change"]


def test_cases_cover_every_policy():
    models = {c["model"] for c in CASES}
    assert {"default", "default_zero.json", "default_neutral.json", "tiers.json"} <= models
