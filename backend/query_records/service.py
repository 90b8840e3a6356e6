"""Writing and reading query records. Every feature that lets someone other than the resident read a
resident's credit calls ``record`` in the same transaction as the read it answers."""

from collections.abc import Iterable

from sqlalchemy import insert, select, update

from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.query_records.models import QueryRecord
from backend.web.access import Principal


def _role(actor: Principal) -> str:
    for role in ("admin", "reviewer", "department", "operator"):
        if role in actor.roles:
            return role
    return sorted(actor.roles)[0] if actor.roles else actor.kind


def record(resident_ids: int | Iterable[int], actor: Principal, *, purpose: str, scope: str,
           actor_label: str | None = None, role: str | None = None, held_for: str | None = None) -> None:
    """Add one query record per resident to the current transaction; the caller commits.

    ``actor_label`` is what the resident sees of the reader (a department's name, a merchant's name);
    it defaults to the reader's role, never to a staff member's personal name. ``held_for`` names the case
    (``report:12``) until whose decision the record stays hidden from the resident (``release``).
    """
    ids = [resident_ids] if isinstance(resident_ids, int) else list(dict.fromkeys(resident_ids))
    if not ids:
        return
    role = role or _role(actor)
    department = actor.extra.get("display_name") or actor.source or "部门"
    label = actor_label or {"admin": "信用办", "reviewer": "信用办审核", "department": department}.get(role, role)
    now = utcnow()
    db.session.execute(insert(QueryRecord), [
        {"resident_id": rid, "at": now, "actor_kind": actor.kind, "actor_id": actor.id, "actor_role": role,
         "actor_label": label, "purpose": purpose, "scope": scope, "held_for": held_for} for rid in ids])


def release(held_for: str) -> None:
    """Show the resident the records held for a case, now that it is decided; in the caller's transaction."""
    db.session.execute(update(QueryRecord).where(QueryRecord.held_for == held_for).values(held_for=None)
                       .execution_options(synchronize_session=False))


def for_resident(resident_id: int):
    """A resident's query records, newest first, those still held for a case left out: a select for the
    caller to paginate."""
    return (select(QueryRecord).where(QueryRecord.resident_id == resident_id, QueryRecord.held_for.is_(None))
            .order_by(QueryRecord.at.desc(), QueryRecord.id.desc()))
