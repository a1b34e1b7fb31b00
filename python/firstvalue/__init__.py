"""firstvalue: onboarding intelligence for B2B SaaS.

    import firstvalue as fv
    model = fv.HealthModel.default()
    result = model.score(df)          # df: one column per factor
    result.to_frame()                 # score, band, coverage, weakest factor
    model.explain(df.iloc[0])         # why this account has its score

    sample = fv.generate_portfolio(accounts=200, seed=2026)
    p = sample.portfolio()
    p.ingest(sample.events)           # DataFrame or numpy arrays
    p.evaluate(sample.as_of).worklist # whom to call tonight, why, what to do

    km = fv.kaplan_meier(days, reached)  # censored time-to-value, lifelines' conventions
    km.median, km.median_ci, km.table, km.plot()

    p.time_to_value(as_of)            # per account: reached or censored, in days
    p.cohort_report(as_of, by="tier").kpis   # KPIs against the seed benchmarks

    fv.mask_pii(note)                 # emails and phones masked before a model sees the text

    p.save("tonight.fvsnap", key=k)   # durable, atomic, optionally encrypted
    p = fv.Portfolio.load("tonight.fvsnap", key=k)
    p.export_account("acct-1", as_of) # GDPR: everything held about one account
    p.erase_account("acct-1")         # ... and gone, with a receipt
"""

from . import _core
from ._core import (CorruptError, Error, ForbiddenError, InvalidError, NotFoundError, StorageError,
                    UnsupportedError)
from ._cohort import CohortReport, CohortSummaries
from ._health import Explanation, HealthModel, ScoreResult
from ._pii import PiiMasker, mask_pii
from ._plans import (Calendar, PlanResults, Template, TemplateSet, assess_handoff, check_expression,
                     evaluate_goals, schedule)
from ._portfolio import (GeneratedPortfolio, IngestReport, Portfolio, ScanResult, generate_portfolio,
                         inspect_snapshot)
from ._sample import sample_health_portfolio
from ._survival import KaplanMeier, SurvivalCounts, kaplan_meier

__version__: str = _core.__version__

__all__ = [
    "Calendar",
    "CohortReport",
    "CohortSummaries",
    "CorruptError",
    "Error",
    "Explanation",
    "GeneratedPortfolio",
    "IngestReport",
    "KaplanMeier",
    "ForbiddenError",
    "HealthModel",
    "InvalidError",
    "NotFoundError",
    "PiiMasker",
    "PlanResults",
    "Portfolio",
    "ScanResult",
    "ScoreResult",
    "StorageError",
    "SurvivalCounts",
    "Template",
    "TemplateSet",
    "UnsupportedError",
    "__version__",
    "assess_handoff",
    "check_expression",
    "evaluate_goals",
    "generate_portfolio",
    "inspect_snapshot",
    "kaplan_meier",
    "mask_pii",
    "sample_health_portfolio",
    "schedule",
]
