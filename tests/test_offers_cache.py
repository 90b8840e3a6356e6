"""The verification path reads a verifier's offers from the shared store (backend/verifiers/offers_cache.py):
a change is seen by the next verification on every host, and a copy read before a change never outlives it."""

from datetime import timedelta

import pytest

from backend import create_app
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.verifiers import offers_cache
from backend.verifiers import service as verifiers_service

VERIFY = "/api/v1/verifications"
OFFERS = "/api/v1/merchant/offers"
SHARED_CONFIG = ("CHENGXIN_ENV", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "REDIS_PREFIX", "SECRET_KEY",
                 "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY", "INSTANCE_PATH", "WECHAT_APPID", "WECHAT_SECRET")


@pytest.fixture
def resident_headers(residents):
    return residents.bound_headers(residents.create(name="张伟"))


@pytest.fixture
def shop(verifiers):
    return verifiers.create("merchant", name="惠民超市")


@pytest.fixture
def cashier(verifiers, shop):
    return verifiers.operator_headers(shop, "cashier")


@pytest.fixture
def other_host(app):
    """A second app on the same database and the same shared store: another host behind the balancer."""
    host = create_app({name: app.config[name] for name in SHARED_CONFIG})
    if app.extensions["chengxin.store"].embedded:  # the embedded stand-in lives in one process: share it
        host.extensions["chengxin.store"] = app.extensions["chengxin.store"]
    yield host
    with host.app_context():
        db.session.remove()
        db.engine.dispose()


def make_offer(shop, *, title, min_stars=1):
    now = utcnow()
    return verifiers_service.create_offer(None, shop.id, title=title, description="凭信用码享受", min_stars=min_stars,
                                          valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                                          quota_per_resident=None)


def code(client, headers) -> str:
    response = client.post("/api/v1/me/credit-code", json={"scope": "basic"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def offered(client, cashier, token, **extra):
    # The test's own session lets go of the database first: on SQLite its open read would block the other
    # host's write (one process stands in for two hosts here).
    db.session.rollback()
    response = client.post(VERIFY, json={"token": token, "purpose": "discount", **extra}, headers=cashier)
    return response.status_code, response.get_json()


def titles(answer: dict) -> list[str]:
    return [offer["title"] for offer in answer["eligible_offers"]]


def test_a_withdrawal_is_seen_at_once_by_every_host(client, other_host, shop, cashier, resident_headers):
    kept, withdrawn = make_offer(shop, title="九折").id, make_offer(shop, title="免费停车").id
    there = other_host.test_client()
    for host in (client, there):  # both hosts have read (and the store keeps) both offers
        status, answer = offered(host, cashier, code(client, resident_headers))
        assert status == 200 and titles(answer) == ["九折", "免费停车"]

    response = client.delete(f"{OFFERS}/{withdrawn}", headers=cashier)
    assert response.status_code == 204, response.get_json()

    status, answer = offered(there, cashier, code(client, resident_headers))
    assert status == 200 and titles(answer) == ["九折"]
    status, answer = offered(there, cashier, code(client, resident_headers), offer_id=withdrawn)
    assert status == 404 and answer["reason"] == "offer_not_found"
    status, answer = offered(there, cashier, code(client, resident_headers), offer_id=kept)
    assert status == 200 and answer["redeemed_offer"]["title"] == "九折"


def test_a_new_or_changed_offer_is_seen_at_once_by_every_host(client, other_host, shop, cashier, resident_headers):
    first = make_offer(shop, title="九折").id
    there = other_host.test_client()
    assert titles(offered(there, cashier, code(client, resident_headers))[1]) == ["九折"]

    make_offer(shop, title="免费停车")
    assert titles(offered(there, cashier, code(client, resident_headers))[1]) == ["九折", "免费停车"]

    response = client.patch(f"{OFFERS}/{first}", json={"min_stars": 5}, headers=cashier)
    assert response.status_code == 200, response.get_json()
    assert titles(offered(there, cashier, code(client, resident_headers))[1]) == ["免费停车"]


def test_an_offer_leaves_the_list_when_its_period_ends_without_any_change(app, shop, monkeypatch):
    offer = make_offer(shop, title="九折")
    now = utcnow()
    assert [o.id for o in offers_cache.current_offers(shop.id, now)] == [offer.id]
    assert offers_cache.current_offers(shop.id, offer.valid_to) == []  # from the copy, filtered by time
    assert offers_cache.current_offers(shop.id, offer.valid_from - timedelta(seconds=1)) == []


def test_a_copy_read_before_a_change_is_not_kept(app, shop, monkeypatch):
    """A host reads the offers, another host's change is committed and told, then the first host would
    store what it read: the store refuses it (the generation moved), so nobody reads the stale copy."""
    offer = make_offer(shop, title="九折")
    load = offers_cache._load

    def read_then_changed_elsewhere(verifier_id, now):
        read = load(verifier_id, now)
        verifiers_service.withdraw_offer(None, shop.id, offer.id)  # committed and told meanwhile
        return read

    monkeypatch.setattr(offers_cache, "_load", read_then_changed_elsewhere)
    now = utcnow()
    assert [o.id for o in offers_cache.current_offers(shop.id, now)] == [offer.id]  # this request's own read
    copy_key, _generation = offers_cache._keys(shop.id)
    assert app.extensions["chengxin.store"].get(copy_key) is None
    monkeypatch.setattr(offers_cache, "_load", load)
    assert offers_cache.current_offers(shop.id, now) == []
