"""Prometheus metrics of the hub's HTTP side (``GET /metrics``).

Each app owns its own registry, so tests can build several apps in one process. Counting:
``received`` = every webhook delivery answered 2xx (new, duplicate or ignored);
``deduplicated`` and ``ignored`` are subsets of it; ``refused`` counts the others by reason.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "HubMetrics"]

#: Commit latency buckets (seconds): a fsync'd commit is around a millisecond here.
_COMMIT_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_GROUP_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class HubMetrics:
    """The hub's counters and histograms, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.received = Counter(
            "slpay_webhook_events_received",
            "Webhook deliveries acknowledged (stored, duplicate or ignored).",
            registry=reg,
        )
        self.deduplicated = Counter(
            "slpay_webhook_events_deduplicated",
            "Webhook deliveries of an event already in the inbox.",
            registry=reg,
        )
        self.ignored = Counter(
            "slpay_webhook_events_ignored",
            "Webhook deliveries of an event type the hub does not process (stored as ignored).",
            registry=reg,
        )
        self.refused = Counter(
            "slpay_webhook_events_refused",
            "Webhook deliveries answered with an error, by reason.",
            ["reason"],
            registry=reg,
        )
        self.commit_seconds = Histogram(
            "slpay_ingest_commit_seconds",
            "Duration of one group commit into the inbox.",
            buckets=_COMMIT_BUCKETS,
            registry=reg,
        )
        self.group_size = Histogram(
            "slpay_ingest_group_size",
            "Events committed together by the inbox writer.",
            buckets=_GROUP_BUCKETS,
            registry=reg,
        )
        self.commit_failures = Counter(
            "slpay_ingest_commit_failures",
            "Inbox commits that failed (their deliveries were answered 503).",
            registry=reg,
        )

    def observe_group(self, size: int, seconds: float, failed: bool) -> None:
        """Writer callback: one group commit finished."""
        self.commit_seconds.observe(seconds)
        self.group_size.observe(size)
        if failed:
            self.commit_failures.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
