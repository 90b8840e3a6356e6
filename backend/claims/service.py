"""Scan to claim (扫码享优惠, SPEC §4): a shop with no scanner prints a poster for an offer; a resident
scans it and claims the offer; the shop's operators see the claims come in and may reverse one the same day.

A claim is a redemption: a ``Verification`` of purpose ``discount`` with ``redeemed`` set, its
``claim_no`` and poster, and no operator. So it shares the offer's monthly quota with scanned codes (one
rule, ``codes.service.quota_spent``), shows in the shop's verification history and counts wherever
redemptions are counted. Reversing it clears ``redeemed``: the quota comes back.

A refused claim records nothing: no verification, no query record, so the shop learns nothing of it.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.claims.models import OfferPoster
from backend.claims.poster import PosterContent
from backend.codes.models import Verification
from backend.codes.service import QuotaExhausted, quota_spent
from backend.credit import service as credit
from backend.credit.levels import level_name
from backend.data.extensions import db
from backend.dates.timeutil import as_local, local_day_start, utcnow
from backend.i18n import _
from backend.privacy.masking import mask_name
from backend.privacy.sealing import lookup_hash, open_sealed, seal
from backend.query_records import service as query_records
from backend.residents.models import Resident
from backend.residents.service import ResidentNotActive
from backend.settings import service as settings
from backend.verifiers.models import Offer
from backend.verifiers.service import INVITE_ALPHABET, own_offer
from backend.web import ratelimits
from backend.web.access import OPERATOR, Principal
from backend.web.errors import Conflict, NotFound

POSTER_PREFIX = "cxp"  # lets the mini-program tell a poster's QR code from any other it scans
POSTER_FIELD = "poster_token"  # the sealed column's name: a sealed token opens only as a poster token
CLAIM_NO_LENGTH = 6  # 30 bits from an alphabet without 0/O or 1/I: short for a cashier to read out
CLAIM_NO_TRIES = 5

CLAIM_LIMIT = ratelimits.Limit("offer-claims", "limits.claims_per_day", ratelimits.DAY,
                               _("You have claimed as many offers today as a day allows; try again tomorrow."))


class PosterInvalid(NotFound):
    reason = "poster_invalid"
    message = _("This poster is not valid (it may have been replaced); ask the shop.")


class OfferUnavailable(Conflict):
    reason = "offer_unavailable"
    message = _("This offer is not available now: it has not started, has ended or was withdrawn.")


class StarsTooLow(Conflict):
    reason = "stars_too_low"
    message = _("This offer asks for more stars than you have.")


class ClaimNotFound(NotFound):
    reason = "claim_not_found"
    message = _("No such claim at this shop.")


class ReversalClosed(Conflict):
    reason = "reversal_closed"
    message = _("A claim can be reversed only until midnight (China time) of the day it was made.")


# --- posters --------------------------------------------------------------------------------------------


def _operator_id(actor: Principal | None) -> int | None:
    return actor.extra.get("operator_id") if actor is not None else None


def _lock_offer(offer: Offer) -> None:
    """Serialise poster changes of one offer, so two operators never both make its live poster."""
    db.session.execute(select(Offer.id).where(Offer.id == offer.id).with_for_update())


def _new_poster(actor: Principal | None, offer: Offer, now: datetime) -> tuple[OfferPoster, str]:
    token = f"{POSTER_PREFIX}_{secrets.token_urlsafe(24)}"  # 192 random bits
    poster = OfferPoster(offer_id=offer.id, token_sealed=seal(POSTER_FIELD, token),
                         token_hash=lookup_hash(POSTER_FIELD, token), created_at=now, created_by=_operator_id(actor))
    db.session.add(poster)
    db.session.flush()
    return poster, token


def _live_poster(offer_id: int) -> OfferPoster | None:
    return db.session.scalar(select(OfferPoster).where(OfferPoster.offer_id == offer_id,
                                                       OfferPoster.withdrawn_at.is_(None)))


@dataclass(frozen=True)
class Poster:
    offer: Offer
    poster: OfferPoster
    token: str


def poster_of(actor: Principal, verifier_id: int, offer_id: int) -> Poster:
    """The live poster of one of the verifier's offers, made on first request (and recorded)."""
    offer = own_offer(verifier_id, offer_id)
    poster = _live_poster(offer.id)
    if poster is None:
        _lock_offer(offer)
        poster = _live_poster(offer.id)  # another operator may have made it while this waited
        if poster is None:
            poster, _token = _new_poster(actor, offer, utcnow())
            audit.record(actor, "offer.poster_created", "offer", offer.id, after={"poster_id": poster.id})
        db.session.commit()
    return Poster(offer, poster, open_sealed(POSTER_FIELD, poster.token_sealed))


def rotate_poster(actor: Principal, verifier_id: int, offer_id: int) -> Poster:
    """Withdraw the offer's poster and make a new one: the old QR code stops working with this commit."""
    offer = own_offer(verifier_id, offer_id)
    _lock_offer(offer)
    now = utcnow()
    old = _live_poster(offer.id)
    if old is not None:
        old.withdrawn_at, old.withdrawn_by = now, _operator_id(actor)
        db.session.flush()
    poster, token = _new_poster(actor, offer, now)
    audit.record(actor, "offer.poster_rotated", "offer", offer.id,
                 before={"poster_id": old.id if old else None}, after={"poster_id": poster.id})
    db.session.commit()
    return Poster(offer, poster, token)


def poster_content(poster: Poster) -> PosterContent:
    offer = poster.offer
    return PosterContent(token=poster.token, shop=offer.verifier.name, title=offer.title,
                         description=offer.description, min_stars=offer.min_stars, valid_from=offer.valid_from,
                         valid_to=offer.valid_to, quota_per_resident=offer.quota_per_resident,
                         made_at=poster.poster.created_at)


# --- claiming -------------------------------------------------------------------------------------------


def _poster_by_token(token: str) -> OfferPoster:
    if not isinstance(token, str) or not token.startswith(f"{POSTER_PREFIX}_"):
        raise PosterInvalid()
    poster = db.session.scalar(select(OfferPoster).where(OfferPoster.token_hash == lookup_hash(POSTER_FIELD, token)))
    if poster is None or poster.withdrawn_at is not None:
        raise PosterInvalid()
    return poster


def _available(offer: Offer, now: datetime) -> bool:
    return (not offer.withdrawn and offer.valid_from <= now < offer.valid_to and offer.verifier.may_verify)


def _claim_no() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(CLAIM_NO_LENGTH))


def claim(account_id: int, resident: Resident, poster_token: str) -> dict:
    """Claim the offer of a scanned poster for the resident; commits and returns what the resident's
    screen shows (SPEC §4).

    The rules, in order: the daily limit (429, counted before anything is looked at), the resident is
    active (403), the poster is live (404 ``poster_invalid``), its offer is current and its shop may
    verify (409 ``offer_unavailable``), the resident has the stars (409 ``stars_too_low``) and the month's
    quota is not spent (409 ``quota_exhausted``). Only a refusal on an unknown poster keeps its count
    against the daily limit: the others were no claim, and guessing posters is what the limit stops."""
    counted = ratelimits.attempt(CLAIM_LIMIT, account_id)
    if resident.status != "active":
        raise ResidentNotActive()
    poster = _poster_by_token(poster_token)
    try:
        return _claim(resident, poster)
    except (OfferUnavailable, StarsTooLow, QuotaExhausted):
        db.session.rollback()
        counted.give_back()
        raise


def _claim(resident: Resident, poster: OfferPoster) -> dict:
    now = utcnow()
    offer = poster.offer
    if not _available(offer, now):
        raise OfferUnavailable()
    account = credit.get_account(resident.id)
    if account.stars < offer.min_stars:
        raise StarsTooLow(stars=account.stars, min_stars=offer.min_stars)
    if offer.quota_per_resident is not None:
        account = credit.lock_account(resident.id)  # a resident's redemptions are counted one at a time
        if quota_spent(offer, resident.id, now):
            raise QuotaExhausted()
    verifier = offer.verifier
    verification = _insert_claim(Verification(
        jti=f"claim:{secrets.token_hex(16)}", at=now, resident_id=resident.id, verifier_id=verifier.id,
        operator_id=None, api_key_id=None, scope="basic", purpose="discount", stars=account.stars,
        offer_id=offer.id, redeemed=True, poster_id=poster.id))
    shop = Principal(kind="verifier", id=verifier.id, roles=frozenset({OPERATOR}), name=verifier.name)
    query_records.record(resident.id, shop, purpose="discount", scope="basic", actor_label=verifier.name)
    answer = {"claim_no": verification.claim_no, "offer": offer, "stars": account.stars,
              "level_name": level_name(account.stars), "claimed_at": now,
              "show_until": now + timedelta(minutes=settings.get("claims.show_minutes"))}
    db.session.commit()
    return answer


def _insert_claim(verification: Verification) -> Verification:
    """Add the claim under a claim number the shop has not used yet (unique per verifier)."""
    for _attempt in range(CLAIM_NO_TRIES):
        verification.claim_no = _claim_no()
        try:
            with db.session.begin_nested():
                db.session.add(verification)
            return verification
        except IntegrityError:
            continue
    raise RuntimeError("no free claim number after several tries")


# --- the shop's side ------------------------------------------------------------------------------------


def reversible_until(claimed_at: datetime) -> datetime:
    """24:00 Asia/Shanghai of the day a claim was made."""
    return local_day_start(as_local(claimed_at).date() + timedelta(days=1))


def feed(verifier_id: int, since: datetime | None = None):
    """The verifier's claims, newest first; with ``since``, only those made after it (what a polling
    phone has not seen yet). A select for the caller to paginate."""
    statement = (select(Verification).where(Verification.verifier_id == verifier_id,
                                            Verification.claim_no.is_not(None))
                 .order_by(Verification.at.desc(), Verification.id.desc()))
    if since is not None:
        statement = statement.where(Verification.at > since)
    return statement


def describe_claims(claims: list[Verification]) -> list[dict]:
    """Claims as the shop's operators see them: each resident by masked name only."""
    names = {resident_id: name for resident_id, name in db.session.execute(
        select(Resident.id, Resident.name_sealed).where(Resident.id.in_({c.resident_id for c in claims})))}
    offers = {offer.id: offer for offer in db.session.scalars(
        select(Offer).where(Offer.id.in_({c.offer_id for c in claims})))}
    show_for = timedelta(minutes=settings.get("claims.show_minutes"))
    return [{"claim_no": c.claim_no, "offer": offers[c.offer_id],
             "masked_name": mask_name(open_sealed("name", names[c.resident_id])), "stars": c.stars,
             "level_name": level_name(c.stars), "claimed_at": c.at, "show_until": c.at + show_for,
             "reversible_until": reversible_until(c.at), "reversed_at": c.reversed_at} for c in claims]


def _normalised(claim_no: str) -> str:
    return "".join(ch for ch in claim_no.upper() if ch.isalnum())


def reverse(actor: Principal, verifier_id: int, claim_no: str) -> Verification:
    """Reverse one of the verifier's claims until 24:00 of its day: it no longer counts as a redemption,
    so the quota comes back; recorded. Reversing a reversed claim again changes nothing."""
    claim_row = db.session.scalar(select(Verification).where(
        Verification.verifier_id == verifier_id, Verification.claim_no == _normalised(claim_no))
        .with_for_update())
    if claim_row is None:
        raise ClaimNotFound()
    if claim_row.reversed_at is not None:
        return claim_row
    now = utcnow()
    if now >= reversible_until(claim_row.at):
        raise ReversalClosed(reversible_until=as_local(reversible_until(claim_row.at)).isoformat())
    claim_row.redeemed, claim_row.reversed_at, claim_row.reversed_by = False, now, _operator_id(actor)
    audit.record(actor, "claim.reverse", "verification", claim_row.id,
                 before={"claim_no": claim_row.claim_no, "redeemed": True},
                 after={"claim_no": claim_row.claim_no, "redeemed": False, "offer_id": claim_row.offer_id})
    db.session.commit()
    return claim_row
