"""Receiving, attaching, serving and cleaning up uploaded files (SPEC §5).

The rules in the order a file meets them: the size (refused before the body is read, by the route),
the uploader's daily count, the bytes (JPEG, PNG or PDF), the pixel count, the metadata; then one
attachment, by its owner, ever. Every feature that takes evidence (reports, answers, findings, repairs,
objections) calls ``attach`` in the transaction that records it, and serves files with ``open_file``.
"""

import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import and_, delete, select, update

from backend.data.extensions import db
from backend.dates.timeutil import local_today, utcnow
from backend.i18n import _
from backend.settings import service as settings
from backend.uploads import content
from backend.uploads.errors import FileTooLarge, MetadataNotRemovable, UploadNotFound, UploadUsed
from backend.uploads.models import Upload
from backend.uploads.storage import storage
from backend.web import ratelimits
from backend.web.access import Principal

# What a multipart body adds around the file (boundaries, part headers): a body longer than the largest
# file plus this is refused from its Content-Length alone.
MULTIPART_OVERHEAD = 64 * 1024
UNATTACHED_KEPT = timedelta(days=1)
LIMIT_MESSAGE = _("Too many uploads today; try again tomorrow.")


def max_bytes() -> int:
    return settings.get("uploads.max_bytes")


def max_body_bytes() -> int:
    """The longest request body an upload may have."""
    return max_bytes() + MULTIPART_OVERHEAD


DAILY_LIMIT = ratelimits.Limit("uploads", "limits.uploads_per_day", ratelimits.DAY, LIMIT_MESSAGE)


def count_daily(principal: Principal) -> None:
    """Count one upload against the uploader's daily limit, before any work. The counter is keyed by a
    keyed hash of uploader and day, so the rate-limit store holds no account id (SPEC §5)."""
    ratelimits.attempt(DAILY_LIMIT, f"{principal.kind}:{principal.id}:{local_today().isoformat()}")


def receive(principal: Principal, source: BinaryIO) -> Upload:
    """Check and clean the file in ``source`` (seekable) and keep it for ``principal``; commits."""
    source.seek(0, 2)
    if source.tell() > max_bytes():
        raise FileTooLarge(max_bytes())
    # The cleaned copy is spooled like the upload itself: in memory while small, on disk beyond.
    with tempfile.SpooledTemporaryFile(max_size=512 * 1024) as cleaned_file:
        cleaned = content.clean(source, cleaned_file)
        size = cleaned_file.tell()
        cleaned_file.seek(0)
        key = secrets.token_urlsafe(24)
        storage().put(key, cleaned_file)
    upload = Upload(id=secrets.token_urlsafe(16), owner_kind=principal.kind, owner_id=principal.id,
                    media_type=cleaned.media_type, size=size, storage_key=key,
                    metadata_removed=cleaned.metadata_removed, created_at=utcnow())
    db.session.add(upload)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage().delete(key)
        raise
    return upload


@dataclass(frozen=True)
class Owner:
    kind: str
    id: int


def owner_of(principal: Principal) -> Owner:
    return Owner(principal.kind, principal.id)


def check_attachable(owner: Owner | None, upload_ids: Iterable[str], *, anonymous: bool = False) -> list[Upload]:
    """The caller's own unattached uploads of these ids, in order; 404 ``upload_not_found`` for an unknown
    or someone else's, 409 ``upload_used`` for one already attached. ``anonymous`` also refuses a PDF whose
    metadata could not be removed. Changes nothing."""
    ids = list(dict.fromkeys(upload_ids))
    if not ids:
        return []
    if owner is None:
        raise UploadNotFound()
    found = {upload.id: upload for upload in db.session.scalars(select(Upload).where(Upload.id.in_(ids)))}
    uploads = []
    for upload_id in ids:
        upload = found.get(upload_id)
        if upload is None:
            raise UploadNotFound()
        if upload.attached_to is not None:
            # An anonymous attachment has no owner left; its random id is a secret of the one who
            # uploaded it, so whoever sends it is taken to be them.
            if upload.owner_id is None or (upload.owner_kind, upload.owner_id) == (owner.kind, owner.id):
                raise UploadUsed()
            raise UploadNotFound()
        if (upload.owner_kind, upload.owner_id) != (owner.kind, owner.id):
            raise UploadNotFound()
        if anonymous and not upload.metadata_removed:
            raise MetadataNotRemovable()
        uploads.append(upload)
    return uploads


def attach(owner: Owner | None, upload_ids: Iterable[str], attached_to: str, attached_id: int, *,
           anonymous: bool = False) -> list[Upload]:
    """Attach the caller's uploads to an object, once each, in the caller's transaction. An anonymous
    attachment forgets its owner in the same statement. Safe against a parallel attach of the same upload:
    only one statement finds it unattached."""
    uploads = check_attachable(owner, upload_ids, anonymous=anonymous)
    now = utcnow()
    for upload in uploads:
        values = {"attached_to": attached_to, "attached_id": attached_id, "attached_at": now}
        if anonymous:
            values |= {"owner_kind": None, "owner_id": None}
        changed = db.session.execute(
            update(Upload).where(Upload.id == upload.id, Upload.attached_to.is_(None),
                                 Upload.owner_kind == owner.kind, Upload.owner_id == owner.id)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise UploadUsed()
        db.session.refresh(upload)
    return uploads


def attachments(attached_to: str, attached_ids: int | Iterable[int]) -> list[Upload]:
    """The uploads attached to one object (or several of one kind), oldest first."""
    ids = [attached_ids] if isinstance(attached_ids, int) else list(attached_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Upload).where(Upload.attached_to == attached_to,
                                                        Upload.attached_id.in_(ids))
                                   .order_by(Upload.attached_at, Upload.id)))


def find_attachment(upload_id: str, attached_to: str, attached_ids: Iterable[int]) -> Upload:
    """One upload attached to one of these objects; 404 otherwise."""
    ids = list(attached_ids)
    upload = db.session.get(Upload, upload_id) if ids else None
    if upload is None or upload.attached_to != attached_to or upload.attached_id not in ids:
        raise UploadNotFound()
    return upload


def open_file(upload: Upload) -> BinaryIO:
    return storage().open(upload.storage_key)


def download_name(upload: Upload, stem: str) -> str:
    return f"{stem}.{content.EXTENSIONS[upload.media_type]}"


def cleanup(now: datetime | None = None) -> int:
    """Delete unattached uploads older than a day, rows and files (``flask uploads cleanup``, daily)."""
    cutoff = (now or utcnow()) - UNATTACHED_KEPT
    stale = db.session.execute(select(Upload.id, Upload.storage_key).where(
        Upload.attached_to.is_(None), Upload.created_at < cutoff)).all()
    for upload_id, key in stale:
        removed = db.session.execute(delete(Upload).where(and_(Upload.id == upload_id,
                                                               Upload.attached_to.is_(None)))).rowcount
        db.session.commit()
        if removed:
            storage().delete(key)
    return len(stale)
