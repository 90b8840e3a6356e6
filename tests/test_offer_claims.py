"""Scan to claim (扫码享优惠, SPEC §4): a shop's poster for an offer, a resident claiming it by the poster's
QR code, the refusals that record nothing, the monthly quota shared with scanned codes, the shop's feed and
same-day reversal, and the printed poster read back as a person and a phone would."""

import io
from datetime import datetime, timedelta

import pytest
import zxingcpp
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select, update

from backend.audit.models import AuditRecord
from backend.claims import poster
from backend.claims import service as claims
from backend.claims.models import OfferPoster
from backend.claims.poster import PosterContent
from backend.codes.models import Verification
from backend.credit import rubric
from backend.credit import service as credit
from backend.credit.models import RubricItem
from backend.data.extensions import db
from backend.dates.timeutil import as_local, utcnow
from backend.printing.pdf import A5
from backend.privacy.sealing import lookup_hash
from backend.query_records.models import QueryRecord
from backend.verifiers import service as verifiers_service
from backend.verifiers.models import Verifier
from tests.conftest import change_settings
from tests.pdf_checks import glyph_problems, render_first_page, text_of

CLAIM = "/api/v1/me/offer-claims"
FEED = "/api/v1/merchant/claims"
CODE = "/api/v1/me/credit-code"
VERIFY = "/api/v1/verifications"
HISTORY = "/api/v1/merchant/verifications"
RECORDS = "/api/v1/me/query-records"


def poster_url(offer_id: int, suffix: str = "") -> str:
    return f"/api/v1/merchant/offers/{offer_id}/poster{suffix}"


def offer(verifier, *, min_stars=3, starts=-1, ends=30, quota=None, title="诚信会员每碗立减 3 元"):
    now = utcnow()
    return verifiers_service.create_offer(
        None, verifier.id, title=title, description="3★ 及以上居民堂食每碗立减 3 元", min_stars=min_stars,
        valid_from=now + timedelta(days=starts), valid_to=now + timedelta(days=ends), quota_per_resident=quota)


def grant(resident, points: int, ref: str) -> None:
    if db.session.scalar(select(RubricItem.id).where(RubricItem.code == "SC-UP")) is None:
        rubric.create_item(None, code="SC-UP", category="social_contribution", title="志愿服务", points=points,
                           kind="bonus")
    credit.grant_event(None, id_number=resident.plain["id_number"], rubric_code="SC-UP",
                       occurred_at=utcnow() - timedelta(hours=1), source="tests", source_ref=ref)


def poster_token(client, headers, offer_id: int) -> str:
    response = client.get(poster_url(offer_id), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["poster_token"]


def claim(client, headers, token):
    return client.post(CLAIM, json={"poster_token": token}, headers=headers)


def claimed(client, headers, token) -> dict:
    response = claim(client, headers, token)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["reason"] == reason, response.get_json()


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def scan_redeem(client, me, cashier, offer_id: int):
    token = client.post(CODE, json={"scope": "basic"}, headers=me).get_json()["token"]
    return client.post(VERIFY, json={"token": token, "purpose": "discount", "offer_id": offer_id}, headers=cashier)


def decode_qr(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.fixture
def resident(residents):
    return residents.create(name="张伟")


@pytest.fixture
def me(residents, resident):
    return residents.bound_headers(resident)


@pytest.fixture
def shop(verifiers):
    return verifiers.create("merchant", name="长泾镇老街面馆")


@pytest.fixture
def cashier(verifiers, shop):
    return verifiers.operator_headers(shop, "cashier")


@pytest.fixture
def rival_cashier(verifiers):
    return verifiers.operator_headers(verifiers.create("merchant", name="隔壁面馆"), "rival")


@pytest.fixture
def deal(shop):
    return offer(shop, min_stars=3)


@pytest.fixture
def token(client, cashier, deal):
    return poster_token(client, cashier, deal.id)


def assert_nothing_recorded() -> None:
    assert count(Verification) == 0
    assert count(QueryRecord) == 0


# -- posters ---------------------------------------------------------------------------------------------


def test_a_poster_is_made_on_first_request_and_shown_the_same_again(client, cashier, deal):
    first = client.get(poster_url(deal.id), headers=cashier)
    again = client.get(poster_url(deal.id), headers=cashier)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    body = first.get_json()
    assert body["offer_id"] == deal.id
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(hours=8)
    assert count(OfferPoster) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "offer.poster_created")) == 1


def test_the_poster_token_has_at_least_128_random_bits_and_is_stored_sealed(client, cashier, deal, shop):
    tokens = {poster_token(client, cashier, deal.id)}
    for _ in range(3):
        tokens.add(client.post(poster_url(deal.id, "/rotate"), headers=cashier).get_json()["poster_token"])
    assert len(tokens) == 4
    for token in tokens:
        prefix, _, secret = token.partition("_")
        assert prefix == "cxp" and len(secret) * 6 >= 128
    rows = db.session.scalars(select(OfferPoster)).all()
    assert {row.token_hash for row in rows} == {lookup_hash("poster_token", token) for token in tokens}
    for row in rows:
        assert all(token.encode() not in bytes(row.token_sealed) for token in tokens)


def test_a_poster_is_only_for_the_verifiers_own_current_offers(client, cashier, rival_cashier, me, deal):
    refused(client.get(poster_url(deal.id), headers=rival_cashier), 404, "offer_not_found")
    refused(client.post(poster_url(deal.id, "/rotate"), headers=rival_cashier), 404, "offer_not_found")
    refused(client.get(poster_url(deal.id, ".pdf"), headers=rival_cashier), 404, "offer_not_found")
    refused(client.get(poster_url(deal.id), headers=me), 403, "role_not_allowed")
    assert client.delete(f"/api/v1/merchant/offers/{deal.id}", headers=cashier).status_code == 204
    refused(client.get(poster_url(deal.id), headers=cashier), 404, "offer_not_found")
    assert count(OfferPoster) == 0


def test_rotating_withdraws_the_old_poster_at_once(client, cashier, me, deal, token):
    response = client.post(poster_url(deal.id, "/rotate"), headers=cashier)
    assert response.status_code == 201
    new = response.get_json()["poster_token"]
    assert new != token and poster_token(client, cashier, deal.id) == new

    refused(claim(client, me, token), 404, "poster_invalid")
    assert_nothing_recorded()
    assert claimed(client, me, new)["offer"]["id"] == deal.id
    old = db.session.scalar(select(OfferPoster).where(OfferPoster.token_hash == lookup_hash("poster_token", token)))
    assert old.withdrawn_at is not None
    assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "offer.poster_rotated")) == 1


def test_the_poster_pdf_is_an_a5_page_in_chinese_whose_qr_claims_the_offer(client, cashier, me, deal, shop):
    response = client.get(poster_url(deal.id, ".pdf"), headers=cashier)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == tuple(round(v) for v in A5)

    text = text_of(data)
    for words in ("扫码享优惠", "长泾镇老街面馆", "诚信会员每碗立减3元", "3星及以上居民可享", "★★★☆☆"):
        assert words in text, (words, text)
    assert glyph_problems(data) == []

    [scanned] = decode_qr(render_first_page(data, dpi=200))
    assert scanned == poster_token(client, cashier, deal.id)
    body = claimed(client, me, scanned)
    assert body["offer"]["id"] == deal.id and body["offer"]["verifier"]["name"] == "长泾镇老街面馆"


def test_the_longest_names_stay_on_the_page_and_off_the_qr_code():
    longest = PosterContent(token="cxp_" + "Q" * 32, shop="长泾镇河塘路老街传统手工拉面馆" * 7,
                            title="周末再送小菜和豆浆" * 12, description="不与其他优惠同享。" * 230, min_stars=5,
                            valid_from=utcnow(), valid_to=utcnow() + timedelta(days=30), quota_per_resident=1000,
                            made_at=utcnow())
    data = poster.render_pdf(longest)
    page = next(extract_pages(io.BytesIO(data)))
    qr_left, qr_right = (page.width - poster.QR_SIDE) / 2, (page.width + poster.QR_SIDE) / 2
    qr_bottom, qr_top = poster.QR_BOTTOM, poster.QR_BOTTOM + poster.QR_SIDE
    characters = [item for item in characters_of(page) if item.get_text().strip()]
    assert characters
    for character in characters:
        x0, y0, x1, y1 = character.bbox
        assert x0 >= 0 and x1 <= page.width and y0 >= 0 and y1 <= page.height, character
        assert x1 <= qr_left or x0 >= qr_right or y1 <= qr_bottom or y0 >= qr_top, character
    assert "…" in text_of(data)
    assert decode_qr(render_first_page(data, dpi=200)) == [longest.token]


def characters_of(layout):
    for item in layout:
        if isinstance(item, LTChar):
            yield item
        elif hasattr(item, "__iter__"):
            yield from characters_of(item)


def test_the_poster_png_is_the_same_page_at_300_dpi_and_its_qr_claims_the_offer(client, cashier, me, deal):
    response = client.get(poster_url(deal.id, ".png"), headers=cashier)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (round(A5[0] / 72 * 300), round(A5[1] / 72 * 300))
    assert round(image.info["dpi"][0]) == 300
    [scanned] = decode_qr(image)
    assert scanned == poster_token(client, cashier, deal.id)
    assert claimed(client, me, scanned)["claim_no"]


# -- claiming --------------------------------------------------------------------------------------------


def test_a_claim_answers_the_claim_for_the_cashier_and_is_a_redemption(client, me, cashier, shop, deal, token):
    body = claimed(client, me, token)

    assert set(body) == {"claim_no", "offer", "stars", "level_name", "claimed_at", "show_until"}
    assert len(body["claim_no"]) == 6 and body["claim_no"].isalnum()
    assert body["stars"] == 3 and body["level_name"] == "诚信良好"
    assert body["offer"]["title"] == deal.title and body["offer"]["verifier"]["name"] == shop.name
    claimed_at = datetime.fromisoformat(body["claimed_at"])
    assert claimed_at.utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat(body["show_until"]) - claimed_at == timedelta(minutes=10)

    row = db.session.scalar(select(Verification))
    assert (row.purpose, row.redeemed, row.offer_id, row.verifier_id, row.operator_id, row.claim_no) == (
        "discount", True, deal.id, shop.id, None, body["claim_no"])
    history = client.get(HISTORY, headers=cashier).get_json()
    assert [(h["claim_no"], h["redeemed"], h["purpose"], h["masked_name"]) for h in history] == [
        (body["claim_no"], True, "discount", "张*")]

    [record] = client.get(RECORDS, headers=me).get_json()
    assert (record["actor_role"], record["actor_label"], record["purpose"]) == ("operator", shop.name, "discount")


def test_the_claim_screen_time_follows_the_setting(client, me, token):
    change_settings({"claims.show_minutes": 3})
    body = claimed(client, me, token)
    claimed_at = datetime.fromisoformat(body["claimed_at"])
    assert datetime.fromisoformat(body["show_until"]) - claimed_at == timedelta(minutes=3)


def test_an_unknown_poster_is_poster_invalid_and_records_nothing(client, me, token):
    for scanned in ("cxp_" + "A" * 32, token + "x", "https://example.com/", token.upper()):
        refused(claim(client, me, scanned), 404, "poster_invalid")
    assert_nothing_recorded()


@pytest.mark.parametrize("period", [{"starts": -30, "ends": -1}, {"starts": 1, "ends": 30}],
                         ids=["ended", "not-started"])
def test_an_offer_out_of_its_period_is_offer_unavailable_and_records_nothing(client, me, cashier, shop, period):
    expired = offer(shop, **period)
    refused(claim(client, me, poster_token(client, cashier, expired.id)), 409, "offer_unavailable")
    assert_nothing_recorded()


def test_a_withdrawn_offer_is_offer_unavailable(client, me, cashier, deal, token):
    assert client.delete(f"/api/v1/merchant/offers/{deal.id}", headers=cashier).status_code == 204
    refused(claim(client, me, token), 409, "offer_unavailable")
    assert_nothing_recorded()


def test_a_suspended_or_black_listed_shop_is_offer_unavailable_and_records_nothing(client, me, shop, token):
    verifiers_service.set_status(None, shop.id, "suspended", "暂停核验")
    refused(claim(client, me, token), 409, "offer_unavailable")
    verifiers_service.set_status(None, shop.id, "active", "恢复")
    db.session.execute(update(Verifier).where(Verifier.id == shop.id).values(black_listed=True))
    db.session.commit()
    refused(claim(client, me, token), 409, "offer_unavailable")
    assert_nothing_recorded()


def test_too_few_stars_is_stars_too_low_and_records_nothing(client, me, resident, cashier, shop):
    four_stars = offer(shop, min_stars=4)
    token = poster_token(client, cashier, four_stars.id)
    response = claim(client, me, token)
    refused(response, 409, "stars_too_low")
    assert (response.get_json()["stars"], response.get_json()["min_stars"]) == (3, 4)
    assert_nothing_recorded()

    grant(resident, 40, "up-1")  # 1040 points: 4 stars
    assert claimed(client, me, token)["stars"] == 4


def test_a_quota_spent_by_a_scanned_code_is_quota_exhausted_and_records_nothing(client, me, cashier, shop):
    once = offer(shop, quota=1)
    assert scan_redeem(client, me, cashier, once.id).get_json()["redeemed_offer"]["id"] == once.id
    before = (count(Verification), count(QueryRecord))

    refused(claim(client, me, poster_token(client, cashier, once.id)), 409, "quota_exhausted")
    assert (count(Verification), count(QueryRecord)) == before


def test_a_claim_spends_the_quota_a_scanned_code_then_finds_spent(client, me, cashier, shop):
    once = offer(shop, quota=1)
    claimed(client, me, poster_token(client, cashier, once.id))
    refused(scan_redeem(client, me, cashier, once.id), 409, "quota_exhausted")


def test_the_quota_is_per_resident(client, residents, me, cashier, shop):
    once = offer(shop, quota=1)
    token = poster_token(client, cashier, once.id)
    claimed(client, me, token)
    neighbour = residents.bound_headers(residents.create(name="李娜"))
    claimed(client, neighbour, token)
    refused(claim(client, me, token), 409, "quota_exhausted")


def test_more_claims_a_day_than_the_limit_are_429_and_record_nothing(client, me, cashier, shop, token):
    change_settings({"limits.claims_per_day": 2})
    claimed(client, me, token)
    claimed(client, me, token)
    before = (count(Verification), count(QueryRecord))

    response = claim(client, me, token)
    refused(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert (count(Verification), count(QueryRecord)) == before == (2, 2)


def test_refused_claims_are_no_claims_for_the_daily_limit_but_unknown_posters_count(
        client, me, cashier, shop, token):
    change_settings({"limits.claims_per_day": 2})
    too_high = poster_token(client, cashier, offer(shop, min_stars=5).id)
    for _ in range(3):
        refused(claim(client, me, too_high), 409, "stars_too_low")
    claimed(client, me, token)
    refused(claim(client, me, "cxp_" + "B" * 32), 404, "poster_invalid")
    refused(claim(client, me, token), 429, "rate_limited")


def test_only_an_active_bound_resident_claims(client, residents, me, resident, token, cashier):
    refused(claim(client, residents.headers("stranger"), token), 403, "not_bound")
    refused(claim(client, cashier, token), 403, "not_bound")  # a cashier's own account, not bound
    plain = resident.plain
    residents.create(name=plain["name"], id_number=plain["id_number"], phone=plain["phone"], town=plain["town"],
                     village=plain["village"], household_no=plain["household_no"], status="moved")
    refused(claim(client, me, token), 403, "resident_not_active")
    assert_nothing_recorded()


def test_a_claim_request_names_only_the_poster_token(client, me, token):
    refused(client.post(CLAIM, json={"poster_token": token, "offer_id": 1}, headers=me), 422, "invalid_input")
    refused(client.post(CLAIM, json={}, headers=me), 422, "invalid_input")
    assert_nothing_recorded()


# -- the shop's side -------------------------------------------------------------------------------------


def test_the_feed_shows_the_shops_claims_newest_first_and_since(client, residents, me, cashier, rival_cashier,
                                                                 deal, token):
    first = claimed(client, me, token)
    neighbour = residents.bound_headers(residents.create(name="欧阳娜娜"))
    second = claimed(client, neighbour, token)

    feed = client.get(FEED, headers=cashier)
    assert feed.status_code == 200 and "X-Pagination" in feed.headers
    items = feed.get_json()
    assert [(i["claim_no"], i["masked_name"]) for i in items] == [(second["claim_no"], "欧阳**"),
                                                                 (first["claim_no"], "张*")]
    item = items[1]
    assert item["offer"] == {"id": deal.id, "title": deal.title, "min_stars": 3}
    assert (item["stars"], item["level_name"], item["claimed_at"], item["show_until"], item["reversed_at"]) == (
        3, "诚信良好", first["claimed_at"], first["show_until"], None)
    assert item["reversible_until"].endswith("T00:00:00+08:00")

    newer = client.get(FEED, query_string={"since": first["claimed_at"]}, headers=cashier).get_json()
    assert [i["claim_no"] for i in newer] == [second["claim_no"]]
    assert client.get(FEED, query_string={"since": second["claimed_at"]}, headers=cashier).get_json() == []
    assert client.get(FEED, headers=rival_cashier).get_json() == []
    refused(client.get(FEED, query_string={"since": "2026-12-01T00:00:00"}, headers=cashier), 422, "invalid_input")


def test_reversing_a_claim_gives_the_quota_back_and_is_recorded(client, me, cashier, shop):
    once = offer(shop, quota=1)
    token = poster_token(client, cashier, once.id)
    first = claimed(client, me, token)

    response = client.post(f"{FEED}/{first['claim_no'].lower()}/reverse", headers=cashier)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["claim_no"] == first["claim_no"] and response.get_json()["reversed_at"]
    row = db.session.scalar(select(Verification).where(Verification.claim_no == first["claim_no"]))
    assert row.redeemed is False and row.reversed_at is not None and row.reversed_by is not None
    [audit] = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "claim.reverse")).all()
    assert (audit.object_type, audit.object_id) == ("verification", str(row.id))

    again = client.post(f"{FEED}/{first['claim_no']}/reverse", headers=cashier)
    assert again.status_code == 200 and again.get_json()["reversed_at"] == response.get_json()["reversed_at"]
    assert claimed(client, me, token)["claim_no"] != first["claim_no"]
    history = {h["claim_no"]: h for h in client.get(HISTORY, headers=cashier).get_json()}
    assert history[first["claim_no"]]["redeemed"] is False and history[first["claim_no"]]["reversed_at"]


def test_a_claim_is_reversible_until_midnight_china_time_of_its_day(client, me, cashier, token, monkeypatch):
    first = claimed(client, me, token)
    second = claimed(client, me, token)
    claimed_at = db.session.scalar(select(Verification.at).where(Verification.claim_no == first["claim_no"]))
    midnight = claims.reversible_until(claimed_at)
    assert as_local(midnight).hour == 0 and midnight - claimed_at <= timedelta(days=1)

    monkeypatch.setattr(claims, "utcnow", lambda: midnight - timedelta(seconds=1))
    assert client.post(f"{FEED}/{first['claim_no']}/reverse", headers=cashier).status_code == 200
    monkeypatch.setattr(claims, "utcnow", lambda: midnight)
    response = client.post(f"{FEED}/{second['claim_no']}/reverse", headers=cashier)
    refused(response, 409, "reversal_closed")
    assert response.get_json()["reversible_until"] == as_local(midnight).isoformat()
    assert db.session.scalar(select(Verification.redeemed).where(Verification.claim_no == second["claim_no"]))


def test_another_shops_claim_cannot_be_reversed(client, me, rival_cashier, token):
    body = claimed(client, me, token)
    refused(client.post(f"{FEED}/{body['claim_no']}/reverse", headers=rival_cashier), 404, "claim_not_found")
    refused(client.post(f"{FEED}/NOPE99/reverse", headers=rival_cashier), 404, "claim_not_found")


def test_a_suspended_shops_operators_see_no_feed(client, me, cashier, shop, token):
    claimed(client, me, token)
    verifiers_service.set_status(None, shop.id, "suspended", "暂停核验")
    refused(client.get(FEED, headers=cashier), 403, "verifier_suspended")
    refused(client.get(poster_url(1), headers=cashier), 403, "verifier_suspended")
