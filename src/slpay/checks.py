"""Cross-field checks of a loaded configuration that a single field validator cannot make.

Each area adds its own checks here; ``slpay check`` prints every problem with its field.
"""

from __future__ import annotations

from slpay.config import Settings
from slpay.mapping.load import mapping_problems
from slpay.reconcile.checks import gl_mapping_problems


def run_checks(settings: Settings) -> list[str]:
    """Return human-readable problems, each starting with the dotted field it concerns."""
    problems: list[str] = []
    cs = settings.cybersource
    if not cs.webhook_keys:
        problems.append("cybersource.webhook_keys: at least one webhook signing key is required")
    problems += mapping_problems(settings.mapping.path, settings.sl)
    problems += gl_mapping_problems(settings.reconcile, settings.sl.accounts)
    return problems
