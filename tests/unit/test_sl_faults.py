"""The SL connector's fault-injection switch."""

from __future__ import annotations

import pytest

from slpay.connectors.dynamics_sl.faults import FaultSwitch
from slpay.errors import PermanentError, TransientError
from slpay.retry import should_retry


def test_unavailable_fails_every_call_as_transient() -> None:
    switch = FaultSwitch("unavailable")
    with pytest.raises(TransientError) as err:
        switch.check_write("write_payment", "k1")
    assert should_retry(err.value)  # the one retry loop treats it as an outage
    with pytest.raises(TransientError):
        switch.check_available("read_signals")
    switch.clear()
    switch.check_write("write_payment", "k1")


def test_fail_next_fails_exactly_one_write_permanently() -> None:
    switch = FaultSwitch("fail_next")
    switch.check_available("read_signals")  # reads are not writes
    with pytest.raises(PermanentError) as err:
        switch.check_write("write_payment", "k1")
    assert not should_retry(err.value)
    switch.check_write("write_payment", "k2")
    assert switch.mode == "off"


def test_fail_matching_fails_only_matching_keys() -> None:
    switch = FaultSwitch("fail_matching", "refund")
    switch.check_write("write_memos", "123:capture")
    with pytest.raises(PermanentError, match="fault injection"):
        switch.check_write("write_memos", "123:refund")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        FaultSwitch("sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs the key text"):
        FaultSwitch("fail_matching")
