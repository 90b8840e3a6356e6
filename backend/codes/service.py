"""Credit codes (信用码) and their verification (SPEC §4).

A code is a compact EdDSA JWT: ``scope``, ``stars`` at issue, ``iat``, ``exp``, a random ``jti`` and a
resident reference that is the resident id sealed with a fresh nonce, so no two codes of one resident
share any identifying claim and none carries an ID number, name or score. Verification pins the
algorithm, takes the stars from the live account, and consumes the code by inserting its ``jti`` under a
unique constraint: exactly one of any number of simultaneous verifications succeeds, on any host.
"""

import base64
import hashlib
import hmac
import io
import math
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import NoReturn

import jwt
import qrcode
import qrcode.image.svg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from qrcode.image.pure import PyPNGImage
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from backend.codes import keys
from backend.codes.models import Verification
from backend.credit import disclosure
from backend.credit import service as credit
from backend.credit.levels import DEFAULT_LEVELS, level_name, stored_levels_in_force
from backend.credit.models import CreditAccount, CreditEvent, StarLevel
from backend.data.extensions import db
from backend.data.prepared import Prepared, placeholders
from backend.dates.timeutil import SHANGHAI, utcnow
from backend.i18n import _
from backend.privacy.masking import mask_name
from backend.privacy.sealing import open_sealed
from backend.query_records import service as query_records
from backend.query_records.models import QueryRecord
from backend.residents.models import Resident
from backend.residents.service import ResidentNotActive
from backend.settings import service as settings
from backend.settings.models import SettingValue
from backend.verifiers.models import Offer
from backend.verifiers.offers_cache import current_offers
from backend.web import ratelimits
from backend.web.access import OPERATOR, VERIFIER_SYSTEM, Principal
from backend.web.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

ISSUER = "chengxin"
TTL_SETTING = "credit_code.ttl_seconds"
SCOPES = ("basic", "detailed")
PURPOSES = ("discount", "admission", "loan", "service", "other")
SUBJECT_AAD = b"chengxin credit code subject"


class CodeInvalid(DomainError):
    status = 400
    reason = "code_invalid"
    message = _("This is not a valid credit code.")


class CodeExpired(DomainError):
    status = 410
    reason = "code_expired"
    message = _("This credit code has expired; ask the resident to refresh it.")


class CodeUsed(Conflict):
    reason = "code_used"
    message = _("This credit code was already used; ask the resident to refresh it.")


class ScopeNotAllowed(Forbidden):
    reason = "scope_not_allowed"
    message = _("Only banks may verify detailed codes.")


class QuotaExhausted(Conflict):
    reason = "quota_exhausted"
    message = _("The resident has used this offer as often as this month allows.")


# --- the resident reference -----------------------------------------------------------------------------


def _subject_key() -> bytes:
    # A key of its own, derived from the data key, so a subject can never be opened as personal data.
    return hmac.new(current_app.config["DATA_ENCRYPTION_KEY_BYTES"], b"credit-code-subject", hashlib.sha256).digest()


def seal_subject(resident_id: int) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_subject_key()).encrypt(nonce, resident_id.to_bytes(8, "big"), SUBJECT_AAD)
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_subject(subject: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4))
        plain = AESGCM(_subject_key()).decrypt(raw[:12], raw[12:], SUBJECT_AAD)
    except (ValueError, TypeError, InvalidTag) as exc:
        raise CodeInvalid() from exc
    return int.from_bytes(plain, "big")


# --- issuing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    token: str
    expires_at: datetime


def issue(resident: Resident, scope: str) -> IssuedCode:
    """A fresh code for a bound, active resident, carrying the stars of the live account."""
    if scope not in SCOPES:
        raise InvalidInput(_("must be one of %(choices)s", choices=", ".join(SCOPES)), field="scope")
    if resident.status != "active":
        raise ResidentNotActive()
    account = credit.get_account(resident.id)
    now = utcnow().replace(microsecond=0)
    expires = now + timedelta(seconds=settings.get("credit_code.ttl_seconds"))
    kid, signer = keys.active_signer()
    claims = {"iss": ISSUER, "sub": seal_subject(resident.id), "scope": scope, "stars": account.stars,
              "iat": int(now.timestamp()), "exp": int(expires.timestamp()), "jti": secrets.token_urlsafe(16)}
    token = jwt.encode(claims, signer, algorithm=keys.ALGORITHM, headers={"kid": kid, "typ": keys.CODE_TYP})
    return IssuedCode(token, expires)


PNG_LIMIT = ratelimits.Limit("credit-code-png", "limits.credit_code_png_per_minute", ratelimits.MINUTE,
                             _("Too many code images in a minute; show the one you have."), fail_open=True)


def issue_png(account_id: int, resident: Resident, scope: str) -> tuple[IssuedCode, bytes]:
    """A fresh code drawn as a PNG; images are limited per account (drawing one costs far more than
    signing a code)."""
    ratelimits.attempt(PNG_LIMIT, account_id)
    issued = issue(resident, scope)
    return issued, qr_png(issued.token)


def _qr(token: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(token)
    code.make(fit=True)
    return code


def qr_svg(token: str) -> str:
    buffer = io.BytesIO()
    _qr(token).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode()


def qr_png(token: str) -> bytes:
    """A PNG of about 600 px for a version-12 code: scannable from a phone screen at arm's length."""
    buffer = io.BytesIO()
    _qr(token).make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


# --- verifying ------------------------------------------------------------------------------------------


# A host's clock may run a little ahead of the one that signed: this much is not held against a code.
LIFETIME_SKEW_SECONDS = 5


def read_code(token: str, *, published: tuple[str | None, int] | None = None) -> dict:
    """The claims of an authentic code: signed (EdDSA only) by a key that is still published, with the
    claims of the SPEC and a lifetime no longer than the setting allows; 400 ``code_invalid`` otherwise.
    Whether it has expired is left to the caller (a used code says so first). ``published``: the key's
    published public key and the lifetime setting, when the caller has read them already."""
    public_text, ttl_seconds = published or (
        db.session.scalar(keys.published_public_key(code_kid(token), utcnow())), settings.get(TTL_SETTING))
    public = keys.public_key(public_text)
    if public is None:
        raise CodeInvalid()
    try:
        claims = jwt.decode(token, public, algorithms=[keys.ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "jti", "sub", "scope"], "verify_exp": False})
    except jwt.InvalidTokenError as exc:
        raise CodeInvalid() from exc
    if claims["scope"] not in SCOPES or not isinstance(claims["jti"], str) or len(claims["jti"]) > 64:
        raise CodeInvalid()
    if not _number(claims["exp"]) or not _number(claims["iat"]) or (
            claims["exp"] - claims["iat"] > ttl_seconds + LIFETIME_SKEW_SECONDS):
        raise CodeInvalid()
    return claims


def code_kid(token: str) -> str:
    """The kid of what looks like a credit code (EdDSA, our kid's form, the code's ``typ``), not yet
    checked; 400 ``code_invalid`` otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise CodeInvalid() from exc
    return _kid_of(header)


def _kid_of(header: dict) -> str:
    if header.get("alg") != keys.ALGORITHM or not keys.KID.fullmatch(str(header.get("kid", ""))):
        raise CodeInvalid()
    if header.get("typ") != keys.CODE_TYP:  # a credit report, or any other kind of token (SPEC §4)
        raise CodeInvalid()
    return header["kid"]


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_unexpired(claims: dict, now: datetime) -> None:
    """410 ``code_expired`` once the code's ``exp`` has passed."""
    if claims["exp"] <= now.timestamp():
        raise CodeExpired()


@dataclass
class Outcome:
    verification: Verification
    resident: Resident
    account: CreditAccount
    eligible_offers: list
    redeemed_offer: Offer | None
    refused_reason: str | None
    active_penalties: list | None
    level_name: str | None = None


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(SHANGHAI)
    start = datetime(local.year, local.month, 1, tzinfo=SHANGHAI)
    following = datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, following


def quota_spent(offer: Offer, resident_id: int, now: datetime) -> bool:
    """Whether the resident has redeemed ``offer`` as often as its monthly quota allows: scanned codes
    and poster claims alike, a reversed claim not (SPEC §4). Call it with the resident's account locked
    (``credit.lock_account``), so two redemptions of one resident are counted one after the other."""
    if offer.quota_per_resident is None:
        return False
    start, end = _month_bounds(now)
    used = db.session.scalar(select(func.count()).select_from(Verification).where(
        Verification.offer_id == offer.id, Verification.resident_id == resident_id,
        Verification.redeemed.is_(True), Verification.at >= start, Verification.at < end))
    return used >= offer.quota_per_resident


def verify(actor: Principal, *, token: str, purpose: str, offer_id: int | None = None,
           min_stars: int | None = None) -> dict:
    """Verify and consume a code for an operator or a bank system; commits and returns the answer the
    verifier gets (SPEC §4).

    The rules, in order: the code is authentic (400), was not used (409 ``code_used``, before anything
    else is said about it), has not expired (410), its scope is the caller's to read (403), the request
    is whole (422) and names one of the caller's current offers (404); then the resident is read. From
    there on a refusal (``resident_not_active``, ``quota_exhausted``) has told the verifier something
    about the resident, so it is a query record like a verification (SPEC §2).

    This is the product's hottest path, so it is written in few round trips: the code's public key and
    lifetime setting, whether it was used, the resident, their account and their level's name in one
    statement (``_read``), the offers from the shared store (``offers_cache``), and the verification with
    its query record in one statement (``_consume``); the rules are checked in the order above all the
    same, the signature before anything read is used."""
    kid, unchecked = _unchecked(token)
    try:
        resident_id = open_subject(unchecked["sub"])
    except CodeInvalid:
        resident_id = None
    now = utcnow()
    read = _read(kid, unchecked["jti"], resident_id, now)
    # The signature is checked before anything read is used: the statement only saved round trips.
    claims = read_code(token, published=(read.public_key, read.ttl_seconds) if read is not None else None)
    if claims["jti"] != unchecked["jti"]:
        raise CodeInvalid()
    if read is not None and read.used is not None or read is None and _used(claims["jti"]):
        raise CodeUsed()
    check_unexpired(claims, now)
    verifier_id, kind = actor.extra["verifier_id"], actor.extra["verifier_kind"]
    if claims["scope"] == "detailed" and kind != "bank":
        raise ScopeNotAllowed()
    if purpose == "admission" and min_stars is None:
        raise InvalidInput(_("an admission check names the stars it asks for"), field="min_stars")
    offers = current_offers(verifier_id, now)
    offer = next((o for o in offers if o.id == offer_id), None)
    if offer_id is not None and offer is None:
        raise NotFound(_("This is not one of your current offers."), reason="offer_not_found")

    if read is None:
        raise CodeInvalid()
    resident = Resident(id=read.id, status=read.status, name_sealed=read.name_sealed)

    def read_by_verifier() -> None:
        query_records.record(resident.id, actor, purpose=purpose, scope=claims["scope"],
                             actor_label=actor.extra.get("verifier_name"))

    if resident.status != "active":
        _refuse(ResidentNotActive(), read_by_verifier)
    if read.stars is None or read.next_expiry_at is not None and read.next_expiry_at <= now:
        # no account yet, or an event has expired since it was computed: the account's own rule
        account = credit.get_account(resident.id)
        stars, points, name = account.stars, account.points, level_name(account.stars)
    else:
        stars, points = read.stars, read.points
        name = read.level_name if stored_levels_in_force(read.levels) else level_name(stars, DEFAULT_LEVELS)
    redeemed, refused = None, None
    if offer is not None:
        if stars < offer.min_stars:
            refused = "stars_too_low"
        else:
            if offer.quota_per_resident is not None:
                credit.lock_account(resident.id)  # two codes of one resident redeem one at a time
                # The code may have been used while this waited for the lock: that answer comes first.
                if _used(claims["jti"]):
                    raise CodeUsed()
                if quota_spent(offer, resident.id, now):
                    _refuse(QuotaExhausted(), read_by_verifier)
            redeemed = offer

    values = {"jti": claims["jti"], "at": now, "resident_id": resident.id, "verifier_id": verifier_id,
              "operator_id": actor.extra.get("operator_id") if OPERATOR in actor.roles else None,
              "api_key_id": actor.id if VERIFIER_SYSTEM in actor.roles else None, "scope": claims["scope"],
              "purpose": purpose, "stars": stars, "offer_id": offer_id, "redeemed": redeemed is not None,
              "min_stars": min_stars, "admitted": stars >= min_stars if purpose == "admission" else None}
    record = query_records.row(resident.id, actor, purpose=purpose, scope=claims["scope"],
                               actor_label=actor.extra.get("verifier_name"), at=now)
    verification = Verification(id=_consume(values, record), **values)
    penalties = None
    if claims["scope"] == "detailed":
        # A bank sees the penalties still disclosed (SPEC §6): one past its window, repaired or voided is
        # gone from this view at once, whether or not it still counts.
        penalties = [event for event in db.session.scalars(credit.events_of(resident.id, kind="penalty"))
                     if disclosure.is_disclosed(event, now)]
    account = CreditAccount(resident_id=resident.id, stars=stars, points=points)
    eligible = [offer for offer in offers if offer.min_stars <= stars]
    outcome = Outcome(verification, resident, account, eligible, redeemed, refused, penalties, name)
    # The answer is read before the commit: afterwards every object would be expired and reloaded, one
    # query each, on the hottest path of the product.
    answer = describe(outcome)
    db.session.commit()
    return answer


def _unchecked(token: str) -> tuple[str, dict]:
    """The kid (``code_kid``'s checks) and the claims of a code before its signature is checked, in one
    parse: only to read what the code names in the same statement as its key; ``read_code`` decides
    whether the code is authentic."""
    try:
        parts = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise CodeInvalid() from exc
    claims = parts["payload"]
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("sub"), str):
        raise CodeInvalid()
    return _kid_of(parts["header"]), claims


def _build_read():
    public = keys.published_public_key(bindparam("kid"), bindparam("now")).scalar_subquery()
    ttl = select(SettingValue.value).where(SettingValue.key == TTL_SETTING).scalar_subquery()
    used = select(Verification.id).where(Verification.jti == bindparam("jti")).scalar_subquery()
    levels = select(func.count()).select_from(StarLevel).scalar_subquery()
    name = select(StarLevel.name).where(StarLevel.stars == CreditAccount.stars).scalar_subquery()
    return (select(public.label("public_key"), ttl.label("ttl"), used.label("used"), Resident.id, Resident.status,
                   Resident.name_sealed, CreditAccount.stars, CreditAccount.points, CreditAccount.next_expiry_at,
                   levels.label("levels"), name.label("level_name"))
            .select_from(Resident).outerjoin(CreditAccount, CreditAccount.resident_id == Resident.id)
            .where(Resident.id == bindparam("resident_id")))


_READ = Prepared(_build_read)


def _read(kid: str, jti: str, resident_id: int | None, now: datetime):
    """In one statement: the published public key of ``kid`` and the lifetime setting (what ``read_code``
    needs), the verification that used ``jti`` (if any), the resident, their account, and their level's
    name with the number of levels stored (the defaults apply unless all five are, as in
    ``levels.current_levels``); None when the code names no resident."""
    if resident_id is None:
        return None
    row = _READ.execute(kid=kid, now=now, jti=jti, resident_id=resident_id).first()
    if row is None:
        return None
    return SimpleNamespace(**row._asdict(), ttl_seconds=settings.in_force(TTL_SETTING, row.ttl))


def _used(jti: str) -> bool:
    return db.session.scalar(select(Verification.id).where(Verification.jti == jti)) is not None


# The columns a verification and its query record are written with (``verify``, ``query_records.row``).
VERIFICATION_COLUMNS = ("jti", "at", "resident_id", "verifier_id", "operator_id", "api_key_id", "scope", "purpose",
                        "stars", "offer_id", "redeemed", "min_stars", "admitted")
_RECORD = "record_"


def _insert_verification():
    table = Verification.__table__
    return insert(table).values(placeholders(table, VERIFICATION_COLUMNS)).returning(table.c.id)


def _insert_record():
    table = QueryRecord.__table__
    return insert(table).values(placeholders(table, query_records.ROW_COLUMNS, prefix=_RECORD))


_INSERT_VERIFICATION = Prepared(_insert_verification)
_INSERT_RECORD = Prepared(_insert_record)
# PostgreSQL: the query record as a data-modifying CTE of the verification's INSERT, one round trip.
_INSERT_BOTH = Prepared(lambda: _insert_verification().add_cte(_insert_record().cte("query_record")))


def _consume(values: dict, record: dict) -> int:
    """Insert the verification (its unique ``jti`` consumes the code) and the resident's query record in
    one round trip where the database allows; the verification's id. A code used meanwhile is 409
    ``code_used`` and nothing is written."""
    recorded = {_RECORD + name: value for name, value in record.items()}
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            return _INSERT_BOTH.execute(**values, **recorded).scalar_one()
        verification_id = _INSERT_VERIFICATION.execute(**values).scalar_one()
        _INSERT_RECORD.execute(**recorded)
        return verification_id
    except IntegrityError as exc:
        db.session.rollback()
        raise CodeUsed() from exc


def _refuse(refusal: DomainError, record_read) -> NoReturn:
    """Refuse after the resident was read: the read is recorded (and committed) all the same; the code
    is not consumed."""
    db.session.rollback()
    record_read()
    db.session.commit()
    raise refusal


def describe(outcome: Outcome) -> dict:
    """The answer a verifier gets: masked name, live stars, offers; points only for detailed codes."""
    verification, account = outcome.verification, outcome.account
    body = {
        "verification_id": verification.id,
        "resident": {"masked_name": mask_name(open_sealed("name", outcome.resident.name_sealed))},
        "stars": account.stars,
        "level_name": outcome.level_name or level_name(account.stars),
        "eligible_offers": [_offer(offer) for offer in outcome.eligible_offers],
        "verified_at": verification.at,
        "scope": verification.scope,
    }
    if verification.offer_id is not None:
        body["redeemed_offer"] = _offer(outcome.redeemed_offer) if outcome.redeemed_offer else None
        if outcome.refused_reason:
            body["redeem_refused_reason"] = outcome.refused_reason
    if verification.purpose == "admission":
        body["admitted"] = verification.admitted
    if verification.scope == "detailed" and verification.purpose != "admission":
        # An admission check answers admitted or not, never the points (SPEC §4), whoever asks.
        body["points"] = account.points
        body["active_penalties"] = penalty_list(outcome.active_penalties)
    return body


def _offer(offer: Offer) -> dict:
    return {name: getattr(offer, name) for name in
            ("id", "title", "description", "min_stars", "valid_from", "valid_to", "quota_per_resident")}


def history(verifier_id: int):
    """A verifier's own verifications, newest first."""
    return (select(Verification).where(Verification.verifier_id == verifier_id)
            .order_by(Verification.at.desc(), Verification.id.desc()))


def describe_history(verifications: list[Verification]) -> list[dict]:
    """A page of the history as the verifier sees it: each resident by masked name only."""
    names = {resident_id: name for resident_id, name in db.session.execute(
        select(Resident.id, Resident.name_sealed).where(Resident.id.in_({v.resident_id for v in verifications})))}
    return [{"id": v.id, "at": v.at, "masked_name": mask_name(open_sealed("name", names[v.resident_id])),
             "purpose": v.purpose, "scope": v.scope, "stars": v.stars, "offer_id": v.offer_id,
             "redeemed": v.redeemed, "admitted": v.admitted, "claim_no": v.claim_no,
             "reversed_at": v.reversed_at} for v in verifications]


def penalty_list(events: list[CreditEvent]) -> list[dict]:
    return [{"rubric_code": e.rubric_code, "title": e.title, "points": e.points, "occurred_at": e.occurred_at,
             "effective_until": e.effective_until, "status": e.status} for e in events]
