"""Settling a money-moving request whose outcome is unknown (FACTS §11, DESIGN convention 5).

Cybersource has no idempotency header, so after a timeout, a dropped connection or a 5xx on a
payment, capture, refund, reversal or void the request is **never re-sent blindly**:

1. search TSS for ``clientReferenceInformation.transactionId:<the request's id>``; if the
   transaction is there, that is the result (``response.resolved_by_search`` is true);
2. if it is not, undo whatever may have happened with the same transactionId — the timeout
   reversal ``POST /pts/v2/reversals`` for an authorization, the timeout void
   ``POST /pts/v2/voids`` for a capture or refund, void then reversal for a sale — and raise
   :class:`OutcomeCancelled`: the operation has no effect, start again with a new
   transactionId if it is still wanted;
3. if that cannot be done either, raise :class:`UnresolvedOutcome` (an
   :class:`~slpay.errors.AmbiguousOutcome`): park it for an operator; the scheduled search
   sweep settles it later.

Reversals and voids are only searched for (a second reversal or void of the same transaction
is refused by Cybersource, so the caller may re-send those safely).

The flow is a generator of :class:`Sleep` and :class:`~.operations.Call` steps; the sync and the
async client drive the same generator, sending each step's result back (or throwing its error).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource.models.payments import (
    PaymentRequest,
    ReversalResponse,
    VoidResponse,
)
from slpay.connectors.cybersource.models.tss import SearchResponse, query
from slpay.connectors.cybersource.requests import (
    build_search_request,
    build_timeout_reversal_request,
    build_timeout_void_request,
)
from slpay.domain.money import Money
from slpay.errors import (
    AmbiguousOutcome,
    ExternalError,
    InvalidRequest,
    NotFoundError,
    PermanentError,
)
from slpay.logs import get_logger

T = TypeVar("T")
log = get_logger(__name__)


@dataclass(frozen=True)
class Sleep:
    """Pause before the next step (the driver owns the clock)."""

    seconds: float


Step = ops.Call[Any] | Sleep


class OutcomeCancelled(PermanentError):
    """The timed-out operation was undone or never happened: it has no effect.

    ``undo`` holds the timeout reversal/void responses (empty when Cybersource had nothing to
    undo). Re-running the operation needs a *new* transactionId.
    """

    undo: list[ReversalResponse | VoidResponse]


class UnresolvedOutcome(AmbiguousOutcome):
    """Still unknown after search (and undo, where applicable): an operator must look."""


def resolve(
    call: ops.Call[T],
    error: AmbiguousOutcome,
    *,
    search_attempts: int = 2,
    search_interval_s: float = 1.0,
) -> Generator[Step, Any, T]:
    """Yield the steps that settle ``call`` after ``error``; return its result if found."""
    tid = call.transaction_id
    context = _context(call, error)
    if call.resolution is None or call.from_found is None or not tid:
        raise UnresolvedOutcome("outcome unknown and no way to resolve it", **context) from error
    log.warning(
        "cybersource_outcome_unknown",
        operation=call.operation,
        transaction_id=tid,
        error=str(error),
    )
    search = ops.search(build_search_request(query(transaction_id=tid), limit=10))
    for attempt in range(max(1, search_attempts)):
        if attempt:
            yield Sleep(search_interval_s)
        try:
            found: SearchResponse = yield search
        except ExternalError as exc:
            log.warning("cybersource_resolve_search_failed", transaction_id=tid, error=str(exc))
            continue
        match = _match(found, tid, call.code)
        if match is not None:
            log.warning("cybersource_outcome_found", operation=call.operation, transaction_id=tid)
            return call.from_found(match)
    if call.resolution == "search":
        raise UnresolvedOutcome(
            "not found by transaction search; re-sending is safe for a reversal or void",
            **context,
        ) from error
    undone: list[ReversalResponse | VoidResponse] = []
    for undo in _undo_calls(call, tid):
        try:
            response = yield undo
        except (NotFoundError, InvalidRequest) as exc:
            # Nothing carries this transactionId (or nothing left to undo): it never happened.
            log.warning("cybersource_undo_refused", operation=undo.operation, reason=exc.reason)
            continue
        except ExternalError as exc:
            if undone:  # the void went through; a lingering auth hold expires on its own
                break
            raise UnresolvedOutcome(
                f"not found by search and {undo.operation} failed: {exc}", **context
            ) from exc
        undone.append(response)
    log.warning("cybersource_outcome_cancelled", operation=call.operation, transaction_id=tid)
    cancelled = OutcomeCancelled(
        f"outcome was unknown and not found by search; sent {_UNDO_TEXT[call.resolution]}: "
        "the operation has no effect",
        **context,
    )
    cancelled.undo = undone
    raise cancelled from error


_UNDO_TEXT = {
    "reverse": "a timeout reversal",
    "void": "a timeout void",
    "void_reverse": "a timeout void and a timeout reversal",
    "search": "nothing",
}


def _context(call: ops.Call[Any], error: AmbiguousOutcome) -> dict[str, Any]:
    return {
        "system": error.system,
        "operation": call.operation,
        "status": error.status,
        "request_id": error.request_id,
        "reason": error.reason,
    }


def _match(found: SearchResponse, tid: str, code: str | None) -> dict[str, Any] | None:
    """The hit for this request: same transactionId (or, if not echoed, the same code)."""
    for summary in found.transactions:
        ref = summary.client_reference_information
        echoed = ref.transaction_id if ref else None
        if echoed == tid or (echoed is None and (code is None or (ref and ref.code == code))):
            return summary.model_dump(by_alias=True, exclude_none=True)
    return None


def _undo_calls(call: ops.Call[Any], tid: str) -> Sequence[ops.Call[Any]]:
    calls: list[ops.Call[Any]] = []
    if call.resolution in ("void", "void_reverse"):
        calls.append(ops.timeout_void(build_timeout_void_request(tid, code=call.code)))
    if call.resolution in ("reverse", "void_reverse"):
        amount = _authorized_amount(call)
        calls.append(
            ops.timeout_reversal(build_timeout_reversal_request(tid, amount, code=call.code))
        )
    return calls


def _authorized_amount(call: ops.Call[Any]) -> Money:
    request = call.request
    if not isinstance(request, PaymentRequest):  # pragma: no cover - guarded by resolution
        raise TypeError("a timeout reversal needs the authorization request")
    details = request.order_information.amount_details
    if details is None or details.total_amount is None or details.currency is None:
        raise TypeError("the authorization request has no amount")  # pragma: no cover
    return Money(details.total_amount, details.currency)
