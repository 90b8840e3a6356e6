"""Decisions are final (SPEC §5, §6): the same decision sent again answers with the stored one (200,
nothing applied twice); a different one is 409 ``already_decided``. Reports, findings, rewards, repairs
and objections all decide through here.

"The same" is judged on a fingerprint of what the decider sent (a keyed hash, so a sealed note is not
laid open by it). Concurrency is the caller's row lock: ``lock`` the case, then ``repeat_or_conflict``,
then apply and commit; the second of two simultaneous senders waits for the lock and then sees the
first one's decision.
"""

import json
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select

from backend.data.extensions import db
from backend.i18n import _
from backend.privacy.sealing import lookup_hash
from backend.web.errors import Conflict


class AlreadyDecided(Conflict):
    reason = "already_decided"
    message = _("This was already decided differently; a decision is final.")


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def fingerprint(kind: str, fields: Mapping) -> str:
    """A keyed hash of a decision's fields (keys sorted, times in ISO form)."""
    canonical = json.dumps({key: _plain(fields[key]) for key in sorted(fields)}, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return lookup_hash(f"decision:{kind}", canonical)


def repeat_or_conflict(stored_fingerprint: str | None, kind: str, fields: Mapping) -> bool:
    """False when nothing is decided yet; True when this same decision already was (answer the stored
    one); ``AlreadyDecided`` when a different one was."""
    if stored_fingerprint is None:
        return False
    if stored_fingerprint == fingerprint(kind, fields):
        return True
    raise AlreadyDecided()


def lock(model, object_id):
    """The row of a case, locked for this transaction and read fresh (None when there is none)."""
    return db.session.scalar(select(model).where(model.id == object_id).with_for_update()
                             .execution_options(populate_existing=True))
