"""fv.Portfolio: the nightly scan from Python. Metrics are checked against a
pandas computation written here from their definitions; the hand-built case
repeats the C++ one; ingestion surfaces (DataFrame, categoricals, object
strings, numpy arrays) must all give the same state; the worklist must be the
CLI's byte for byte."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pandas as pd
import pytest

import firstvalue as fv

SIG = np.datetime64("2026-09-01", "D")  # a Tuesday


@pytest.fixture(scope="module")
def sample():
    return fv.generate_portfolio(accounts=200, seed=2026)


@pytest.fixture(scope="module")
def scanned(sample):
    p = sample.portfolio()
    report = p.ingest(sample.events)
    return p, report, p.evaluate(sample.as_of)


def _secs(day: np.datetime64, hour: int = 10) -> int:
    return int(day.astype(np.int64)) * 86400 + hour * 3600


def _account(key: str, users: int = 4) -> dict:
    return {"key": key, "name": key, "arr": 30000, "signature": str(SIG),
            "seats": {"planned": users, "provisioned": users},
            "planned_users": [f"u{u}" for u in range(1, users + 1)],
            "contacts": [{"key": "sponsor", "role": "sponsor"}, {"key": "champ", "role": "champion"}],
            "attributes": {"sso": False, "migrate_data": False, "integrations": 0}}


# ---- the generated sample end to end ---------------------------------------------------

def test_sample_scan_matches_the_cli_byte_for_byte(scanned, cli_path):
    p, report, result = scanned
    assert (report.rows, report.accepted, report.rejected) == (175302, 175302, 0)
    cli = json.loads(subprocess.run([str(cli_path), "scan", "--sample", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    cli.pop("ingestion")
    assert json.loads(result.worklist_json()) == cli
    assert result.by_state == {"ok": cli["ok"], "at_risk": cli["at_risk"], "stalled": cli["stalled"]}


def test_worklist_frame_is_the_json_worklist(scanned):
    _, _, result = scanned
    doc = json.loads(result.worklist_json())["worklist"]
    w = result.worklist
    assert list(w.index) == [d["rank"] for d in doc] == list(range(1, len(doc) + 1))
    assert list(w["account"]) == [d["account"] for d in doc]
    assert list(w["cause"]) == [d["cause"] for d in doc]
    assert list(w["action"]) == [d["action"] for d in doc]
    np.testing.assert_allclose(w["priority"], [d["priority"] for d in doc], rtol=1e-15)
    # The documented order: stalled before at risk, then priority descending.
    key = list(zip(w["state"].astype(str) != "stalled", -w["priority"]))
    assert key == sorted(key)
    # Priority is risk × ARR × (1 + elapsed share of the 90-day window).
    acc = result.accounts.loc[w["account"]]
    elapsed = np.minimum(acc["day"].to_numpy(), 90) / 90
    np.testing.assert_allclose(w["priority"], acc["risk"] * acc["arr"] * (1 + elapsed), rtol=1e-12)


def test_scan_streams_the_frames_evaluate_holds(scanned):
    p, _, result = scanned
    blocks = []
    streamed = p.scan(result.as_of, blocks.append, threads=2, block=37, keep=10**6)
    assert [len(b) for b in blocks] == [37] * 5 + [15]
    pd.testing.assert_frame_equal(pd.concat(blocks), result.accounts)
    assert streamed.by_state == result.by_state
    assert streamed.worklist_total == len(result.worklist) == len(streamed)
    pd.testing.assert_frame_equal(streamed.worklist, result.worklist)
    assert streamed.worklist_json() == result.worklist_json()

    top = p.scan(result.as_of, lambda frame: None, block=64, keep=5)
    assert len(top) == 5 and top.worklist_total == len(result.worklist)
    pd.testing.assert_frame_equal(top.worklist, result.worklist.iloc[:5])
    first, sixth = result.worklist["account"].iloc[0], result.worklist["account"].iloc[5]
    assert top.explain(first) == result.explain(first)
    with pytest.raises(fv.NotFoundError, match="not among this scan's kept accounts"):
        top.explain(sixth)


def test_scan_stops_on_the_callbacks_error(scanned):
    p, _, result = scanned
    seen = []

    def write(frame):
        seen.append(len(frame))
        if len(seen) == 2:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        p.scan(result.as_of, write, block=50)
    assert seen == [50, 50]
    with pytest.raises(fv.InvalidError, match="options.block: must be at least 1"):
        p.scan(result.as_of, write, block=0)


def test_metrics_agree_with_pandas(sample, scanned):
    """Six metrics recomputed from the events with pandas, from their definitions."""
    _, _, result = scanned
    ev = sample.events.copy()
    as_of = int(sample.as_of.astype(np.int64))
    ev["day"] = ev["ts"].to_numpy().astype("datetime64[D]").astype(np.int64)
    ev = ev[ev["day"] <= as_of]
    accounts = sample.portfolio().accounts
    sig = accounts["signature"].to_numpy().astype("datetime64[D]").astype(np.int64)
    info = pd.DataFrame({"sig": sig, "seats": accounts["provisioned_seats"].to_numpy()}, index=accounts.index)
    ev = ev.join(info, on="account")
    usage = ev[ev["type"].isin(["login", "feature_use"])]
    users = usage.groupby("account", observed=False)["actor"].nunique()
    touch = ev[ev["type"].isin(["login", "feature_use", "email_from_customer", "customer_reply", "meeting_held"])]
    last = touch.groupby("account", observed=False)["day"].max()
    weeks = (as_of - info["sig"] + 1) // 7
    week_lo = info["sig"] + 7 * (weeks - 1)
    u = usage.join(week_lo.rename("lo"), on="account")
    in_week = u[(u["day"] >= u["lo"]) & (u["day"] < u["lo"] + 7)]
    days_pw = in_week.groupby("account", observed=False)["day"].nunique()
    wau = in_week.groupby("account", observed=False)["actor"].nunique()
    tickets = ev[ev["type"].isin(["ticket_opened", "ticket_closed"])]
    opened = tickets[tickets["type"] == "ticket_opened"].groupby(["account", "item"], observed=True)["day"].min()
    closed = tickets[tickets["type"] == "ticket_closed"].groupby(["account", "item"], observed=True)["day"].min()
    still_open = opened.to_frame("o").join(closed.rename("c"), how="left")
    open_count = still_open[still_open["c"].isna()].groupby(level="account", observed=False).size()

    expected = pd.DataFrame(index=info.index)
    expected["active_users"] = users.reindex(info.index, fill_value=0)
    expected["seat_activation"] = expected["active_users"] / info["seats"]
    expected["days_since_activity"] = as_of - last.reindex(info.index)
    # Both need one complete week since the signature.
    expected["active_days_per_week"] = days_pw.reindex(info.index, fill_value=0).where(weeks > 0)
    expected["wau_share"] = (wau.reindex(info.index, fill_value=0) / info["seats"]).where(weeks > 0)
    expected["open_tickets"] = open_count.reindex(info.index, fill_value=0)
    got = result.metrics[expected.columns]
    pd.testing.assert_frame_equal(got.astype(float), expected.astype(float), check_exact=False, rtol=1e-12)
    assert expected["open_tickets"].sum() > 0 and expected["active_days_per_week"].between(1, 6).any()


def test_ingestion_surfaces_agree(sample, scanned):
    _, _, cold = scanned
    ev = sample.events
    expected = cold.to_json()

    def scan(**kw):
        p = sample.portfolio()
        assert p.ingest(**kw).rejected == 0
        return p.evaluate(sample.as_of).to_json()

    # numpy arrays with object strings and int seconds
    arrays = {c: (ev[c].astype(object).where(ev[c].notna(), None).to_numpy() if str(ev[c].dtype) == "category"
                  else ev[c].to_numpy()) for c in ev.columns}
    arrays["ts"] = ev["ts"].to_numpy().astype(np.int64)
    assert scan(**arrays) == expected
    # A DataFrame of plain strings, tz-aware timestamps and nanosecond precision
    frame = ev.astype({c: object for c in ["account", "type", "actor", "item"]})
    frame["ts"] = frame["ts"].astype("datetime64[ns]").dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
    assert scan(events=frame) == expected
    # A mapping of columns, with ISO strings
    mapping = {c: ev[c] for c in ev.columns}
    mapping["ts"] = ev["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()
    assert scan(events=mapping) == expected


def test_replay_reorder_and_night_by_night_equal_cold(sample, scanned):
    _, _, cold = scanned
    ev = sample.events
    p = sample.portfolio()
    days = ev["ts"].to_numpy().astype("datetime64[D]")
    for day in np.unique(days):  # one batch per night, evaluated each night
        p.ingest(ev[days == day], threads=2)
    p.ingest(ev.iloc[::-1])  # replay everything backwards: ids make it harmless
    assert p.evaluate(sample.as_of, threads=2).to_json() == cold.to_json()


def test_categorical_codes_of_any_width_and_values_of_any_type(sample, scanned):
    from firstvalue._portfolio import _encode

    _, _, cold = scanned
    ev = sample.events
    # A categorical of a dozen types stores int8 codes: they go to the core as they are.
    assert ev["type"].cat.codes.dtype == np.int8
    codes, values = _encode(ev["type"], "type")
    assert codes.dtype == np.int8 and list(values) == list(ev["type"].cat.categories)
    widened = sample.portfolio()
    args = dict(ts=ev["ts"].to_numpy().astype("datetime64[s]").view(np.int64), value=ev["value"].to_numpy(),
                id=ev["id"].to_numpy())
    enc = {c: _encode(ev[c], c) for c in ("account", "type", "actor", "item")}
    raw = widened._p.ingest(args["ts"], *enc["account"], enc["type"][0].astype(np.int32), enc["type"][1],
                            *enc["actor"], *enc["item"], args["value"], args["id"], 2, 2**64 - 1, None)
    assert raw["rejected_rows"].size == 0
    assert widened.evaluate(sample.as_of).to_json() == cold.to_json()

    # Categories that are not str (integer user ids) are read as str() of each.
    ids, uniques = pd.factorize(ev["actor"].astype(object))
    as_int = ev.copy()
    as_int["actor"] = pd.Categorical.from_codes(ids, categories=pd.Index(np.arange(len(uniques)) + 1000))
    as_str = ev.copy()
    as_str["actor"] = pd.Series(np.where(ids >= 0, (ids + 1000).astype(str), None), dtype=object)
    results = []
    for frame in (as_int, as_str):
        p = sample.portfolio()
        assert p.ingest(frame).rejected == 0
        results.append(p.evaluate(sample.as_of).to_json())
    assert results[0] == results[1]


def test_keys_that_are_not_ascii_or_not_str_are_read_as_their_utf8():
    # The core reads each dictionary value in place: ASCII str straight from the
    # object, the others through their UTF-8, mixed in one dictionary.
    acct = _account("café-é")
    acct["planned_users"] = ["josé", "u2", "中文", "1234"]
    p = fv.Portfolio(organization="acme", accounts=[acct, _account("b")])
    day = _secs(SIG + 3)
    actors = ["u2", "josé", "中文", "u1"]
    frame = pd.DataFrame({
        "ts": [day] * 6,
        "account": pd.Categorical(["café-é", "café-é", "café-é", "b", "ünknown-日本", "café-é"]),
        "type": ["login"] * 6,
        "actor": pd.Categorical(["josé", "中文", "u2", "u1", "u1", "josé"], categories=actors),
    })
    report = p.ingest(frame)
    assert report.messages == ['row 4: unknown account "ünknown-日本"']
    as_of = SIG + 4
    m = p.evaluate(as_of).metrics
    assert m.loc["café-é", "active_users"] == 3 and m.loc["b", "active_users"] == 1
    # A user id that is an int in the host's categorical is the same user as its str.
    frame2 = pd.DataFrame({"ts": [day + 60], "account": ["café-é"], "type": ["login"],
                           "actor": pd.Categorical([1234], categories=[99, 1234])})
    assert p.ingest(frame2).accepted == 1
    row = p.evaluate(as_of).accounts.loc["café-é"]
    assert row["planned_users_never_logged_in"] == []
    assert p.evaluate(as_of).metrics.loc["café-é", "active_users"] == 4


def test_a_slice_of_a_large_categorical_hands_over_only_its_categories(sample):
    from firstvalue._portfolio import _encode

    part = pd.Series(pd.Categorical(["a", "b", "c", "d", "e", None, "c"]))[4:7]  # e, None, c
    codes, values = _encode(part, "actor")
    assert list(values) == ["c", "e"]
    assert codes.tolist() == [1, -1, 0]

    # Through the portfolio: a night's rows with every account as a category,
    # one of them unknown, report the right row and name.
    ev = sample.events
    names = list(ev["account"].cat.categories) + ["zz-nobody"]
    night = ev.iloc[:5].copy()
    keys = [str(k) for k in night["account"]]
    keys[1] = "zz-nobody"
    night["account"] = pd.Categorical(keys, categories=names)
    report = sample.portfolio().ingest(night)
    assert report.rejected == 1
    assert report.messages == ['row 1: unknown account "zz-nobody"']
    assert report.accepted == 4


def test_rejected_rows_are_reported_and_a_strict_batch_changes_nothing(sample):
    p = sample.portfolio()
    key = sample.truth.index[0]
    before = p.evaluate(sample.as_of).to_json()
    bad = pd.DataFrame({
        "ts": [_secs(SIG), _secs(SIG), _secs(SIG) * 1000, _secs(SIG), _secs(SIG), _secs(SIG)],
        "account": [key, "nobody", key, key, key, key],
        "type": ["login", "login", "login", "teleport", "login", "customer_reply"],
        "actor": ["u1", "u1", "u1", "u1", None, "sponsor"],
        "value": [np.nan, np.nan, np.nan, np.nan, np.nan, -3.0],
    })
    with pytest.raises(fv.InvalidError, match=r"5 of 6 rows rejected \(limit 4\); nothing was ingested"):
        p.ingest(bad, max_rejected=4)
    assert p.evaluate(sample.as_of).to_json() == before
    report = p.ingest(bad)
    assert (report.rows, report.accepted, report.rejected) == (6, 1, 5)
    assert report.by_reason == {"unknown_account": 1, "unknown_type": 1, "bad_timestamp": 1,
                                "missing_actor": 1, "bad_value": 1}
    rows = report.rejected_rows
    assert list(rows["row"]) == [1, 2, 3, 4, 5]
    assert list(rows["reason"].astype(str)) == ["unknown_account", "bad_timestamp", "unknown_type",
                                                "missing_actor", "bad_value"]
    assert report.messages[0] == 'row 1: unknown account "nobody"'
    assert json.loads(report.to_json())["rejected"] == 5
    # NaT and fractional seconds are rejected timestamps, never guessed
    r = p.ingest(ts=np.array(["NaT", "2026-09-02"], dtype="datetime64[s]"), account=[key, key],
                 type=["login", "login"], actor=["u1", "u1"])
    assert list(r.rejected_rows["reason"].astype(str)) == ["bad_timestamp"]
    r = p.ingest(ts=[1.5e9 + 0.5], account=[key], type=["login"], actor=["u1"])
    assert r.by_reason == {"bad_timestamp": 1}


def test_events_far_from_the_signature_are_rejected_not_clamped():
    # Days are kept relative to the signature in 16 bits: beyond 32,000 days
    # (87 years) an event is a rejected row, never a moved one.
    p = fv.Portfolio(organization="o", accounts=[{"key": "late", "signature": "2099-06-01",
                                                          "attributes": {"sso": False, "migrate_data": False,
                                                                         "integrations": 0}}])
    r = p.ingest(ts=np.array(["1970-01-05", "2020-01-01"], dtype="datetime64[s]"), account=["late", "late"],
                 type=["login", "login"], actor=["u1", "u2"])
    assert list(r.rejected_rows["row"]) == [0]
    assert list(r.rejected_rows["reason"].astype(str)) == ["bad_timestamp"]
    assert "more than 32000 days from the account's signature" in r.messages[0]
    assert r.accepted == 1


def test_planned_users_beyond_what_a_state_can_slot_are_refused_and_change_nothing():
    # A state keeps a planned user's slot in 16 bits: 65,535 fit, one more does not.
    p = fv.Portfolio(organization="o", accounts=[_account("a")])
    crowd = _account("c", 65536)
    with pytest.raises(fv.InvalidError, match=r"^accounts\[1\]\.planned_users: has 65536 distinct users; at most 65,535$"):
        p.add_accounts([_account("b", 65535), crowd])
    assert list(p.accounts.index) == ["a"]
    p.add_accounts([_account("b", 65535)])
    assert list(p.accounts.index) == ["a", "b"]


def test_structural_errors_name_the_column(sample):
    p = sample.portfolio()
    with pytest.raises(fv.InvalidError, match=r"events\.account: is required"):
        p.ingest(ts=[0], type=["login"])
    with pytest.raises(fv.InvalidError, match=r"events\.colour: unknown column"):
        p.ingest(pd.DataFrame({"ts": [0], "account": ["a"], "type": ["login"], "colour": ["red"]}))
    with pytest.raises(fv.InvalidError, match=r"events\.value: has 2 rows where ts has 1"):
        p.ingest(ts=[0], account=["a"], type=["login"], value=[1.0, 2.0])
    with pytest.raises(fv.InvalidError, match=r"events\.id\[0\]: ids must not be negative"):
        p.ingest(ts=[0], account=["a"], type=["login"], id=[-1])
    with pytest.raises(fv.InvalidError, match=r"events\.ts"):
        p.ingest(ts=["yesterday"], account=["a"], type=["login"])


def test_progress_cancels_and_resubmitting_completes():
    g = fv.generate_portfolio(accounts=1400, seed=7)  # over a million rows: the callback fires
    ev = g.events
    assert len(ev) > 1 << 20
    cold = g.portfolio()
    cold.ingest(ev)
    seen = []

    def stop(done, total):
        seen.append((done, total))
        return False

    p = g.portfolio()
    report = p.ingest(ev, progress=stop)
    assert report.cancelled and 0 < report.applied < report.rows == len(ev)
    assert seen == [(report.applied, len(ev))] and report.applied <= 1 << 20  # one pass of at most a million rows
    assert not p.ingest(ev).cancelled
    assert p.evaluate(g.as_of).to_json() == cold.evaluate(g.as_of).to_json()

    def boom(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        g.portfolio().ingest(ev, progress=boom)


# ---- a hand-built account ---------------------------------------------------------------

def test_never_logged_in_account_is_stalled_on_day_14_with_that_cause():
    signals = {"rules": [{"detector": "planned_users_not_logged_in"}, {"detector": "low_activation"}]}
    p = fv.Portfolio(organization="acme", accounts=[_account("a")], signals=signals)
    days = [SIG + d for d in range(2, 15) if (SIG + d).astype("datetime64[D]").item().weekday() < 5]
    p.ingest(ts=[_secs(d) for d in days], account=["a"] * len(days), type=["login"] * len(days),
             actor=["u1"] * len(days))
    assert p.evaluate(SIG + 13).accounts.loc["a", "state"] == "ok"
    r = p.evaluate(SIG + 14)
    row = r.accounts.loc["a"]
    assert row["state"] == "stalled"
    assert row["onset"] == SIG + 14
    assert row["primary_signal"] == "planned_users_not_logged_in"
    assert row["cause"] == "3 of 4 planned users have not logged in 14 days after signature: u2, u3, u4."
    assert row["action"] == "inactive_user_followup"
    assert math.isclose(row["risk"], 1 - 0.7 ** 2, rel_tol=1e-12)  # noisy-OR of two 0.3 signals
    assert row["planned_users_never_logged_in"] == ["u2", "u3", "u4"]
    assert row["seat_activation"] == 0.25
    explained = r.explain("a")
    assert {s["name"] for s in explained["signals"]} == {"planned_users_not_logged_in", "low_activation"}
    assert list(r.worklist["account"]) == ["a"]


def test_portfolio_construction_and_lookup_errors():
    p = fv.Portfolio(organization="acme", accounts=[_account("a")])
    assert len(p) == 1 and "a" in p and "b" not in p and p.organization == "acme"
    assert p.account("a")["planned_users"] == ["u1", "u2", "u3", "u4"]
    with pytest.raises(fv.InvalidError, match=r"accounts\[1\]\.key: account \"a\" is already"):
        p.add_accounts([_account("b"), _account("a")])
    assert len(p) == 1  # all or nothing
    with pytest.raises(fv.NotFoundError, match='no account "zz"'):
        p.account("zz")
    with pytest.raises(fv.NotFoundError):
        p.evaluate("2026-10-01").explain("zz")
    with pytest.raises(fv.InvalidError, match=r"signals\.rules\[0\]\.weight"):
        fv.Portfolio(organization="acme", signals={"rules": [{"detector": "silence", "weight": 7}]})
    with pytest.raises(fv.InvalidError, match="max_age_days"):
        fv.generate_portfolio(accounts=3, max_age_days=1)


def test_generator_is_deterministic_and_returns_its_truth(sample):
    again = fv.generate_portfolio(accounts=200, seed=2026)
    pd.testing.assert_frame_equal(sample.events, again.events)
    pd.testing.assert_frame_equal(sample.truth, again.truth)
    assert not sample.events.equals(fv.generate_portfolio(accounts=200, seed=1).events)
    t = sample.truth
    stalled = t[t["cause"] != "none"]
    assert 0.2 < len(stalled) / len(t) < 0.4
    assert stalled["onset"].notna().all() and t.loc[t["cause"] == "none", "onset"].isna().all()
    assert set(stalled["cause"].astype(str)) == {"never_log_in", "sponsor_quiet", "meetings_postponed",
                                                 "milestone_slip", "usage_decay"}
    assert (sample.events["ts"] < pd.Timestamp(sample.as_of) + pd.Timedelta(days=1)).all()
    assert sample.events["ts"].is_monotonic_increasing


def test_detection_quality_meets_the_goals():
    q = fv.generate_portfolio(accounts=300, seed=2026).detection_quality(threads=2)
    assert q["recall"] >= 0.95 and q["precision"] >= 0.90 and q["median_delay_days"] <= 7


# ---- per-organization isolation ----------------------------------------------------

def test_another_organizations_accounts_and_reads_are_forbidden():
    p = fv.Portfolio(organization="acme", accounts=[_account("a"), _account("shared")])
    assert p.account("a")["organization"] == "acme"
    assert p.account("a", organization="acme")["key"] == "a"
    for key in ("shared", "nobody"):  # whether or not the key exists here
        with pytest.raises(fv.ForbiddenError, match=r"^organization: account \"" + key):
            p.account(key, organization="globex")
    with pytest.raises(fv.NotFoundError):
        p.account("nobody", organization="acme")
    theirs = dict(_account("b"), organization="globex")
    with pytest.raises(fv.ForbiddenError, match=r"^accounts\[1\]\.organization: "):
        p.add_accounts([_account("c"), theirs])
    assert len(p) == 2 and "c" not in p  # all or nothing


def test_a_result_stays_its_organizations_after_its_portfolio_is_gone():
    import gc
    acme = fv.Portfolio(organization="acme", accounts=[_account("a")])
    core = acme.evaluate(SIG + 5)._core  # what the bindings hold; the public API keeps it with its portfolio
    del acme
    gc.collect()
    globex = fv.Portfolio(organization="globex", accounts=[_account("a")])
    with pytest.raises(fv.ForbiddenError, match=r"^result: holds organization \"acme\"'s accounts, not \"globex\"'s$"):
        globex._p.worklist_json(core, 2)
    with pytest.raises(fv.InvalidError, match=r"^result: was evaluated on another portfolio"):
        fv.Portfolio(organization="acme", accounts=[_account("a")])._p.results_json(core, 2)


def test_a_batch_mixing_organizations_changes_nothing():
    p = fv.Portfolio(organization="acme", accounts=[_account("a")])
    day = _secs(SIG + 3)
    frame = pd.DataFrame({"ts": [day, day + 60, day + 120], "account": ["a"] * 3, "type": ["login"] * 3,
                          "actor": ["u1", "u2", "u3"], "organization": ["acme", None, "globex"]})
    before = p.evaluate(SIG + 5).to_json()
    with pytest.raises(fv.ForbiddenError, match=r"^events\.organization\[2\]: a row of organization \"globex\""):
        p.ingest(frame)
    assert p.evaluate(SIG + 5).to_json() == before
    assert p.ingest(frame.iloc[:2]).accepted == 2  # its own organization, or none, is ingested
    assert p.evaluate(SIG + 5).metrics.loc["a", "active_users"] == 2
