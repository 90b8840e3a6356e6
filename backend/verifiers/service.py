"""Verifiers, operators, API keys and offers (SPEC §1, §4).

Operator and bank-system rights follow the verifier's live state: every request loads the membership
or key with its verifier, so a suspension, a removal or a revocation counts from the next request.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError

from backend.audit import service as audit
from backend.data.extensions import db
from backend.data.prepared import Prepared
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.privacy.sealing import digest_secret
from backend.residents.models import Town
from backend.settings import service as settings
from backend.verifiers.models import VERIFIER_KINDS, ApiKey, Offer, Operator, OperatorInvite, Verifier
from backend.verifiers.offers_cache import offers_changed
from backend.web import ratelimits
from backend.web.access import OPERATOR, VERIFIER_SYSTEM, Principal
from backend.web.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated

API_KEY_PREFIX = "cxk"
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
INVITE_LENGTH = 12  # 60 bits
LAST_USED_WRITE_SECONDS = 60

REDEEM_LIMIT = ratelimits.Limit("invite-redemption", "limits.invite_redemptions_per_hour", ratelimits.HOUR,
                                _("Too many invite codes tried from this account; try again later."))
WRONG_KEY_LIMIT = ratelimits.Limit("wrong-api-keys", "limits.wrong_api_keys_per_minute", ratelimits.MINUTE,
                                   _("Too many wrong API keys from this address; try again in a minute."))
# Each key's own limit spreads load; wrong keys are what it guards against, and those count anyway.
API_KEY_LIMIT = ratelimits.Limit("api-key", "limits.api_key_per_minute", ratelimits.MINUTE, fail_open=True)


class InviteInvalid(NotFound):
    reason = "invite_invalid"
    message = _("This invite code is not valid.")


class InviteUsed(Conflict):
    reason = "invite_used"
    message = _("This invite code was already used.")


class InviteExpired(DomainError):
    status = 410
    reason = "invite_expired"
    message = _("This invite code has expired; ask the credit office for a new one.")


class AlreadyOperator(Conflict):
    reason = "already_operator"
    message = _("This WeChat account already acts for a verifier.")


class VerifierSuspendedConflict(Conflict):
    reason = "verifier_suspended"
    message = _("This verifier is suspended.")


def validate_uscc(value: str) -> str:
    """A unified social credit code (统一社会信用代码) checked by its GB 32100 check character."""
    try:
        return uscc_code.validate(value or "")
    except ValidationError as exc:
        raise InvalidInput(_("not a valid unified social credit code (%(problem)s)",
                             problem=exc.message), field="uscc",
                           reason="invalid_uscc") from exc


def _black_listed(uscc: str) -> bool:
    from backend.public_credit.service import black_listed

    return black_listed(uscc)


def _town(name: str) -> Town:
    town = db.session.scalar(select(Town).where(Town.name == name))
    if town is None:
        raise InvalidInput(_("no such town in the registry"), field="town")
    return town


def _snapshot(verifier: Verifier) -> dict:
    return {"name": verifier.name, "kind": verifier.kind, "uscc": verifier.uscc, "town": verifier.town.name,
            "address": verifier.address, "status": verifier.status}


# --- verifiers ------------------------------------------------------------------------------------------


def create_verifier(actor: Principal | None, *, name: str, kind: str, uscc: str, town: str,
                    address: str) -> Verifier:
    """Register a merchant, bank or organisation with a valid USCC."""
    if kind not in VERIFIER_KINDS:
        raise InvalidInput(_("must be one of %(choices)s", choices=", ".join(VERIFIER_KINDS)), field="kind")
    code = validate_uscc(uscc)
    if db.session.scalar(select(Verifier.id).where(Verifier.uscc == code)):
        raise Conflict(_("A verifier with this USCC is registered."), reason="uscc_taken")
    verifier = Verifier(name=name.strip(), kind=kind, uscc=code, town=_town(town), address=address.strip(),
                        status="active", black_listed=_black_listed(code))
    db.session.add(verifier)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("A verifier with this USCC is registered."), reason="uscc_taken") from exc
    audit.record(actor, "verifier.create", "verifier", verifier.id, after=_snapshot(verifier))
    db.session.commit()
    return verifier


def get_verifier(verifier_id: int) -> Verifier:
    verifier = db.session.get(Verifier, verifier_id)
    if verifier is None:
        raise NotFound(_("No such verifier."), reason="verifier_not_found")
    return verifier


def list_verifiers(*, kind: str | None = None, town: str | None = None, status: str | None = None):
    statement = select(Verifier).order_by(Verifier.id)
    if kind:
        statement = statement.where(Verifier.kind == kind)
    if town:
        statement = statement.join(Town, Verifier.town_id == Town.id).where(Town.name == town)
    if status:
        statement = statement.where(Verifier.status == status)
    return statement


def update_verifier(actor: Principal, verifier_id: int, changes: dict) -> Verifier:
    """Correct a verifier's name, address or town (kind and USCC identify it and do not change)."""
    verifier = get_verifier(verifier_id)
    before = _snapshot(verifier)
    if "name" in changes:
        verifier.name = changes["name"].strip()
    if "address" in changes:
        verifier.address = changes["address"].strip()
    if "town" in changes:
        verifier.town = _town(changes["town"])
    verifier.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "verifier.update", "verifier", verifier.id, before=before, after=_snapshot(verifier))
    db.session.commit()
    return verifier


def set_status(actor: Principal, verifier_id: int, status: str, reason: str | None = None) -> Verifier:
    """Suspend or reinstate a verifier; its operators and keys follow on their next request."""
    verifier = get_verifier(verifier_id)
    if verifier.status == status and verifier.status_reason == reason:
        return verifier
    before = _snapshot(verifier)
    verifier.status = status
    verifier.status_reason = reason
    verifier.updated_at = utcnow()
    audit.record(actor, "verifier.suspend" if status == "suspended" else "verifier.reinstate", "verifier",
                 verifier.id, before=before, after=_snapshot(verifier), note=reason)
    db.session.commit()
    return verifier


# --- operators and invites ------------------------------------------------------------------------------


def create_invite(actor: Principal | None, verifier_id: int) -> tuple[str, OperatorInvite]:
    """A one-time invite code for the verifier's staff; the code is returned once, stored hashed."""
    verifier = get_verifier(verifier_id)
    if not verifier.may_verify:
        raise VerifierSuspendedConflict()
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    invite = OperatorInvite(verifier_id=verifier.id, code_hash=digest_secret(code),
                            expires_at=utcnow() + timedelta(days=settings.get("verifiers.invite_ttl_days")),
                            created_by=actor.id if actor and actor.kind == "staff" else None)
    db.session.add(invite)
    db.session.flush()
    audit.record(actor, "verifier.invite", "verifier", verifier.id, after={"invite_id": invite.id,
                                                                          "expires_at": invite.expires_at})
    db.session.commit()
    return code, invite


def normalise_invite(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def redeem_invite(account_id: int, code: str) -> Operator:
    """Make the WeChat account an operator of the invite's verifier (a resident keeps their own role).
    Attempts are limited per account (setting ``limits.invite_redemptions_per_hour``)."""
    ratelimits.attempt(REDEEM_LIMIT, account_id)
    invite = db.session.scalar(select(OperatorInvite).where(
        OperatorInvite.code_hash == digest_secret(normalise_invite(code))))
    if invite is None:
        raise InviteInvalid()
    if invite.used_at is not None:
        raise InviteUsed()
    if invite.expires_at <= utcnow():
        raise InviteExpired()
    verifier = get_verifier(invite.verifier_id)
    if not verifier.may_verify:
        raise VerifierSuspendedConflict()
    if membership(account_id) is not None:
        raise AlreadyOperator()
    claimed = db.session.execute(update(OperatorInvite).where(
        OperatorInvite.id == invite.id, OperatorInvite.used_at.is_(None)).values(
        used_at=utcnow(), used_by_account_id=account_id)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InviteUsed()
    operator = Operator(verifier_id=verifier.id, account_id=account_id, added_at=utcnow())
    db.session.add(operator)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise AlreadyOperator() from exc
    joiner = Principal(kind="wechat", id=account_id, roles=frozenset({OPERATOR}), name=f"wechat:{account_id}")
    audit.record(joiner, "verifier.operator_joined", "verifier", verifier.id,
                 after={"operator_id": operator.id, "wechat_account": account_id})
    db.session.commit()
    return operator


def membership(account_id: int) -> Operator | None:
    """The account's live operator membership, with its verifier (one query: this runs on every request
    of a WeChat account)."""
    return db.session.scalar(select(Operator).options(joinedload(Operator.verifier)).where(
        Operator.account_id == account_id, Operator.removed_at.is_(None)))


def list_operators(verifier_id: int):
    get_verifier(verifier_id)
    return select(Operator).where(Operator.verifier_id == verifier_id).order_by(Operator.id)


def remove_operator(actor: Principal, verifier_id: int, operator_id: int) -> Operator:
    operator = db.session.get(Operator, operator_id)
    if operator is None or operator.verifier_id != verifier_id:
        raise NotFound(_("No such operator of this verifier."), reason="operator_not_found")
    if operator.removed_at is None:
        operator.removed_at = utcnow()
        audit.record(actor, "verifier.operator_removed", "verifier", verifier_id,
                     before={"operator_id": operator.id, "wechat_account": operator.account_id})
        db.session.commit()
    return operator


# --- API keys -------------------------------------------------------------------------------------------


def create_api_key(actor: Principal | None, verifier_id: int, label: str | None = None) -> tuple[str, ApiKey]:
    """A key for a bank's system: ``cxk_<prefix>_<secret>``, returned once and stored as a hash."""
    verifier = get_verifier(verifier_id)
    if verifier.kind != "bank":
        raise Conflict(_("API keys are for bank systems."), reason="api_keys_for_banks_only")
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(verifier_id=verifier.id, prefix=prefix, key_hash=digest_secret(key), label=label,
                 created_by=actor.id if actor and actor.kind == "staff" else None)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "verifier.api_key_created", "verifier", verifier.id,
                 after={"api_key_id": row.id, "prefix": prefix, "label": label})
    db.session.commit()
    return key, row


def list_api_keys(verifier_id: int):
    get_verifier(verifier_id)
    return select(ApiKey).where(ApiKey.verifier_id == verifier_id).order_by(ApiKey.id)


def revoke_api_key(actor: Principal, verifier_id: int, key_id: int) -> ApiKey:
    row = db.session.get(ApiKey, key_id)
    if row is None or row.verifier_id != verifier_id:
        raise NotFound(_("No such API key of this verifier."), reason="api_key_not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(actor, "verifier.api_key_revoked", "verifier", verifier_id,
                     after={"api_key_id": row.id, "prefix": row.prefix})
        db.session.commit()
    return row


def principal_from_api_key(key: str, address: str) -> Principal:
    """The bank system behind an ``X-API-Key``; a revoked or unknown key is 401. Every key sent from
    ``address`` is counted against the wrong-key limit before it is checked and a right one gives its
    count back; then each key has its own limit (SPEC §10)."""
    counted = ratelimits.attempt(WRONG_KEY_LIMIT, address)
    row = _api_key_row(key)
    counted.give_back()
    ratelimits.attempt(API_KEY_LIMIT, row.id)
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(seconds=LAST_USED_WRITE_SECONDS):
        # Written at most once a minute, so a busy key does not turn every verification into a write.
        db.session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        db.session.commit()
    held = frozenset({VERIFIER_SYSTEM})
    active = Verifier.verifies(row.verifier_status, row.verifier_black_listed)
    return Principal(kind="apikey", id=row.id, roles=held if active else frozenset(),
                     suspended_roles=frozenset() if active else held, name=row.verifier_name,
                     extra={"verifier_id": row.verifier_id, "verifier_kind": row.verifier_kind,
                            "verifier_name": row.verifier_name})


def api_key_works(key: str) -> bool:
    """Whether ``key`` is a live API key (for the demo's reminder of its sign-ins; counts nothing)."""
    try:
        _api_key_row(key)
    except Unauthenticated:
        return False
    return True


def _build_api_key_read():
    return (select(ApiKey.id, ApiKey.key_hash, ApiKey.revoked_at, ApiKey.last_used_at,
                   Verifier.id.label("verifier_id"), Verifier.kind.label("verifier_kind"),
                   Verifier.name.label("verifier_name"), Verifier.status.label("verifier_status"),
                   Verifier.black_listed.label("verifier_black_listed"))
            .join(Verifier, Verifier.id == ApiKey.verifier_id).where(ApiKey.prefix == bindparam("prefix")))


# Built once (``Prepared``): a bank's system sends its key with every verification.
_API_KEY_READ = Prepared(_build_api_key_read)


def _api_key_row(key: str):
    """The key's row with its verifier's columns; 401 unless it is a live key."""
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise Unauthenticated(_("This API key is not valid."), reason="api_key_invalid")
    row = _API_KEY_READ.execute(prefix=parts[1]).first()
    if row is None or not secrets.compare_digest(row.key_hash, digest_secret(key)):
        raise Unauthenticated(_("This API key is not valid."), reason="api_key_invalid")
    if row.revoked_at is not None:
        raise Unauthenticated(_("This API key was revoked."), reason="api_key_revoked")
    return row


def with_live_membership(statement, account_column):
    """``statement`` outer-joined with the account's live operator membership and its verifier, with the
    columns ``roles_of_row`` reads (the principal reads them with the account in one query on every request
    of a WeChat account)."""
    return (statement.add_columns(Operator.id.label("operator_id"), Verifier.id.label("verifier_id"),
                                  Verifier.kind.label("verifier_kind"), Verifier.name.label("verifier_name"),
                                  Verifier.status.label("verifier_status"),
                                  Verifier.black_listed.label("verifier_black_listed"))
            .outerjoin(Operator, and_(Operator.account_id == account_column, Operator.removed_at.is_(None)))
            .outerjoin(Verifier, Verifier.id == Operator.verifier_id))


def roles_of_row(row) -> tuple[frozenset, frozenset, dict]:
    """(roles, suspended roles, details) of the membership columns ``with_live_membership`` added."""
    if row.operator_id is None:
        return frozenset(), frozenset(), {}
    details = {"verifier_id": row.verifier_id, "verifier_kind": row.verifier_kind, "verifier_name": row.verifier_name,
               "operator_id": row.operator_id}
    if Verifier.verifies(row.verifier_status, row.verifier_black_listed):
        return frozenset({OPERATOR}), frozenset(), details
    return frozenset(), frozenset({OPERATOR}), details


# --- offers ---------------------------------------------------------------------------------------------


def _check_period(valid_from: datetime, valid_to: datetime) -> None:
    if valid_to <= valid_from:
        raise InvalidInput(_("must be after valid_from"), field="valid_to")


def create_offer(actor: Principal | None, verifier_id: int, **fields) -> Offer:
    _check_period(fields["valid_from"], fields["valid_to"])
    offer = Offer(verifier_id=verifier_id, withdrawn=False, **fields)
    db.session.add(offer)
    db.session.flush()
    audit.record(actor, "offer.create", "offer", offer.id, after=_offer_snapshot(offer))
    db.session.commit()
    offers_changed(verifier_id)
    return offer


def _offer_snapshot(offer: Offer) -> dict:
    return {"title": offer.title, "min_stars": offer.min_stars, "valid_from": offer.valid_from,
            "valid_to": offer.valid_to, "quota_per_resident": offer.quota_per_resident,
            "withdrawn": offer.withdrawn}


def own_offer(verifier_id: int, offer_id: int) -> Offer:
    """One of the verifier's own offers; another verifier's offer is 404, as if it did not exist."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.verifier_id != verifier_id or offer.withdrawn:
        raise NotFound(_("No such offer."), reason="offer_not_found")
    return offer


def update_offer(actor: Principal, verifier_id: int, offer_id: int, changes: dict) -> Offer:
    offer = own_offer(verifier_id, offer_id)
    before = _offer_snapshot(offer)
    _check_period(changes.get("valid_from", offer.valid_from), changes.get("valid_to", offer.valid_to))
    for name, value in changes.items():
        setattr(offer, name, value)
    offer.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "offer.update", "offer", offer.id, before=before, after=_offer_snapshot(offer))
    db.session.commit()
    offers_changed(verifier_id)
    return offer


def withdraw_offer(actor: Principal, verifier_id: int, offer_id: int) -> None:
    """Take an offer down; past redemptions keep pointing at it."""
    offer = own_offer(verifier_id, offer_id)
    before = _offer_snapshot(offer)
    offer.withdrawn = True
    offer.updated_at = utcnow()
    audit.record(actor, "offer.withdraw", "offer", offer.id, before=before, after=_offer_snapshot(offer))
    db.session.commit()
    offers_changed(verifier_id)


def own_offers(verifier_id: int):
    return (select(Offer).where(Offer.verifier_id == verifier_id, Offer.withdrawn.is_(False))
            .order_by(Offer.valid_to.desc(), Offer.id.desc()))


def current_offers_clause(now: datetime | None = None):
    now = now or utcnow()
    return and_(Offer.withdrawn.is_(False), Offer.valid_from <= now, Offer.valid_to > now,
                Verifier.status == "active", Verifier.black_listed.is_(False))


def public_offers(*, town: str | None = None, kind: str | None = None, min_stars: int | None = None,
                  stars: int | None = None):
    """Current offers of active verifiers. ``min_stars`` keeps offers that ask at least that many stars;
    ``stars`` keeps those a resident with that many stars gets."""
    statement = (select(Offer).join(Verifier, Offer.verifier_id == Verifier.id)
                 .where(current_offers_clause()).order_by(Offer.min_stars, Offer.id))
    if town:
        statement = statement.join(Town, Verifier.town_id == Town.id).where(Town.name == town)
    if kind:
        statement = statement.where(Verifier.kind == kind)
    if min_stars is not None:
        statement = statement.where(Offer.min_stars >= min_stars)
    if stars is not None:
        statement = statement.where(Offer.min_stars <= stars)
    return statement
