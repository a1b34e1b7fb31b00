"""Kaplan–Meier against lifelines itself: the same data through lifelines'
KaplanMeierFitter and fv.kaplan_meier, in the same test."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import firstvalue as fv

lifelines = pytest.importorskip("lifelines")
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.datasets import (load_g3, load_multicenter_aids_cohort_study, load_rossi,  # noqa: E402
                                load_waltons)
from lifelines.utils import qth_survival_time  # noqa: E402

TOL = 1e-9


def lifelines_fit(durations, events, entry=None, alpha=0.05):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter(alpha=alpha).fit(durations, events, entry=entry)


def lifelines_quantile(curve: pd.Series, q: float) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(qth_survival_time(q, curve))


def assert_same_curve(km: fv.KaplanMeier, ll) -> None:
    t = km.table
    sf = ll.survival_function_.iloc[:, 0]
    ci = ll.confidence_interval_
    np.testing.assert_array_equal(t.index.to_numpy(), sf.index.to_numpy())
    np.testing.assert_allclose(t["survival"].to_numpy(), sf.to_numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(t["ci_lower"].to_numpy(), ci.iloc[:, 0].to_numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(t["ci_upper"].to_numpy(), ci.iloc[:, 1].to_numpy(), rtol=0, atol=TOL)
    et = ll.event_table
    np.testing.assert_array_equal(t["at_risk"].to_numpy(), et["at_risk"].to_numpy())
    np.testing.assert_array_equal(t["events"].to_numpy(), et["observed"].to_numpy())
    np.testing.assert_array_equal(t["censored"].to_numpy(), et["censored"].to_numpy())
    np.testing.assert_array_equal(t["entered"].to_numpy(), et["entrance"].to_numpy())
    # The Greenwood sum the band is computed from (lifelines keeps it, privately).
    np.testing.assert_allclose(t["greenwood"].to_numpy(), ll._cumulative_sq_.to_numpy(), rtol=1e-9, atol=1e-15)


def on_a_tie(km: fv.KaplanMeier, q: float) -> bool:
    """Whether the curve sits on q (within the documented tolerance) at its quantile."""
    t = km.quantile(q)
    return math.isfinite(t) and abs(float(km.predict(t)) - q) <= 1e-12


def assert_same_quantiles(km: fv.KaplanMeier, ll, qs=(0.25, 0.5, 0.75)) -> None:
    sf = ll.survival_function_.iloc[:, 0]
    ci = ll.confidence_interval_
    for q in qs:
        expected = lifelines_quantile(sf, q)
        if km.quantile(q) != expected:
            # The one documented difference: S is q by hand, and lifelines'
            # floating-point S lands a hair above it, so lifelines answers the next time.
            assert on_a_tie(km, q), (q, km.quantile(q), expected)
            assert float(sf.loc[km.quantile(q)]) > q and float(sf.loc[km.quantile(q)]) - q < 1e-12
            assert expected > km.quantile(q)
        lo, hi = km.quantile_ci(q)
        assert lo == lifelines_quantile(ci.iloc[:, 0], q)
        assert hi == lifelines_quantile(ci.iloc[:, 1], q)


@pytest.mark.parametrize("name", ["waltons", "rossi", "g3", "aids"])
def test_bundled_datasets_agree_with_lifelines(name):
    if name == "waltons":
        d = load_waltons()
        args = (d["T"], d["E"], None)
    elif name == "rossi":
        d = load_rossi()
        args = (d["week"], d["arrest"], None)
    elif name == "g3":
        d = load_g3()
        args = (d["time"], d["event"], None)
    else:  # the multicenter AIDS cohort: late entry
        d = load_multicenter_aids_cohort_study()
        args = (d["T"], d["D"], d["W"])
    for alpha in (0.05, 0.1, 0.01):
        km = fv.kaplan_meier(*args, alpha=alpha)
        ll = lifelines_fit(*args, alpha=alpha)
        assert_same_curve(km, ll)
        assert_same_quantiles(km, ll)
        assert km.median == ll.median_survival_time_ or on_a_tie(km, 0.5)


def test_hand_worked_curve():
    # Six subjects: events at 2, 3, 3; censored at 3 and 5; event at 7.
    # At 2: 6 at risk, S = 5/6. At 3: 5 at risk (the censored one too), 2
    # events, S = 5/6 · 3/5 = 1/2. At 5: censored, S stays. At 7: 1 at risk, S = 0.
    km = fv.kaplan_meier([2, 3, 3, 3, 5, 7], [1, 1, 1, 0, 0, 1])
    t = km.table
    assert list(t.index) == [0, 2, 3, 5, 7]
    assert list(t["at_risk"]) == [6, 6, 5, 2, 1]
    np.testing.assert_allclose(t["survival"], [1, 5 / 6, 0.5, 0.5, 0], rtol=0, atol=1e-15)
    # Greenwood at 3: 1/(6·5) + 2/(5·3) = 1/6; v = log(1/2).
    z = 1.959963984540054
    v = math.log(0.5)
    e = math.exp(z * math.sqrt(1 / 6) / v)
    assert t["ci_lower"].iloc[2] == pytest.approx(math.exp(v / e), abs=1e-15)
    assert t["ci_upper"].iloc[2] == pytest.approx(math.exp(v * e), abs=1e-15)
    assert km.median == 3  # S = 1/2 exactly at 3
    assert km.predict(4.5) == 0.5 and km.predict(7) == 0 and km.predict(-1) == 1.0


def test_the_tie_convention_differs_from_lifelines_by_design():
    # 20 subjects; S is 11/20 just before 19, where one of the 11 at risk has
    # the event: S(19) = 11/20 · 10/11 = 1/2 exactly by hand, while lifelines'
    # exp(Σ log) gives 0.5000000000000004 and so a median of 20.
    d = np.array([8, 23, 2, 20, 14, 21, 29, 15, 6, 14, 25, 29, 22, 20, 11, 1, 25, 19, 10, 27], dtype=float)
    e = np.array([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=bool)
    km = fv.kaplan_meier(d, e)
    ll = lifelines_fit(d, e)
    assert km.median == 19.0
    assert ll.median_survival_time_ == 20.0
    s = ll.survival_function_.iloc[:, 0]
    assert 0.5 < s.loc[19.0] < 0.5 + 1e-12
    assert km.predict(19.0) <= 0.5 + 1e-12


def test_one_thousand_random_samples_agree_with_lifelines():
    rng = np.random.default_rng(2026)
    differences = 0
    for i in range(1000):
        n = int(rng.integers(1, 300))
        kind = i % 4
        if kind == 0:  # days: the dense path, many ties
            d = rng.integers(0, 60, n)
        elif kind == 1:  # continuous times: the sorting path
            d = rng.exponential(20, n)
        elif kind == 2:  # late entry, integer times
            entry = rng.integers(0, 20, n)
            d = entry + rng.integers(0, 40, n)
        else:  # late entry, continuous
            entry = rng.uniform(0, 5, n)
            d = entry + rng.gamma(2.0, 3.0, n)
        e = rng.random(n) < rng.uniform(0.2, 1.0)
        entry_arg = entry if kind >= 2 else None
        if kind >= 2:
            # lifelines refuses samples whose risk set empties early (it asks
            # for another estimator); those say nothing about agreement.
            try:
                ll = KaplanMeierFitter().fit(d, e, entry=entry_arg)
            except lifelines.exceptions.StatError:
                continue
        else:
            ll = lifelines_fit(d, e)
        km = fv.kaplan_meier(d, e, entry=entry_arg)
        assert_same_curve(km, ll)
        sf = ll.survival_function_.iloc[:, 0]
        if km.median != lifelines_quantile(sf, 0.5):
            differences += 1
        assert_same_quantiles(km, ll)
        times = np.linspace(0, d.max() * 1.1, 17)
        before = times < km.table.index[0]  # lifelines answers NaN there; S is 1 before anything happens
        np.testing.assert_allclose(km.predict(times[~before]), ll.predict(times[~before]).to_numpy(), rtol=0, atol=TOL)
        assert (km.predict(times[before]) == 1).all() and np.isnan(np.atleast_1d(ll.predict(times[before]))).all()
    assert differences < 50  # ties on exactly 0.5 are rare


def test_normal_quantile_matches_scipy():
    from scipy.stats import norm

    for p in [1e-300, 1e-12, 1e-5, 0.001, 0.01, 0.02425, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975, 0.995,
              1 - 1e-9]:
        assert fv._core.normal_quantile(p) == pytest.approx(norm.ppf(p), rel=1e-14, abs=1e-14)


def test_integer_and_float_inputs_give_the_same_curve():
    rng = np.random.default_rng(5)
    d = rng.integers(0, 100, 5000)
    e = rng.random(5000) < 0.6
    a = fv.kaplan_meier(d, e).table
    b = fv.kaplan_meier(d.astype(float), e.astype(np.int8)).table
    pd.testing.assert_frame_equal(a, b)
    # Integers spread too widely for the dense table take the sorting path.
    wide = rng.integers(0, 10**12, 3000)
    assert_same_curve(fv.kaplan_meier(wide, e[:3000]), lifelines_fit(wide, e[:3000]))


def test_counts_merge_exactly_across_random_splits():
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(2, 2000))
        d = rng.integers(0, 90, n) if trial % 2 else rng.exponential(30, n)
        e = rng.random(n) < 0.7
        entry = None if trial % 3 else np.minimum(d, rng.integers(0, 10, n))
        cut = rng.random(n) < rng.random()
        part = lambda m: fv.SurvivalCounts.from_arrays(d[m], e[m], None if entry is None else entry[m])  # noqa: E731
        merged = part(cut)
        merged.merge(part(~cut))
        whole = fv.SurvivalCounts.from_arrays(d, e, entry)
        assert merged == whole
        pd.testing.assert_frame_equal(fv.KaplanMeier.from_counts(merged).table, fv.kaplan_meier(d, e, entry).table)
    c = pickle.loads(pickle.dumps(whole))
    assert c == whole and len(c) == len(whole) and c.subjects == n


@pytest.mark.parametrize(
    "call, path",
    [
        (lambda: fv.kaplan_meier([1.0, math.nan, 3.0]), "durations[1]"),
        (lambda: fv.kaplan_meier([1.0, 2.0, math.inf]), "durations[2]"),
        (lambda: fv.kaplan_meier([1, 2, 3], [1, 2, 0]), "events[1]"),
        (lambda: fv.kaplan_meier([1, 2, 3], [1.0, 0.5, 0.0]), "events[1]"),
        (lambda: fv.kaplan_meier([1, 2, 3], [1, 0]), "events"),
        (lambda: fv.kaplan_meier([1, -2, 3]), "durations[1]"),
        (lambda: fv.kaplan_meier([1, 2, 3], None, [0, 3, 1]), "entry[1]"),
        (lambda: fv.kaplan_meier([1, 2, 3], alpha=1.5), "alpha"),
        (lambda: fv.kaplan_meier([1, 2, 3]).quantile(-0.1), "q"),
        (lambda: fv.kaplan_meier([[1, 2], [3, 4]]), "durations"),
        (lambda: fv.kaplan_meier(["a", "b"]), "durations"),
    ],
)
def test_bad_input_names_the_row(call, path):
    with pytest.raises(fv.InvalidError) as err:
        call()
    assert err.value.path == path


def test_empty_input_gives_an_empty_curve():
    km = fv.kaplan_meier(np.array([], dtype=float))
    assert len(km) == 0 and math.isnan(km.median)
    assert km.predict(3.0) == 1.0


def test_plot_renders_a_png(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = load_waltons()
    km = fv.kaplan_meier(d["T"], d["E"])
    ax = km.plot(label="waltons")
    assert len(ax.lines) == 1 and len(ax.collections) == 1  # the curve and its band
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), km.table.index.to_numpy())
    out = tmp_path / "km.png"
    ax.figure.savefig(out)
    plt.close(ax.figure)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_many_times_sorted_on_every_core_agree_with_lifelines():
    # 700,000 subjects: counted on two threads in about two thousand buckets,
    # with ties, zeros and a wide range of times.
    rng = np.random.default_rng(77)
    n = 700_000
    d = rng.exponential(30.0, n)
    d[::5] = np.round(d[::5], 1)  # ties
    d[::97] = 0.0
    d[::1001] *= 1e6
    e = rng.random(n) < 0.6
    km = fv.kaplan_meier(d, e)
    ll = lifelines_fit(d, e)
    assert_same_curve(km, ll)
    assert_same_quantiles(km, ll)


def test_the_table_shares_the_curve_and_is_read_only():
    km = fv.kaplan_meier([2, 3, 3, 3, 5, 7], [1, 1, 1, 0, 0, 1])
    t = km.table
    with pytest.raises(ValueError, match="read-only"):
        t.iloc[1, 4] = 0.1
    del km  # the frame keeps the curve's columns alive
    np.testing.assert_allclose(t["survival"].to_numpy(), [1, 5 / 6, 0.5, 0.5, 0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(t["greenwood"].to_numpy()[2], 1 / 6, rtol=1e-15)
    changed = t.copy()
    changed.iloc[1, 4] = 0.1
    assert changed.iloc[1, 4] == 0.1 and t.iloc[1, 4] == 5 / 6


def test_counts_whose_columns_differ_in_length_are_refused():
    counts = fv.kaplan_meier([1.5, 2.5, 2.5], [1, 0, 1]).counts
    time, events, censored, entered = counts.__getstate__()
    broken = fv.SurvivalCounts.__new__(fv.SurvivalCounts)
    with pytest.raises(ValueError, match="state"):
        broken.__setstate__((time, events[:-1], censored, entered))
