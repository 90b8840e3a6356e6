"""WeChat sign-in and identity binding (实名绑定) of SPEC §2 and §9."""

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import WeChatAccount
from backend.audit import service as audit
from backend.auth import service as tokens
from backend.data.extensions import db
from backend.data.prepared import Prepared
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.residents import service as residents
from backend.residents.models import Resident
from backend.web import ratelimits
from backend.web.access import RESIDENT, Principal
from backend.web.errors import Conflict, Forbidden, NotFound, Unauthenticated
from backend.wechat.client import WeChat
from backend.wechat.errors import WeChatError


class IdentityNotFound(NotFound):
    """One answer for an unknown resident and for any mismatch, so binding reveals nothing."""

    reason = "identity_not_found"
    message = _("No resident matches these details.")


class AlreadyBound(Conflict):
    reason = "already_bound"
    message = _("This identity or this WeChat account is already bound.")


class NotBound(Forbidden):
    reason = "not_bound"
    message = _("Bind your identity first.")


SIGN_IN_LIMIT = ratelimits.Limit("wechat-sign-in", "limits.wechat_sign_in_per_minute", ratelimits.MINUTE,
                                 _("Too many sign-ins of this account; try again in a minute."))
BINDING_LIMIT = ratelimits.Limit("binding", "limits.binding_per_day", ratelimits.DAY,
                                 _("Too many binding attempts today; try again tomorrow."))


def wechat_sign_in(wechat: WeChat, code: str) -> tokens.TokenPair:
    """Exchange a wx.login code for our tokens, creating the account on first sign-in; commits. Sign-ins
    are limited per WeChat user (by openid, whether or not the account exists yet), besides per IP."""
    session = wechat.code_to_session(code)
    ratelimits.attempt(SIGN_IN_LIMIT, session.openid)
    account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.openid == session.openid))
    if account is None:
        account = WeChatAccount(openid=session.openid, unionid=session.unionid)
        db.session.add(account)
        try:
            db.session.flush()
        except IntegrityError:  # the same user signing in twice at once
            db.session.rollback()
            account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.openid == session.openid))
    account.last_login_at = utcnow()
    db.session.flush()
    return tokens.sign_in("wechat", account.id)


def get_account(account_id: int, *, lock: bool = False) -> WeChatAccount:
    """The WeChat account (with ``lock``, its row locked for this transaction)."""
    account = db.session.get(WeChatAccount, account_id, with_for_update=lock, populate_existing=lock)
    if account is None:
        raise Unauthenticated(_("This account no longer exists."), reason="account_disabled")
    return account


def bind_identity(wechat: WeChat, account_id: int, *, name: str, id_number: str,
                  phone_code: str | None = None) -> Resident:
    """Bind the account to the registry resident with this name and ID number (and phone, when the
    registry holds one); commits. Every mismatch is the same ``IdentityNotFound``. Attempts are limited
    per account and day (setting ``limits.binding_per_day``), counted before the details are checked, so
    parallel attempts never check more than the limit and a binding that is made is never refused
    afterwards; WeChat failing costs no attempt."""
    counted = ratelimits.attempt(BINDING_LIMIT, account_id)
    try:
        return _bind(wechat, account_id, name=name, id_number=id_number, phone_code=phone_code)
    except WeChatError:
        counted.give_back()
        raise


def _bind(wechat: WeChat, account_id: int, *, name: str, id_number: str, phone_code: str | None) -> Resident:
    # The account row is locked first: parallel attempts of one account bind one after the other, and
    # each sees what the one before it made.
    account = get_account(account_id, lock=True)
    if account.resident_id is not None:
        raise AlreadyBound(_("This WeChat account is already bound; unbind it first."))
    # The phone code is read before the registry is, so its errors say nothing about who is registered.
    phone = wechat.phone_number(phone_code) if phone_code else None
    resident = residents.find_by_id_number(id_number)
    if resident is None or resident.name_hash != residents.name_hash(name):
        raise IdentityNotFound()
    if resident.phone_hash is not None and residents.phone_hash(phone) != resident.phone_hash:
        raise IdentityNotFound()
    if resident.status != "active":
        raise residents.ResidentNotActive()
    holder = db.session.scalar(select(WeChatAccount.id).where(WeChatAccount.resident_id == resident.id))
    if holder is not None:
        raise AlreadyBound(_("This resident is already bound to another WeChat account."))
    account.resident_id = resident.id
    account.bound_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError as exc:  # another account bound the same resident a moment ago
        db.session.rollback()
        raise AlreadyBound(_("This resident is already bound to another WeChat account.")) from exc
    audit.record(_principal_of(account.id), "identity.bind", "resident", resident.id,
                 after={"wechat_account": account.id})
    db.session.commit()
    return resident


def unbind_identity(account_id: int) -> None:
    """The resident ends the binding of their own account; commits."""
    account = get_account(account_id)
    if account.resident_id is None:
        raise NotBound(_("This account is not bound."))
    resident_id = account.resident_id
    account.resident_id = None
    account.bound_at = None
    audit.record(_principal_of(account.id), "identity.unbind", "resident", resident_id,
                 before={"wechat_account": account.id})
    db.session.commit()


def admin_unbind(actor: Principal, resident_id: int, reason: str) -> Resident:
    """Unbind a resident whose phone or WeChat account was lost; the old account's sign-ins end."""
    resident = residents.get_resident(resident_id)
    account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.resident_id == resident.id))
    if account is None:
        raise NotFound(_("This resident is not bound to any WeChat account."), reason="not_bound")
    account.resident_id = None
    account.bound_at = None
    tokens.revoke_all("wechat", account.id, "unbound_by_admin")
    audit.record(actor, "identity.admin_unbind", "resident", resident.id,
                 before={"wechat_account": account.id}, note=reason)
    db.session.commit()
    return resident


def _build_principal_read():
    from backend.verifiers.service import with_live_membership

    account = WeChatAccount.__table__
    return with_live_membership(select(account.c.id, account.c.resident_id), account.c.id).where(
        account.c.id == bindparam("account_id")).limit(1)


# Built once (``Prepared``): this runs on every request of the mini-program and every operator's scan.
_PRINCIPAL_READ = Prepared(_build_principal_read)


def _principal_of(account_id: int, family_id: str | None = None) -> Principal:
    """The account's rights as of now, read in one statement with its live operator membership: always a
    resident user, and an operator while the membership and its verifier are live (a suspended verifier's
    role answers 403 ``verifier_suspended``)."""
    from backend.verifiers.service import roles_of_row

    row = _PRINCIPAL_READ.execute(account_id=account_id).first()
    if row is None:
        raise Unauthenticated(_("This account no longer exists."), reason="account_disabled")
    held, suspended, details = roles_of_row(row)
    return Principal(kind="wechat", id=row.id, roles=frozenset({RESIDENT}) | held, suspended_roles=suspended,
                     family_id=family_id, resident_id=row.resident_id, name=f"wechat:{row.id}", extra=details)


def roles_of(account_id: int) -> list[str]:
    """The roles a new access token lists (the live check on each request is what counts)."""
    return sorted(_principal_of(account_id).roles)


def principal_from_claims(claims: dict) -> Principal:
    """The caller of every WeChat request, from the claims of its access token."""
    return _principal_of(claims["uid"], claims["fam"])


def bound_resident(principal: Principal) -> Resident:
    """The caller's own resident, or 403 ``not_bound``."""
    if principal.resident_id is None:
        raise NotBound()
    return db.session.get(Resident, principal.resident_id)
