"""Batch health scoring: firstvalue against numpy-vectorised and pandas
implementations of the same model, in the same process, on the same data.

    python benchmarks/health_vs_numpy.py [--accounts 1000000 10000000] [--repeat 15]

Checks that all implementations agree (1e-12) before timing them, then prints
a Markdown table of medians. The Python call overhead is measured against the
bare C++ call timed inside the extension on the same arrays, alternating the
two so that the noise of a shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

import firstvalue as fv

FACTORS = ["milestone_progress", "user_adoption", "engagement_quality", "value_realization"]
WEIGHTS = np.array([30.0, 25.0, 25.0, 20.0])
CURVE_X1 = np.array([1.0, 0.8, 5.0, 1.0])
BANDS = np.array([80.0, 60.0, 40.0, 0.0])


def make_inputs(n: int, seed: int = 42) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    hi = [1.2, 1.0, 7.0, 1.2]
    out = {}
    for name, h in zip(FACTORS, hi):
        x = rng.uniform(-0.1, h, n)
        x[rng.random(n) < 0.05] = np.nan
        out[name] = x
    return out


def numpy_score(inputs: dict[str, np.ndarray]):
    """The seed model, renormalising over present factors, vectorised with numpy."""
    n = len(inputs[FACTORS[0]])
    weighted = np.zeros(n)
    present = np.zeros(n)
    worst = np.zeros(n)
    weakest = np.full(n, -1, dtype=np.int8)
    for k, name in enumerate(FACTORS):
        x = inputs[name]
        miss = np.isnan(x)
        frac = np.interp(x, [0.0, CURVE_X1[k]], [0.0, 1.0])
        w = WEIGHTS[k]
        weighted += np.where(miss, 0.0, w * frac)
        present += np.where(miss, 0.0, w)
        loss = np.where(miss, 0.0, w * (1.0 - frac))
        better = loss > worst
        worst = np.where(better, loss, worst)
        weakest = np.where(better, np.int8(k), weakest)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.clip(100.0 * weighted / present, 0.0, 100.0)
    score[present == 0] = np.nan
    coverage = present / WEIGHTS.sum()
    band = (score[:, None] < BANDS[None, :-1] - 1e-9).sum(axis=1).astype(np.int8)
    band[np.isnan(score)] = -1
    return score, band, coverage, weakest


def pandas_score(df: pd.DataFrame):
    """The same model written as a data team would in pandas."""
    fracs = pd.DataFrame({name: df[name].clip(0, CURVE_X1[k]) / CURVE_X1[k] for k, name in enumerate(FACTORS)})
    present_w = df[FACTORS].notna().mul(WEIGHTS, axis=1)
    weighted = fracs.mul(WEIGHTS, axis=1)
    score = (100.0 * weighted.sum(axis=1) / present_w.sum(axis=1)).clip(0, 100)
    score[present_w.sum(axis=1) == 0] = np.nan
    coverage = present_w.sum(axis=1) / WEIGHTS.sum()
    band = pd.cut(score, bins=[-np.inf, 40 - 1e-9, 60 - 1e-9, 80 - 1e-9, np.inf], right=False,
                  labels=["critical", "at_risk", "on_track", "excellent"])
    loss = (1.0 - fracs).mul(WEIGHTS, axis=1).fillna(0.0)
    weakest = loss.idxmax(axis=1).where(loss.max(axis=1) > 0)
    return score, band, coverage, weakest


def median_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def interleaved_overhead(model, inputs, threads: int, repeat: int) -> tuple[float, float]:
    """Median seconds of the Python call and of the bare C++ call (timed inside the
    extension, GIL released), alternating so that machine noise hits both alike."""
    result = model.score(inputs, threads=threads)
    arrays = (result.score, result.band_code, result.coverage, result.weakest_code)
    py_t, cpp_t = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        model.score(inputs, threads=threads, out=result)
        py_t.append(time.perf_counter() - t0)
        cpp_t.extend(model._m._time_score(inputs, threads, arrays, 1))
    return float(np.median(py_t)), float(np.median(cpp_t))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()

    model = fv.HealthModel.default()
    print(f"# health scoring, {platform.processor() or platform.machine()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, firstvalue {fv.__version__}\n")
    print("Last column: time relative to firstvalue on 1 thread with reused outputs (higher = slower).\n")
    print("| accounts | implementation | seconds (median of %d) | accounts/s | relative time |" % args.repeat)
    print("|---:|---|---:|---:|---:|")
    for n in args.accounts:
        inputs = make_inputs(n)
        df = pd.DataFrame(inputs)
        # Agreement before timing: the comparison is only fair if the numbers are the same.
        ref = numpy_score(inputs)
        got = model.score(inputs)
        np.testing.assert_allclose(got.score, ref[0], rtol=0, atol=1e-12, equal_nan=True)
        np.testing.assert_array_equal(got.band_code, ref[1])
        np.testing.assert_allclose(got.coverage, ref[2], rtol=0, atol=1e-15)
        np.testing.assert_array_equal(got.weakest_code, ref[3])
        if not args.skip_pandas:
            pd_score = pandas_score(df)[0].to_numpy()
            np.testing.assert_allclose(pd_score, ref[0], rtol=0, atol=1e-12, equal_nan=True)

        # Reusing the result arrays (out=) isolates the call overhead from the
        # cost of allocating and first-touching fresh output pages.
        reuse1 = model.score(inputs, threads=1)
        reuse2 = model.score(inputs, threads=0)
        t_fv1 = median_of(lambda: model.score(inputs, threads=1, out=reuse1), args.repeat)
        t_fv2 = median_of(lambda: model.score(inputs, threads=0, out=reuse2), args.repeat)
        t_fresh = median_of(lambda: model.score(inputs, threads=1), args.repeat)
        t_df = median_of(lambda: model.score(df, threads=1), args.repeat)
        t_np = median_of(lambda: numpy_score(inputs), args.repeat)
        rows = [("firstvalue, 1 thread, out= reused", t_fv1), ("firstvalue, 2 threads, out= reused", t_fv2),
                ("firstvalue, 1 thread, fresh outputs", t_fresh),
                ("firstvalue, 1 thread, DataFrame in, fresh outputs", t_df), ("numpy vectorised", t_np)]
        if not args.skip_pandas:
            rows.append(("pandas", median_of(lambda: pandas_score(df), max(1, args.repeat // 2))))
        for name, t in rows:
            ratio = t / t_fv1
            print(f"| {n:,} | {name} | {t:.4f} | {n / t / 1e6:.1f} M | {ratio:.2f} |")
        for threads in (1, 0):
            t_py, t_cpp = interleaved_overhead(model, inputs, threads, args.repeat)
            label = "1 thread" if threads == 1 else "all threads"
            print(f"| {n:,} | C++ call timed in-process, {label} | {t_cpp:.4f} | {n / t_cpp / 1e6:.1f} M | "
                  f"Python call overhead {100 * (t_py / t_cpp - 1):+.1f}% (interleaved) |")

if __name__ == "__main__":
    main()
