"""The health model's idiomatic Python face. All scoring happens in the core;
this module only shapes inputs and results."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import numpy as np

from . import _core


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns")


def _is_series(obj: Any) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "index") and not hasattr(obj, "columns")


class HealthModel:
    """A weighted health model: factors with scoring curves, bands and a missing-data policy."""

    __slots__ = ("_m",)

    def __init__(self, _model: _core.HealthModel) -> None:
        if not isinstance(_model, _core.HealthModel):
            raise TypeError("use HealthModel.default() or HealthModel.from_json(text)")
        self._m = _model

    @classmethod
    def default(cls) -> "HealthModel":
        """The seed model: milestone progress 30, user adoption 25, engagement quality 25,
        value realization 20; bands excellent ≥ 80, on_track ≥ 60, at_risk ≥ 40, critical."""
        return cls(_core.HealthModel.default())

    @classmethod
    def from_json(cls, text: str | bytes) -> "HealthModel":
        """Parses and validates a model; raises fv.InvalidError naming the field path."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return cls(_core.HealthModel.from_json(text))

    def to_json(self, indent: int = 2) -> str:
        return self._m.to_json(indent)

    @property
    def name(self) -> str:
        return self._m.name

    @property
    def missing_policy(self) -> str:
        return self._m.missing_policy

    @property
    def factor_names(self) -> list[str]:
        return self._m.factor_names

    @property
    def weights(self) -> list[float]:
        return self._m.weights

    @property
    def band_names(self) -> list[str]:
        return self._m.band_names

    @property
    def band_colors(self) -> list[str]:
        return self._m.band_colors

    def band_of(self, score: float) -> str:
        code = self._m.band_of(float(score))
        return "unknown" if code < 0 else self.band_names[code]

    def score(self, inputs: Any, previous: Any = None, threads: int = 1,
              out: Optional["ScoreResult"] = None) -> "ScoreResult":
        """Scores many accounts at once.

        ``inputs`` maps each factor name to an array-like of inputs (NaN = missing), or is a
        pandas DataFrame with one column per factor (other columns are ignored). float64
        contiguous arrays are used without copying, and the GIL is released while scoring.
        ``previous`` holds each account's previous score and adds the trend (delta, band change).
        ``threads``: 1 scores on the calling thread, 0 uses every hardware thread.
        ``out``: a previous ScoreResult of the same length whose arrays are overwritten
        instead of allocating new ones (for repeated scoring in a loop); arrays it lacks
        (the trend, when it was scored without ``previous``) are allocated.
        """
        index = None
        if _is_dataframe(inputs):
            index = inputs.index
            names = [n for n in self.factor_names if n in inputs.columns]
            columns = {n: inputs[n].to_numpy(dtype=np.float64, copy=False) for n in names}
        elif isinstance(inputs, Mapping):
            columns = dict(inputs)
        else:
            raise TypeError("inputs must be a mapping of factor name to array-like, or a pandas DataFrame")
        if previous is not None and hasattr(previous, "to_numpy"):
            previous = previous.to_numpy(dtype=np.float64, copy=False)
        reuse = None
        if out is not None:
            if not isinstance(out, ScoreResult):
                raise TypeError("out must be a ScoreResult from an earlier call")
            reuse = (out.score, out.band_code, out.coverage, out.weakest_code, out.delta, out.band_change)
        raw = self._m._score(columns, previous, int(threads), reuse)
        return ScoreResult(*raw, band_names=tuple(self.band_names), factor_names=tuple(self.factor_names),
                           index=index)

    def explain(self, inputs: Any = None, previous: Optional[float] = None, **values: float) -> "Explanation":
        """Why one account has its score, factor by factor.

        ``inputs`` is a mapping of factor name to value or a pandas row (Series); keyword
        arguments work too: ``model.explain(milestone_progress=0.5, ...)``."""
        row: dict[str, float] = {}
        if inputs is not None:
            if _is_series(inputs):
                row.update({n: inputs[n] for n in self.factor_names if n in inputs.index})
            elif isinstance(inputs, Mapping):
                row.update(inputs)
            else:
                raise TypeError("inputs must be a mapping of factor name to value, or a pandas Series")
        row.update(values)
        prev = math.nan if previous is None else float(previous)
        return Explanation._from_json(self._m._explain(row, prev))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HealthModel) and self._m == other._m

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"HealthModel(name={self.name!r}, factors={self.factor_names!r}, missing={self.missing_policy!r})"


def _lookup(names: tuple[str, ...], codes: np.ndarray, none_label: Optional[str]) -> np.ndarray:
    # Code -1 lands on the last slot of the table.
    table = np.array(list(names) + [none_label], dtype=object)
    return table[np.where(codes < 0, len(names), codes)]


@dataclass(frozen=True)
class ScoreResult:
    """Arrays with one slot per account. ``band`` and ``weakest`` are built on access from
    the int8 codes, so scoring millions of accounts does not create millions of strings."""

    score: np.ndarray
    band_code: np.ndarray
    coverage: np.ndarray
    weakest_code: np.ndarray
    delta: Optional[np.ndarray]
    band_change: Optional[np.ndarray]
    band_names: tuple[str, ...] = field(repr=False, default=())
    factor_names: tuple[str, ...] = field(repr=False, default=())
    index: Any = field(repr=False, default=None)

    def __len__(self) -> int:
        return len(self.score)

    @property
    def band(self) -> np.ndarray:
        """Band names (object array); "unknown" where no factor was present."""
        return _lookup(self.band_names, self.band_code, "unknown")

    @property
    def weakest(self) -> np.ndarray:
        """Name of the factor that lost the most points; None where none lost any."""
        return _lookup(self.factor_names, self.weakest_code, None)

    def to_frame(self):
        """A pandas DataFrame: score, band, coverage, weakest (and delta, band_change)."""
        import pandas as pd

        data = {
            "score": self.score,
            "band": pd.Categorical.from_codes(
                np.where(self.band_code < 0, len(self.band_names), self.band_code),
                categories=list(self.band_names) + ["unknown"],
            ),
            "coverage": self.coverage,
            "weakest": self.weakest,
        }
        if self.delta is not None:
            data["delta"] = self.delta
            data["band_change"] = self.band_change
        return pd.DataFrame(data, index=self.index)


@dataclass(frozen=True)
class Explanation:
    """The answer to "why is this account red?"."""

    score: float
    band: str
    color: str
    coverage: float
    weakest: Optional[str]
    factors: list[dict]
    missing_policy: str
    model: str
    trend: dict

    @classmethod
    def _from_json(cls, text: str) -> "Explanation":
        d = json.loads(text)
        nan = math.nan
        factors = [
            {**f, "input": nan if f["input"] is None else f["input"],
             "fraction": nan if f["fraction"] is None else f["fraction"]}
            for f in d["factors"]
        ]
        trend = {k: (nan if v is None else v) for k, v in d["trend"].items()}
        return cls(
            score=nan if d["score"] is None else d["score"],
            band=d["band"],
            color=d["color"],
            coverage=d["coverage"],
            weakest=d["weakest"],
            factors=factors,
            missing_policy=d["missing_policy"],
            model=d["model"],
            trend=trend,
        )

    def factor(self, name: str) -> dict:
        for f in self.factors:
            if f["name"] == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "model": self.model, "score": self.score, "band": self.band, "color": self.color,
            "coverage": self.coverage, "weakest": self.weakest, "missing_policy": self.missing_policy,
            "factors": self.factors, "trend": self.trend,
        }

    def to_frame(self):
        """One row per factor: input, fraction, points, max_points, weight_share, lost."""
        import pandas as pd

        return pd.DataFrame(self.factors).set_index("name")
