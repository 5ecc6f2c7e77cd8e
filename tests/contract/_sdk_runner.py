"""Run ``sdk_scripts/run_steps.py`` with the official SDK's own python, as a subprocess.

The SDK (``cybersource-rest-client-python`` 0.0.80) lives in ``<repo>/.venv-sdk``, built by
``scripts/test``, which exports its python as ``SLPAY_SDK_PYTHON``. It is never imported here:
its ``urllib3-future`` shadows ``urllib3`` and does not import under ``-W error``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from slpay.sandbox.cybersource.config import SandboxConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
STEPS_SCRIPT = Path(__file__).with_name("sdk_scripts") / "run_steps.py"
API_HOST = "apitest.cybersource.com"


def sdk_python() -> Path:
    """``$SLPAY_SDK_PYTHON`` (set by scripts/test), else ``<repo>/.venv-sdk/bin/python``."""
    configured = os.environ.get("SLPAY_SDK_PYTHON")
    return Path(configured) if configured else REPO_ROOT / ".venv-sdk" / "bin" / "python"


def sdk_missing_reason() -> str | None:
    python = sdk_python()
    if not python.exists():
        return (
            f"the official SDK's virtualenv python {python} is absent: "
            "run scripts/test (it builds .venv-sdk) or set SLPAY_SDK_PYTHON"
        )
    return None


def sdk_config(
    base_url: str, config: SandboxConfig, *, secret: str | None = None
) -> dict[str, str]:
    """Credentials for the SDK: it signs for ``apitest.cybersource.com`` and, through
    ``IntermediateHost``, sends to the sandbox's loopback ``base_url``."""
    return {
        "base_url": base_url,
        "host": API_HOST,
        "merchant_id": config.merchant_id,
        "key_id": config.key_id,
        "secret": secret or config.shared_secret,
    }


def run_sdk_steps(
    config: dict[str, str], steps: list[dict[str, Any]], workdir: Path
) -> dict[str, dict[str, Any]]:
    """Run the steps in one SDK process; results by step name."""
    completed = subprocess.run(
        [str(sdk_python()), "-W", "ignore", str(STEPS_SCRIPT)],
        input=json.dumps({"config": config, "steps": steps}),
        capture_output=True,
        text=True,
        timeout=180,
        cwd=workdir,  # the SDK would put ./Logs here if its file logging were on
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"SDK run failed ({completed.returncode}):\n{completed.stderr}")
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    return {r["name"]: r for r in results}
