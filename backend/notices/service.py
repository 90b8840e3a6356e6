"""Sending WeChat subscribe messages for any feature, recording every attempt (SPEC §9).

Call ``notify`` after the action behind the notice has committed: the notice is best effort and a
failed send can never roll that action back. Each attempt is committed in its own transaction. Work in
bulk (an import of a hundred thousand events) ``queue``s its notices instead, and ``send_queued``
(``flask notices send-queued``, run every minute) delivers them.
"""

import logging

from flask import current_app
from sqlalchemy import insert, select

from backend.accounts.models import WeChatAccount
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.notices.layouts import LAYOUTS
from backend.notices.models import NoticeAttempt
from backend.wechat import get_client

log = logging.getLogger(__name__)

# The notices the product sends (their templates: backend.notices.layouts); each needs a template id from
# WECHAT_TEMPLATE_IDS to go out.
KINDS = tuple(LAYOUTS)
QUEUE_BATCH = 5000
SEND_BATCH = 100


def notify(account_id: int, kind: str, data: dict, *, page: str | None = None,
           object_type: str | None = None, object_id=None) -> NoticeAttempt:
    """Send one subscribe message to a WeChat account and record the attempt; never raises for WeChat."""
    _check_kind(kind)
    attempt = NoticeAttempt(account_id=account_id, kind=kind, data=data, page=page, object_type=object_type,
                            object_id=None if object_id is None else str(object_id), status="queued")
    _deliver(attempt)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind}")


def _deliver(attempt: NoticeAttempt) -> None:
    """Try to send ``attempt`` once and set its status from WeChat's answer."""
    account = db.session.get(WeChatAccount, attempt.account_id)
    attempt.template_id = current_app.config.get("WECHAT_TEMPLATE_IDS", {}).get(attempt.kind)
    if attempt.template_id is None and not current_app.config["USE_DEVELOPMENT_WECHAT"]:
        attempt.status = "not_configured"
        return
    try:
        result = get_client().send_subscribe_message(account.openid, attempt.template_id or f"dev-{attempt.kind}",
                                                      attempt.data, page=attempt.page)
        attempt.status, attempt.errcode = result.status, result.errcode
        attempt.errmsg = (result.errmsg or "")[:200] or None
    except Exception as exc:  # noqa: BLE001 - a notice must never break the action behind it
        log.warning("notice %s to account %s failed: %s", attempt.kind, attempt.account_id, type(exc).__name__)
        attempt.status, attempt.errmsg = "failed", type(exc).__name__


def queue(notices: list[dict]) -> int:
    """Record notices to send later (``send_queued``), for work in bulk where a WeChat call per notice
    would hold the action up. Each dict has account_id, kind, data and optionally page, object_type,
    object_id. Joins the caller's transaction."""
    if not notices:
        return 0
    now = utcnow()
    rows = []
    for notice in notices:
        _check_kind(notice["kind"])
        object_id = notice.get("object_id")
        rows.append({"at": now, "account_id": notice["account_id"], "kind": notice["kind"], "data": notice["data"],
                     "page": notice.get("page"), "object_type": notice.get("object_type"),
                     "object_id": None if object_id is None else str(object_id), "template_id": None,
                     "status": "queued", "errcode": None, "errmsg": None})
    for start in range(0, len(rows), QUEUE_BATCH):
        db.session.execute(insert(NoticeAttempt), rows[start:start + QUEUE_BATCH])
    return len(rows)


def send_queued(limit: int | None = None) -> int:
    """Send queued notices, oldest first, each attempt committed as it is made; returns how many were
    tried. Several senders at once each take other notices (SKIP LOCKED)."""
    tried = 0
    while limit is None or tried < limit:
        size = SEND_BATCH if limit is None else min(SEND_BATCH, limit - tried)
        batch = db.session.scalars(select(NoticeAttempt).where(NoticeAttempt.status == "queued")
                                   .order_by(NoticeAttempt.id).limit(size)
                                   .with_for_update(skip_locked=True)).all()
        if not batch:
            break
        for attempt in batch:
            _deliver(attempt)
        db.session.commit()
        tried += len(batch)
    return tried


def notify_resident(resident_id: int, kind: str, data: dict, **kwargs) -> NoticeAttempt | None:
    """Notify the WeChat account bound to a resident, if any."""
    account_id = db.session.scalar(select(WeChatAccount.id).where(WeChatAccount.resident_id == resident_id))
    if account_id is None:
        return None
    return notify(account_id, kind, data, **kwargs)


def attempts_for(account_id: int):
    return select(NoticeAttempt).where(NoticeAttempt.account_id == account_id).order_by(NoticeAttempt.id.desc())
