"""Dynamics SL connector: SL's tables, conventions, the writer, the signal reader, TI export.

slpay writes into SL's application database only as *unreleased* batches (Status H or B,
Rlsed 0); SL's own release screens post them. See docs/sl-connector.md.
"""

from slpay.connectors.dynamics_sl.faults import FaultSwitch
from slpay.connectors.dynamics_sl.models import (
    Application,
    CreditApplication,
    Customer,
    CustomerRef,
    ItemResult,
    JournalInput,
    JournalLine,
    MemoInput,
    NoteInput,
    NotReleasedError,
    OrderChange,
    OrderInput,
    OrderLine,
    PaymentInput,
    SLDocument,
)
from slpay.connectors.dynamics_sl.writer import SLWriter

__all__ = [
    "Application",
    "CreditApplication",
    "Customer",
    "CustomerRef",
    "FaultSwitch",
    "ItemResult",
    "JournalInput",
    "JournalLine",
    "MemoInput",
    "NotReleasedError",
    "NoteInput",
    "OrderChange",
    "OrderInput",
    "OrderLine",
    "PaymentInput",
    "SLDocument",
    "SLWriter",
]
