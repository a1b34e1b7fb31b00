"""The nightly scan at scale: firstvalue against DuckDB and pandas, in one run,
on the same arrays.

    python3 benchmarks/scan_vs_duckdb.py                      # 1M accounts, ~100M events
    python3 benchmarks/scan_vs_duckdb.py --accounts 100000    # a quicker look

The generator makes the portfolio (accounts up to --max-age-days old: 14 days
gives ~100 events per account, the issue's 1M / 100M ratio). Then, on the same
numpy columns:

  firstvalue  cold: Portfolio.ingest (validation, dedup, per-account state) and
              evaluate (metrics, plans, health, signals, worklist), 2 threads;
              incremental: the last night's events into a portfolio holding
              the earlier ones, and tonight's evaluate;
              memory: a second cold ingestion, then scan (tonight's results a
              block of accounts at a time, each block's metrics copied into
              the host's preallocated columns); the peak resident set above
              the accounts, the input arrays and the output columns, sampled
              every 5 ms, per account.
  DuckDB      loads the same arrays (and tables of the accounts' planned
              users, sponsors and core features) and computes every metric
              the scan reads from the events with SQL (2 threads).
  pandas      computes the same metrics with groupby.

The twelve metrics (active users, seat and planned-user activation, weekly
active share and its 4-week slope, feature breadth, active days in the last
complete week, days since activity, sponsor latency ratio, meetings postponed
or cancelled in 30 days, open tickets, tickets in 7 days) must agree across
the three, to 1e-12, before any time is reported. The plan metrics (overdue,
slipped, goals) need the scheduler and are firstvalue's alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import threading
import time

import numpy as np
import pandas as pd

import firstvalue as fv

# Every metric of the scan that is read from the events (the others come from
# the plans): the peers compute all of them, and they must agree.
METRICS = ["active_users", "seat_activation", "planned_activation", "wau_share", "wau_slope", "feature_breadth",
           "active_days_per_week", "days_since_activity", "latency_ratio", "meetings_postponed_30d", "open_tickets",
           "tickets_7d"]
USAGE = ("login", "feature_use")
TOUCH = ("login", "feature_use", "email_from_customer", "customer_reply", "meeting_held")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """The highest resident set seen while the block runs."""

    def __enter__(self):
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_bytes())


def available_bytes() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def release_free_heap() -> None:
    """Hands the heap's free memory back to the system (glibc keeps what firstvalue
    and pandas freed), so that the peers run with the machine's memory, not less."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


# ---- the peers -------------------------------------------------------------------

# What the metrics read besides the events, as tables of dictionary codes: the
# accounts (signature, seats, planned users, core features), their planned
# users and sponsors (as actor codes), and each tier's core features (item codes).
def reference_tables(p, raw) -> dict:
    # The generated portfolio uses the default templates, one per tier.
    core = {t["id"]: t.get("core_features", []) for t in json.loads(fv.TemplateSet.default().to_json())["templates"]}
    tiers = sorted(core)
    cols = {k: [] for k in ("key", "sig", "seats", "planned_n", "tier", "n_core", "has_sponsor")}
    planned, sponsors = ([], []), ([], [])
    for i in range(len(p)):  # one account document at a time: a million of them would not fit
        d = json.loads(p._p.account_json(i))
        users = list(dict.fromkeys(d["planned_users"]))
        sponsor_keys = [c["key"] for c in d["contacts"] if c["role"] == "sponsor"]
        for k, v in (("key", d["key"]), ("sig", d["signature"]), ("seats", d["seats"]["provisioned"]),
                     ("planned_n", len(users)), ("tier", tiers.index(d["tier"])), ("n_core", len(core[d["tier"]])),
                     ("has_sponsor", bool(sponsor_keys))):
            cols[k].append(v)
        for (index, keys), new in ((planned, users), (sponsors, sponsor_keys)):
            index.extend([i] * len(new))
            keys.extend(new)
    pos = pd.Index(raw["accounts"]).get_indexer(cols.pop("key")).astype(np.int32)
    assert (pos >= 0).all()
    actors = pd.Index(raw["actors"])

    def pairs(rows):  # (portfolio index, actor key) -> (account code, actor code; -1 = never in the events)
        return pd.DataFrame({"account": pos[np.array(rows[0], dtype=np.int64)],
                             "actor": actors.get_indexer(rows[1]).astype(np.int32)})

    accounts = pd.DataFrame({"account": pos,
                             "sig": np.array(cols.pop("sig"), dtype="datetime64[D]").astype(np.int32),
                             **{k: np.array(v, dtype=bool if k == "has_sponsor" else np.int32) for k, v in cols.items()}})
    core_rows = [(ti, f) for ti, t in enumerate(tiers) for f in core[t]]
    core_table = pd.DataFrame({"tier": np.array([r[0] for r in core_rows], dtype=np.int32),
                               "item": pd.Index(raw["items"]).get_indexer([r[1] for r in core_rows]).astype(np.int32)})
    return dict(accounts=accounts, planned=pairs(planned), sponsors=pairs(sponsors), core=core_table)


def duckdb_metrics(events: pd.DataFrame, tables: dict, codes: dict, as_of: int, threads: int):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    # DuckDB's default limit is 80% of the machine's memory, but this process
    # already holds the generator's portfolio and the arrays: past what is
    # left, the kernel would starve it (no swap here) rather than let it spill.
    con.execute(f"SET memory_limit = '{int(0.8 * available_bytes()) >> 20}MB'")
    con.register("events_arrays", events)
    for name, frame in tables.items():
        con.register(name + "_arrays", frame)
    t0 = time.perf_counter()
    con.execute("CREATE TABLE events AS SELECT * FROM events_arrays")
    for name in tables:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrays")
    loaded = time.perf_counter() - t0
    usage = ", ".join(str(codes[t]) for t in USAGE)
    touch = ", ".join(str(codes[t]) for t in TOUCH)
    meeting_changes = f"{codes['meeting_postponed']}, {codes['meeting_cancelled']}"
    sql = f"""
    WITH e AS (
      SELECT account, type, actor, item, value, id, ts, (ts // 86400)::INTEGER AS day
      FROM events WHERE ts >= 0 AND ts < {(as_of + 1) * 86400}),
    a AS (
      SELECT account, sig, seats, planned_n, tier, n_core, has_sponsor, weeks, sig + 7 * (weeks - 1) AS wlo,
             CASE WHEN seats > 0 THEN seats ELSE planned_n END AS share_of
      FROM (SELECT *, CASE WHEN {as_of} - sig >= 0 THEN ({as_of} - sig + 1) // 7 ELSE 0 END AS weeks
            FROM accounts)),
    usage AS (SELECT account, actor, day FROM e WHERE type IN ({usage})),
    fu AS (SELECT account, actor, min(day) AS first FROM usage GROUP BY account, actor),
    u AS (SELECT account, count(*) AS active_users FROM fu GROUP BY account),
    pl AS (SELECT planned.account, count(fu.first) AS planned_active
           FROM planned LEFT JOIN fu ON planned.account = fu.account AND planned.actor = fu.actor
           GROUP BY planned.account),
    w AS (SELECT usage.account, count(DISTINCT day) AS days_pw, count(DISTINCT actor) AS wau
          FROM usage JOIN a ON usage.account = a.account
          WHERE a.weeks > 0 AND day >= a.wlo AND day < a.wlo + 7 GROUP BY usage.account),
    -- weekly active users of the last four complete weeks (within 64), for the slope
    wk AS (SELECT usage.account, (day - a.sig) // 7 AS week, count(DISTINCT actor) AS users
           FROM usage JOIN a ON usage.account = a.account
           WHERE a.weeks >= 3 AND day >= a.sig AND (day - a.sig) // 7 < least(a.weeks, 64)
                 AND (day - a.sig) // 7 >= least(a.weeks, 64) - 4
           GROUP BY usage.account, week),
    sl AS (SELECT a.account, regr_slope(coalesce(wk.users, 0)::DOUBLE / a.share_of, k.i - (least(a.weeks, 64) - 4))
           AS wau_slope
           FROM a JOIN range(4) AS k(i) ON least(a.weeks, 64) - 4 + k.i >= 0
                LEFT JOIN wk ON wk.account = a.account AND wk.week = least(a.weeks, 64) - 4 + k.i
           WHERE a.weeks >= 3 AND a.share_of > 0 GROUP BY a.account),
    fb AS (SELECT f.account, count(*) AS core_used
           FROM (SELECT DISTINCT account, item FROM e WHERE type = {codes['feature_use']}) f
                JOIN a ON f.account = a.account JOIN core ON core.tier = a.tier AND core.item = f.item
           GROUP BY f.account),
    t AS (SELECT account, max(day) AS last FROM e WHERE type IN ({touch}) GROUP BY account),
    -- sponsor replies (every reply where the account names no sponsor), one per event id
    r AS (SELECT DISTINCT e.account, e.id, e.ts, e.day, e.value::FLOAT::DOUBLE AS v
          FROM e JOIN a ON e.account = a.account
          WHERE e.type = {codes['customer_reply']}
            AND (NOT a.has_sponsor OR EXISTS (SELECT 1 FROM sponsors s WHERE s.account = e.account AND s.actor = e.actor))),
    rr AS (SELECT account, v, day, row_number() OVER (PARTITION BY account ORDER BY ts) AS up,
                  row_number() OVER (PARTITION BY account ORDER BY ts DESC) AS down FROM r),
    lat AS (SELECT account, median(v) FILTER (WHERE up <= 3) AS baseline, median(v) FILTER (WHERE down <= 3) AS recent,
                   max(day) AS last_reply FROM rr GROUP BY account),
    pend AS (SELECT lat.account, min(e.day) AS pending
             FROM lat JOIN e ON e.account = lat.account JOIN a ON a.account = lat.account
             WHERE e.type = {codes['email_to_customer']} AND e.day > lat.last_reply AND e.day >= a.sig
             GROUP BY lat.account),
    lr AS (SELECT lat.account,
                  greatest(lat.recent, coalesce(24.0 * ({as_of} - pend.pending), lat.recent)) / lat.baseline AS ratio
           FROM lat LEFT JOIN pend ON lat.account = pend.account),
    -- the latest four postponements or cancellations, one per event id
    mt AS (SELECT account, count(*) FILTER (WHERE day > {as_of - 30}) AS changes_30d
           FROM (SELECT account, day, row_number() OVER (PARTITION BY account ORDER BY ts DESC) AS down
                 FROM (SELECT DISTINCT account, id, ts, day FROM e WHERE type IN ({meeting_changes})))
           WHERE down <= 4 GROUP BY account),
    tk AS (SELECT account, item,
                  min(day) FILTER (WHERE type = {codes['ticket_opened']}) AS opened,
                  min(day) FILTER (WHERE type = {codes['ticket_closed']}) AS closed
           FROM e WHERE type IN ({codes['ticket_opened']}, {codes['ticket_closed']}) GROUP BY account, item),
    ot AS (SELECT account, count(*) FILTER (WHERE closed IS NULL) AS open_tickets,
                  count(*) FILTER (WHERE opened > {as_of - 7}) AS tickets_7d
           FROM tk WHERE opened IS NOT NULL GROUP BY account)
    SELECT a.account,
           coalesce(u.active_users, 0)::DOUBLE AS active_users,
           CASE WHEN a.seats > 0 THEN coalesce(u.active_users, 0)::DOUBLE / a.seats END AS seat_activation,
           CASE WHEN a.planned_n > 0 THEN coalesce(pl.planned_active, 0)::DOUBLE / a.planned_n END AS planned_activation,
           CASE WHEN a.weeks > 0 AND a.share_of > 0 THEN coalesce(w.wau, 0)::DOUBLE / a.share_of END AS wau_share,
           sl.wau_slope,
           CASE WHEN a.n_core > 0 THEN coalesce(fb.core_used, 0)::DOUBLE / a.n_core END AS feature_breadth,
           CASE WHEN a.weeks > 0 THEN coalesce(w.days_pw, 0)::DOUBLE END AS active_days_per_week,
           ({as_of} - t.last)::DOUBLE AS days_since_activity,
           lr.ratio AS latency_ratio,
           coalesce(mt.changes_30d, 0)::DOUBLE AS meetings_postponed_30d,
           coalesce(ot.open_tickets, 0)::DOUBLE AS open_tickets,
           coalesce(ot.tickets_7d, 0)::DOUBLE AS tickets_7d
    FROM a LEFT JOIN u ON a.account = u.account LEFT JOIN pl ON a.account = pl.account
           LEFT JOIN w ON a.account = w.account LEFT JOIN sl ON a.account = sl.account
           LEFT JOIN fb ON a.account = fb.account LEFT JOIN t ON a.account = t.account
           LEFT JOIN lr ON a.account = lr.account LEFT JOIN mt ON a.account = mt.account
           LEFT JOIN ot ON a.account = ot.account
    ORDER BY a.account"""
    t0 = time.perf_counter()
    out = con.execute(sql).df()
    query = time.perf_counter() - t0
    con.close()
    return out.set_index("account")[METRICS], loaded, query


def pandas_metrics(events: pd.DataFrame, tables: dict, codes: dict, as_of: int):
    e = events[(events["ts"] >= 0) & (events["ts"] < (as_of + 1) * 86400)]
    e = e.assign(day=(e["ts"].to_numpy() // 86400).astype(np.int32))
    a = tables["accounts"].set_index("account")
    age = (as_of - a["sig"]).to_numpy()
    weeks = pd.Series(np.where(age >= 0, (age + 1) // 7, 0), index=a.index)
    wlo = a["sig"] + 7 * (weeks - 1)
    share_of = a["seats"].where(a["seats"] > 0, a["planned_n"]).astype(float)
    usage = e[e["type"].isin([codes[t] for t in USAGE])][["account", "actor", "day"]]
    first = usage.groupby(["account", "actor"])["day"].min()
    users = first.groupby(level="account").size()
    planned = tables["planned"].merge(first.rename("first").reset_index(), on=["account", "actor"], how="left")
    planned_active = planned.groupby("account")["first"].count()
    lo = wlo.reindex(usage["account"]).to_numpy()
    in_week = usage[(usage["day"].to_numpy() >= lo) & (usage["day"].to_numpy() < lo + 7)]
    days_pw = in_week.groupby("account")["day"].nunique()
    wau = in_week.groupby("account")["actor"].nunique()

    # The slope of the weekly active share over the last four complete weeks (within 64), from three weeks.
    limit = np.minimum(weeks, 64)
    sig = a["sig"].reindex(usage["account"]).to_numpy()
    week = (usage["day"].to_numpy() - sig) // 7
    lim_u = limit.reindex(usage["account"]).to_numpy()
    keep = (usage["day"].to_numpy() >= sig) & (week < lim_u) & (week >= lim_u - 4) & (lim_u >= 3)
    weekly = usage[keep].assign(week=week[keep]).groupby(["account", "week"])["actor"].nunique()
    sloped = a.index[(weeks >= 3).to_numpy() & (share_of > 0).to_numpy()]
    n = np.minimum(4, limit.reindex(sloped).to_numpy())
    rows = pd.DataFrame({"account": np.repeat(sloped.to_numpy(), n),
                         "x": np.concatenate([np.arange(k) for k in n]) if len(n) else np.zeros(0, int)})
    rows["week"] = np.repeat(limit.reindex(sloped).to_numpy() - n, n) + rows["x"]
    y = weekly.reindex(pd.MultiIndex.from_frame(rows[["account", "week"]]), fill_value=0).to_numpy()
    rows["y"] = y / share_of.reindex(rows["account"]).to_numpy()
    rows["xy"], rows["xx"] = rows["x"] * rows["y"], rows["x"] * rows["x"]
    sums = rows.groupby("account").agg(n=("x", "size"), sx=("x", "sum"), sy=("y", "sum"), sxx=("xx", "sum"),
                                       sxy=("xy", "sum"))
    slope = (sums["n"] * sums["sxy"] - sums["sx"] * sums["sy"]) / (sums["n"] * sums["sxx"] - sums["sx"] ** 2)

    feats = e[e["type"] == codes["feature_use"]][["account", "item"]].drop_duplicates()
    feats = feats.assign(tier=a["tier"].reindex(feats["account"]).to_numpy())
    core_used = feats.merge(tables["core"], on=["tier", "item"]).groupby("account").size()
    last = e[e["type"].isin([codes[t] for t in TOUCH])].groupby("account")["day"].max()

    # Sponsor replies (every reply where the account names no sponsor), one per event id.
    r = e[e["type"] == codes["customer_reply"]]
    r = r.merge(tables["sponsors"].assign(is_sponsor=True), on=["account", "actor"], how="left")
    r = r[r["is_sponsor"].notna().to_numpy() | ~a["has_sponsor"].reindex(r["account"]).to_numpy()]
    r = r.drop_duplicates(["account", "id", "ts", "value"]).sort_values(["account", "ts"])
    r = r.assign(v=r["value"].astype(np.float32).astype(np.float64))
    g = r.groupby("account")
    r = r.assign(up=g.cumcount(), down=g.cumcount(ascending=False))
    baseline = r[r["up"] < 3].groupby("account")["v"].median()
    recent = r[r["down"] < 3].groupby("account")["v"].median()
    last_reply = g["day"].max()
    o = e[e["type"] == codes["email_to_customer"]][["account", "day"]]
    o = o[o["account"].isin(last_reply.index)]
    o = o[(o["day"].to_numpy() > last_reply.reindex(o["account"]).to_numpy())
          & (o["day"].to_numpy() >= a["sig"].reindex(o["account"]).to_numpy())]
    pending_hours = (24.0 * (as_of - o.groupby("account")["day"].min())).reindex(recent.index)
    ratio = np.fmax(recent, pending_hours) / baseline

    # The latest four postponements or cancellations, one per event id.
    m = e[e["type"].isin([codes["meeting_postponed"], codes["meeting_cancelled"]])]
    m = m.drop_duplicates(["account", "id", "ts"]).sort_values(["account", "ts"])
    m = m[m.groupby("account").cumcount(ascending=False) < 4]
    changes = m[m["day"] > as_of - 30].groupby("account").size()

    tk = e[e["type"].isin([codes["ticket_opened"], codes["ticket_closed"]])]
    opened = tk[tk["type"] == codes["ticket_opened"]].groupby(["account", "item"])["day"].min()
    closed = tk[tk["type"] == codes["ticket_closed"]].groupby(["account", "item"])["day"].min()
    j = opened.to_frame("o").join(closed.rename("c"), how="left")
    open_count = j[j["c"].isna()].groupby(level="account").size()
    recent_tickets = j[j["o"] > as_of - 7].groupby(level="account").size()

    has_week = weeks > 0
    out = pd.DataFrame(index=a.index)
    out["active_users"] = users.reindex(a.index, fill_value=0).astype(float)
    out["seat_activation"] = (out["active_users"] / a["seats"]).where(a["seats"] > 0)
    out["planned_activation"] = (planned_active.reindex(a.index, fill_value=0) / a["planned_n"]).where(a["planned_n"] > 0)
    out["wau_share"] = (wau.reindex(a.index, fill_value=0) / share_of).where(has_week & (share_of > 0))
    out["wau_slope"] = slope.reindex(a.index)
    out["feature_breadth"] = (core_used.reindex(a.index, fill_value=0) / a["n_core"]).where(a["n_core"] > 0)
    out["active_days_per_week"] = days_pw.reindex(a.index, fill_value=0).astype(float).where(has_week)
    out["days_since_activity"] = (as_of - last.reindex(a.index)).astype(float)
    out["latency_ratio"] = ratio.reindex(a.index)
    out["meetings_postponed_30d"] = changes.reindex(a.index, fill_value=0).astype(float)
    out["open_tickets"] = open_count.reindex(a.index, fill_value=0).astype(float)
    out["tickets_7d"] = recent_tickets.reindex(a.index, fill_value=0).astype(float)
    return out.sort_index()


def agree(name: str, got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.astype(float).reset_index(drop=True),
                                  expected.astype(float).reset_index(drop=True),
                                  check_exact=False, rtol=1e-12, atol=1e-12, check_names=False)
    print(f"  {name}: the {got.shape[1]} metrics agree on {len(got):,} accounts")


# ---- the run ------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--max-age-days", type=int, default=14)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--json", help="also write the measurements to this file")
    args = ap.parse_args()
    res: dict = {"accounts": args.accounts, "threads": args.threads, "cores": os.cpu_count()}

    print(f"generating {args.accounts:,} accounts (max age {args.max_age_days} days, seed {args.seed}) ...")
    g, t_gen = timed(fv.generate_portfolio, accounts=args.accounts, seed=args.seed, max_age_days=args.max_age_days)
    raw = g._g.events()  # zero-copy views of the generator's columns
    n = len(raw["ts"])
    as_of = int(g.as_of.astype(np.int64))
    res["events"] = n
    input_bytes = sum(raw[c].nbytes for c in ("ts", "account", "type", "actor", "item", "value", "id"))
    res["input_array_bytes"] = input_bytes
    print(f"  {n:,} events ({n / max(args.accounts, 1):.0f} per account), {input_bytes / 2**30:.2f} GiB of arrays, "
          f"generated in {t_gen:.1f} s")

    def categorical(codes, names):
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object), validate=False)

    columns = dict(ts=raw["ts"], account=categorical(raw["account"], raw["accounts"]),
                   type=categorical(raw["type"], raw["types"]), actor=categorical(raw["actor"], raw["actors"]),
                   item=categorical(raw["item"], raw["items"]), value=raw["value"], id=raw["id"])

    # firstvalue, cold: every event, then tonight's evaluation (every result
    # held, as the peers hold theirs).
    p = g.portfolio()
    gc.collect()
    report, t_ingest = timed(p.ingest, threads=args.threads, **columns)
    result, t_eval = timed(p.evaluate, g.as_of, threads=args.threads)
    assert report.rejected == 0, report
    res.update(fv_ingest_s=t_ingest, fv_evaluate_s=t_eval, fv_cold_s=t_ingest + t_eval)
    print(f"firstvalue cold: ingest {t_ingest:.2f} s ({n / t_ingest / 1e6:.1f} M events/s), "
          f"evaluate {t_eval:.2f} s, total {t_ingest + t_eval:.2f} s")
    fv_metrics = result.metrics[METRICS]
    by_state = result.by_state
    acc = p.accounts  # signature and seats, for the peers
    del result, p
    gc.collect()

    # firstvalue, memory: the same cold ingestion, then tonight's scan streamed
    # a block of accounts at a time into the host's preallocated metric columns
    # (as a nightly job writes its output). The peak above the accounts, the
    # input arrays and those columns is the engine's own.
    p = g.portfolio()
    out = np.full((args.accounts, len(METRICS)), np.nan)  # written, so resident before the base
    filled = 0

    def into_columns(block: pd.DataFrame) -> None:
        nonlocal filled
        out[filled:filled + len(block)] = block[METRICS].to_numpy()
        filled += len(block)

    gc.collect()
    release_free_heap()
    base = rss_bytes()
    with PeakRss() as mem:
        p.ingest(threads=args.threads, **columns)
        after_ingest = rss_bytes()
        streamed, t_scan = timed(p.scan, g.as_of, into_columns, threads=args.threads)
    assert filled == args.accounts and streamed.by_state == by_state
    pd.testing.assert_frame_equal(pd.DataFrame(out, index=fv_metrics.index, columns=METRICS), fv_metrics)
    res.update(fv_scan_s=t_scan, fv_state_bytes_per_account=(after_ingest - base) / args.accounts,
               fv_peak_above_inputs_bytes_per_account=(mem.peak - base) / args.accounts)
    print(f"  memory: {(after_ingest - base) / args.accounts:.0f} B/account after ingest; peak "
          f"{(mem.peak - base) / args.accounts:.0f} B/account above the accounts, inputs and output columns during "
          f"ingest + scan (goal 256; the scan took {t_scan:.2f} s, its blocks built as DataFrames)")
    del streamed, p, out
    gc.collect()

    # firstvalue, incremental: the last night arrives at a portfolio holding the rest.
    cut = int(np.searchsorted(raw["ts"], as_of * 86400))
    p = g.portfolio()
    earlier = {k: v[:cut] for k, v in columns.items()}
    tonight = {k: v[cut:] for k, v in columns.items()}
    p.ingest(threads=args.threads, **earlier)
    night, t_night = timed(p.ingest, threads=args.threads, **tonight)
    result2, t_eval2 = timed(p.evaluate, g.as_of, threads=args.threads)
    pd.testing.assert_frame_equal(result2.metrics[METRICS], fv_metrics)
    assert result2.by_state == by_state
    res.update(night_events=n - cut, fv_night_ingest_s=t_night, fv_night_evaluate_s=t_eval2)
    print(f"firstvalue incremental: last night's {n - cut:,} events ({(n - cut) / n:.1%}) ingested in {t_night:.2f} s "
          f"({t_night / t_ingest:.1%} of cold), evaluate {t_eval2:.2f} s; same results as cold")
    del result2, p, earlier, tonight, columns  # the categoricals: the peers read the codes
    gc.collect()

    # The peers read the same arrays: integer codes, as a dictionary-encoded column is stored.
    events = pd.DataFrame({"ts": raw["ts"], "account": raw["account"], "type": raw["type"].astype(np.int8),
                           "actor": raw["actor"], "item": raw["item"], "value": raw["value"], "id": raw["id"]},
                          copy=False)
    tables, t_tables = timed(reference_tables, g.portfolio(), raw)
    print(f"  reference tables for the peers (planned users, sponsors, core features) read in {t_tables:.1f} s")
    gc.collect()
    release_free_heap()
    print(f"  resident before the peers: {rss_bytes() / 2**30:.1f} GiB")
    pos = pd.Index(raw["accounts"]).get_indexer(acc.index)
    assert (pos >= 0).all()
    codes = {name: i for i, name in enumerate(raw["types"])}
    for name in ("meeting_postponed", "meeting_cancelled", "ticket_opened", "ticket_closed", "customer_reply",
                 "email_to_customer", "feature_use", *USAGE, *TOUCH):
        codes.setdefault(name, -1)  # a type absent from the batch matches no row
    fv_by_code = fv_metrics.set_axis(pos).sort_index()

    (duck, t_load, t_query), t_duck = timed(duckdb_metrics, events, tables, codes, as_of, args.threads)
    agree("DuckDB", duck, fv_by_code)
    res.update(duckdb_load_s=t_load, duckdb_query_s=t_query, duckdb_total_s=t_load + t_query)
    print(f"DuckDB: load {t_load:.2f} s, query {t_query:.2f} s, total {t_load + t_query:.2f} s")
    del duck
    gc.collect()

    if not args.skip_pandas:
        pand, t_pandas = timed(pandas_metrics, events, tables, codes, as_of)
        agree("pandas", pand, fv_by_code)
        res["pandas_s"] = t_pandas
        print(f"pandas: {t_pandas:.2f} s")

    cold = res["fv_cold_s"]
    print("\nratios (higher is better for firstvalue):")
    print(f"  DuckDB load + query / firstvalue cold : {res['duckdb_total_s'] / cold:.2f}x")
    print(f"  DuckDB query alone  / firstvalue cold : {res['duckdb_query_s'] / cold:.2f}x")
    if "pandas_s" in res:
        print(f"  pandas              / firstvalue cold : {res['pandas_s'] / cold:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
