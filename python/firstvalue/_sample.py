"""The bundled sample portfolio, generated deterministically by the core."""

from __future__ import annotations

from . import _core


def sample_health_portfolio(n_accounts: int = 40, seed: int = 2026):
    """A pandas DataFrame of sample accounts: account, name, tier, arr, archetype and one
    column per default-model factor (NaN where the account has no telemetry). The same
    seed gives the same accounts in C++, the CLI and Python."""
    import pandas as pd

    raw = _core._sample_health_portfolio(int(n_accounts), int(seed))
    inputs = raw.pop("inputs")
    frame = pd.DataFrame(raw)
    for name, values in inputs.items():
        frame[name] = values
    return frame
