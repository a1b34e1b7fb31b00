"""Time-to-value and cohort reports as DataFrames.

    ttv = p.time_to_value("2026-11-23")            # one row per account and value point
    fv_rows = ttv[ttv.point == "first_value"]
    fv.kaplan_meier(fv_rows.duration, fv_rows.reached)

    s = p.cohort_summaries("2026-11-23", by="tier")  # mergeable: s_a.merge(s_b), pickle, JSON
    r = s.report()                                   # or p.cohort_report(...)
    r.kpis, r.ttv, r.bottlenecks, r.scorecard

Every definition lives in the core (include/firstvalue/cohort.hpp); this module
only shapes what it returns."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Optional, Union

import numpy as np

from . import _core
from ._plans import DateLike, _day, _to_datetime64

_COHORT_BY = ("all", "signature_month", "tier", "segment", "template")


def _options_json(by: str, unit: str, kickoff_sla: int, segment_attribute: str, implementation_kind: str) -> str:
    return json.dumps({"by": by, "unit": unit, "kickoff_sla": kickoff_sla, "segment_attribute": segment_attribute,
                       "implementation_kind": implementation_kind})


def _benchmarks_json(benchmarks: Union[None, str, Mapping[str, Optional[float]]]) -> str:
    if benchmarks is None:
        return "{}"
    if isinstance(benchmarks, str):
        return benchmarks
    return json.dumps({k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
                       for k, v in benchmarks.items()})


def ttv_frame(core_portfolio: Any, keys: np.ndarray, as_of: DateLike, unit: str, threads: int):
    """The long time-to-value table of a portfolio (see Portfolio.time_to_value)."""
    import pandas as pd

    c = core_portfolio.ttv_columns(_day(as_of), unit, int(threads))
    n = len(keys)
    points = np.repeat(np.arange(len(_core.VALUE_POINTS), dtype=np.int8), n)
    frame = pd.DataFrame({
        "account": np.tile(np.asarray(keys, dtype=object), len(_core.VALUE_POINTS)),
        "point": pd.Categorical.from_codes(points, categories=_core.VALUE_POINTS),
        "state": pd.Categorical.from_codes(c["state"], categories=_core.TTV_STATES),
        "reached": c["state"] == 0,
        "censored": (c["state"] == 1) | (c["state"] == 2),
        "date": _to_datetime64(c["day"]).astype("datetime64[s]"),
        "duration": c["duration"],
        "unit": np.where(points == 0, "business", unit),
    })
    return frame[frame["state"] != "not_planned"].reset_index(drop=True)


class CohortReport:
    """Cohort KPIs against the benchmarks, TTV with Kaplan–Meier and naive
    medians, and the bottleneck milestones, one block per cohort (the last one
    is "(total)" unless asked otherwise)."""

    def __init__(self, raw_json: str) -> None:
        self._raw = json.loads(raw_json)

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self._raw, indent=indent)

    def to_dict(self) -> list:
        return json.loads(json.dumps(self._raw))

    @property
    def cohorts(self) -> list[str]:
        return [r["cohort"] for r in self._raw]

    @property
    def kpis(self):
        """One row per cohort and KPI: value (NaN when nothing is measured yet,
        inf for a KM median S has not come down to), its interval, the counts,
        the target and whether the cohort meets it (None: no target or no value)."""
        import pandas as pd

        rows = []
        for r in self._raw:
            ttv_median = {t["point"]: t for t in r["ttv"]}
            for k in r["kpis"]:
                value = k["value"]
                if value is None:
                    point = {"first_value_days": "first_value", "kickoff_business_days": "kickoff"}.get(k["name"])
                    unreached = point is not None and not ttv_median[point]["median_reached"]
                    value = np.inf if unreached else np.nan
                rows.append({"cohort": r["cohort"], "kpi": k["name"], "value": value,
                             "lower": _num(k["lower"]), "upper": _num(k["upper"]), "hits": k["hits"], "of": k["of"],
                             "comparison": k["comparison"], "target": _num(k["target"]), "meets": k["meets"]})
        frame = pd.DataFrame(rows, columns=["cohort", "kpi", "value", "lower", "upper", "hits", "of", "comparison",
                                            "target", "meets"])
        frame["meets"] = frame["meets"].astype("boolean")
        return frame

    @property
    def scorecard(self):
        """KPI values, one row per cohort and one column per KPI."""
        k = self.kpis
        return k.pivot(index="cohort", columns="kpi", values="value").reindex(index=self.cohorts,
                                                                              columns=_core.KPI_NAMES)

    @property
    def ttv(self):
        """Per cohort and value point: reached and censored accounts, the KM
        median with its interval, and the naive median of the reached ones."""
        import pandas as pd

        rows = []
        for r in self._raw:
            for t in r["ttv"]:
                rows.append({"cohort": r["cohort"], "point": t["point"], "unit": t["unit"], "reached": t["reached"],
                             "censored": t["censored"],
                             "km_median": _num(t["median"]) if t["median_reached"] else np.inf,
                             "ci_lower": _num(t["lower"]), "ci_upper": _num(t["upper"]),
                             "naive_median": _num(t["naive_median"])})
        return pd.DataFrame(rows, columns=["cohort", "point", "unit", "reached", "censored", "km_median", "ci_lower",
                                           "ci_upper", "naive_median"])

    @property
    def bottlenecks(self):
        """Per cohort, milestones ranked by the accounts they delayed, then by the
        median and p90 delay in business days."""
        import pandas as pd

        rows = []
        for r in self._raw:
            for rank, b in enumerate(r["bottlenecks"], start=1):
                rows.append({"cohort": r["cohort"], "rank": rank, "milestone": b["id"], "name": b["name"],
                             "due": b["due"], "on_time": b["on_time"], "delayed": b["delayed"],
                             "on_time_rate": _num(b["on_time_rate"]), "median_delay": _num(b["median_delay"]),
                             "p90_delay": _num(b["p90_delay"])})
        return pd.DataFrame(rows, columns=["cohort", "rank", "milestone", "name", "due", "on_time", "delayed",
                                           "on_time_rate", "median_delay", "p90_delay"])

    def __repr__(self) -> str:
        return f"CohortReport(cohorts={self.cohorts!r})"


def _num(v: Any) -> float:
    return np.nan if v is None else float(v)


class CohortSummaries:
    """Cohort summaries as of a day: integer counts only, so summaries of
    disjoint partitions merge into exactly the summary of their union. Pickle,
    JSON and ``merge`` move them between processes (Spark partitions, workers)."""

    def __init__(self, core: "_core.CohortSummaries") -> None:
        self._s = core

    @classmethod
    def from_json(cls, text: str) -> "CohortSummaries":
        return cls(_core.CohortSummaries.from_json(text))

    def to_json(self, indent: Optional[int] = None) -> str:
        return self._s.to_json(-1 if indent is None else indent)

    @property
    def as_of(self) -> np.datetime64:
        return np.datetime64(int(self._s.as_of), "D")

    @property
    def options(self) -> dict:
        return json.loads(self._s.options)

    @property
    def cohorts(self) -> list[str]:
        return list(self._s.cohorts)

    def accounts(self, cohort: str) -> int:
        return int(self._s.accounts(cohort))

    def merge(self, *others: "CohortSummaries") -> "CohortSummaries":
        """A new summary: this one and the others added. Summaries built as of
        another day or with other options raise InvalidError."""
        out = self._s.copy()
        for o in others:
            out.merge(o._s)
        return CohortSummaries(out)

    @staticmethod
    def merge_all(summaries: Iterable["CohortSummaries"]) -> "CohortSummaries":
        items = list(summaries)
        if not items:
            raise ValueError("merge_all needs at least one summary")
        return items[0].merge(*items[1:])

    def __add__(self, other: "CohortSummaries") -> "CohortSummaries":
        return self.merge(other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CohortSummaries) and self._s == other._s

    def __reduce__(self):
        return (CohortSummaries.from_json, (self.to_json(),))

    def report(self, benchmarks: Union[None, str, Mapping[str, Optional[float]]] = None, alpha: float = 0.05,
               total: bool = True) -> CohortReport:
        """The report: `benchmarks` overrides the seed targets by name
        (first_value_days, kickoff_business_days, seat_activation_day60, …);
        None switches one off."""
        return CohortReport(self._s.reports_json(_benchmarks_json(benchmarks), float(alpha), bool(total)))

    def __repr__(self) -> str:
        return f"CohortSummaries(as_of={self.as_of}, by={self.options['by']!r}, cohorts={len(self.cohorts)})"


def cohort_summaries(core_portfolio: Any, as_of: DateLike, by: str, unit: str, kickoff_sla: int,
                     segment_attribute: str, implementation_kind: str, threads: int) -> CohortSummaries:
    return CohortSummaries(core_portfolio.cohort_summaries(
        _day(as_of), _options_json(by, unit, kickoff_sla, segment_attribute, implementation_kind), int(threads)))
