"""A verifier's current offers for the verification path, kept in the shared store for a few seconds.

Every verification lists the offers the resident may use, and offers change a few times a month, so
reading them from the database on every verification is a round trip spent on nothing. The copy lives in
Redis (never in a process), so a change is seen by every host at once: each change bumps the verifier's
generation key and deletes the copy in one transaction after its commit, and a host that reloads the copy
stores it only if the generation did not move while it read (``WATCH``), so an older read can never
overwrite a newer change. If Redis is unreachable every read goes to the database; if it fails while a
change is told, the copy is at most ``CACHE_SECONDS`` old.
"""

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

import redis
from sqlalchemy import select

from backend.data.cache import store
from backend.data.extensions import db
from backend.verifiers.models import Offer

log = logging.getLogger(__name__)

CACHE_SECONDS = 30
GENERATION_SECONDS = 86400  # far longer than any read that could race a change


@dataclass(frozen=True)
class CurrentOffer:
    """What a verification needs of an offer (the attributes of ``Offer`` of the same names)."""

    id: int
    title: str
    description: str
    min_stars: int
    valid_from: datetime
    valid_to: datetime
    quota_per_resident: int | None


def _keys(verifier_id: int) -> tuple[str, str]:
    return store().key("offers", verifier_id), store().key("offers-generation", verifier_id)


def current_offers(verifier_id: int, now: datetime) -> list[CurrentOffer]:
    """The verifier's offers in force at ``now``, fewest stars first. Only for a caller whose verifier
    may verify (active, not black-listed): the principal has checked that on this request."""
    copy_key, generation_key = _keys(verifier_id)
    cached = store().get(copy_key)
    offers = _decode(cached) if cached is not None else _reload(verifier_id, now, copy_key, generation_key)
    return [offer for offer in offers if offer.valid_from <= now < offer.valid_to]


def offers_changed(verifier_id: int) -> None:
    """Tell every host that the verifier's offers changed; call after the change is committed."""
    copy_key, generation_key = _keys(verifier_id)
    try:
        with store().client.pipeline(transaction=True) as pipe:
            pipe.incr(generation_key)
            pipe.expire(generation_key, GENERATION_SECONDS)
            pipe.delete(copy_key)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("shared store unavailable for an offer change: %s", type(exc).__name__)


def _load(verifier_id: int, now: datetime) -> list[CurrentOffer]:
    # Offers not yet valid are kept too (filtered when read), so one that starts needs no change told.
    rows = db.session.execute(select(
        Offer.id, Offer.title, Offer.description, Offer.min_stars, Offer.valid_from, Offer.valid_to,
        Offer.quota_per_resident).where(Offer.verifier_id == verifier_id, Offer.withdrawn.is_(False),
                                        Offer.valid_to > now).order_by(Offer.min_stars, Offer.id))
    return [CurrentOffer(*row) for row in rows]


def _reload(verifier_id: int, now: datetime, copy_key: str, generation_key: str) -> list[CurrentOffer]:
    offers = None
    try:
        with store().client.pipeline(transaction=True) as pipe:
            pipe.watch(generation_key)
            offers = _load(verifier_id, now)
            pipe.multi()
            pipe.set(copy_key, _encode(offers), ex=CACHE_SECONDS)
            pipe.execute()
    except redis.WatchError:
        pass  # a change was told while this read: this request uses its read, the next one reloads
    except redis.RedisError as exc:
        log.warning("shared store unavailable for offers: %s", type(exc).__name__)
    return offers if offers is not None else _load(verifier_id, now)


def _encode(offers: list[CurrentOffer]) -> str:
    return json.dumps([{**asdict(offer), "valid_from": offer.valid_from.isoformat(),
                        "valid_to": offer.valid_to.isoformat()} for offer in offers])


def _decode(raw: bytes) -> list[CurrentOffer]:
    return [CurrentOffer(**{**item, "valid_from": datetime.fromisoformat(item["valid_from"]),
                            "valid_to": datetime.fromisoformat(item["valid_to"])}) for item in json.loads(raw)]
