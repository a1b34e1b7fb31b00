"""Onboarding plans from Python: calendars, templates, scheduling and the
success-plan and handoff reports. The rules live in the core; this module
converts dates and shapes results as DataFrames."""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core
from ._core import InvalidError as InvalidError_

DateLike = Union[str, int, _dt.date, np.datetime64, Any]
_NAT = np.iinfo(np.int64).min


# ---- dates -------------------------------------------------------------------

def _day(value: DateLike) -> int:
    """One date as days since 1970-01-01."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a date cannot be a boolean")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str):
        return _core._parse_date(value)
    if isinstance(value, (_dt.date, np.datetime64)) or hasattr(value, "to_datetime64"):
        d = np.datetime64(value, "D")
        if np.isnat(d):
            raise ValueError("a date is required, got NaT")
        return int(d.astype(np.int64))
    raise TypeError(f"expected a date (YYYY-MM-DD string, datetime.date, numpy.datetime64 or day number), got {value!r}")


_INT32 = np.iinfo(np.int32)


def _checked_int32(arr: np.ndarray, what: str) -> np.ndarray:
    """Whole numbers that fit int32, never wrapped or truncated."""
    if arr.dtype == object or np.issubdtype(arr.dtype, np.floating):
        as_float = arr.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or np.any(as_float != np.floor(as_float)):
            raise InvalidError_(f"{what}: expected whole numbers")
        arr = as_float
    if arr.size and (arr.min() < _INT32.min or arr.max() > _INT32.max):
        raise InvalidError_(f"{what}: {arr.max() if arr.max() > _INT32.max else arr.min()} is out of range")
    return arr.astype(np.int32)


def _days(values: Any) -> np.ndarray:
    """Dates (scalar or array-like, any shape) as an int32 array of days of the same shape."""
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        d = arr.astype("datetime64[D]")
        if np.isnat(d).any():
            raise ValueError("dates must not be NaT")
        return _checked_int32(d.astype(np.int64), "dates")
    if np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating):
        return _checked_int32(arr, "dates")
    return np.array([_day(v) for v in arr.reshape(-1).tolist()], dtype=np.int32).reshape(arr.shape)


def _binary(fn, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Applies a core function element-wise with numpy broadcasting, keeping the shape."""
    x, y = np.broadcast_arrays(a, b)
    out = fn(np.ascontiguousarray(x.reshape(-1)), np.ascontiguousarray(y.reshape(-1)))
    return out.reshape(x.shape)


def _to_datetime64(days: np.ndarray) -> np.ndarray:
    """int32 days, with the core's "no day" as NaT, to datetime64[D]."""
    wide = days.astype(np.int64)
    wide[days == _core.NO_DAY] = _NAT
    return wide.view("datetime64[D]")


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.date, np.datetime64)) or hasattr(value, "to_datetime64"):
        return str(np.datetime64(value, "D"))
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot send {type(value).__name__} to firstvalue")


def _nonfinite_path(value: Any, path: str) -> Optional[str]:
    """Where a document holds NaN or an infinity, which JSON cannot carry."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, Mapping):
        for k, v in value.items():
            found = _nonfinite_path(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _nonfinite_path(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _as_json(doc: Any, root: str = "") -> str:
    if isinstance(doc, (str, bytes)):
        return doc.decode("utf-8") if isinstance(doc, bytes) else doc
    try:
        return json.dumps(doc, default=_json_default, allow_nan=False)
    except ValueError:
        path = _nonfinite_path(doc, root)
        if path is None:
            raise
        err = _core.InvalidError(f"{path}: must be a finite number")
        err.code, err.path, err.detail = "invalid", path, "must be a finite number"
        raise err from None


# ---- calendars -------------------------------------------------------------------

class Calendar:
    """Business days: configurable weekend days and holidays."""

    __slots__ = ("_c",)

    def __init__(self, weekend: Sequence[str] = ("sat", "sun"), holidays: Iterable[DateLike] = ()) -> None:
        doc = {"weekend": list(weekend), "holidays": [str(np.datetime64(_day(h), "D")) for h in holidays]}
        self._c = _core.Calendar.from_json(json.dumps(doc))

    @classmethod
    def from_json(cls, text: Union[str, Mapping]) -> "Calendar":
        self = cls.__new__(cls)
        self._c = _core.Calendar.from_json(_as_json(text))
        return self

    def to_json(self, indent: int = 2) -> str:
        return self._c.to_json(indent)

    def is_business_day(self, dates: Any) -> Any:
        d = _days(dates)
        out = self._c.is_business_day(d.reshape(-1)).reshape(d.shape).astype(bool)
        return bool(out) if out.ndim == 0 else out

    def add_business_days(self, dates: Any, n: Any) -> Any:
        """The n-th business day after each date (before, for negative n); broadcasts."""
        out = _to_datetime64(_binary(self._c.add_business_days, _days(dates), _checked_int32(np.asarray(n), "n")))
        return out[()] if out.ndim == 0 else out

    def business_days_between(self, a: Any, b: Any) -> Any:
        """Business days in (a, b] (minus those in [b, a) when b is before a); broadcasts."""
        out = _binary(self._c.business_days_between, _days(a), _days(b))
        return int(out) if out.ndim == 0 else out

    def roll_forward(self, dates: Any) -> Any:
        d = _days(dates)
        out = _to_datetime64(self._c.roll_forward(d.reshape(-1)).reshape(d.shape))
        return out[()] if out.ndim == 0 else out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._c == other._c

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        doc = json.loads(self.to_json())
        return f"Calendar(weekend={doc['weekend']!r}, holidays={len(doc['holidays'])})"


# ---- templates ---------------------------------------------------------------------

class Template:
    """One playbook: phases → milestones → tasks. Validated on creation."""

    __slots__ = ("_json", "_doc", "variables")

    def __init__(self, _normalised_json: str, _variables: list[str]) -> None:
        self._json = _normalised_json
        self._doc = json.loads(_normalised_json)
        self.variables: list[str] = _variables

    @classmethod
    def from_json(cls, text: Union[str, Mapping]) -> "Template":
        """Parses and validates; fv.InvalidError names the path of any problem."""
        normalised, variables = _core._template_check(_as_json(text))
        return cls(normalised, variables)

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self._doc, indent=indent)

    @property
    def id(self) -> str:
        return self._doc["id"]

    @property
    def name(self) -> str:
        return self._doc["name"]

    @property
    def tier(self) -> str:
        return self._doc["tier"]

    def milestones(self):
        """The template's structure as a DataFrame, one row per task (and per milestone)."""
        import pandas as pd

        rows = []
        for phase in self._doc["phases"]:
            for m in phase["milestones"]:
                rows.append({"phase": phase["id"], "milestone": m["id"], "id": m["id"], "kind": m["kind"],
                             "name": m["name"], "depends_on": m["depends_on"], "done_when": m.get("done_when")})
                for t in m["tasks"]:
                    rows.append({"phase": phase["id"], "milestone": m["id"], "id": t["id"], "kind": "task",
                                 "name": t["name"], "depends_on": t["depends_on"], "owner": t["owner"],
                                 "role": t["role"], "offset": t["offset"], "duration": t["duration"],
                                 "days": t["days"], "from": t["from"], "condition": t.get("condition")})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"Template(id={self.id!r}, tier={self.tier!r})"


class TemplateSet:
    """Picks one template per account: entry criteria, then tier, then ARR, then the fallback."""

    __slots__ = ("_s",)

    def __init__(self, templates: Sequence[Template], fallback: Optional[str] = None) -> None:
        doc = {"templates": [json.loads(t.to_json(None)) for t in templates]}
        if fallback is not None:
            doc["fallback"] = fallback
        self._s = _core.TemplateSet.from_json(json.dumps(doc))

    @classmethod
    def default(cls) -> "TemplateSet":
        """The seeds' five phases in enterprise, mid-market and SMB flavours."""
        self = cls.__new__(cls)
        self._s = _core.TemplateSet.default()
        return self

    @classmethod
    def from_json(cls, text: Union[str, Mapping]) -> "TemplateSet":
        self = cls.__new__(cls)
        self._s = _core.TemplateSet.from_json(_as_json(text))
        return self

    def to_json(self, indent: int = 2) -> str:
        return self._s.to_json(indent)

    @property
    def fallback(self) -> str:
        return self._s.fallback

    @property
    def templates(self) -> list[Template]:
        return [Template.from_json(self._s.template_json(i)) for i in self._s.template_ids]

    def __getitem__(self, template_id: str) -> Template:
        return Template.from_json(self._s.template_json(template_id))

    def select(self, attributes: Mapping[str, Any]) -> tuple[str, str]:
        """(template id, reason) for an account with these attributes."""
        return tuple(self._s.select(_as_json(dict(attributes))))

    def __repr__(self) -> str:
        return f"TemplateSet({self._s.template_ids!r}, fallback={self.fallback!r})"


def check_expression(source: str) -> list[str]:
    """Parses a condition or criterion; returns the attribute names it reads, or raises
    fv.InvalidError with the column of the problem."""
    return _core._expr_check(source)


# ---- scheduling --------------------------------------------------------------------

def schedule(accounts: Any, as_of: DateLike, template_set: Optional[TemplateSet] = None,
             calendar: Optional[Calendar] = None, policy: Optional[Mapping[str, Any]] = None,
             threads: int = 1) -> "PlanResults":
    """Schedules and evaluates account plans as of a date.

    ``accounts``: one account document (a dict), a list of them, or their JSON. A document
    has ``account``, ``start`` and optionally ``template``, ``attributes``, ``progress``,
    ``metrics``, ``goals`` and ``handoff``; dates may be strings, datetime.date or numpy
    datetimes. Errors name the account and field: ``accounts[2].progress.kickof: ...``.
    """
    if isinstance(accounts, Mapping):
        accounts = [accounts]
    text = _as_json(accounts)
    if isinstance(accounts, (str, bytes)) and text.lstrip().startswith("{"):
        text = "[" + text + "]"
    scheduler = _core.Scheduler((template_set or TemplateSet.default())._s, (calendar or Calendar())._c,
                                "" if policy is None else _as_json(dict(policy)))
    return PlanResults(scheduler.evaluate(text, _day(as_of), int(threads)))


class PlanResults:
    """Reports for many accounts, as DataFrames: ``plans`` (one row per account),
    ``milestones`` and ``tasks`` (one row each), ``goals``.

    Dates are calendar days. pandas has no day unit, so DataFrame date columns hold
    midnight at second resolution (``datetime64[s]``); ``arrays()`` gives the same
    columns as numpy ``datetime64[D]`` arrays. Missing dates are NaT."""

    def __init__(self, raw: "_core.PlanResults") -> None:
        self._raw = raw

    def __len__(self) -> int:
        return len(self._raw)

    def report(self, i: int) -> dict:
        """Account i's full report (nodes, goals, handoff, critical path) as a dict."""
        return json.loads(self._raw.report_json(i))

    def to_json(self) -> str:
        return "[" + ",".join(self._raw.report_json(i) for i in range(len(self))) + "]"

    @property
    def plans(self):
        import pandas as pd

        c = self._raw.plans()
        return pd.DataFrame({
            "account": c["account"], "template": c["template"], "selection": c["selection"],
            "start": _to_datetime64(c["start"]),
            "status": pd.Categorical.from_codes(c["status"], categories=_core.PLAN_STATUS),
            "reason": c["reason"], "percent_done": c["percent_done"],
            "planned_finish": _to_datetime64(c["planned_finish"]),
            "forecast_finish": _to_datetime64(c["forecast_finish"]),
            "concluded": c["concluded"].astype(bool),
            "concluded_on": _to_datetime64(c["concluded_on"]),
        })

    def _nodes(self, milestones_only: bool):
        import pandas as pd

        c = self._raw.nodes(milestones_only)
        accounts = self._raw.plans()["account"]
        frame = pd.DataFrame({
            "account": [accounts[i] for i in c["account"]],
            "phase": c["phase"], "milestone": c["milestone"], "id": c["id"], "name": c["name"], "kind": c["kind"],
        })
        if not milestones_only:
            frame["owner"] = np.where(c["customer_owned"].astype(bool), "customer", "internal")
            frame["role"] = c["role"]
        for col in ("planned_start", "planned_due", "due", "forecast", "done"):
            frame[col] = _to_datetime64(c[col])
        frame["status"] = pd.Categorical.from_codes(c["status"], categories=_core.NODE_STATUS)
        frame["completion"] = pd.Categorical.from_codes(c["completion"], categories=_core.COMPLETION)
        frame["slip_count"] = c["slip_count"]
        frame["slip_days"] = c["slip_days"]
        frame["critical"] = c["critical"].astype(bool)
        frame["active"] = c["active"].astype(bool)
        return frame

    def arrays(self, milestones_only: bool = True) -> dict:
        """Milestone (or task and milestone) columns as numpy arrays; dates as datetime64[D]."""
        c = dict(self._raw.nodes(milestones_only))
        for col in ("planned_start", "planned_due", "due", "forecast", "done"):
            c[col] = _to_datetime64(c[col])
        return c

    @property
    def milestones(self):
        return self._nodes(True)

    @property
    def tasks(self):
        """Every task and milestone (``kind == "task"`` for tasks)."""
        return self._nodes(False)

    @property
    def goals(self):
        import pandas as pd

        accounts = self._raw.plans()["account"]
        rows = []
        for i, text in self._raw.goals():
            g = json.loads(text)
            g["account"] = accounts[i]
            rows.append(g)
        frame = pd.DataFrame(rows)
        if "achieved_on" in frame:
            frame["achieved_on"] = _to_datetime64(
                np.array([_core.NO_DAY if v is None else v for v in frame["achieved_on"]], dtype=np.int32))
        return frame


# ---- success plans and handoffs -------------------------------------------------

def evaluate_goals(success_plan: Any, as_of: DateLike):
    """Goal reports (progress, projection at the due date, status) as a DataFrame.
    ``success_plan`` is {"goals": [...]} as a dict or JSON."""
    import pandas as pd

    reports = json.loads(_core._evaluate_goals(_as_json(success_plan), _day(as_of)))
    return pd.DataFrame(reports)


def assess_handoff(record: Any) -> dict:
    """A handoff record's completeness and each missing item."""
    return json.loads(_core._assess_handoff(_as_json(record)))
