"""Every response our sandbox returns — and every request our connector sent to get it —
validates against the official spec, over real HTTP, for a scripted run of every operation.

The run (``_scripted_run.py``) drives the sandbox through our connector and records each
exchange at the transport. Each expected operation below must appear in the recording with
the given status, and every recorded exchange must pass: the request's exact bytes against the
closed request schema, the status against the operation's documented statuses, the body
against the closed response schema for that status (FACTS' essentials and status lists).
"""

from __future__ import annotations

import json

import pytest
from _scripted_run import Exchange, RunResult
from _spec import Contract, describe, violations
from test_spec_requests import check_request

_II = "/tms/v1/instrumentidentifiers"
_CUSTOMER = "/tms/v2/customers/{customerId}"
_CUSTOMER_PI = _CUSTOMER + "/payment-instruments"
#: (step label, method, path template, HTTP status) that the run must have produced.
EXPECTED = [
    ("TMS instrument identifier", "POST", _II, (200, 201)),  # 200: card already known
    ("TMS get instrument identifier", "GET", _II + "/{instrumentIdentifierId}", 200),
    ("TMS customer", "POST", "/tms/v2/customers", 201),
    ("TMS customer payment instrument", "POST", _CUSTOMER_PI, 201),
    ("TMS get customer", "GET", _CUSTOMER, 200),
    ("TMS list customer payment instruments", "GET", _CUSTOMER_PI, 200),
    ("TMS get customer payment instrument", "GET", _CUSTOMER_PI + "/{paymentInstrumentId}", 200),
    ("TMS stand-alone payment instrument", "POST", "/tms/v1/paymentinstruments", 201),
    ("TMS get payment instrument", "GET", "/tms/v1/paymentinstruments/{paymentInstrumentId}", 200),
    ("authorize", "POST", "/pts/v2/payments", 201),
    ("partial capture", "POST", "/pts/v2/payments/{id}/captures", 201),
    ("capture", "POST", "/pts/v2/payments/{id}/captures", 201),
    ("refund of a capture", "POST", "/pts/v2/captures/{id}/refunds", 201),
    ("void of a refund", "POST", "/pts/v2/refunds/{id}/voids", 201),
    ("sale", "POST", "/pts/v2/payments", 201),
    ("refund of a payment", "POST", "/pts/v2/payments/{id}/refunds", 201),
    ("void of a capture", "POST", "/pts/v2/captures/{id}/voids", 201),
    ("reversal", "POST", "/pts/v2/payments/{id}/reversals", 201),
    ("void of a payment", "POST", "/pts/v2/payments/{id}/voids", 201),
    ("timeout reversal", "POST", "/pts/v2/reversals", 201),
    ("timeout void", "POST", "/pts/v2/voids", 201),
    ("transaction details", "GET", "/tss/v2/transactions/{id}", 200),
    ("transaction search", "POST", "/tss/v2/searches", 201),
    ("transaction search (none found)", "POST", "/tss/v2/searches", 201),
    ("decline", "POST", "/pts/v2/payments", 201),
    ("review", "POST", "/pts/v2/payments", 201),
    ("DM accept", "POST", "/risk/v1/decisions/{id}/actions", 201),
    ("DM reject", "POST", "/risk/v1/decisions/{id}/actions", 201),
    ("risk declined", "POST", "/pts/v2/payments", 201),
    ("400 missing field", "POST", "/pts/v2/payments", 400),
    ("400 malformed JSON", "POST", "/pts/v2/payments", 400),
    ("502 server error", "POST", "/pts/v2/payments", 502),
    ("net fundings", "GET", "/reporting/v3/net-fundings", 200),
    ("payment batch summaries", "GET", "/reporting/v3/payment-batch-summaries", 200),
    ("chargeback details", "GET", "/reporting/v3/chargeback-details", 200),
    ("report download", "GET", "/reporting/v3/report-downloads", 200),
    ("webhook key", "POST", "/kms/egress/v2/keys-sym", 201),
    ("webhook subscription", "POST", "/notification-subscriptions/v2/webhooks", 201),
    ("webhook list", "GET", "/notification-subscriptions/v2/webhooks", 200),
    ("webhook get", "GET", "/notification-subscriptions/v2/webhooks/{webhookId}", 200),
]  # fmt: skip

#: The business outcome each scripted payment must have had (its ``status`` in the 201).
EXPECTED_STATUS = {
    "authorize": "AUTHORIZED",
    "sale": "AUTHORIZED",
    "decline": "DECLINED",
    "review": "AUTHORIZED_PENDING_REVIEW",
    "risk declined": "AUTHORIZED_RISK_DECLINED",
    "partial capture": "PENDING",
    "reversal": "REVERSED",
    "timeout reversal": "REVERSED",
    "timeout void": "VOIDED",
    "DM accept": "ACCEPTED",
    "DM reject": "REJECTED",
}


def response_problems(contract: Contract, ex: Exchange) -> list[str]:
    """Problems with one response: undocumented status, or a body the closed schema refuses."""
    op = contract.operation(ex.method, ex.target)
    try:
        pair = op.response_schemas(ex.status)
    except KeyError as exc:
        return [str(exc)]
    if pair == (None, None):
        return []  # documented without a JSON schema: a file (report download) or no body
    if "json" not in ex.content_type:
        return [f"content-type {ex.content_type!r} for a JSON response"]
    try:
        document = json.loads(ex.response_body)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    return violations(contract.response_validator(ex.method, ex.target, ex.status), document)


def _matching(run: RunResult, contract: Contract, step: str, method: str, template: str):  # type: ignore[no-untyped-def]
    return [
        ex
        for ex in run.exchanges
        if ex.step == step
        and ex.method == method
        and contract.operation(ex.method, ex.target).template == template
    ]


def test_the_scripted_run_completes(scripted_run: RunResult) -> None:
    assert scripted_run.failure is None, scripted_run.failure


@pytest.mark.parametrize(
    ("step", "method", "template", "status"), EXPECTED, ids=[e[0] for e in EXPECTED]
)
def test_sandbox_response_matches_the_official_spec(
    contract: Contract,
    scripted_run: RunResult,
    step: str,
    method: str,
    template: str,
    status: int | tuple[int, ...],
) -> None:
    found = _matching(scripted_run, contract, step, method, template)
    assert found, f"the run never sent {method} {template} in step {step!r}"
    allowed = status if isinstance(status, tuple) else (status,)
    hits = [ex for ex in found if ex.status in allowed]
    assert hits, f"{step}: expected HTTP {status}, got {[ex.status for ex in found]}"
    for ex in hits:
        problems = response_problems(contract, ex)
        assert not problems, f"{step}: {ex.method} {ex.target} → {ex.status}: " + describe(problems)


@pytest.mark.parametrize("step", sorted(EXPECTED_STATUS))
def test_scripted_payments_have_the_expected_outcome(
    contract: Contract, scripted_run: RunResult, step: str
) -> None:
    statuses = [
        json.loads(ex.response_body).get("status")
        for ex in scripted_run.exchanges
        if ex.step == step and ex.status == 201
    ]
    assert EXPECTED_STATUS[step] in statuses, f"{step}: statuses {statuses}"


def test_every_recorded_exchange_matches_the_official_spec(
    contract: Contract, scripted_run: RunResult
) -> None:
    """Including the set-up calls inside steps (an authorization before its capture…)."""
    problems = []
    for ex in scripted_run.exchanges:
        found = response_problems(contract, ex)
        if not ex.step.startswith("400"):  # those requests are bad on purpose
            found += check_request(contract, ex.method, ex.target, ex.request_body)
        problems += [f"{ex.step}: {ex.method} {ex.target} → {ex.status}: {p}" for p in found]
    assert not problems, describe(problems)
