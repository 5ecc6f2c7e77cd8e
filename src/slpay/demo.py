"""``slpay demo``: the main job, run against the embedded sandboxes."""

from __future__ import annotations

from pathlib import Path


def run_demo(*, once: bool, json_out: bool, workdir: Path | None) -> int:
    raise NotImplementedError("the demo is assembled once the connector and sandbox exist")
