"""Writing and reading audit records. Records join the caller's transaction: no write without its record."""

from datetime import datetime

from sqlalchemy import select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.dates.timeutil import as_local
from backend.query_records import service as query_records
from backend.web.access import Principal


def record(actor: Principal | None, action: str, object_type: str, object_id=None, *,
           before: dict | None = None, after: dict | None = None, note: str | None = None) -> AuditRecord:
    """Add an audit record to the current transaction; the caller commits it with the change itself.

    ``before``/``after`` hold only what matters for the decision and never personal data in clear; times
    in them are written in Asia/Shanghai with their offset, as every time shown (SPEC §10).
    """
    before, after = _shown_times(before), _shown_times(after)
    entry = AuditRecord(
        actor_kind=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        note=note,
    )
    db.session.add(entry)
    return entry


def query(*, action: str | None = None, object_type: str | None = None, object_id: str | None = None,
          actor_id: int | None = None, since=None, until=None):
    """Audit records, newest first, filtered; a select for the caller to paginate."""
    statement = select(AuditRecord).order_by(AuditRecord.id.desc())
    if action:
        statement = statement.where(AuditRecord.action == action)
    if object_type:
        statement = statement.where(AuditRecord.object_type == object_type)
    if object_id:
        statement = statement.where(AuditRecord.object_id == object_id)
    if actor_id is not None:
        statement = statement.where(AuditRecord.actor_id == actor_id)
    if since is not None:
        statement = statement.where(AuditRecord.at >= since)
    if until is not None:
        statement = statement.where(AuditRecord.at < until)
    return statement


def _shown_times(snapshot):
    if isinstance(snapshot, datetime):
        return as_local(snapshot).isoformat()
    if isinstance(snapshot, dict):
        return {key: _shown_times(value) for key, value in snapshot.items()}
    if isinstance(snapshot, list):
        return [_shown_times(value) for value in snapshot]
    return snapshot


def read(actor: Principal, records: list[AuditRecord]) -> list[AuditRecord]:
    """A page of the audit trail as an admin reads it. A record that names a resident (an event granted
    to them) shows that resident's credit, so the page is a query record of each such resident (SPEC
    §2); committed with the read."""
    shown = [resident_id for entry in records for snapshot in (entry.before, entry.after)
             if isinstance(snapshot, dict) and isinstance(resident_id := snapshot.get("resident_id"), int)]
    if shown:
        ids = [entry.id for entry in records]
        query_records.record(shown, actor, purpose="audit trail", scope="audit")
        db.session.commit()
        # The commit expired the page; one query reads it back rather than one per record.
        db.session.scalars(select(AuditRecord).where(AuditRecord.id.in_(ids))).all()
    return records
