"""Kaplan–Meier on 10M durations: firstvalue against lifelines, same data, same process.

    python3 benchmarks/km_vs_lifelines.py [--n 10000000] [--repeat 3] [--json out.json]

Two inputs: durations in whole days (what time-to-value is: few distinct
times, many ties) and continuous durations (every time distinct). Each run
fits the curve and reads the median and its interval; lifelines' fit also
builds the whole confidence band, which firstvalue computes when asked, so a
second firstvalue time includes building the whole table, band included. The
curves are checked to agree to 1e-9 before any time is reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import warnings

import numpy as np

import firstvalue as fv


def best_of(repeat, fn):
    best, out, result = float("inf"), None, None
    for _ in range(repeat):
        out = result = None  # the previous result is freed outside the timed call,
        gc.collect()  # cycles included (a DataFrame's), which the collector would free inside it
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        out = result
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    rng = np.random.default_rng(2026)
    raw = rng.gamma(2.0, 10.0, args.n)
    observed = rng.random(args.n) < 0.7
    results = {"n": args.n}
    for name, durations in (("days", np.floor(raw).astype(np.int64)), ("continuous", raw)):
        def ours():
            km = fv.kaplan_meier(durations, observed)
            return km, km.median, km.median_ci

        def theirs():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                k = KaplanMeierFitter().fit(durations, observed)
                return k, k.median_survival_time_, median_survival_times(k.confidence_interval_)

        def ours_with_table():
            km = fv.kaplan_meier(durations, observed)
            return km, km.median, km.median_ci, km.table

        (km, med, _), t_fv = best_of(args.repeat, ours)
        _, t_table = best_of(args.repeat, ours_with_table)
        (ll, ll_med, _), t_ll = best_of(1 if args.n > 1_000_000 else args.repeat, theirs)
        table = km.table
        np.testing.assert_allclose(table["survival"].to_numpy(), ll.survival_function_.iloc[:, 0].to_numpy(),
                                   rtol=0, atol=1e-9)
        np.testing.assert_allclose(table["ci_lower"].to_numpy(), ll.confidence_interval_.iloc[:, 0].to_numpy(),
                                   rtol=0, atol=1e-9)
        print(f"{name:>10}: {len(km):>10,} rows  firstvalue {t_fv * 1e3:8.1f} ms   lifelines {t_ll * 1e3:9.1f} ms"
              f"   ratio {t_ll / t_fv:6.1f}x   median {med} (lifelines {ll_med})")
        print(f"{'':>10}  with the whole table (band computed): firstvalue {t_table * 1e3:8.1f} ms"
              f"   ratio {t_ll / t_table:6.1f}x")
        results[name] = dict(rows=len(km), firstvalue_s=t_fv, firstvalue_with_table_s=t_table, lifelines_s=t_ll,
                             ratio=t_ll / t_fv, ratio_with_table=t_ll / t_table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
