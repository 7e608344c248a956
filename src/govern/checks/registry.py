"""The one place check kinds register. The policy schema and the engine read it."""

from __future__ import annotations

from govern.checks.base import CheckKind
from govern.checks.drift import Drift
from govern.checks.fairness import Fairness
from govern.checks.metric import LoggedMetric
from govern.checks.monitoring import Monitoring
from govern.checks.performance import Performance
from govern.checks.reproducibility import Reproducibility

#: Every check kind by the value of ``check:`` in a rule.
CHECK_KINDS: dict[str, CheckKind] = {
    kind.name: kind
    for kind in (
        Reproducibility(),
        LoggedMetric(),
        Drift(),
        Fairness(),
        Monitoring(),
        Performance(),
    )
}
