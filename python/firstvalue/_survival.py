"""Kaplan–Meier curves: the survival table, quantiles with their intervals, and a plot.

The estimator is the C++ core's (include/firstvalue/kaplan_meier.hpp), with
lifelines' conventions; this module only shapes its columns for pandas.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _core

SurvivalCounts = _core.SurvivalCounts


def kaplan_meier(durations: Any, events: Any = None, entry: Any = None, alpha: float = 0.05) -> "KaplanMeier":
    """Fits a Kaplan–Meier curve.

    durations: time to the event or to censoring, one per subject (integers or floats);
    events: 1 (or True) where the event was observed, 0 where censored; None: all observed;
    entry: late-entry (left-truncation) times, None: every subject enters at 0;
    alpha: the confidence intervals are at level 1 − alpha (exponential Greenwood).
    """
    return KaplanMeier(_core.kaplan_meier(_column(durations), _column(events), _column(entry), float(alpha)),
                       None)


def _column(x: Any) -> Any:
    if x is None:
        return None
    return x.to_numpy() if hasattr(x, "to_numpy") else np.asarray(x)


class KaplanMeier:
    """A fitted curve. `table` is the survival table; `median`, `median_ci`,
    `quantile(q)`, `quantile_ci(q)` and `predict(t)` read it."""

    def __init__(self, curve: Any, counts: Optional[SurvivalCounts]) -> None:
        self._curve = curve
        self._counts = counts

    @classmethod
    def from_counts(cls, counts: SurvivalCounts, alpha: float = 0.05) -> "KaplanMeier":
        """The curve of (possibly merged) per-time counts."""
        return cls(_core.kaplan_meier_from_counts(counts, float(alpha)), counts)

    @property
    def alpha(self) -> float:
        return self._curve.alpha

    @property
    def table(self):
        """One row per time: at_risk, events, censored, entered, survival, ci_lower,
        ci_upper, and greenwood (the sum d / (n (n − d)) up to t, the variance of log S).

        The columns share the curve's memory and are read-only; `table.copy()` gives
        a frame to change."""
        import pandas as pd

        cols = self._curve.columns()
        return pd.DataFrame({k: v for k, v in cols.items() if k != "time"},
                            index=pd.Index(cols["time"], name="time"), copy=False)

    @property
    def ci(self):
        """The confidence band of the curve, by time: ci_lower and ci_upper."""
        return self.table[["ci_lower", "ci_upper"]]

    @property
    def counts(self) -> SurvivalCounts:
        """The per-time counts the curve was computed from; they merge across partitions."""
        if self._counts is None:
            self._counts = self._curve.counts()
        return self._counts

    @property
    def median(self) -> float:
        """The first time S(t) ≤ 0.5; inf when the curve stays above."""
        return self._curve.quantile(0.5)

    @property
    def median_ci(self) -> tuple[float, float]:
        return self._curve.quantile_ci(0.5)

    def quantile(self, q: float) -> float:
        """The first time S(t) ≤ q."""
        return self._curve.quantile(float(q))

    def quantile_ci(self, q: float) -> tuple[float, float]:
        return self._curve.quantile_ci(float(q))

    def predict(self, t: Any):
        """S at each time: a float for a scalar, an array for an array."""
        out = self._curve.predict(np.atleast_1d(np.asarray(t, dtype=float)))
        return float(out[0]) if np.ndim(t) == 0 else out

    def __len__(self) -> int:
        return len(self._curve)

    def plot(self, ax: Any = None, ci: bool = True, label: Optional[str] = None, **kwargs: Any):
        """Draws the step curve and its confidence band with matplotlib (an
        optional dependency); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        t = self.table
        line, = ax.step(t.index, t["survival"], where="post", label=label or "Kaplan–Meier", **kwargs)
        if ci:
            ax.fill_between(t.index, t["ci_lower"], t["ci_upper"], step="post", alpha=0.25,
                            color=line.get_color(), label=f"{1 - self.alpha:.0%} CI")
        ax.set_xlabel("time")
        ax.set_ylabel("S(t)")
        ax.set_ylim(0, 1.02)
        ax.legend()
        return ax

    def __repr__(self) -> str:
        lo, hi = self.median_ci
        return f"KaplanMeier(rows={len(self)}, median={self.median}, median_ci=({lo}, {hi}), alpha={self.alpha})"
