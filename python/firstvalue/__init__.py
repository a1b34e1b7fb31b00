"""firstvalue: onboarding intelligence for B2B SaaS.

    import firstvalue as fv
    model = fv.HealthModel.default()
    result = model.score(df)          # df: one column per factor
    result.to_frame()                 # score, band, coverage, weakest factor
    model.explain(df.iloc[0])         # why this account has its score
"""

from . import _core
from ._core import Error, ForbiddenError, InvalidError, NotFoundError
from ._health import Explanation, HealthModel, ScoreResult
from ._plans import (Calendar, PlanResults, Template, TemplateSet, assess_handoff, check_expression,
                     evaluate_goals, schedule)
from ._sample import sample_health_portfolio

__version__: str = _core.__version__

__all__ = [
    "Calendar",
    "Error",
    "Explanation",
    "ForbiddenError",
    "HealthModel",
    "InvalidError",
    "NotFoundError",
    "PlanResults",
    "ScoreResult",
    "Template",
    "TemplateSet",
    "__version__",
    "assess_handoff",
    "check_expression",
    "evaluate_goals",
    "sample_health_portfolio",
    "schedule",
]
