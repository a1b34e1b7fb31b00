"""The nightly scan from Python: a portfolio of accounts in onboarding, events
in as numpy arrays or DataFrames, tonight's results and worklist out as
DataFrames, and the seeded sample generator with its ground truth.

Every rule lives in the core. This module only turns Python columns into the
core's columnar batch (strings become dictionary codes, dates become seconds)
and shapes the results."""

from __future__ import annotations

import json
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core
from ._core import InvalidError as InvalidError_
from ._cohort import CohortReport, CohortSummaries, cohort_summaries, ttv_frame
from ._plans import DateLike, PlanResults, _as_json, _day, _to_datetime64

if TYPE_CHECKING:
    from ._pii import PiiMasker

_NO_LIMIT = 2**64 - 1
_INT64_MIN = np.iinfo(np.int64).min
_EVENT_COLUMNS = ("ts", "account", "type", "actor", "item", "value", "id", "organization")
Progress = Callable[[int, int], Optional[bool]]
SnapshotKey = Union[bytes, bytearray, str, None]


def _indent(indent: Optional[int]) -> int:
    return -1 if indent is None else int(indent)


def _masked(text: str, masker: Any, indent: Optional[int]) -> str:
    """A JSON export as it is, or with every string value masked by the core's masker."""
    return text if masker is None else masker.mask_json(text, indent)


def inspect_snapshot(source: Union[str, bytes, "os.PathLike[str]"], *, key: SnapshotKey = None) -> dict:
    """A snapshot's header and first record, without loading it: format,
    encrypted, chunk_bytes, and (for a plain file, or with the key)
    organization, accounts and the library version that wrote it."""
    if isinstance(source, (bytes, bytearray)):
        return json.loads(_core.inspect_snapshot_bytes(bytes(source), key))
    return json.loads(_core.inspect_snapshot(os.fspath(source), key))


# ---- columns in ---------------------------------------------------------------

def _is_pandas(values: Any) -> bool:
    return hasattr(values, "dtype") and type(values).__module__.startswith("pandas")


def _encode(values: Any, name: str) -> tuple[Optional[np.ndarray], Any]:
    """A string column as (codes, distinct values); missing values get code -1.
    Categoricals are used as they are (int8 codes stay int8, other widths
    become int32); other columns are factorized. The distinct values go over
    as an object array or a list, and the core reads their strings in place."""
    if values is None:
        return None, []
    if _is_pandas(values) and str(values.dtype) == "category":
        cat = values.cat if hasattr(values, "cat") else values
        codes = np.asarray(cat.codes)
        if codes.dtype != np.int8:
            codes = np.ascontiguousarray(codes, dtype=np.int32)
        return _used_categories(np.ascontiguousarray(codes), cat.categories)
    arr = values.to_numpy() if _is_pandas(values) else np.asarray(values)
    if arr.ndim != 1:
        raise InvalidError_(f"events.{name}: expected a 1-D column, got {arr.ndim} dimensions")
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is optional
        index: dict[str, int] = {}
        codes = np.fromiter((-1 if v is None else index.setdefault(str(v), len(index)) for v in arr.tolist()),
                            dtype=np.int32, count=len(arr))
        return codes, list(index)
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    return np.ascontiguousarray(codes, dtype=np.int32), _strings(uniques)


def _used_categories(codes: np.ndarray, categories: Any) -> tuple[np.ndarray, Any]:
    """A slice of a large categorical (one night of a month's table) keeps every
    category; when the categories outnumber a quarter of the rows, only those
    the rows use are handed over, with the codes renumbered, so a small batch
    does not pay for the whole dictionary."""
    if 4 * len(categories) <= len(codes):
        return codes, _strings(categories)
    used = np.zeros(len(categories), dtype=bool)
    used[codes[codes >= 0]] = True
    if used.all():
        return codes, _strings(categories)
    renumber = (np.cumsum(used) - 1).astype(np.int32)
    codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], np.int32(-1)).astype(np.int32)
    return codes, _strings(categories[used])


def _strings(values: Any) -> Any:
    """A dictionary's values as a 1-D object array (without a copy when they
    already are one) or a list; values that are not str are converted by the
    core with str()."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return np.ascontiguousarray(values)
    if hasattr(values, "to_numpy"):
        arr = values.to_numpy(dtype=object)
        if arr.ndim == 1:
            return np.ascontiguousarray(arr)
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _seconds(values: Any) -> np.ndarray:
    """Timestamps as int64 seconds since 1970 (UTC). Missing or unreadable
    values become a timestamp the core rejects and reports, never a guess."""
    if _is_pandas(values) and getattr(values.dtype, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = values.to_numpy() if _is_pandas(values) else np.asarray(values)
    if arr.ndim != 1:
        raise InvalidError_(f"events.ts: expected a 1-D column, got {arr.ndim} dimensions")
    if arr.dtype.kind in "US" or arr.dtype == object:
        try:
            arr = arr.astype("datetime64[s]")
        except (ValueError, TypeError) as e:
            raise InvalidError_(f"events.ts: expected seconds since 1970 or ISO date-times ({e})") from None
    if np.issubdtype(arr.dtype, np.datetime64):
        secs = arr.astype("datetime64[s]").view(np.int64)
        return np.ascontiguousarray(secs)  # NaT is int64 min: rejected as a bad timestamp
    if np.issubdtype(arr.dtype, np.integer):
        if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise InvalidError_("events.ts: seconds out of range")
        return np.ascontiguousarray(arr, dtype=np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        whole = np.isfinite(arr) & (arr == np.floor(arr)) & (np.abs(arr) < 2**62)
        return np.where(whole, arr, _INT64_MIN).astype(np.int64)
    raise InvalidError_(f"events.ts: expected seconds or datetimes, got dtype {arr.dtype}")


def _values(values: Any) -> Optional[np.ndarray]:
    if values is None:
        return None
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan) if _is_pandas(values) else np.asarray(values, dtype=np.float64)
    return np.ascontiguousarray(arr)


def _ids(values: Any) -> Optional[np.ndarray]:
    """Event ids as uint64; a missing id (0, None, NA) means the row has none."""
    if values is None:
        return None
    if _is_pandas(values):
        arr = values.to_numpy(dtype=object, na_value=0) if values.hasnans else values.to_numpy()
    else:
        arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([0 if v is None else v for v in arr.tolist()])
    if not np.issubdtype(arr.dtype, np.integer):
        raise InvalidError_(f"events.id: expected whole numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "i" and arr.size and arr.min() < 0:
        raise InvalidError_(f"events.id[{int(np.argmin(arr))}]: ids must not be negative")
    return np.ascontiguousarray(arr, dtype=np.uint64)


# ---- ingestion report -----------------------------------------------------------

class IngestReport:
    """What one ingestion did: every row is accepted or listed with its reason."""

    def __init__(self, raw: dict) -> None:
        self.rows: int = raw["rows"]
        self.accepted: int = raw["accepted"]
        self.cancelled: bool = raw["cancelled"]
        self.applied: int = raw["applied"]
        self.messages: list[str] = raw["messages"]
        self._rows = raw["rejected_rows"]
        self._reasons = raw["rejected_reasons"]
        self._json = raw["json"]

    @property
    def rejected(self) -> int:
        return int(self._rows.size)

    @property
    def by_reason(self) -> dict[str, int]:
        counts = np.bincount(self._reasons.astype(np.int64), minlength=len(_core.REJECT_REASONS))
        return {name: int(c) for name, c in zip(_core.REJECT_REASONS, counts) if c}

    @property
    def rejected_rows(self):
        """A DataFrame of the rejected rows: row (position in the batch) and reason."""
        import pandas as pd

        return pd.DataFrame({"row": self._rows.astype(np.int64),
                             "reason": pd.Categorical.from_codes(self._reasons, _core.REJECT_REASONS)})

    def to_json(self) -> str:
        return self._json

    def __repr__(self) -> str:
        extra = ", cancelled" if self.cancelled else ""
        return f"IngestReport(rows={self.rows}, accepted={self.accepted}, rejected={self.rejected}{extra})"


# ---- results ----------------------------------------------------------------------

def _categorical(codes: np.ndarray, names: Sequence[str]):
    import pandas as pd

    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(names), ordered=True)


class ScanResult:
    """Tonight's evaluation: one row per account and the CSM worklist."""

    def __init__(self, portfolio: "Portfolio", core: Any) -> None:
        self._portfolio = portfolio
        self._core = core

    @property
    def as_of(self) -> np.datetime64:
        return np.datetime64(self._core.as_of, "D")

    @property
    def by_state(self) -> dict[str, int]:
        return dict(zip(_core.ACCOUNT_STATES, self._core.by_state))

    def __len__(self) -> int:
        return len(self._core)

    @cached_property
    def _columns(self) -> dict:
        return self._portfolio._p.result_columns(self._core)

    @cached_property
    def accounts(self):
        """Every account, in portfolio order, indexed by key: state, risk, onset,
        priority, health, the primary signal's cause and action, and the metrics.
        A scan's result holds the worklist's first accounts, in rank order."""
        return _result_frame(self._columns, self._portfolio._p)

    @property
    def metrics(self):
        """The metric values the health factors and signals read, one column per metric."""
        return self.accounts[list(_core.METRIC_NAMES)]

    @cached_property
    def worklist(self):
        """Stalled, then at-risk accounts, by priority (risk × ARR × (1 + elapsed
        share of the onboarding window)); rank 1 is the first call to make."""
        import pandas as pd

        order = self._core.worklist.astype(np.int64)
        cols = ["name", "tier", "arr", "state", "priority", "risk", "onset", "days_left", "health", "band",
                "primary_signal", "cause", "action", "action_text", "signals"]
        frame = self.accounts.iloc[order][cols].reset_index()
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
        return frame

    def to_json(self, indent: Optional[int] = 2, *, masker: Optional["PiiMasker"] = None) -> str:
        """Every account's result, with its signals and evidence. With a
        `masker` (fv.PiiMasker), every email address and phone number in it
        is masked, as before the text goes to a model."""
        return _masked(self._portfolio._p.results_json(self._core, _indent(indent)), masker, indent)

    def worklist_json(self, indent: Optional[int] = 2, *, masker: Optional["PiiMasker"] = None) -> str:
        return _masked(self._portfolio._p.worklist_json(self._core, _indent(indent)), masker, indent)

    @property
    def worklist_total(self) -> int:
        """Accounts on the whole worklist; a scan keeps the first `keep` of them."""
        return self._core.worklist_total

    def explain(self, account: str, *, masker: Optional["PiiMasker"] = None) -> dict:
        """One account's result: metrics, every fired signal with its evidence,
        cause and action, the health score and the plan status; masked with
        a `masker`."""
        i = self._portfolio._index(account)
        held = self._core.indices
        if not (i < len(held) and held[i] == i):  # a scan's result holds the worklist's first accounts
            at = np.flatnonzero(held == i)
            if len(at) == 0:
                raise _core.NotFoundError(f"account: \"{account}\" is not among this scan's kept accounts")
            i = int(at[0])
        return json.loads(_masked(self._portfolio._p.account_result_json(self._core, i), masker, None))

    def __repr__(self) -> str:
        s = self.by_state
        return (f"ScanResult(as_of={self.as_of}, accounts={len(self)}, stalled={s['stalled']}, "
                f"at_risk={s['at_risk']}, ok={s['ok']})")


def _result_frame(columns: dict, core: Any):
    """Results as a DataFrame indexed by account key; `columns` from the core
    (one row per result, with each one's portfolio index), `core` the
    portfolio they came from."""
    import pandas as pd

    c = dict(columns)
    metrics = c.pop("metrics")
    info = core.accounts(c.pop("index"))
    frame = pd.DataFrame({
        "name": info["name"], "tier": info["tier"], "arr": info["arr"],
        "signature": _to_datetime64(info["signature"]),
        "state": _categorical(c.pop("state"), _core.ACCOUNT_STATES),
        "risk": c.pop("risk"), "onset": _to_datetime64(c.pop("onset")),
        "priority": c.pop("priority"), "days_left": c.pop("days_left"), "day": c.pop("day"),
        "health": c.pop("health"), "band": c.pop("band"), "health_delta_7d": c.pop("health_delta_7d"),
        "weakest_factor": c.pop("weakest_factor"),
        "plan_status": _categorical(c.pop("plan_status"), _core.PLAN_STATUS),
        **c,
    }, index=pd.Index(info["account"], name="account"))
    for name, values in metrics.items():
        frame[name] = values
    return frame


# ---- the portfolio ------------------------------------------------------------------

def _config_value(value: Any) -> Any:
    """A configuration object (HealthModel, TemplateSet, Calendar) as its JSON document."""
    if hasattr(value, "to_json") and not isinstance(value, Mapping):
        return json.loads(value.to_json())
    if isinstance(value, str):
        return json.loads(value)
    return value


class Portfolio:
    """One organization's accounts in onboarding and the state events build up.

        p = fv.Portfolio(organization="acme", accounts=[{"key": "a1", "signature": "2026-10-01", ...}])
        p.ingest(events_df)            # columns ts, account, type, actor?, item?, value?, id?
        tonight = p.evaluate("2026-11-23")
        tonight.worklist               # DataFrame: whom to call, why, and what to do
    """

    def __init__(self, config: Union[str, Mapping, None] = None, *, organization: Optional[str] = None,
                 accounts: Union[str, Sequence[Mapping], None] = None, calendar: Any = None,
                 templates: Any = None, health_model: Any = None, signals: Any = None,
                 plan_policy: Any = None) -> None:
        doc = dict(json.loads(_as_json(config))) if config is not None else {}
        if organization is not None:
            doc["organization"] = organization
        for key, value in (("calendar", calendar), ("templates", templates), ("health_model", health_model),
                           ("signals", signals), ("plan_policy", plan_policy)):
            if value is not None:
                doc[key] = _config_value(value)
        if accounts is not None:
            doc["accounts"] = json.loads(_as_json(accounts)) if isinstance(accounts, (str, bytes)) else list(accounts)
        self._p = _core.Portfolio.from_json(_as_json(doc))

    @classmethod
    def from_json(cls, text: Union[str, Mapping]) -> "Portfolio":
        """{"organization", "calendar"?, "templates"?, "plan_policy"?, "health_model"?, "signals"?, "accounts"?}"""
        return cls._wrap(_core.Portfolio.from_json(_as_json(text)))

    @classmethod
    def _wrap(cls, core: Any) -> "Portfolio":
        self = cls.__new__(cls)
        self._p = core
        return self

    @property
    def organization(self) -> str:
        return self._p.organization

    def __len__(self) -> int:
        return len(self._p)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._p.find(key) is not None

    def _index(self, key: str, organization: Optional[str] = None) -> int:
        # Named with another organization, the core refuses (ForbiddenError) before any lookup.
        i = self._p.find(key) if organization is None else self._p.find_in(organization, key)
        if i is None:
            raise _core.NotFoundError(f"account: no account \"{key}\" in organization \"{self.organization}\"")
        return i

    def add_accounts(self, accounts: Union[str, Sequence[Mapping]]) -> None:
        """Adds accounts, all or none; an error names the path (accounts[3].key: ...)."""
        self._p.add_accounts_json(_as_json(accounts if isinstance(accounts, (str, bytes)) else list(accounts), "accounts"))

    def account(self, key: str, organization: Optional[str] = None) -> dict:
        """One account's document: organization, attributes, contacts, plan
        choice, goals. With `organization`, the account is named with its
        organization: another organization's raises ForbiddenError."""
        return json.loads(self._p.account_json(self._index(key, organization)))

    @property
    def accounts(self):
        """The accounts as a DataFrame indexed by key."""
        import pandas as pd

        c = self._p.accounts()
        keys = c.pop("account")
        c["signature"] = _to_datetime64(c["signature"])
        return pd.DataFrame(c, index=pd.Index(keys, name="account"))

    def ingest(self, events: Any = None, *, ts: Any = None, account: Any = None, type: Any = None,
               actor: Any = None, item: Any = None, value: Any = None, id: Any = None, organization: Any = None,
               threads: int = 1, max_rejected: Optional[int] = None,
               progress: Optional[Progress] = None) -> IngestReport:
        """Ingests one batch of events: a DataFrame (or mapping of columns) with
        ts, account, type and optionally actor, item, value, id; or the same as
        keyword arrays. ts is seconds since 1970 or datetimes (naive = UTC).
        Rows the core rejects (unknown account or type, impossible timestamp,
        …) are counted and listed in the report, never dropped silently; more
        than `max_rejected` of them fails the batch, which then changes nothing.
        `progress(done, total)` is called after each pass over a range of
        accounts (at most two rows per account, a 64th of the batch or a
        million rows, whichever is most) with the accepted rows applied so
        far; returning False (or Ctrl-C) cancels: the accounts of the passes
        done have all their rows, the others none, and submitting the batch
        again completes it. An `organization` column, when given, must name
        this portfolio's organization on every row (or none): a row of another
        organization refuses the whole batch with ForbiddenError."""
        given = dict(ts=ts, account=account, type=type, actor=actor, item=item, value=value, id=id,
                     organization=organization)
        if events is not None:
            names = list(events.columns) if hasattr(events, "columns") else list(events)
            unknown = [n for n in names if n not in _EVENT_COLUMNS]
            if unknown:
                raise InvalidError_(f"events.{unknown[0]}: unknown column (expected {', '.join(_EVENT_COLUMNS)})")
            for n in names:
                if given[n] is not None:
                    raise InvalidError_(f"events.{n}: given both as a column and as an argument")
                given[n] = events[n]
        for required in ("ts", "account", "type"):
            if given[required] is None:
                raise InvalidError_(f"events.{required}: is required")
        if threads < 0:
            raise InvalidError_("threads: must be >= 0")
        if max_rejected is not None and max_rejected < 0:
            raise InvalidError_("max_rejected: must be >= 0")
        a_codes, a_values = _encode(given["account"], "account")
        t_codes, t_values = _encode(given["type"], "type")
        u_codes, u_values = _encode(given["actor"], "actor")
        i_codes, i_values = _encode(given["item"], "item")
        o_codes, o_values = _encode(given["organization"], "organization")
        raw = self._p.ingest(_seconds(given["ts"]), a_codes, a_values, t_codes, t_values, u_codes, u_values,
                             i_codes, i_values, _values(given["value"]), _ids(given["id"]), int(threads),
                             _NO_LIMIT if max_rejected is None else int(max_rejected), progress, o_codes, o_values)
        return IngestReport(raw)

    # ---- durable state ----

    def save(self, path: Union[str, "os.PathLike[str]"], *, key: SnapshotKey = None) -> None:
        """Writes the whole state to `path` atomically (a temporary file beside
        it, flushed, then renamed), created readable by the owner only. With
        `key` (32 bytes, or 64 hex digits) it is encrypted with AES-256-GCM."""
        self._p.save(os.fspath(path), key)

    def to_bytes(self, *, key: SnapshotKey = None) -> bytes:
        """The snapshot `save` writes, in memory (e.g. for a Spark partition)."""
        return self._p.save_bytes(key)

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"], *, key: SnapshotKey = None, threads: int = 1) -> "Portfolio":
        """A portfolio from a snapshot. Raises CorruptError for a damaged,
        truncated or tampered file, UnsupportedError for a newer format,
        InvalidError for a missing or wrong key, NotFoundError or StorageError
        for the file; nothing is loaded then."""
        return cls._wrap(_core.Portfolio.load(os.fspath(path), key, int(threads)))

    @classmethod
    def from_bytes(cls, data: bytes, *, key: SnapshotKey = None, threads: int = 1) -> "Portfolio":
        return cls._wrap(_core.Portfolio.load_bytes(bytes(data), key, int(threads)))

    # ---- data-subject requests ----

    def export_account(self, account: str, as_of: DateLike, *, organization: Optional[str] = None,
                       masker: Optional["PiiMasker"] = None) -> dict:
        """Everything the engine holds about one account (attributes, contacts,
        plan, goals, handoff, the decoded activity state, tonight's evaluation
        and the weekly signal history) as one document. The account is named
        with its organization, this portfolio's by default: another's raises
        ForbiddenError."""
        org = self.organization if organization is None else organization
        return json.loads(_masked(self._p.export_account(org, account, _day(as_of)), masker, None))

    def erase_account(self, account: str, *, organization: Optional[str] = None) -> dict:
        """Removes the account and everything derived from it, from memory and
        from every snapshot saved afterwards. Returns the receipt, which names
        the account by the SHA-256 of its key. Results evaluated before are
        refused from then on (their indices shifted)."""
        org = self.organization if organization is None else organization
        return json.loads(self._p.erase_account(org, account))

    def evaluate(self, as_of: DateLike, threads: int = 1) -> ScanResult:
        """Tonight's results as of a date: metrics, health, signals, state and the worklist."""
        return ScanResult(self, self._p.evaluate(_day(as_of), int(threads)))

    def scan(self, as_of: DateLike, on_block: Callable[[Any], Any], *, threads: int = 1, block: int = 16384,
             keep: int = 1000) -> ScanResult:
        """Tonight's results in bounded memory: the accounts are evaluated
        `block` at a time and each block goes to `on_block` as a DataFrame
        (the columns of ScanResult.accounts, in portfolio order), for example
        to append to a file. Returns the worklist only: the full results of
        its first `keep` accounts, with the counts of every account.
        An exception from `on_block` stops the scan and is raised here."""
        return ScanResult(self, self._p.scan(_day(as_of), lambda c: on_block(_result_frame(c, self._p)),
                                             int(threads), int(block), int(keep)))

    def plan_reports(self, as_of: DateLike) -> PlanResults:
        """Every account's plan as the scan sees it on a day (declared progress
        and milestone events merged): plans, milestones and tasks as DataFrames."""
        return PlanResults(self._p.plan_reports(_day(as_of)))

    def time_to_value(self, as_of: DateLike, unit: str = "calendar", threads: int = 1):
        """One row per account and value point (kickoff, first_value, go_live,
        full_value) the account's plan has: state (reached, open, exited), the
        date reached or censored at, and the duration from the signature.
        Kickoff is in business days, the others in `unit` (calendar or business).
        Points not reached are right-censored at as_of, or at the exit date of
        an account that left: feed ``duration`` and ``reached`` to fv.kaplan_meier."""
        return ttv_frame(self._p, self._p.accounts()["account"], as_of, unit, threads)

    def cohort_summaries(self, as_of: DateLike, by: str = "signature_month", *, unit: str = "calendar",
                         kickoff_sla: int = 5, segment_attribute: str = "segment",
                         implementation_kind: str = "go_live", threads: int = 1) -> CohortSummaries:
        """Mergeable cohort summaries as of a day, grouped `by` all,
        signature_month, tier, segment (the `segment_attribute` of the plan) or
        template. Definitions: include/firstvalue/cohort.hpp."""
        return cohort_summaries(self._p, as_of, by, unit, kickoff_sla, segment_attribute, implementation_kind, threads)

    def cohort_report(self, as_of: DateLike, by: str = "signature_month", *,
                      benchmarks: Union[None, str, Mapping[str, Optional[float]]] = None, alpha: float = 0.05,
                      unit: str = "calendar", kickoff_sla: int = 5, segment_attribute: str = "segment",
                      implementation_kind: str = "go_live", threads: int = 1) -> CohortReport:
        """cohort_summaries(...).report(benchmarks, alpha)."""
        return self.cohort_summaries(as_of, by, unit=unit, kickoff_sla=kickoff_sla,
                                     segment_attribute=segment_attribute, implementation_kind=implementation_kind,
                                     threads=threads).report(benchmarks, alpha)

    def __repr__(self) -> str:
        return f"Portfolio(organization={self.organization!r}, accounts={len(self)})"


# ---- the sample generator --------------------------------------------------------------

class GeneratedPortfolio:
    """A seeded sample: accounts, time-ordered events, and the stalls injected
    (cause and onset). The same options give the same data in C++, the CLI and Python."""

    def __init__(self, core: Any) -> None:
        self._g = core

    def __len__(self) -> int:
        return len(self._g)

    @property
    def as_of(self) -> np.datetime64:
        return np.datetime64(self._g.as_of, "D")

    @property
    def first_signature(self) -> np.datetime64:
        return np.datetime64(self._g.first_signature, "D")

    def portfolio(self, config: Union[str, Mapping, None] = None) -> Portfolio:
        """A portfolio holding the generated accounts and no events yet."""
        return Portfolio._wrap(self._g.portfolio("" if config is None else _as_json(config)))

    @cached_property
    def events(self):
        """The events as a DataFrame: ts (datetime64[s], UTC), account, type, actor
        and item as categoricals, value, id."""
        import pandas as pd

        e = self._g.events()

        def cat(codes: np.ndarray, names: list) -> Any:
            return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))

        return pd.DataFrame({
            "ts": e["ts"].view("datetime64[s]"),  # read-only views of the generator's columns
            "account": cat(e["account"], e["accounts"]),
            "type": cat(e["type"], e["types"]),
            "actor": cat(e["actor"], e["actors"]),
            "item": cat(e["item"], e["items"]),
            "value": e["value"],
            "id": e["id"],
        })

    @cached_property
    def truth(self):
        """One row per account: the injected stall cause ("none" for healthy
        accounts) and its onset date."""
        import pandas as pd

        t = self._g.truth()
        return pd.DataFrame({"cause": pd.Categorical(t["cause"], categories=_core.STALL_CAUSES),
                             "onset": _to_datetime64(t["onset"])},
                            index=pd.Index(t["account"], name="account"))

    def detection_quality(self, config: Union[str, Mapping, None] = None, first_night: Optional[DateLike] = None,
                          threads: int = 1) -> dict:
        """Replays the events night by night and scans every night: recall,
        precision, median delay between onset and flag, and cause match."""
        night = self._g.first_signature if first_night is None else _day(first_night)
        return json.loads(self._g.detection_quality("" if config is None else _as_json(config), night, int(threads)))

    def __repr__(self) -> str:
        return f"GeneratedPortfolio(accounts={len(self)}, as_of={self.as_of})"


def generate_portfolio(accounts: int = 200, seed: int = 2026, as_of: DateLike = "2026-11-23",
                       max_age_days: int = 120, stall_share: float = 0.3, incident_share: float = 0.5,
                       organization: str = "sample-org") -> GeneratedPortfolio:
    """Generates a deterministic onboarding portfolio with known stalls."""
    if accounts < 0:
        raise InvalidError_("accounts: must be >= 0")
    return GeneratedPortfolio(_core._generate_portfolio(int(accounts), int(seed), _day(as_of), int(max_age_days),
                                                        float(stall_share), float(incident_share), organization))
