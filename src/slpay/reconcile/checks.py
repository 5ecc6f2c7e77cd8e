"""``slpay check`` for ``reconcile.gl_accounts``: refuse a mapping that books money twice.

Revenue is booked by SL's own order invoicing (IN: Dr AR, Cr Sales); refunds and chargebacks
are booked when slpay writes their AR documents (card-refund DM, CM on Refunds, chargeback DM),
all on the clearing account. The settlement batch only moves what settled from clearing to the
bank and books the fees. Mapping totalPurchases (the seed's "grossAmount"), totalRefunds or
totalChargebacks to an account — or any figure to Sales, Refunds or Chargeback losses — would
book the same money a second time.
"""

from __future__ import annotations

from slpay.config import ReconcileSettings, SLAccounts

#: Figures that must never be mapped, and why.
DOUBLE_BOOKING = {
    "totalPurchases": "revenue is booked by SL's own invoicing (Dr AR, Cr Sales)",
    "grossAmount": "revenue is booked by SL's own invoicing (Dr AR, Cr Sales); Cybersource's "
    "figure is totalPurchases",
    "totalRefunds": "refunds are already booked by the card-refund AR documents slpay writes",
    "totalChargebacks": "chargebacks are already booked by the chargeback debit memos",
}
REQUIRED = ("clearing", "netTotal", "totalFees", "settlementDifference", "exchangeDifference")
#: Account roles that only SL's documents may book.
FORBIDDEN_ROLES = {
    "sales": "revenue", "refunds": "refunds", "chargeback_loss": "chargeback losses",
    "ar": "receivables", "prepay": "customer prepayments",
}  # fmt: skip


def gl_mapping_problems(cfg: ReconcileSettings, accounts: SLAccounts) -> list[str]:
    """Problems of ``reconcile.gl_accounts``, each starting with its dotted field."""
    out: list[str] = []
    field = "reconcile.gl_accounts"
    for name, target in cfg.gl_accounts.items():
        if name in DOUBLE_BOOKING:
            out.append(f"{field}.{name}: refused, it would be booked twice: {DOUBLE_BOOKING[name]}")
            continue
        if name not in REQUIRED:
            out.append(f"{field}.{name}: unknown figure (known: {', '.join(REQUIRED)})")
            continue
        role = _role_of(target, accounts)
        if role in FORBIDDEN_ROLES:
            out.append(
                f"{field}.{name}: refused, {target!r} is the {FORBIDDEN_ROLES[role]} account, "
                "which SL's own documents book; posting settlement there books it twice"
            )
    out += [f"{field}.{name}: missing" for name in REQUIRED if name not in cfg.gl_accounts]
    return out


def _role_of(target: str, accounts: SLAccounts) -> str | None:
    if hasattr(accounts, f"{target}_acct"):
        return target
    acct, _, sub = target.partition(":")
    for role in FORBIDDEN_ROLES:
        if getattr(accounts, f"{role}_acct") == acct and (
            not sub or getattr(accounts, f"{role}_sub") == sub
        ):
            return role
    return None
