"""Score the bundled sample portfolio from a notebook-style script.

    python examples/python/score_dataframe.py
"""

import firstvalue as fv

accounts = fv.sample_health_portfolio(40, seed=2026)
model = fv.HealthModel.default()
health = model.score(accounts).to_frame()
table = accounts[["account", "name", "tier", "arr"]].join(health)
print(table.sort_values("score").head(10).to_string(index=False))

worst = table.sort_values("score").index[0]
why = model.explain(accounts.loc[worst])
print(f"\nwhy is {accounts.loc[worst, 'name']} {why.band}? weakest factor: {why.weakest}")
print(why.to_frame()[["input", "fraction", "points", "max_points", "lost"]].round(2).to_string())
