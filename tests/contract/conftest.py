"""Fixtures for the contract tier: the official spec, and our sandbox on a real loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _scripted_run import RunResult, run_script
from _spec import ABSENT_REASON, Contract, load_contract, reference_present

from slpay.sandbox.cybersource.config import SandboxConfig
from slpay.sandbox.cybersource.server import SandboxHandle, run_in_thread


@pytest.fixture(scope="session")
def contract() -> Contract:
    """Validators from ../shared/reference/cybersource; skips only where that folder is absent."""
    if not reference_present():
        pytest.skip(ABSENT_REASON)
    return load_contract()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxHandle]:
    """The embedded Cybersource sandbox on a free loopback port (in-memory SQLite), default
    credentials; webhook retry "minutes" last 10 ms so failed deliveries end quickly."""
    with run_in_thread(SandboxConfig(webhook_retry_unit_s=0.01)) as handle:
        yield handle


@pytest.fixture(scope="session")
def scripted_run(sandbox: SandboxHandle) -> RunResult:
    """Every operation slpay uses, once, through our connector over HTTP (recorded)."""
    return run_script(sandbox.base_url, sandbox.config)
