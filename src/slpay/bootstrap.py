"""The one composition root: settings → connectors, store, mapping, runtime, hub.

::

    from slpay.bootstrap import build_hub
    hub = build_hub(settings, executor_id="slpay-2")
    hub.start()

Nothing else in slpay decides which concrete connector or database a component gets.
"""

from __future__ import annotations

from slpay.api import orders
from slpay.api.app import HubApp, create_app
from slpay.config import Settings
from slpay.connectors.dynamics_sl.reader import SLReader
from slpay.mapping.load import load_mapping
from slpay.store import make_engine, migrate
from slpay.workflows.context import Deps
from slpay.workflows.hub import Hub
from slpay.workflows.metrics import CountingCybersourceClient, CountingSLWriter, WorkflowMetrics
from slpay.workflows.notify import Notifier
from slpay.workflows.runtime import Runtime


def build_deps(settings: Settings) -> Deps:
    """Connectors, hub store (migrated), mapping: everything the workflows use."""
    mapping = load_mapping(settings.mapping.path, settings.sl)
    settings = mapping.apply_to(settings)
    hub_engine = make_engine(settings.hub.db_url)
    migrate(hub_engine)
    metrics = WorkflowMetrics()  # SL and Cybersource call outcomes, micro-batch latency
    writer = CountingSLWriter(settings.sl.db_url, settings.sl, metrics=metrics)
    reader = SLReader(writer.engine, settings.sl, faults=writer.faults)
    return Deps(
        settings=settings,
        hub=hub_engine,
        cs=CountingCybersourceClient(settings.cybersource, metrics=metrics),
        writer=writer,
        reader=reader,
        mapping=mapping,
        notifier=Notifier(settings.workflows.callback_url),
        extra={"metrics": metrics},
    )


def build_hub(settings: Settings, *, executor_id: str | None = None, loops: bool = True) -> Hub:
    """The hub of one process (not started). ``executor_id`` overrides the settings'."""
    deps = build_deps(settings)
    w = settings.workflows
    runtime = Runtime(
        settings.hub.db_url,
        executor_id=executor_id or w.executor_id,
        application_version=w.application_version,
        sl_concurrency=w.sl_concurrency,
    )
    return Hub(deps, runtime, loops=loops)


def build_app(settings: Settings, hub: Hub) -> HubApp:
    """The HTTP app of ``slpay serve``: webhooks, health, admin, and ``POST /api/orders``."""
    app = create_app(settings, engine=hub.deps.hub)
    app.api.state.o2c_deps = hub.deps
    app.api.include_router(orders.router)
    app.metrics.registry.register(hub.deps.extra["metrics"].collector())
    return app
