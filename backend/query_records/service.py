"""Writing and reading query records. Every feature that lets someone other than the resident read a
resident's credit calls ``record`` in the same transaction as the read it answers."""

from collections.abc import Iterable

from sqlalchemy import insert, select, update

from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.query_records.models import QueryRecord
from backend.web.access import ADMIN, DEPARTMENT, OPERATOR, REVIEWER, VERIFIER_SYSTEM, Principal

# The role a record names is the reader's access role (``backend.web.access``), the first of these held: a
# bank's server is ``verifier_system``, a shop's or a bank's cashier ``operator``.
READER_ROLES = (ADMIN, REVIEWER, DEPARTMENT, OPERATOR, VERIFIER_SYSTEM)
# What a resident sees of the credit office's readers: the office, never the clerk.
OFFICE_LABELS = {ADMIN: "信用办", REVIEWER: "信用办审核"}


def reader_role(actor: Principal) -> str:
    return next((role for role in READER_ROLES if role in actor.roles), actor.kind)


def reader_label(actor: Principal, role: str) -> str:
    """Who the resident sees: the credit office, the department by its source name, or the verifier
    (``actor_label``); never a staff member's personal name."""
    if role == DEPARTMENT:
        return actor.source or role
    return OFFICE_LABELS.get(role, role)


def record(resident_ids: int | Iterable[int], actor: Principal, *, purpose: str, scope: str,
           actor_label: str | None = None, held_for: str | None = None) -> None:
    """Add one query record per resident to the current transaction; the caller commits.

    ``actor_label`` is what the resident sees of a verifier (its name); staff readers are shown by office
    or department (``reader_label``). ``held_for`` names the case (``report:12``) until whose decision the
    record stays hidden from the resident (``release``).
    """
    ids = [resident_ids] if isinstance(resident_ids, int) else list(dict.fromkeys(resident_ids))
    if not ids:
        return
    now = utcnow()
    db.session.execute(insert(QueryRecord), [
        row(rid, actor, purpose=purpose, scope=scope, actor_label=actor_label, held_for=held_for, at=now)
        for rid in ids])


ROW_COLUMNS = ("resident_id", "at", "actor_kind", "actor_id", "actor_role", "actor_label", "purpose", "scope",
               "held_for")


def row(resident_id: int, actor: Principal, *, purpose: str, scope: str, actor_label: str | None = None,
        held_for: str | None = None, at=None) -> dict:
    """The columns of one query record, for a caller that writes it in a statement of its own making (the
    verification writes it in the same round trip as the verification)."""
    role = reader_role(actor)
    return {"resident_id": resident_id, "at": at or utcnow(), "actor_kind": actor.kind, "actor_id": actor.id,
            "actor_role": role, "actor_label": actor_label or reader_label(actor, role), "purpose": purpose,
            "scope": scope, "held_for": held_for}


def release(held_for: str) -> None:
    """Show the resident the records held for a case, now that it is decided; in the caller's transaction."""
    db.session.execute(update(QueryRecord).where(QueryRecord.held_for == held_for).values(held_for=None)
                       .execution_options(synchronize_session=False))


def for_resident(resident_id: int):
    """A resident's query records, newest first, those still held for a case left out: a select for the
    caller to paginate."""
    return (select(QueryRecord).where(QueryRecord.resident_id == resident_id, QueryRecord.held_for.is_(None))
            .order_by(QueryRecord.at.desc(), QueryRecord.id.desc()))
