"""The nightly scan through the C ABI, driven with ctypes and numpy: the CLI's
sample portfolio and events, ingested as dictionary-encoded numpy columns,
must give the CLI's worklist byte for byte; and a progress callback that
cancels, then a resubmission, must give what a cold ingestion gives."""

import ctypes
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

FV_OK, FV_E_INVALID, FV_E_CANCELLED = 0, -1, -6
FV_NO_LIMIT = ctypes.c_size_t(-1).value
TICK = 1 << 20  # rows between two progress calls

vp, sz = ctypes.c_void_p, ctypes.c_size_t


class FvBuf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("size", sz)]


class FvDictionary(ctypes.Structure):
    _fields_ = [("codes", ctypes.POINTER(ctypes.c_int32)), ("values", ctypes.POINTER(ctypes.c_char_p)),
                ("lengths", ctypes.POINTER(sz)), ("n_values", sz)]


class FvEventBatch(ctypes.Structure):
    _fields_ = [("n_rows", sz), ("ts", ctypes.POINTER(ctypes.c_int64)),
                ("account", FvDictionary), ("type", FvDictionary), ("actor", FvDictionary), ("item", FvDictionary),
                ("value", ctypes.POINTER(ctypes.c_double)), ("id", ctypes.POINTER(ctypes.c_uint64)),
                ("organization", FvDictionary)]


PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, sz, sz, ctypes.c_void_p)


@pytest.fixture(scope="module")
def lib(c_library_path):
    lib = ctypes.CDLL(str(c_library_path))
    lib.fv_last_error.restype = ctypes.c_char_p
    lib.fv_portfolio_from_json.argtypes = [ctypes.c_char_p, sz, ctypes.POINTER(vp)]
    lib.fv_portfolio_free.argtypes = [vp]
    lib.fv_portfolio_account_count.argtypes = [vp, ctypes.POINTER(sz)]
    lib.fv_portfolio_ingest.argtypes = [vp, ctypes.POINTER(FvEventBatch), ctypes.c_uint, sz, PROGRESS, vp,
                                        ctypes.POINTER(vp)]
    lib.fv_ingest_report_free.argtypes = [vp]
    lib.fv_ingest_report_counts.argtypes = [vp] + [ctypes.POINTER(sz)] * 4 + [ctypes.POINTER(ctypes.c_int)]
    lib.fv_ingest_report_to_json.argtypes = [vp, ctypes.POINTER(FvBuf)]
    lib.fv_portfolio_evaluate.argtypes = [vp, ctypes.c_int32, ctypes.c_uint, ctypes.POINTER(vp)]
    lib.fv_scan_result_free.argtypes = [vp]
    lib.fv_scan_result_worklist_count.argtypes = [vp, ctypes.POINTER(sz)]
    lib.fv_scan_result_worklist.argtypes = [vp, sz, ctypes.POINTER(ctypes.c_uint32)]
    for name in ("fv_portfolio_worklist_json", "fv_portfolio_results_json"):
        getattr(lib, name).argtypes = [vp, vp, ctypes.POINTER(FvBuf)]
    lib.fv_buf_dispose.argtypes = [ctypes.POINTER(FvBuf)]
    lib.fv_date_parse.argtypes = [ctypes.c_char_p, sz, ctypes.POINTER(ctypes.c_int32)]
    return lib


def check(lib, status):
    assert status == FV_OK, lib.fv_last_error().decode()


def take(lib, buf):
    try:
        return ctypes.string_at(buf.ptr, buf.size).decode()
    finally:
        lib.fv_buf_dispose(ctypes.byref(buf))


def day(lib, text):
    out = ctypes.c_int32()
    check(lib, lib.fv_date_parse(text.encode(), len(text), ctypes.byref(out)))
    return out.value


class Portfolio:
    def __init__(self, lib, text):
        self.lib = lib
        self.handle = vp()
        data = text.encode()
        check(lib, lib.fv_portfolio_from_json(data, len(data), ctypes.byref(self.handle)))

    def __del__(self):
        self.lib.fv_portfolio_free(self.handle)

    def ingest(self, batch, progress=None, threads=1):
        """(status, report JSON or None, (accepted, applied, cancelled))"""
        report = vp()
        callback = PROGRESS(progress) if progress else PROGRESS()
        status = self.lib.fv_portfolio_ingest(self.handle, ctypes.byref(batch.struct), threads, FV_NO_LIMIT,
                                              callback, None, ctypes.byref(report))
        if not report:
            return status, None, None
        try:
            accepted, applied, cancelled = sz(), sz(), ctypes.c_int()
            check(self.lib, self.lib.fv_ingest_report_counts(report, None, ctypes.byref(accepted), None,
                                                             ctypes.byref(applied), ctypes.byref(cancelled)))
            buf = FvBuf()
            check(self.lib, self.lib.fv_ingest_report_to_json(report, ctypes.byref(buf)))
            return status, take(self.lib, buf), (accepted.value, applied.value, cancelled.value)
        finally:
            self.lib.fv_ingest_report_free(report)

    def scan(self, as_of, what="worklist"):
        result = vp()
        check(self.lib, self.lib.fv_portfolio_evaluate(self.handle, as_of, 0, ctypes.byref(result)))
        try:
            buf = FvBuf()
            check(self.lib, getattr(self.lib, f"fv_portfolio_{what}_json")(self.handle, result, ctypes.byref(buf)))
            return take(self.lib, buf)
        finally:
            self.lib.fv_scan_result_free(result)


class Dictionary:
    """A string column as codes into its distinct values (negative = none), as
    pandas.factorize gives them; the values cross with explicit lengths."""

    def __init__(self, column):
        if column is None:
            self.struct = FvDictionary()  # absent: codes NULL
            return
        codes, uniques = pd.factorize(np.asarray(column, dtype=object))
        empty = np.flatnonzero(uniques == "")
        if len(empty):  # an empty actor or item is "none", as the CSV reader has it
            codes[codes == empty[0]] = -1
        self.codes = np.ascontiguousarray(codes, dtype=np.int32)
        encoded = [str(u).encode() for u in uniques]
        self.values = (ctypes.c_char_p * max(1, len(encoded)))(*encoded)
        self.lengths = np.array([len(e) for e in encoded] or [0], dtype=np.uintp)
        self.struct = FvDictionary(self.codes.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), self.values,
                                   self.lengths.ctypes.data_as(ctypes.POINTER(sz)), len(encoded))


class Batch:
    """numpy columns borrowed by an fv_event_batch; keeps them alive."""

    def __init__(self, ts, account, type_, actor=None, item=None, value=None, id_=None, organization=None):
        self.ts = np.ascontiguousarray(ts, dtype=np.int64)
        self.dicts = [Dictionary(c) for c in (account, type_, actor, item)]
        self.value = None if value is None else np.ascontiguousarray(value, dtype=np.float64)
        self.id = None if id_ is None else np.ascontiguousarray(id_, dtype=np.uint64)
        self.org = Dictionary(organization)
        self.struct = FvEventBatch(
            len(self.ts), self.ts.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), *(d.struct for d in self.dicts),
            None if self.value is None else self.value.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            None if self.id is None else self.id.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)), self.org.struct)

    @staticmethod
    def from_csv(path):
        frame = pd.read_csv(path, keep_default_na=False, na_values={"value": [""], "id": [""]},
                            dtype={"ts": np.int64, "account": str, "type": str, "actor": str, "item": str,
                                   "value": np.float64, "id": "UInt64"})
        return Batch(frame["ts"].to_numpy(), frame["account"], frame["type"], frame["actor"], frame["item"],
                     frame["value"].to_numpy(), frame["id"].fillna(0).to_numpy(np.uint64))


@pytest.fixture(scope="module")
def sample(cli_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    run = subprocess.run([str(cli_path), "sample", "--out", str(out)], capture_output=True, text=True, check=True)
    as_of = re.search(r"\(as of (\d{4}-\d{2}-\d{2})\)", run.stdout).group(1)
    scan = subprocess.run([str(cli_path), "scan", "--portfolio", str(out / "portfolio.json"), "--events",
                           str(out / "events.csv"), "--as-of", as_of, "--json"],
                          capture_output=True, text=True, check=True)
    return dict(portfolio=(out / "portfolio.json").read_text(encoding="utf-8"), events=out / "events.csv",
                as_of=as_of, scan=scan.stdout)


def without_ingestion(cli_json):
    """The CLI prints the worklist document with an "ingestion" key added (its
    keys are sorted); cut that key's lines to get the worklist JSON itself."""
    lines = cli_json.splitlines(keepends=True)
    start = lines.index('  "ingestion": [\n')
    end = next(i for i in range(start + 1, len(lines)) if re.match(r'  "', lines[i]))
    return "".join(lines[:start] + lines[end:])


def test_numpy_columns_give_the_clis_worklist(lib, sample):
    p = Portfolio(lib, sample["portfolio"])
    batch = Batch.from_csv(sample["events"])
    status, report, (accepted, applied, cancelled) = p.ingest(batch, threads=2)
    check(lib, status)
    assert applied == accepted and not cancelled
    worklist = p.scan(day(lib, sample["as_of"]))

    cli = json.loads(sample["scan"])
    assert json.loads(report) == cli.pop("ingestion")[0]
    assert json.loads(worklist) == cli
    assert cli["worklist"], "the sample should need attention"
    assert without_ingestion(sample["scan"]) == worklist + "\n"  # byte for byte


def test_cancel_then_resubmit_equals_cold(lib, sample):
    """2^20 + 64 logins: the first progress call comes after 2^20 rows and
    cancels; the rows after it bring three users no earlier row has."""
    first = json.loads(sample["portfolio"])["accounts"][0]
    n = TICK + 64
    rows = np.arange(n)
    signature = day(lib, first["signature"])
    ts = (signature + 1 + rows % 20) * 86400 + 36000
    actors = np.array(["late-user-0", "late-user-1", "late-user-2", "late-user-3"])[np.where(rows < TICK, 0, 1 + rows % 3)]
    batch = Batch(ts, np.full(n, first["key"]), np.full(n, "login"), actors)
    as_of = day(lib, sample["as_of"])

    calls = []

    def cancel(done, total, _):
        calls.append((done, total))
        return 0

    warm = Portfolio(lib, sample["portfolio"])
    status, _, (accepted, applied, cancelled) = warm.ingest(batch, cancel)
    assert status == FV_E_CANCELLED, lib.fv_last_error().decode()
    assert calls == [(TICK, n)]
    assert (accepted, applied, cancelled) == (n, TICK, 1)
    partial = warm.scan(as_of, "results")
    status, _, (_, applied, cancelled) = warm.ingest(batch)
    check(lib, status)
    assert (applied, cancelled) == (n, 0)

    cold = Portfolio(lib, sample["portfolio"])
    check(lib, cold.ingest(batch, threads=2)[0])
    expected = cold.scan(as_of, "results")
    assert partial != expected
    assert warm.scan(as_of, "results") == expected


def test_broken_batch_is_refused_and_changes_nothing(lib, sample):
    p = Portfolio(lib, sample["portfolio"])
    as_of = day(lib, sample["as_of"])
    before = p.scan(as_of, "results")
    batch = Batch([1_700_000_000, 1_700_000_000], ["acct-0001", "acct-0002"], ["login", "login"], ["u", "u"])
    batch.dicts[0].codes[1] = 7  # outside a dictionary of 2
    status, report, _ = p.ingest(batch)
    assert status == FV_E_INVALID and report is None
    assert lib.fv_last_error().decode() == "events.account[1]: code 7 is outside its dictionary of 2 values"
    assert p.scan(as_of, "results") == before


def test_planned_users_beyond_what_a_state_can_slot_are_refused(lib):
    """The C ABI carries the core's limit and its field path."""
    users = ", ".join(f'"u{u}"' for u in range(65536))
    text = ('{"organization": "o", "accounts": [{"key": "a", "signature": "2026-09-01", '
            '"attributes": {"sso": false, "migrate_data": false, "integrations": 0}, '
            f'"planned_users": [{users}]}}]}}')
    handle = vp()
    data = text.encode()
    assert lib.fv_portfolio_from_json(data, len(data), ctypes.byref(handle)) == FV_E_INVALID
    assert not handle.value
    assert lib.fv_last_error().decode() == "accounts[0].planned_users: has 65536 distinct users; at most 65,535"
