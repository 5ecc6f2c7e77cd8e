"""Run the demo: start the world, play :data:`~slpay.demo.scenario.STEPS`, show the result.

With ``--once`` it stops everything and exits; otherwise the hub's API, webhooks and the
Cybersource sandbox stay up (their addresses printed) until Ctrl-C.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from rich.console import Console

from slpay.demo.context import Context, Step, log
from slpay.demo.env import DemoEnv, start
from slpay.demo.report import print_summary, result
from slpay.demo.scenario import STEPS
from slpay.demo.shop import Shop
from slpay.logs import bind_correlation_id

DEFAULT_WORKDIR = Path(".slpay-demo")


def play(ctx: Context, steps: list[Step], console: Console) -> None:
    """Run each step in order, each under its own correlation id in the logs."""
    for i, step in enumerate(steps, 1):
        console.print(f"[bold]{i}. {step.title}[/bold]")
        began = time.monotonic()
        with bind_correlation_id(demo_step=i):
            log.info("demo.step", step=i, title=step.title)
            step.run(ctx)
        console.print(f"   done in {time.monotonic() - began:.1f} s")


def _wait_for_ctrl_c(env: DemoEnv, console: Console) -> None:
    console.print(
        f"\nThe hub is up at {env.hub_url} (webhooks: {env.hub_url}/webhooks/cybersource, "
        f"orders: POST {env.hub_url}/api/orders with X-API-Key {env.api_key}); "
        f"the Cybersource sandbox at {env.cs_url}. Files in {env.workdir}/. Ctrl-C to stop."
    )
    threading.Event().wait()


def run_demo(*, once: bool, json_out: bool, workdir: Path | None) -> int:
    """Run the demo; returns the process exit code."""
    wd = workdir or DEFAULT_WORKDIR
    # With --json, stdout carries only the JSON object; progress goes to stderr.
    console = Console(stderr=json_out)
    if not console.is_terminal:  # piped or captured: wide enough for the order table
        console = Console(stderr=json_out, width=160)
    env = start(wd, port=0 if once else 8640)
    shop = Shop(env)
    ctx = Context(env, shop)
    try:
        play(ctx, STEPS, console)
        out = result(ctx)
        log.info("demo.finished", **{k: v for k, v in out.items() if isinstance(v, int)})
        if json_out:
            print(json.dumps(out))
        else:
            print_summary(ctx, out, console)
        if not once:
            _wait_for_ctrl_c(env, console)
    except KeyboardInterrupt:
        pass
    finally:
        shop.close()
        env.stop()
    return 0
