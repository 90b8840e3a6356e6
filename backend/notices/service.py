"""Sending WeChat subscribe messages for any feature, recording every attempt (SPEC §9).

Call ``notify`` after the action behind the notice has committed: the notice is best effort and a
failed send can never roll that action back. Each attempt is committed in its own transaction.
"""

import logging

from flask import current_app
from sqlalchemy import select

from backend.accounts.models import WeChatAccount
from backend.extensions import db
from backend.notices.models import NoticeAttempt
from backend.wechat import get_client

log = logging.getLogger(__name__)

# The notices the product sends; each needs a template id from WECHAT_TEMPLATE_IDS to go out.
KINDS = ("penalty_recorded", "report_acknowledged", "report_decided", "repair_decided", "objection_decided")


def notify(account_id: int, kind: str, data: dict, *, page: str | None = None,
           object_type: str | None = None, object_id=None) -> NoticeAttempt:
    """Send one subscribe message to a WeChat account and record the attempt; never raises for WeChat."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind}")
    account = db.session.get(WeChatAccount, account_id)
    template_id = current_app.config.get("WECHAT_TEMPLATE_IDS", {}).get(kind)
    attempt = NoticeAttempt(account_id=account_id, kind=kind, template_id=template_id, data=data,
                            object_type=object_type, object_id=None if object_id is None else str(object_id))
    if template_id is None and not current_app.config["USE_DEVELOPMENT_WECHAT"]:
        attempt.status = "not_configured"
    else:
        try:
            result = get_client().send_subscribe_message(account.openid, template_id or f"dev-{kind}", data,
                                                          page=page)
            attempt.status, attempt.errcode = result.status, result.errcode
            attempt.errmsg = (result.errmsg or "")[:200] or None
        except Exception as exc:  # noqa: BLE001 - a notice must never break the action behind it
            log.warning("notice %s to account %s failed: %s", kind, account_id, type(exc).__name__)
            attempt.status, attempt.errmsg = "failed", type(exc).__name__
    db.session.add(attempt)
    db.session.commit()
    return attempt


def notify_resident(resident_id: int, kind: str, data: dict, **kwargs) -> NoticeAttempt | None:
    """Notify the WeChat account bound to a resident, if any."""
    account_id = db.session.scalar(select(WeChatAccount.id).where(WeChatAccount.resident_id == resident_id))
    if account_id is None:
        return None
    return notify(account_id, kind, data, **kwargs)


def attempts_for(account_id: int):
    return select(NoticeAttempt).where(NoticeAttempt.account_id == account_id).order_by(NoticeAttempt.id.desc())
