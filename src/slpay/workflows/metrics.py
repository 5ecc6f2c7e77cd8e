"""Prometheus metrics of the hub's processing side (served on the app's ``GET /metrics``).

- ``slpay_workflow_batch_seconds``: duration of one order-to-cash micro-batch workflow;
- ``slpay_events_processed_total{status}``: inbox events finished by the workflows — ``done``,
  ``ignored``, ``retry`` (a transient failure, back to the inbox) or ``parked`` (failed);
- ``slpay_calls_total{system, operation, outcome}``: every Cybersource call and SL write by
  outcome — ``success``, ``transient``, ``permanent`` or ``declined``.

The calls are counted at the connectors' single entry points, so no call site can forget:
:class:`CountingCybersourceClient` overrides ``CybersourceClient.call`` (every operation goes
through it, after the connector's own retries and resolution) and :class:`CountingSLWriter`
wraps the SL writer's methods (a batched write counts each item). The composition root
(:mod:`slpay.bootstrap`) builds them; the HTTP app adds :attr:`WorkflowMetrics.registry`'s
metrics to its own ``/metrics``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import Metric

from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource.client import CybersourceClient
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.errors import Declined, TransientError

T = TypeVar("T")
Outcome = Literal["success", "transient", "permanent", "declined"]

#: Micro-batch durations (seconds): tens of milliseconds to a long SL stall.
_BATCH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
#: SL writer methods counted (each is one call; the batched writes count per item).
SL_CALLS = (
    "write_payment", "write_payments", "write_memo", "write_memos", "apply_credit",
    "write_journal", "write_order", "write_orders", "change_order", "add_note", "find_customer",
    "find_customers", "find_customers_by_email", "ensure_customer", "lookup",
)  # fmt: skip
DECLINED_STATUSES = frozenset({"DECLINED", "AUTHORIZED_RISK_DECLINED", "INVALID_REQUEST"})


class WorkflowMetrics:
    """The processing metrics, in their own registry (one per hub)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.batch_seconds = Histogram(
            "slpay_workflow_batch_seconds",
            "Duration of one order-to-cash micro-batch workflow.",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.events = Counter(
            "slpay_events_processed",
            "Inbox events finished by the workflows, by status (parked = failed).",
            ["status"],
            registry=self.registry,
        )
        self.calls = Counter(
            "slpay_calls",
            "Cybersource calls and SL writes by outcome.",
            ["system", "operation", "outcome"],
            registry=self.registry,
        )

    def observe_batch(self, seconds: float, counts: dict[str, int]) -> None:
        """One micro-batch finished in ``seconds`` with ``counts`` per status."""
        self.batch_seconds.observe(seconds)
        for status, n in counts.items():
            if n and status in ("done", "ignored", "retry", "parked"):
                self.events.labels(status).inc(n)

    def call(self, system: str, operation: str, outcome: Outcome) -> None:
        self.calls.labels(system, operation, outcome).inc()

    def collector(self) -> _Bridge:
        """A collector another registry can register to expose these metrics too."""
        return _Bridge(self.registry)


class _Bridge:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()

    def describe(self) -> list[Metric]:
        return []  # nothing to check for name clashes up front; names are slpay_* apart


def outcome_of_error(exc: BaseException) -> Outcome:
    if isinstance(exc, Declined):
        return "declined"
    return "transient" if isinstance(exc, TransientError) else "permanent"


def outcome_of_result(result: object) -> Outcome:
    if getattr(result, "is_declined", False):
        return "declined"
    status = str(getattr(result, "status", "") or "").upper()
    return "declined" if status in DECLINED_STATUSES else "success"


class CountingCybersourceClient(CybersourceClient):
    """The Cybersource client, counting each operation's outcome in ``metrics``."""

    def __init__(self, *args: Any, metrics: WorkflowMetrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def call(self, call: ops.Call[T]) -> T:
        try:
            result = super().call(call)
        except Exception as exc:
            self.metrics.call("cybersource", call.operation, outcome_of_error(exc))
            raise
        # Only a money-moving call can be declined; a read of a declined payment succeeded.
        outcome = outcome_of_result(result) if call.money_moving else "success"
        self.metrics.call("cybersource", call.operation, outcome)
        return result


def _counted(name: str) -> Callable[..., Any]:
    method = getattr(SLWriter, name)

    @functools.wraps(method)
    def wrapper(self: CountingSLWriter, *args: Any, **kwargs: Any) -> Any:
        try:
            result = method(self, *args, **kwargs)
        except Exception as exc:
            self.metrics.call("sl", name, outcome_of_error(exc))
            raise
        items = result if isinstance(result, list) else [result]
        for item in items:
            error = getattr(item, "error", None)
            self.metrics.call("sl", name, outcome_of_error(error) if error else "success")
        return result

    return wrapper


class CountingSLWriter(SLWriter):
    """The SL writer, counting each call's outcome (per item for batched writes)."""

    def __init__(self, *args: Any, metrics: WorkflowMetrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics


for _name in SL_CALLS:
    setattr(CountingSLWriter, _name, _counted(_name))


def observe_batch(extra: dict[str, Any], seconds: float, counts: dict[str, int]) -> None:
    """Record a micro-batch in the hub's metrics (``Deps.extra["metrics"]``), if any."""
    metrics = extra.get("metrics")
    if isinstance(metrics, WorkflowMetrics):
        metrics.observe_batch(seconds, counts)
