"""``slpay serve``, ``slpay tasks [resolve]``, ``slpay replay``, ``slpay trace``.

Registered from :mod:`slpay.cli` with :func:`register`. The operator commands work on the
hub's database (``hub.db_url`` or ``--db``) and need no running server.
"""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from slpay.config import Settings
from slpay.store import make_engine, migrate
from slpay.store import tasks as task_repo
from slpay.store.audit import timeline
from slpay.store.inbox import requeue
from slpay.store.xref import find_xrefs

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file.")]
DbOption = Annotated[str | None, typer.Option("--db", help="Hub database URL or SQLite path.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _settings(config: Path | None) -> Settings:
    from slpay.config import load_settings
    from slpay.errors import ConfigError

    try:
        return load_settings(config)
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def _engine(config: Path | None, db: str | None) -> Any:
    engine = make_engine(db or _settings(config).hub.db_url)
    migrate(engine)
    return engine


def _age(created: datetime) -> str:
    seconds = int((datetime.now(UTC) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _tune_gc() -> None:
    """A long-running hub allocates many short-lived containers (rows, dicts, models): with
    CPython's default young-generation threshold (700) the cyclic collector ran often enough to
    take ~9% of the drain's CPU (perf). Start-up objects are frozen out of its way and the young
    generation is collected every 50,000 allocations; reference counting still frees all
    non-cyclic garbage at once (docs/order-to-cash.md, "Throughput")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def serve(
    config: ConfigOption = None,
    executor_id: Annotated[str | None, typer.Option("--executor-id")] = None,
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
) -> None:
    """Run the hub: HTTP API, durable workflows, SL signals, sweep (until Ctrl-C)."""
    from slpay.api.server import serve as run_server
    from slpay.bootstrap import build_app, build_hub
    from slpay.logs import configure_logging

    settings = _settings(config)
    api = settings.api.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    settings = settings.model_copy(update={"api": api})
    # Without this, structlog's default (every INFO line, unformatted) slows the SL path.
    configure_logging(settings.log.level, json=settings.log.json_format, file=settings.log.file)
    hub = build_hub(settings, executor_id=executor_id)
    app = build_app(settings, hub)
    hub.start()
    _tune_gc()
    try:
        run_server(settings, app=app)
    finally:
        hub.stop()


def tasks(
    config: ConfigOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    all_tasks: Annotated[bool, typer.Option("--all", help="Closed tasks too.")] = False,
) -> None:
    """What waits for a person: kind, reason, age."""
    with _engine(config, db).connect() as conn:
        found = task_repo.list_tasks(conn, open_only=not all_tasks)
    if json_out:
        rows = [
            {"id": t.id, "kind": t.kind, "key": t.key, "reason": t.reason,
             "created_at": t.created_at.isoformat(), "age": _age(t.created_at),
             "resolved": t.resolved_at is not None, "evidence": t.evidence}
            for t in found
        ]  # fmt: skip
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "kind", "key", "reason", "age")
    for t in found:
        table.add_row(str(t.id), t.kind, t.key, t.reason, _age(t.created_at))
    Console().print(table)


def resolve(
    task_id: int,
    note: Annotated[str, typer.Option("--note", help="What was done.")],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Close a task with a note."""
    with _engine(config, db).begin() as conn:
        if not task_repo.resolve_task(conn, task_id, note):
            typer.echo(f"error: task {task_id} is not open", err=True)
            raise typer.Exit(1)
    typer.echo(f"task {task_id} resolved")


def replay(
    task_id: Annotated[int | None, typer.Argument(help="A parked task's id.")] = None,
    all_parked: Annotated[bool, typer.Option("--all-parked")] = False,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Resume parked work: its inbox event goes back to the queue (SL keys prevent doubles)."""
    if (task_id is None) == (not all_parked):
        typer.echo("error: give a task id or --all-parked", err=True)
        raise typer.Exit(2)
    n = replay_parked(_engine(config, db), None if all_parked else task_id)
    typer.echo(f"{n} parked event(s) queued again")
    if task_id is not None and n == 0:
        raise typer.Exit(1)


def replay_parked(engine: Any, task_id: int | None) -> int:
    """Re-queue the inbox events of one parked task (or of all); the tasks are closed."""
    done = 0
    with engine.begin() as conn:
        open_parked = task_repo.list_tasks(conn, kind="parked")
        for t in open_parked:
            if task_id is not None and t.id != task_id:
                continue
            event_id = int(t.evidence.get("event_id", 0))
            if event_id and requeue(conn, event_id):
                task_repo.resolve_task(conn, t.id, "replayed")
                done += 1
    return done


def trace(
    key: str, config: ConfigOption = None, db: DbOption = None, json_out: JsonOption = False
) -> None:
    """One timeline for an order number, a Cybersource transaction id or an SL reference."""
    with _engine(config, db).connect() as conn:
        refs = find_xrefs(conn, transaction_id=key, order_number=key, sl_ref_nbr=key)
        keys = {key}
        for r in refs:
            keys.update(
                v for v in (r.transaction_id, r.order_number, r.sl_ref_nbr, r.sl_ord_nbr) if v
            )
        entries = timeline(conn, *sorted(keys))
    seen: set[int] = set()
    rows: list[dict[str, Any]] = []
    for e in entries:
        if e.id in seen:
            continue
        seen.add(e.id)
        rows.append(
            {
                "at": e.at.isoformat(),
                "system": e.system,
                "action": e.action,
                "key": e.key,
                "detail": e.detail,
            }
        )
    if json_out:
        typer.echo(json.dumps(rows))
        return
    table = Table("at", "system", "action", "key", "detail")
    for row in rows:
        table.add_row(
            row["at"], row["system"], row["action"], row["key"], json.dumps(row["detail"])
        )
    Console().print(table)
    if not rows:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the hub's commands to the ``slpay`` app."""
    app.command("serve")(serve)
    tasks_app = typer.Typer(help="What waits for a person.", invoke_without_command=True)
    tasks_app.callback(invoke_without_command=True)(_tasks_default)
    tasks_app.command("resolve")(resolve)
    app.add_typer(tasks_app, name="tasks")
    app.command("replay")(replay)
    app.command("trace")(trace)


def _tasks_default(
    ctx: typer.Context,
    config: ConfigOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    all_tasks: Annotated[bool, typer.Option("--all", help="Closed tasks too.")] = False,
) -> None:
    """List open tasks (kind, reason, age); ``slpay tasks resolve ID --note`` closes one."""
    if ctx.invoked_subcommand is None:
        tasks(config, db, json_out, all_tasks)
