"""Plans from Python: the shared hand-worked schedules, calendars against numpy's
business-day functions, goals against numpy.polyfit, DataFrames and errors."""

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

import firstvalue as fv
from conftest import DATA

CASES = json.loads((DATA / "schedule_cases.json").read_text())["cases"]


def _check_fields(expected: dict, actual: dict, where: str) -> None:
    for key, value in expected.items():
        assert key in actual, f"{where}: no field {key}"
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value, abs=1e-9), f"{where}.{key}"
        else:
            assert actual[key] == value, f"{where}.{key}"


def check_report(case: dict, report: dict) -> None:
    expect = case["expect"]
    nodes = {n["id"]: n for n in report["nodes"]}
    for node_id, fields in expect.get("nodes", {}).items():
        _check_fields(fields, nodes[node_id], node_id)
    _check_fields(expect.get("plan", {}), report, "plan")
    goals = {g["id"]: g for g in report["goals"]}
    for goal_id, fields in expect.get("goals", {}).items():
        _check_fields(fields, goals[goal_id], goal_id)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_schedule_cases(case):
    results = fv.schedule(case["account"], as_of=case["as_of"],
                          template_set=fv.TemplateSet.from_json(case["templates"]),
                          calendar=fv.Calendar.from_json(case.get("calendar", {})))
    check_report(case, results.report(0))
    # The DataFrame carries the same dates as the report.
    frame = results.tasks.set_index("id")
    for node_id, fields in case["expect"].get("nodes", {}).items():
        for col in ("planned_start", "planned_due", "due", "forecast", "done"):
            if col in fields:
                want = pd.NaT if fields[col] is None else pd.Timestamp(fields[col])
                got = frame.loc[node_id, col]
                assert (pd.isna(want) and pd.isna(got)) or got == want, (node_id, col)
        if "status" in fields:
            assert frame.loc[node_id, "status"] == fields["status"]


def test_calendar_agrees_with_numpy_busday():
    holidays = ["2026-11-26", "2026-11-27", "2026-12-25", "2027-01-01", "2026-12-05"]  # one on a Saturday
    cal = fv.Calendar(weekend=("sat", "sun"), holidays=holidays)
    rng = np.random.default_rng(3)
    start = np.datetime64("2026-10-01")
    days = start + rng.integers(0, 150, 20_000).astype("timedelta64[D]")
    n = rng.integers(-30, 31, 20_000)
    n[n == 0] = 1
    got = cal.add_business_days(days, n)
    # numpy rolls a non-business start day: back before counting forward, forward before counting back.
    fwd = np.busday_offset(days, n, roll="backward", holidays=holidays)
    back = np.busday_offset(days, n, roll="forward", holidays=holidays)
    np.testing.assert_array_equal(got, np.where(n > 0, fwd, back))
    other = days + rng.integers(-40, 41, 20_000).astype("timedelta64[D]")
    # Ours counts (a, b] forwards and -[b, a) backwards; numpy's busday_count(x, y) counts [x, y).
    want = np.where(other >= days,
                    np.busday_count(days + 1, other + 1, holidays=holidays),
                    -np.busday_count(other, days, holidays=holidays))
    np.testing.assert_array_equal(cal.business_days_between(days, other), want)
    np.testing.assert_array_equal(cal.roll_forward(days), np.busday_offset(days, 0, roll="forward", holidays=holidays))
    np.testing.assert_array_equal(cal.is_business_day(days), np.is_busday(days, holidays=holidays))


def test_calendar_scalars_and_inputs():
    cal = fv.Calendar(holidays=[dt.date(2026, 11, 26)])
    assert cal.add_business_days("2026-11-25", 1) == np.datetime64("2026-11-27")
    assert cal.add_business_days(np.datetime64("2026-11-27"), 1) == np.datetime64("2026-11-30")
    assert cal.business_days_between("2026-11-23", "2026-11-30") == 4
    assert cal.is_business_day("2026-11-28") is False
    assert fv.Calendar.from_json(cal.to_json()) == cal
    with pytest.raises(fv.InvalidError, match=r"^weekend\[0\]: unknown day"):
        fv.Calendar(weekend=("caturday",))
    with pytest.raises(fv.InvalidError, match=r"not a date \"2026-02-30\""):
        cal.roll_forward("2026-02-30")


def test_goal_projection_agrees_with_numpy_polyfit():
    rng = np.random.default_rng(8)
    for _ in range(200):
        k = int(rng.integers(2, 9))
        days = np.sort(rng.choice(np.arange(0, 50), size=k, replace=False)) + 20000
        values = 5 + 0.05 * (days - 20000) + rng.normal(0, 0.3, k)
        plan = {"goals": [{"id": "g", "metric": "m", "baseline": 5, "target": 50, "start": 20000, "due": 20090,
                           "direction": "up", "observations": [[int(d), float(v)] for d, v in zip(days, values)]}]}
        report = fv.evaluate_goals(plan, as_of=20060).iloc[0]
        slope, intercept = np.polyfit(days - 20000, values, 1)
        assert report["slope"] == pytest.approx(slope, rel=1e-9, abs=1e-12)
        assert report["projected"] == pytest.approx(intercept + slope * 90, rel=1e-9)


def test_seed_goal_example():
    plan = {"goals": [{"id": "meetings", "metric": "meetings_per_sdr", "baseline": 5, "target": 10, "start": "2026-11-02",
                       "due": "2026-12-28", "direction": "up",
                       "observations": [["2026-11-02", 5], ["2026-11-16", 6.3], ["2026-11-30", 7.5]]}]}
    r = fv.evaluate_goals(plan, as_of="2026-11-30").iloc[0]
    assert r["progress"] == 0.5
    assert r["status"] == "on_track"
    assert r["projected"] >= 10
    assert r["projected"] == pytest.approx(601 / 60, abs=1e-12)  # slope 35/392 from (day 0, 5)


def test_handoff_missing_sponsor():
    record = {"business_case": "Cut SDR ramp time", "success_metrics": ["meetings per SDR"],
              "buying_committee": [{"name": "Ana", "role": "champion"}, {"name": "Bo", "role": "admin"},
                                   {"name": "Cy", "role": "end_user"}],
              "agreed_timeline": {"go_live": "2026-12-01"}, "commitments": [], "risks": ["SSO rollout"]}
    a = fv.assess_handoff(record)
    assert a["completeness"] == pytest.approx(8 / 9)
    assert [m["message"] for m in a["missing"]] == ["buying_committee: no executive sponsor"]


def test_default_set_and_dataframes():
    accounts = [{"account": f"a{i}", "start": "2026-11-02",
                 "attributes": {"lifecycle": "new_customer", "arr": arr, "sso": i % 2 == 0, "migrate_data": False,
                                "integrations": i}}
                for i, arr in enumerate([250_000, 60_000, 8_000])]
    r = fv.schedule(accounts, as_of="2026-11-04")
    plans = r.plans
    assert list(plans["template"]) == ["enterprise", "mid_market", "smb"]
    # 8k ARR matches no entry criterion; its ARR band picks the SMB template.
    assert list(plans["selection"]) == ["entry criteria", "entry criteria", "arr"]
    m = r.milestones
    assert set(m["account"]) == {"a0", "a1", "a2"}
    assert str(m["planned_due"].dtype).startswith("datetime64")
    assert m["status"].dtype == "category"
    arrays = r.arrays()
    assert arrays["planned_due"].dtype == np.dtype("datetime64[D]")
    kickoff = r.tasks.set_index(["account", "id"]).loc[("a0", "kickoff_meeting")]
    assert kickoff["planned_due"] == pd.Timestamp("2026-11-09")  # within 5 business days
    assert kickoff["owner"] == "internal"
    assert len(json.loads(r.to_json())) == 3


def test_errors_name_the_path():
    with pytest.raises(fv.InvalidError) as info:
        fv.schedule([{"account": "a", "start": "2026-11-02", "attributes": {"arr": 5}},
                     {"account": "b", "start": "2026-11-02", "template": "smb", "progress": {"kickof": {"skipped": True}}}],
                    as_of="2026-11-03")
    assert str(info.value).startswith("accounts[0].templates[0].entry: unknown attribute \"lifecycle\"")
    with pytest.raises(fv.InvalidError, match=r'^accounts\[0\]\.progress\.kickof: unknown task or milestone "kickof"'):
        fv.schedule({"account": "b", "start": "2026-11-02", "template": "smb", "progress": {"kickof": {"skipped": True}}},
                    as_of="2026-11-03")
    with pytest.raises(fv.InvalidError,
                       match=r"^phases\[0\]\.milestones\[0\]\.tasks\[1\]\.depends_on\[0\]: dependency cycle: b \u2192 a \u2192 b$"):
        fv.Template.from_json({"id": "t", "phases": [{"id": "p", "milestones": [{"id": "m", "tasks": [
            {"id": "a", "depends_on": ["b"]}, {"id": "b", "depends_on": ["a"]}]}]}]})
    with pytest.raises(fv.InvalidError, match=r'^column 6: expected a value after ">"$'):
        fv.check_expression("arr >")
    assert fv.check_expression('tier in ["smb"] and arr >= 5') == ["tier", "arr"]


def test_template_set_from_python_templates():
    t = fv.Template.from_json({"id": "solo", "tier": "smb", "phases": [{"id": "p", "milestones": [
        {"id": "m", "kind": "kickoff", "tasks": [{"id": "call", "from": "start", "duration": 2}]}]}]})
    assert t.id == "solo" and t.variables == []
    ts = fv.TemplateSet([t], fallback="solo")
    assert ts.select({"arr": 1}) == ("solo", "tier") or ts.select({"arr": 1})[0] == "solo"
    r = fv.schedule({"account": "x", "start": dt.date(2026, 11, 2)}, as_of=np.datetime64("2026-11-02"), template_set=ts)
    assert r.milestones.loc[0, "planned_due"] == pd.Timestamp("2026-11-04")
    assert len(fv.TemplateSet.default().templates) == 3
    assert "kickoff_meeting" in set(fv.TemplateSet.default()["enterprise"].milestones()["id"])


def test_calendar_conversions_never_wrap_truncate_or_flatten():
    cal = fv.Calendar()
    with pytest.raises(fv.InvalidError, match="out of range"):
        cal.roll_forward(2**32 + 20000)
    with pytest.raises(fv.InvalidError, match="out of range"):
        cal.add_business_days(20000, np.array([2**32 + 3]))
    with pytest.raises(fv.InvalidError, match="whole numbers"):
        cal.add_business_days(20000, 2.9)
    with pytest.raises(fv.InvalidError, match="whole numbers"):
        cal.roll_forward(np.array([20000.7]))
    grid = np.array([["2026-11-27", "2026-11-28"], ["2026-11-29", "2026-11-30"]], dtype="datetime64[D]")
    out = cal.add_business_days(grid, 1)
    assert out.shape == (2, 2) and out[0, 0] == np.datetime64("2026-11-30")
    assert cal.is_business_day(grid).shape == (2, 2)
    # Either operand broadcasts.
    np.testing.assert_array_equal(cal.business_days_between("2026-11-23", np.array(["2026-11-30", "2026-12-07"], dtype="datetime64[D]")), [5, 10])
    np.testing.assert_array_equal(cal.add_business_days("2026-11-27", [1, 2]), np.array(["2026-11-30", "2026-12-01"], dtype="datetime64[D]"))


def test_calendar_out_of_range_is_an_error():
    cal = fv.Calendar()
    with pytest.raises(fv.InvalidError, match=r"^n: 2147483647 business days leads outside"):
        cal.add_business_days(20000, 2**31 - 1)
    with pytest.raises(fv.InvalidError, match=r"^day: day 2147483647 is outside"):
        cal.roll_forward(2**31 - 1)
