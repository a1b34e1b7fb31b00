"""Scores 100k random accounts with firstvalue and with an independent numpy
implementation of the issue's formula, for every missing-data policy."""

import json

import numpy as np
import pytest

import firstvalue as fv

N = 100_000


def numpy_score(model_json: dict, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
    """points = 100 × weight / Σweights × curve(input), with the policy for NaN inputs."""
    weights = np.array([f["weight"] for f in model_json["factors"]], dtype=float)
    total = weights.sum()
    weighted = np.zeros(N)
    present = np.zeros(N)
    for f, w in zip(model_json["factors"], weights):
        x = inputs[f["name"]]
        pts = np.array(f["curve"].get("points") or f["curve"]["tiers"], dtype=float)
        if f["curve"]["type"] == "linear":
            frac = np.interp(x, pts[:, 0], pts[:, 1])
        else:
            idx = np.searchsorted(pts[:, 0], x, side="right") - 1
            frac = pts[np.clip(idx, 0, len(pts) - 1), 1]
        missing = np.isnan(x)
        frac = np.where(missing, {"zero": 0.0, "neutral": 0.5, "renormalize": 0.0}[model_json["missing"]], frac)
        if model_json["missing"] == "renormalize":
            frac = np.where(missing, 0.0, frac)
        weighted += w * frac
        present += np.where(missing, 0.0, w)
    denom = present if model_json["missing"] == "renormalize" else total
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.clip(100.0 * weighted / denom, 0, 100)
    score[present == 0] = np.nan
    return score, present / total


def random_inputs(seed: int, names_hi: dict) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for name, hi in names_hi.items():
        x = rng.uniform(-0.3 * hi, 1.3 * hi, N)
        x[rng.random(N) < 0.1] = np.nan
        out[name] = x
    return out


@pytest.mark.parametrize("policy", ["renormalize", "zero", "neutral"])
def test_default_model_agrees_with_numpy(policy):
    doc = json.loads(fv.HealthModel.default().to_json())
    doc["missing"] = policy
    model = fv.HealthModel.from_json(json.dumps(doc))
    inputs = random_inputs(1, {"milestone_progress": 1, "user_adoption": 0.8,
                               "engagement_quality": 5, "value_realization": 1})
    expected, coverage = numpy_score(doc, inputs)
    r = model.score(inputs)
    np.testing.assert_allclose(r.score, expected, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(r.coverage, coverage, rtol=0, atol=1e-15)
    bounds = np.array([b["min"] for b in doc["bands"]])
    expected_band = np.where(np.isnan(expected), -1,
                             np.argmax(expected[:, None] >= bounds[None, :] - 1e-9, axis=1))
    np.testing.assert_array_equal(r.band_code, expected_band)


def test_custom_multi_segment_and_step_model_agrees_with_numpy():
    doc = {
        "name": "custom", "missing": "renormalize",
        "factors": [
            {"name": "a", "weight": 2.5, "curve": {"type": "linear", "points": [[-1, 0.1], [0, 0.2], [3, 0.9], [4, 1]]}},
            {"name": "b", "weight": 1, "curve": {"type": "steps", "tiers": [[0, 0], [1, 0.25], [2, 0.5], [5, 1]]}},
            {"name": "c", "weight": 7, "curve": {"type": "linear", "points": [[0, 1], [10, 0]]}},
        ],
        "bands": [{"name": "hi", "color": "", "min": 50}, {"name": "lo", "color": "", "min": 0}],
    }
    model = fv.HealthModel.from_json(json.dumps(doc))
    inputs = random_inputs(2, {"a": 4, "b": 6, "c": 10})
    expected, coverage = numpy_score(doc, inputs)
    r = model.score(inputs)
    np.testing.assert_allclose(r.score, expected, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(r.coverage, coverage, rtol=0, atol=1e-15)


def test_weakest_factor_agrees_with_numpy():
    model = fv.HealthModel.default()
    doc = json.loads(model.to_json())
    inputs = random_inputs(3, {"milestone_progress": 1, "user_adoption": 0.8,
                               "engagement_quality": 5, "value_realization": 1})
    losses = []
    for f in doc["factors"]:
        pts = np.array(f["curve"]["points"], dtype=float)
        frac = np.interp(inputs[f["name"]], pts[:, 0], pts[:, 1])
        losses.append(np.where(np.isnan(inputs[f["name"]]), 0.0, f["weight"] * (1 - frac)))
    losses = np.stack(losses, axis=1)
    expected = np.where(losses.max(axis=1) > 0, np.argmax(losses, axis=1), -1)
    np.testing.assert_array_equal(model.score(inputs).weakest_code, expected)
