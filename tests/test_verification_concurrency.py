"""Simultaneous verifications on PostgreSQL: a code is consumed exactly once however many cashiers scan it
at the same moment, and two codes of one resident cannot both redeem an offer whose monthly quota is one;
nor can claims by the offer's poster (扫码享优惠), alone or beside scanned codes (SPEC §4)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.codes.models import Verification
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.query_records.models import QueryRecord
from backend.verifiers import service as verifiers_service
from tests.conftest import TEST_DATABASE_URL, send_at_once

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="PostgreSQL not configured: set TEST_DATABASE_URL (.ci/run does) for the simultaneous-verification tests")

CODE = "/api/v1/me/credit-code"
VERIFY = "/api/v1/verifications"
CLAIM = "/api/v1/me/offer-claims"
SCANNERS = 20


def token_of(client, headers) -> str:
    response = client.post(CODE, json={"scope": "basic"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def scan_at_once(app, requests: list[tuple[dict, dict]]) -> list[tuple[int, dict]]:
    """Send each (headers, body) to POST /verifications from its own thread, app context and database
    session, all released by one barrier; return (status, body) in order."""
    db.session.commit()  # nothing of the test's own session may hold a lock the threads wait for
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)
    errors = []

    def scan(i):
        headers, body = requests[i]
        with app.app_context():
            try:
                client = app.test_client()
                barrier.wait(timeout=10)
                response = client.post(VERIFY, json=body, headers=headers)
                answers[i] = (response.status_code, response.get_json())
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return answers


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_twenty_cashiers_scanning_one_code_at_once_consume_it_once(app, client, residents, verifiers):
    me = residents.bound_headers(residents.create())
    shops = [verifiers.create("merchant", name=f"商户{i}") for i in range(4)]
    cashiers = [verifiers.operator_headers(shop, f"cashier-{i}") for i, shop in enumerate(shops)]
    token = token_of(client, me)

    answers = scan_at_once(app, [(cashiers[i % len(cashiers)], {"token": token, "purpose": "discount"})
                                 for i in range(SCANNERS)])

    statuses = sorted(status for status, _body in answers)
    assert statuses == [200] + [409] * (SCANNERS - 1)
    assert {body["reason"] for status, body in answers if status == 409} == {"code_used"}
    assert count(Verification) == 1
    assert count(QueryRecord) == 1, "only the verification that consumed the code is a read"


def test_two_codes_of_one_resident_redeem_a_once_a_month_offer_once(app, client, residents, verifiers):
    me = residents.bound_headers(residents.create())
    shop = verifiers.create("merchant", name="惠民超市")
    cashiers = [verifiers.operator_headers(shop, f"cashier-{i}") for i in range(2)]
    now = utcnow()
    deal = verifiers_service.create_offer(None, shop.id, title="每月一次九折", description="3★ 及以上", min_stars=3,
                                          valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                                          quota_per_resident=1)
    tokens = [token_of(client, me) for _ in range(2)]

    answers = scan_at_once(app, [(cashiers[i], {"token": tokens[i], "purpose": "discount", "offer_id": deal.id})
                                 for i in range(2)])

    assert sorted(status for status, _body in answers) == [200, 409]
    [(_, won)] = [answer for answer in answers if answer[0] == 200]
    [(_, lost)] = [answer for answer in answers if answer[0] == 409]
    assert won["redeemed_offer"]["id"] == deal.id
    assert lost["reason"] == "quota_exhausted"
    assert count(Verification) == 1
    redeemed = db.session.scalar(select(func.count()).select_from(Verification).where(
        Verification.offer_id == deal.id, Verification.redeemed.is_(True)))
    assert redeemed == 1


def test_many_codes_of_one_resident_at_once_still_redeem_once(app, client, residents, verifiers):
    me = residents.bound_headers(residents.create())
    shop = verifiers.create("merchant", name="惠民超市")
    cashiers = [verifiers.operator_headers(shop, f"cashier-{i}") for i in range(4)]
    now = utcnow()
    deal = verifiers_service.create_offer(None, shop.id, title="每月一次九折", description="3★ 及以上", min_stars=3,
                                          valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                                          quota_per_resident=1)
    tokens = [token_of(client, me) for _ in range(10)]

    answers = scan_at_once(app, [(cashiers[i % 4], {"token": token, "purpose": "discount", "offer_id": deal.id})
                                 for i, token in enumerate(tokens)])

    assert sorted(status for status, _body in answers) == [200] + [409] * 9
    assert {body["reason"] for status, body in answers if status == 409} == {"quota_exhausted"}
    assert count(Verification) == 1
    assert count(QueryRecord) == 10, "each refusal told its cashier the offer was used: a read each"


def test_one_code_scanned_at_once_for_a_once_a_month_offer_is_code_used_for_all_but_one(
        app, client, residents, verifiers):
    me = residents.bound_headers(residents.create())
    shop = verifiers.create("merchant", name="惠民超市")
    cashiers = [verifiers.operator_headers(shop, f"cashier-{i}") for i in range(4)]
    now = utcnow()
    deal = verifiers_service.create_offer(None, shop.id, title="每月一次九折", description="3★ 及以上", min_stars=3,
                                          valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                                          quota_per_resident=1)
    token = token_of(client, me)

    answers = scan_at_once(app, [(cashiers[i % 4], {"token": token, "purpose": "discount", "offer_id": deal.id})
                                 for i in range(10)])

    assert sorted(status for status, _body in answers) == [200] + [409] * 9
    assert {body["reason"] for status, body in answers if status == 409} == {"code_used"}
    assert count(Verification) == 1
    assert count(QueryRecord) == 1, "a used code tells its cashier nothing about the resident"


def once_a_month_offer(shop):
    now = utcnow()
    return verifiers_service.create_offer(None, shop.id, title="每月一次九折", description="3★ 及以上", min_stars=3,
                                          valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                                          quota_per_resident=1)


def poster_token_of(client, cashier, offer_id: int) -> str:
    response = client.get(f"/api/v1/merchant/offers/{offer_id}/poster", headers=cashier)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["poster_token"]


def test_ten_claims_of_one_resident_at_once_on_a_quota_of_one_claim_once(app, client, residents, verifiers):
    me = residents.bound_headers(residents.create())
    shop = verifiers.create("merchant", name="老街面馆")
    deal = once_a_month_offer(shop)
    poster = poster_token_of(client, verifiers.operator_headers(shop, "cashier"), deal.id)

    answers = send_at_once(app, [("POST", CLAIM, {"json": {"poster_token": poster}, "headers": me})
                                 for _ in range(10)])

    assert sorted(status for status, _body, _headers in answers) == [201] + [409] * 9
    assert {body["reason"] for status, body, _headers in answers if status == 409} == {"quota_exhausted"}
    assert count(Verification) == 1
    assert count(QueryRecord) == 1, "a refused claim records nothing"


def test_claims_and_scanned_codes_of_one_resident_at_once_redeem_once(app, client, residents, verifiers):
    me = residents.bound_headers(residents.create())
    shop = verifiers.create("merchant", name="老街面馆")
    cashiers = [verifiers.operator_headers(shop, f"cashier-{i}") for i in range(2)]
    deal = once_a_month_offer(shop)
    poster = poster_token_of(client, cashiers[0], deal.id)
    tokens = [token_of(client, me) for _ in range(4)]

    requests = [("POST", CLAIM, {"json": {"poster_token": poster}, "headers": me}) for _ in range(4)]
    requests += [("POST", VERIFY, {"json": {"token": token, "purpose": "discount", "offer_id": deal.id},
                                   "headers": cashiers[i % 2]}) for i, token in enumerate(tokens)]
    answers = send_at_once(app, requests)

    assert sorted(status for status, _body, _headers in answers if status != 409) in ([200], [201])
    assert {body["reason"] for status, body, _headers in answers if status == 409} == {"quota_exhausted"}
    assert count(Verification) == 1
    redeemed = db.session.scalar(select(func.count()).select_from(Verification).where(
        Verification.offer_id == deal.id, Verification.redeemed.is_(True)))
    assert redeemed == 1
