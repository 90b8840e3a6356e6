"""Writing and reading audit records. Records join the caller's transaction: no write without its record."""

from sqlalchemy import select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.web.access import Principal


def record(actor: Principal | None, action: str, object_type: str, object_id=None, *,
           before: dict | None = None, after: dict | None = None, note: str | None = None) -> AuditRecord:
    """Add an audit record to the current transaction; the caller commits it with the change itself.

    ``before``/``after`` hold only what matters for the decision and never personal data in clear.
    """
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
