"""Snapshots and data-subject requests from Python: a saved portfolio loads
back to the same worklist and continues from there; damaged, newer or wrongly
keyed snapshots raise and load nothing; export holds an account's data, and
erase leaves no byte of it in a later snapshot. The C ABI is driven through
ctypes in the last test."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import stat

import pandas as pd
import pytest

import firstvalue as fv

KEY = bytes(range(32))
ERASED = {"key": "acct-erase-9q", "name": "Marrowgate Freight", "arr": 80000, "signature": "2026-09-01",
          "planned_users": ["wren.marrow@marrowgate.example", "ghost.never@marrowgate.example"],
          "contacts": [{"key": "sol.sponsor@marrowgate.example", "name": "Solveig Marrowgate", "role": "sponsor"}],
          "attributes": {"sso": False, "migrate_data": False, "integrations": 0, "region": "Hyperborea-12"}}
NEEDLES = [b"acct-erase-9q", b"Marrowgate", b"marrowgate", b"Hyperborea-12", b"Solveig", b"wren.marrow"]


@pytest.fixture(scope="module")
def sample():
    return fv.generate_portfolio(accounts=60, seed=11)


def _portfolio(sample, events=None):
    p = sample.portfolio()
    p.add_accounts([ERASED])
    p.ingest(sample.events if events is None else events)
    p.ingest(pd.DataFrame({"ts": pd.to_datetime(["2026-09-03T10:00:00Z", "2026-09-04T10:00:00Z"]),
                           "account": ["acct-erase-9q"] * 2, "type": ["login", "login"],
                           "actor": ["wren.marrow@marrowgate.example"] * 2}))
    return p


def _same(a: fv.Portfolio, b: fv.Portfolio, as_of) -> None:
    assert len(a) == len(b)
    assert a.evaluate(as_of).worklist_json() == b.evaluate(as_of).worklist_json()
    pd.testing.assert_frame_equal(a.evaluate(as_of).accounts, b.evaluate(as_of).accounts)
    assert a.to_bytes() == b.to_bytes()  # the same state, byte for byte


@pytest.mark.parametrize("key", [None, KEY, KEY.hex()])
def test_round_trip_through_a_file(sample, tmp_path, key):
    p = _portfolio(sample)
    path = tmp_path / "tonight.fvsnap"
    p.save(path, key=key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not (tmp_path / "tonight.fvsnap.fvtmp").exists()
    back = fv.Portfolio.load(path, key=key, threads=2)
    _same(p, back, sample.as_of)
    info = fv.inspect_snapshot(path, key=key)
    assert (info["format"], info["encrypted"], info["accounts"], info["organization"]) == (1, key is not None, 61, p.organization)
    assert info["library"] == fv.__version__
    assert (b"Marrowgate" in path.read_bytes()) == (key is None)


def test_tomorrow_continues_from_tonight(sample):
    events = sample.events.sort_values("ts", kind="stable").reset_index(drop=True)
    half = len(events) // 2
    cold = _portfolio(sample, events)
    tonight = _portfolio(sample, events.iloc[:half])
    tomorrow = fv.Portfolio.from_bytes(tonight.to_bytes(key=KEY), key=KEY)
    tomorrow.ingest(events.iloc[half:])
    _same(cold, tomorrow, sample.as_of)


def test_damaged_newer_and_wrongly_keyed_snapshots_load_nothing(sample):
    p = _portfolio(sample)
    data = p.to_bytes()
    for cut in (1, 63, 64, 100, len(data) // 2, len(data) - 1):
        with pytest.raises(fv.CorruptError) as e:
            fv.Portfolio.from_bytes(data[:cut])
        assert e.value.code == "corrupt" and e.value.path == "snapshot"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 4
    with pytest.raises(fv.CorruptError, match="fails its checksum"):
        fv.Portfolio.from_bytes(bytes(flipped))
    newer = bytearray(data)
    newer[8] = 2
    with pytest.raises(fv.UnsupportedError, match="format 2, newer than the format 1"):
        fv.Portfolio.from_bytes(bytes(newer))
    sealed = p.to_bytes(key=KEY)
    with pytest.raises(fv.InvalidError, match="does not open"):
        fv.Portfolio.from_bytes(sealed, key=bytes(32))
    with pytest.raises(fv.InvalidError, match="is required"):
        fv.Portfolio.from_bytes(sealed)
    with pytest.raises(fv.InvalidError, match="not encrypted"):
        fv.Portfolio.from_bytes(data, key=KEY)
    with pytest.raises(fv.InvalidError, match="32 bytes"):
        fv.Portfolio.from_bytes(sealed, key=b"short")
    with pytest.raises(fv.InvalidError, match="hexadecimal"):
        fv.Portfolio.from_bytes(sealed, key="zz" * 32)
    tampered = bytearray(sealed)
    tampered[-20] ^= 1
    with pytest.raises(fv.CorruptError, match="fails authentication"):
        fv.Portfolio.from_bytes(bytes(tampered), key=KEY)
    with pytest.raises(fv.NotFoundError):
        fv.Portfolio.load("/nonexistent/dir/x.fvsnap")
    assert issubclass(fv.CorruptError, ValueError) and issubclass(fv.StorageError, OSError)


def test_export_and_erase(sample):
    p = _portfolio(sample)
    before = p.to_bytes()
    old = p.evaluate(sample.as_of)
    with pytest.raises(fv.ForbiddenError):
        p.export_account("acct-erase-9q", sample.as_of, organization="someone-else")
    with pytest.raises(fv.ForbiddenError):
        p.erase_account("acct-erase-9q", organization="someone-else")
    with pytest.raises(fv.NotFoundError):
        p.erase_account("nobody")
    assert p.to_bytes() == before  # refused requests changed nothing

    doc = p.export_account("acct-erase-9q", "2026-09-10")
    assert doc["account"]["attributes"]["region"] == "Hyperborea-12"
    assert doc["account"]["contacts"][0]["name"] == "Solveig Marrowgate"
    users = doc["activity"]["users"]
    assert [u["key"] for u in users] == ["wren.marrow@marrowgate.example"]
    assert (users[0]["first_seen"], users[0]["last_seen"]) == ("2026-09-03", "2026-09-04")
    assert doc["activity"]["usage_days"] == ["2026-09-03", "2026-09-04"]
    assert [h["as_of"] for h in doc["signal_history"]] == ["2026-09-08", "2026-09-10"]
    assert doc["evaluation"]["account"] == "acct-erase-9q"

    receipt = p.erase_account("acct-erase-9q")
    assert receipt["key_sha256"] == hashlib.sha256(b"acct-erase-9q").hexdigest()
    assert receipt["removed"]["planned_users"] == 2 and receipt["removed"]["contacts"] == 1
    assert receipt["removed"]["state_bytes"] > 0
    assert receipt["accounts_left"] == 60 and len(p) == 60
    assert "acct-erase-9q" not in json.dumps(receipt)
    with pytest.raises(fv.InvalidError, match="before an account was erased"):
        old.worklist_json()
    after = p.to_bytes()
    for needle in NEEDLES:
        assert needle in before, needle  # the check can fail
        assert needle not in after, needle
    rendered = p.evaluate(sample.as_of).worklist_json() + p.accounts.to_json()
    assert not any(n.decode() in rendered for n in NEEDLES)
    # The others are untouched: the same as a portfolio that never had it.
    never = sample.portfolio()
    never.ingest(sample.events)
    assert p.evaluate(sample.as_of).worklist_json() == never.evaluate(sample.as_of).worklist_json()
    assert p.to_bytes() == never.to_bytes()


def test_c_abi_snapshot_through_ctypes(c_library_path):
    lib = ctypes.CDLL(str(c_library_path))
    lib.fv_portfolio_from_json.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
    lib.fv_portfolio_save_bytes.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    lib.fv_portfolio_load_bytes.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
                                            ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)]
    lib.fv_portfolio_free.argtypes = [ctypes.c_void_p]
    lib.fv_last_error.restype = ctypes.c_char_p

    class Buf(ctypes.Structure):
        _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t)]

    lib.fv_buf_dispose.argtypes = [ctypes.POINTER(Buf)]
    doc = json.dumps({"organization": "acme", "accounts": [ERASED]}).encode()
    h = ctypes.c_void_p()
    assert lib.fv_portfolio_from_json(doc, len(doc), ctypes.byref(h)) == 0
    buf = Buf()
    assert lib.fv_portfolio_save_bytes(h, KEY, 32, ctypes.byref(buf)) == 0, lib.fv_last_error()
    sealed = ctypes.string_at(buf.ptr, buf.size)
    lib.fv_buf_dispose(ctypes.byref(buf))
    # The core reads what C wrote, and the other way round.
    assert len(fv.Portfolio.from_bytes(sealed, key=KEY)) == 1
    plain = fv.Portfolio(organization="acme", accounts=[ERASED]).to_bytes()
    back = ctypes.c_void_p()
    assert lib.fv_portfolio_load_bytes(plain, len(plain), None, 0, 1, ctypes.byref(back)) == 0, lib.fv_last_error()
    assert lib.fv_portfolio_load_bytes(plain[:-1], len(plain) - 1, None, 0, 1, ctypes.byref(back)) == -7
    assert lib.fv_portfolio_load_bytes(sealed, len(sealed), bytes(32), 32, 1, ctypes.byref(back)) == -1
    lib.fv_portfolio_free(back)
    lib.fv_portfolio_free(h)


# ---- bad input: a clear error with its path, and the state unchanged -----------------

def test_bad_input_is_refused_and_changes_nothing(sample):
    p = _portfolio(sample)
    before = p.to_bytes()
    big = "x" * (10 << 20)
    good = dict(ERASED, key="new-1")
    cases = [
        ("arr NaN", lambda: p.add_accounts([dict(good, arr=float("nan"))]), fv.InvalidError, "accounts[0].arr"),
        ("arr infinite", lambda: p.add_accounts([dict(good, arr=float("inf"))]), fv.InvalidError, None),
        ("negative seats", lambda: p.add_accounts([dict(good, seats={"planned": -2})]), fv.InvalidError,
         "accounts[0].seats.planned"),
        ("signature in 1969", lambda: p.add_accounts([dict(good, signature="1969-06-01")]), fv.InvalidError,
         "accounts[0].signature"),
        ("10 MB key", lambda: p.add_accounts([dict(good, key=big)]), fv.InvalidError, "accounts[0].key"),
        ("10 MB name", lambda: p.add_accounts([dict(good, name=big)]), fv.InvalidError, "accounts[0].name"),
        ("deep JSON", lambda: p.add_accounts("[" * 100000), fv.InvalidError, None),
        ("evaluation in 2101", lambda: p.evaluate("2101-01-01"), fv.InvalidError, "as_of"),
        ("another organization's erase", lambda: p.erase_account("acct-erase-9q", organization="x"),
         fv.ForbiddenError, "organization"),
        ("10 MB snapshot of zeros", lambda: fv.Portfolio.from_bytes(bytes(10 << 20)), fv.InvalidError, "snapshot"),
    ]
    for what, call, error, path in cases:
        with pytest.raises(error) as e:
            call()
        if path is not None:
            assert e.value.path == path, (what, str(e.value)[:200])
        assert len(str(e.value)) < 1000, what
        assert p.to_bytes() == before, what


def test_bad_event_rows_are_counted_and_change_nothing(sample):
    p = _portfolio(sample)
    before = p.to_bytes()
    rows = pd.DataFrame({
        "ts": [-86400, 4_200_000_000, 1788948000, 1788948000, 1788948000],
        "account": ["acct-erase-9q"] * 4 + ["z" * (10 << 20)],
        "type": ["login", "login", "customer_reply", "customer_reply", "login"],
        "actor": ["u", "u", "s", "s", "u"],
        "value": [float("nan"), float("nan"), float("nan"), float("inf"), float("nan")]})
    report = p.ingest(rows)
    assert (report.rows, report.accepted, report.rejected) == (5, 0, 5)
    assert report.by_reason == {"bad_timestamp": 2, "bad_value": 2, "unknown_account": 1}
    assert all(len(m) < 300 for m in report.messages)
    assert p.to_bytes() == before


def test_event_text_that_has_no_utf8_is_refused_or_quoted_as_escapes(sample):
    p = _portfolio(sample)
    before = p.to_bytes()
    # A lone surrogate (bytes read with surrogateescape) has no UTF-8: refused with the column's path.
    rows = pd.DataFrame({"ts": [1788948000], "account": ["acct-\udcff"], "type": ["login"], "actor": ["u"]})
    with pytest.raises(fv.InvalidError) as e:
        p.ingest(rows)
    assert e.value.path == "events.account"
    assert "surrogate" in str(e.value) and "\\udcff" in str(e.value)
    # A long one is quoted by its start only.
    rows["account"] = ["\udcff" + "x" * (10 << 20)]
    with pytest.raises(fv.InvalidError) as e:
        p.ingest(rows)
    assert str(e.value).endswith("(the first 64 of 10485761 characters)") and len(str(e.value)) < 400
    assert p.to_bytes() == before
    # Text that is UTF-8 is quoted as it is.
    report = p.ingest(pd.DataFrame({"ts": [1788948000], "account": ["café-9"], "type": ["login"], "actor": ["u"]}))
    assert report.messages == ['row 0: unknown account "café-9"']
    assert json.loads(report.to_json())["messages"] == report.messages
    assert p.to_bytes() == before


def test_every_json_export_can_be_masked(sample):
    p = _portfolio(sample)
    tonight = p.evaluate(sample.as_of)
    masker = fv.PiiMasker()
    exported = p.export_account("acct-erase-9q", sample.as_of, masker=masker)
    assert "wren.marrow@marrowgate.example" in json.dumps(p.export_account("acct-erase-9q", sample.as_of))
    text = json.dumps(exported)
    assert "@" not in text and "<email:" in text
    # The same address gets the same token in every export of one masker.
    token = exported["account"]["planned_users"][0]
    assert masker.unmask(token) == "wren.marrow@marrowgate.example"
    # The planned user who never logged in is named in the results: in clear, then masked.
    assert "ghost.never@marrowgate.example" in tonight.to_json()
    assert "ghost.never@marrowgate.example" in json.dumps(tonight.explain("acct-erase-9q"))
    assert "@marrowgate.example" not in tonight.worklist_json(masker=masker)
    for doc in (tonight.to_json(masker=masker), json.dumps(tonight.explain("acct-erase-9q", masker=masker))):
        assert "@marrowgate.example" not in doc and "<email:" in doc
    assert json.loads(tonight.worklist_json(masker=masker, indent=None))["organization"] == p.organization
