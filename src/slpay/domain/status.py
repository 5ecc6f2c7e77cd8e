"""Status harmonization: a Cybersource status (and a Decision Manager decision) → SL order fields.

The SL fields are real ones (DESIGN.md, Shared contracts): ``SOHeader.AdminHold`` while in
review, ``SOHeader.Cancelled`` for declined or rejected payments, and a display label in a
user field. The table comes from the mapping file; this module only decides which rule wins:

1. an unknown status → the table's default rule (hold + a review task), never an error;
2. a known decision settles a *review* status (``review: true``): the decision's rule wins;
3. otherwise the stricter of the status rule and the decision rule wins
   (cancelled > held > neither), so an issuer decline is never reopened by a risk ACCEPT;
4. no status at all → the decision's rule, or the default when there is no decision either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StatusRule:
    """What one status or decision means for the sales order."""

    admin_hold: bool
    cancelled: bool
    label: str
    #: Reason text of a review task for a person; None = no task.
    task: str | None = None
    #: A Decision Manager decision settles this status (it is a review).
    review: bool = False

    @property
    def rank(self) -> int:
        """How strict the rule is: cancelled 2, held 1, neither 0."""
        return 2 if self.cancelled else 1 if self.admin_hold else 0


@dataclass(frozen=True)
class SOStatus:
    """The harmonized SL order status and which mapping rule produced it."""

    admin_hold: bool
    cancelled: bool
    label: str
    task: str | None
    #: The mapping entry used, e.g. ``status.AUTHORIZED`` or ``unknown_status``.
    rule: str


def normalize(value: str | None) -> str:
    """Statuses compare case-insensitively and without surrounding blanks."""
    return (value or "").strip().upper()


@dataclass(frozen=True)
class StatusTable:
    """Rules by status and by decision, plus the rule for anything unknown."""

    statuses: Mapping[str, StatusRule]
    decisions: Mapping[str, StatusRule]
    unknown: StatusRule

    def harmonize(self, status: str | None, decision: str | None = None) -> SOStatus:
        """The SO fields for ``status`` (and ``decision``); see the module docstring."""
        s, d = normalize(status), normalize(decision)
        by_decision = self.decisions.get(d) if d else None
        if not s:
            if by_decision is not None:
                return _result(by_decision, f"decision.{d}")
            return _result(self.unknown, "unknown_status")
        by_status = self.statuses.get(s)
        if by_status is None:
            return _result(self.unknown, "unknown_status")
        if by_decision is not None and (by_status.review or by_decision.rank > by_status.rank):
            return _result(by_decision, f"decision.{d}")
        return _result(by_status, f"status.{s}")


def _result(rule: StatusRule, name: str) -> SOStatus:
    return SOStatus(rule.admin_hold, rule.cancelled, rule.label, rule.task, name)
