"""Notes for SL users on a document: an ``Snote`` row and the document's NoteID pointing at it.

Used for messages such as "refund refused by Cybersource". A document that already has a note
gets the new text appended, so SL users see the whole history in the note window.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, insert, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import NoteInput, SLDocument
from slpay.connectors.dynamics_sl.rows import Audit, note_column, update_values
from slpay.errors import ValidationError

#: The identifying columns a note target must name (PK columns; BatNbr/BatSeq optional on ARDoc).
_TARGETS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "ARDoc": (sl.ARDoc, ("CustId", "DocType", "RefNbr")),
    "SOHeader": (sl.SOHeader, ("CpnyID", "OrdNbr")),
    "Batch": (sl.Batch, ("Module", "BatNbr")),
}


def add_note(conn: Connection, audit: Audit, cpny_id: str, note: NoteInput) -> SLDocument:
    """Attach ``note.text`` to the target document."""
    if note.target not in _TARGETS:
        raise ValidationError("must be ARDoc, SOHeader or Batch", field="target")
    if not note.text.strip():
        raise ValidationError("a note needs text", field="text")
    table, required = _TARGETS[note.target]
    missing = [c for c in required if not note.ids.get(c)]
    if missing:
        raise ValidationError(f"missing {', '.join(missing)}", field="ids")
    note_col = note_column(table)
    assert note_col is not None
    where = [table.c[k] == v for k, v in note.ids.items()]
    current = conn.execute(select(table.c[note_col]).where(*where)).first()
    if current is None:
        raise ValidationError(f"{note.target} {note.ids} not found", field="ids")
    existing = int(current[0] or 0)
    text = note.text
    if existing:
        old = conn.execute(select(sl.Snote.c.sNoteText).where(sl.Snote.c.nID == existing)).scalar()
        if old is not None:
            text = f"{old}\r\n{note.text}"
            conn.execute(
                sl.Snote.update()
                .where(sl.Snote.c.nID == existing)
                .values(sNoteText=text, dtRevisedDate=audit.now)
            )
            return _document(note, cpny_id, existing)
    result = conn.execute(
        insert(sl.Snote).values(
            sLevelName=note.target,
            sTableName=note.target,
            sNoteText=text,
            dtRevisedDate=audit.now,
        )
    )
    (nid,) = result.inserted_primary_key or (None,)
    if nid is None:  # pragma: no cover - every supported dialect returns the identity
        raise ValidationError("SL did not return the new note id", field="Snote.nID")
    conn.execute(
        table.update().where(*where).values(update_values(table, audit, {note_col: int(nid)}))
    )
    return _document(note, cpny_id, int(nid))


def _document(note: NoteInput, cpny_id: str, nid: int) -> SLDocument:
    ids = note.ids
    return SLDocument(
        key=note.key,
        kind="note",
        cpny_id=cpny_id,
        module=ids.get("Module", ""),
        bat_nbr=ids.get("BatNbr", ""),
        doc_type=ids.get("DocType", ""),
        ref_nbr=str(nid),
        cust_id=ids.get("CustId", ""),
        ord_nbr=ids.get("OrdNbr", ""),
    )
