"""Fixtures for the contract tier: the official spec, and our sandbox on a real loopback port."""

from __future__ import annotations

import pytest
from _spec import ABSENT_REASON, Contract, load_contract, reference_present


@pytest.fixture(scope="session")
def contract() -> Contract:
    """Validators from ../shared/reference/cybersource; skips only where that folder is absent."""
    if not reference_present():
        pytest.skip(ABSENT_REASON)
    return load_contract()
