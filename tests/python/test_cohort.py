"""Time-to-value and cohort reports, checked against an independent pandas /
numpy / lifelines computation from the raw events and the plan milestones,
plus mergeable summaries on random splits."""

from __future__ import annotations

import json
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import firstvalue as fv

lifelines = pytest.importorskip("lifelines")
from lifelines import KaplanMeierFitter  # noqa: E402

AS_OF = np.datetime64("2026-11-23", "D")


@pytest.fixture(scope="module")
def sample():
    s = fv.generate_portfolio(accounts=300, seed=2026)
    p = s.portfolio()
    p.ingest(s.events)
    return s, p


def busdays(a, b):
    """Business days in (a, b], Monday to Friday: the core's business_days_between."""
    a = np.asarray(a, dtype="datetime64[D]")
    b = np.asarray(b, dtype="datetime64[D]")
    return np.busday_count(a + 1, b + 1)


def milestones_in_play(p):
    m = p.plan_reports(AS_OF).milestones
    m = m[m.active & ~m.status.isin(["skipped", "not_applicable"])].copy()
    for c in ("planned_due", "done"):
        m[c] = m[c].values.astype("datetime64[D]")
    return m


def expected_ttv(p, s):
    """Per account and point, from the milestones frame alone."""
    m = milestones_in_play(p)
    sig = p.accounts.signature.values.astype("datetime64[D]")
    sig = pd.Series(sig, index=p.accounts.index)
    rows = []
    for point in ("kickoff", "first_value", "go_live", "full_value"):
        k = m[m.kind == point]
        first = k.groupby("account").done.min()
        for account in k.account.unique():
            start = np.datetime64(sig[account], "D")
            done = first.get(account, np.datetime64("NaT"))
            reached = not pd.isna(done)
            end = np.datetime64(done, "D") if reached else AS_OF
            if point == "kickoff":
                duration = int(busdays(start, end))
            else:
                duration = int((end - start).astype(int))
            rows.append((account, point, reached, duration))
    return pd.DataFrame(rows, columns=["account", "point", "reached", "duration"])


def test_time_to_value_matches_the_milestones(sample):
    s, p = sample
    got = p.time_to_value(AS_OF)
    want = expected_ttv(p, s)
    merged = got.assign(point=got.point.astype(str)).merge(want, on=["account", "point"], suffixes=("", "_want"))
    assert len(merged) == len(want) == len(got)
    assert (merged.reached == merged.reached_want).all()
    assert (merged.duration == merged.duration_want).all()
    assert (merged.censored == ~merged.reached).all()
    assert set(got.state.astype(str)) <= {"reached", "open"}  # no exits in the sample
    assert (got[got.point == "kickoff"].unit == "business").all()
    assert (got[got.point != "kickoff"].unit == "calendar").all()


def test_report_medians_match_lifelines_and_numpy(sample):
    s, p = sample
    ttv = p.time_to_value(AS_OF)
    r = p.cohort_report(AS_OF, by="tier")
    for cohort in r.cohorts:
        rows = ttv if cohort == "(total)" else ttv[ttv.account.map(p.accounts.tier) == cohort]
        t = r.ttv[r.ttv.cohort == cohort].set_index("point")
        for point in ("kickoff", "first_value", "go_live", "full_value"):
            x = rows[rows.point == point]
            if x.empty:  # the cohort's template has no such milestone
                assert t.loc[point, "reached"] == t.loc[point, "censored"] == 0
                assert np.isnan(t.loc[point, "km_median"])
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                km = KaplanMeierFitter().fit(x.duration, x.reached)
            assert t.loc[point, "reached"] == x.reached.sum()
            assert t.loc[point, "censored"] == (~x.reached).sum()
            assert t.loc[point, "km_median"] == km.median_survival_time_, (cohort, point)
            naive = np.median(x.duration[x.reached]) if x.reached.any() else np.nan
            np.testing.assert_equal(t.loc[point, "naive_median"], naive)
            # Our own estimator on the same rows gives the interval.
            ours = fv.kaplan_meier(x.duration.to_numpy(), x.reached.to_numpy())
            np.testing.assert_equal((t.loc[point, "ci_lower"], t.loc[point, "ci_upper"]), ours.median_ci)


def test_rates_and_bottlenecks_match_pandas(sample):
    s, p = sample
    r = p.cohort_report(AS_OF, by="all")
    k = r.kpis[r.kpis.cohort == "all"].set_index("kpi")
    m = milestones_in_play(p)
    done = m.done.notna() & (m.done <= AS_OF)
    due = done | (m.planned_due < AS_OF)
    d = m[due].copy()
    d["on_time"] = d.done.notna() & (d.done <= d.planned_due)
    end = d.done.where(d.done.notna(), AS_OF).values.astype("datetime64[D]")
    d["delay"] = np.maximum(1, busdays(d.planned_due.values, end))
    assert (k.loc["milestone_completion", "hits"], k.loc["milestone_completion", "of"]) == (done[due].sum(), due.sum())

    go = d[d.kind == "go_live"]
    assert k.loc["implementation_on_time", "hits"] == go.on_time.sum()
    assert k.loc["implementation_on_time", "of"] == len(go)

    b = r.bottlenecks[r.bottlenecks.cohort == "all"].set_index("milestone")
    for mid, g in d.groupby("id"):
        late = g[~g.on_time].delay
        assert b.loc[mid, "due"] == len(g)
        assert b.loc[mid, "delayed"] == len(late)
        if len(late):
            assert b.loc[mid, "median_delay"] == np.percentile(late, 50)
            assert b.loc[mid, "p90_delay"] == pytest.approx(np.percentile(late, 90), abs=1e-12)
    # Ranked by delayed accounts, then median delay.
    ranked = r.bottlenecks[r.bottlenecks.cohort == "all"]
    keys = list(zip(-ranked.delayed, -ranked.median_delay.fillna(-1)))
    assert keys == sorted(keys)

    # Seat activation and adoption at day 30 / 60, from the raw usage events.
    ev = s.events
    used = ev[ev.type.isin(["login", "feature_use"])]
    first = (used.assign(day=used.ts.values.astype("datetime64[D]"))
             .groupby(["account", "actor"], observed=True).day.min().reset_index())
    acc = p.accounts
    planned = {a["key"]: set(a["planned_users"]) for a in (p.account(key) for key in acc.index)}
    for days, name in ((30, "seat_activation_day30"), (60, "seat_activation_day60")):
        hits = of = 0
        adopted = planned_of = 0
        for key, row in acc.iterrows():
            cut = np.datetime64(row.signature, "D") + days
            if cut > AS_OF:
                continue
            users = set(first[(first.account == key) & (first.day <= cut)].actor)
            hits += min(len(users), row.provisioned_seats)
            of += row.provisioned_seats
            adopted += len(users & planned[key])
            planned_of += len(planned[key])
        assert (k.loc[name, "hits"], k.loc[name, "of"]) == (hits, of)
        if days == 30:
            assert (k.loc["adoption_day30", "hits"], k.loc["adoption_day30", "of"]) == (adopted, planned_of)
    assert k.loc["seat_activation_day60", "meets"] == (hits / of > 0.70)


def test_summaries_merge_exactly_on_random_splits(sample):
    s, _ = sample
    accounts = [json.loads(json.dumps(a)) for a in (s.portfolio().account(k) for k in s.portfolio().accounts.index)]
    org = s.portfolio().organization  # the accounts' documents name it: another would be refused
    whole_p = fv.Portfolio(organization=org, accounts=accounts)
    whole_p.ingest(s.events)
    whole = whole_p.cohort_summaries(AS_OF, by="signature_month")
    rng = np.random.default_rng(3)
    for _ in range(3):
        side = rng.random(len(accounts)) < 0.4
        parts = []
        for flag in (True, False):
            part = fv.Portfolio(organization=org, accounts=[a for a, f in zip(accounts, side) if f == flag])
            report = part.ingest(s.events)
            assert report.rejected == (s.events.account.isin([a["key"] for a, f in zip(accounts, side) if f != flag])).sum()
            parts.append(part.cohort_summaries(AS_OF, by="signature_month"))
        merged = parts[0].merge(parts[1])
        assert merged == whole
        assert parts[1] + parts[0] == whole
        assert pickle.loads(pickle.dumps(parts[0])).merge(fv.CohortSummaries.from_json(parts[1].to_json())) == whole
        pd.testing.assert_frame_equal(merged.report().kpis, whole.report().kpis)
        pd.testing.assert_frame_equal(merged.report().bottlenecks, whole.report().bottlenecks)


def test_exits_censor_and_errors_name_the_field():
    plain = {"sso": False, "migrate_data": False, "integrations": 0}
    p = fv.Portfolio(organization="o", accounts=[
        {"key": "a", "signature": "2026-09-01", "exit": "2026-09-20", "exit_reason": "churned", "tier": "smb",
         "attributes": plain},
        {"key": "b", "signature": "2026-09-01", "tier": "smb", "attributes": plain},
    ])
    t = p.time_to_value("2026-10-01")
    a = t[t.account == "a"]
    assert set(a.state.astype(str)) == {"exited"}
    assert (a[a.point == "first_value"].duration == 19).all()
    assert (t[t.account == "b"].state.astype(str) == "open").all()
    assert p.account("a")["exit"] == "2026-09-20"
    with pytest.raises(fv.InvalidError, match=r"accounts\[0\]\.exit"):
        fv.Portfolio(organization="o", accounts=[{"key": "x", "signature": "2026-09-01", "exit": "2026-08-01",
                                                  "attributes": plain}])
    with pytest.raises(fv.InvalidError, match="by: must be"):
        p.cohort_summaries("2026-10-01", by="region")
    with pytest.raises(fv.InvalidError, match="unit"):
        p.time_to_value("2026-10-01", unit="weeks")
    with pytest.raises(fv.InvalidError, match="first_value_dayz"):
        p.cohort_report("2026-10-01", benchmarks={"first_value_dayz": 3})
    with pytest.raises(fv.InvalidError, match="as_of"):
        p.cohort_summaries("2026-10-01").merge(p.cohort_summaries("2026-10-02"))


def test_benchmarks_are_configurable(sample):
    _, p = sample
    strict = p.cohort_report(AS_OF, by="all", benchmarks={"milestone_completion": 0.999, "goals_day90": None})
    k = strict.kpis.set_index(["cohort", "kpi"])
    assert not k.loc[("all", "milestone_completion"), "meets"]
    assert k.loc[("all", "milestone_completion"), "target"] == 0.999
    assert pd.isna(k.loc[("all", "goals_day90"), "target"])
    assert list(strict.scorecard.columns) == list(fv._core.KPI_NAMES)
    assert strict.cohorts == ["all", "(total)"]
