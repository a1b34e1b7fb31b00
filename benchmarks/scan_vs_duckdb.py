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
              memory: peak resident set above the portfolio of accounts,
              sampled every 5 ms, per account.
  DuckDB      loads the same arrays into a table, then computes six of the
              metrics with SQL (2 threads).
  pandas      computes the same six metrics with groupby.

The six metrics (active users, seat activation, days since activity, active
days in the last complete week, weekly active share, open tickets) must agree
exactly across the three before any time is reported.
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

METRICS = ["active_users", "seat_activation", "days_since_activity", "active_days_per_week", "wau_share",
           "open_tickets"]
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


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


# ---- the peers -------------------------------------------------------------------

def duckdb_metrics(events: pd.DataFrame, accounts: pd.DataFrame, codes: dict, as_of: int, threads: int):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.register("events_arrays", events)
    con.register("accounts_arrays", accounts)
    t0 = time.perf_counter()
    con.execute("CREATE TABLE events AS SELECT * FROM events_arrays")
    con.execute("CREATE TABLE accounts AS SELECT * FROM accounts_arrays")
    loaded = time.perf_counter() - t0
    usage = ", ".join(str(codes[t]) for t in USAGE)
    touch = ", ".join(str(codes[t]) for t in TOUCH)
    sql = f"""
    WITH e AS (
      SELECT account, type, actor, item, (ts // 86400)::INTEGER AS day
      FROM events WHERE ts >= 0 AND ts < {(as_of + 1) * 86400}),
    a AS (
      SELECT account, seats, weeks, sig + 7 * (weeks - 1) AS wlo
      FROM (SELECT account, sig, seats,
                   CASE WHEN {as_of} - sig >= 0 THEN ({as_of} - sig + 1) // 7 ELSE 0 END AS weeks
            FROM accounts)),
    usage AS (SELECT account, actor, day FROM e WHERE type IN ({usage})),
    u AS (SELECT account, count(DISTINCT actor) AS active_users FROM usage GROUP BY account),
    w AS (SELECT usage.account, count(DISTINCT day) AS days_pw, count(DISTINCT actor) AS wau
          FROM usage JOIN a ON usage.account = a.account
          WHERE a.weeks > 0 AND day >= a.wlo AND day < a.wlo + 7 GROUP BY usage.account),
    t AS (SELECT account, max(day) AS last FROM e WHERE type IN ({touch}) GROUP BY account),
    tk AS (SELECT account, item,
                  min(day) FILTER (WHERE type = {codes['ticket_opened']}) AS opened,
                  min(day) FILTER (WHERE type = {codes['ticket_closed']}) AS closed
           FROM e WHERE type IN ({codes['ticket_opened']}, {codes['ticket_closed']}) GROUP BY account, item),
    ot AS (SELECT account, count(*) AS open_tickets FROM tk
           WHERE opened IS NOT NULL AND closed IS NULL GROUP BY account)
    SELECT a.account,
           coalesce(u.active_users, 0)::DOUBLE AS active_users,
           coalesce(u.active_users, 0)::DOUBLE / a.seats AS seat_activation,
           ({as_of} - t.last)::DOUBLE AS days_since_activity,
           CASE WHEN a.weeks > 0 THEN coalesce(w.days_pw, 0)::DOUBLE END AS active_days_per_week,
           CASE WHEN a.weeks > 0 THEN coalesce(w.wau, 0)::DOUBLE / a.seats END AS wau_share,
           coalesce(ot.open_tickets, 0)::DOUBLE AS open_tickets
    FROM a LEFT JOIN u ON a.account = u.account LEFT JOIN w ON a.account = w.account
           LEFT JOIN t ON a.account = t.account LEFT JOIN ot ON a.account = ot.account
    ORDER BY a.account"""
    t0 = time.perf_counter()
    out = con.execute(sql).df()
    query = time.perf_counter() - t0
    con.close()
    return out.set_index("account")[METRICS], loaded, query


def pandas_metrics(events: pd.DataFrame, accounts: pd.DataFrame, codes: dict, as_of: int):
    e = events[(events["ts"] >= 0) & (events["ts"] < (as_of + 1) * 86400)]
    day = (e["ts"].to_numpy() // 86400).astype(np.int32)
    e = pd.DataFrame({"account": e["account"].to_numpy(), "type": e["type"].to_numpy(),
                      "actor": e["actor"].to_numpy(), "item": e["item"].to_numpy(), "day": day})
    a = accounts.set_index("account")
    age = as_of - a["sig"]
    weeks = np.where(age >= 0, (age + 1) // 7, 0)
    wlo = pd.Series(a["sig"].to_numpy() + 7 * (weeks - 1), index=a.index)
    is_usage = e["type"].isin([codes[t] for t in USAGE])
    usage = e[is_usage]
    users = usage.groupby("account")["actor"].nunique()
    lo = wlo.reindex(usage["account"]).to_numpy()
    in_week = usage[(usage["day"].to_numpy() >= lo) & (usage["day"].to_numpy() < lo + 7)]
    days_pw = in_week.groupby("account")["day"].nunique()
    wau = in_week.groupby("account")["actor"].nunique()
    last = e[e["type"].isin([codes[t] for t in TOUCH])].groupby("account")["day"].max()
    tk = e[e["type"].isin([codes["ticket_opened"], codes["ticket_closed"]])]
    opened = tk[tk["type"] == codes["ticket_opened"]].groupby(["account", "item"])["day"].min()
    closed = tk[tk["type"] == codes["ticket_closed"]].groupby(["account", "item"])["day"].min()
    j = opened.to_frame("o").join(closed.rename("c"), how="left")
    open_count = j[j["c"].isna()].groupby(level="account").size()
    has_week = pd.Series(weeks > 0, index=a.index)
    out = pd.DataFrame(index=a.index)
    out["active_users"] = users.reindex(a.index, fill_value=0).astype(float)
    out["seat_activation"] = out["active_users"] / a["seats"]
    out["days_since_activity"] = (as_of - last.reindex(a.index)).astype(float)
    out["active_days_per_week"] = days_pw.reindex(a.index, fill_value=0).astype(float).where(has_week)
    out["wau_share"] = (wau.reindex(a.index, fill_value=0) / a["seats"]).where(has_week)
    out["open_tickets"] = open_count.reindex(a.index, fill_value=0).astype(float)
    return out


def agree(name: str, got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.astype(float).reset_index(drop=True),
                                  expected.astype(float).reset_index(drop=True),
                                  check_exact=False, rtol=1e-12, atol=0, check_names=False)
    print(f"  {name}: the six metrics agree on {len(got):,} accounts")


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

    # firstvalue, cold: every event, then tonight's evaluation.
    p = g.portfolio()
    gc.collect()
    base = rss_bytes()
    with PeakRss() as mem:
        report, t_ingest = timed(p.ingest, threads=args.threads, **columns)
        after_ingest = rss_bytes()
        result, t_eval = timed(p.evaluate, g.as_of, threads=args.threads)
    assert report.rejected == 0, report
    res.update(fv_ingest_s=t_ingest, fv_evaluate_s=t_eval, fv_cold_s=t_ingest + t_eval,
               fv_state_bytes_per_account=(after_ingest - base) / args.accounts,
               fv_peak_above_accounts_bytes_per_account=(mem.peak - base) / args.accounts)
    print(f"firstvalue cold: ingest {t_ingest:.2f} s ({n / t_ingest / 1e6:.1f} M events/s), "
          f"evaluate {t_eval:.2f} s, total {t_ingest + t_eval:.2f} s")
    print(f"  memory: state {(after_ingest - base) / args.accounts:.0f} B/account after ingest, "
          f"peak {(mem.peak - base) / args.accounts:.0f} B/account above the accounts during ingest + evaluate")
    fv_metrics = result.metrics[METRICS]
    by_state = result.by_state
    acc = p.accounts  # signature and seats, for the peers
    del result, p
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
    del result2, p, earlier, tonight
    gc.collect()

    # The peers read the same arrays: integer codes, as a dictionary-encoded column is stored.
    events = pd.DataFrame({"ts": raw["ts"], "account": raw["account"], "type": raw["type"].astype(np.int8),
                           "actor": raw["actor"], "item": raw["item"]}, copy=False)
    pos = pd.Index(raw["accounts"]).get_indexer(acc.index)
    assert (pos >= 0).all()
    accounts = pd.DataFrame({"account": pos.astype(np.int32),
                             "sig": acc["signature"].to_numpy().astype("datetime64[D]").astype(np.int32),
                             "seats": acc["provisioned_seats"].to_numpy()})
    codes = {name: i for i, name in enumerate(raw["types"])}
    fv_by_code = fv_metrics.set_axis(pos).sort_index()

    (duck, t_load, t_query), t_duck = timed(duckdb_metrics, events, accounts, codes, as_of, args.threads)
    agree("DuckDB", duck, fv_by_code)
    res.update(duckdb_load_s=t_load, duckdb_query_s=t_query, duckdb_total_s=t_load + t_query)
    print(f"DuckDB: load {t_load:.2f} s, query {t_query:.2f} s, total {t_load + t_query:.2f} s")
    del duck
    gc.collect()

    if not args.skip_pandas:
        pand, t_pandas = timed(pandas_metrics, events, accounts, codes, as_of)
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
