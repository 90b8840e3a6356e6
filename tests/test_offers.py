"""Offers (优惠): a verifier's operators publish, change and withdraw them; anyone browses the current
offers of active verifiers by town, verifier kind and stars (SPEC §4)."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, utcnow
from backend.verifiers import service
from backend.verifiers.models import Offer
from tests.conftest import change_settings

OFFERS = "/api/v1/merchant/offers"
PUBLIC = "/api/v1/public/offers"
VERIFIERS = "/api/v1/admin/verifiers"


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def offer_body(**changes) -> dict:
    now = utcnow()
    body = {"title": "会员日九折", "description": "3★ 及以上居民凭信用码购物九折", "min_stars": 3,
            "valid_from": local(now - timedelta(days=1)), "valid_to": local(now + timedelta(days=30)),
            "quota_per_resident": 2}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def publish(client, headers, **changes):
    return client.post(OFFERS, json=offer_body(**changes), headers=headers)


def published(client, headers, **changes) -> dict:
    response = publish(client, headers, **changes)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def offer(verifier, *, starts=-1, ends=30, min_stars=3, title=None, **fields) -> Offer:
    """An offer made through the service, valid from ``starts`` to ``ends`` days from now."""
    now = utcnow()
    return service.create_offer(None, verifier.id, title=title or f"优惠 {min_stars}★", description="说明",
                                min_stars=min_stars, valid_from=now + timedelta(days=starts),
                                valid_to=now + timedelta(days=ends), quota_per_resident=fields.get("quota"))


def count_offers() -> int:
    return db.session.scalar(select(func.count()).select_from(Offer))


def request_ends():
    """The app ends each request's session, dropping what a refused request left behind; the tests share
    one app context across requests, so they end it themselves."""
    db.session.rollback()


def stored(offer_id: int) -> Offer:
    request_ends()
    return db.session.get(Offer, offer_id)


def public_titles(client, **query) -> list[str]:
    response = client.get(PUBLIC, query_string=query)
    assert response.status_code == 200, response.get_json()
    return [o["title"] for o in response.get_json()]


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def shop(verifiers):
    return verifiers.create("merchant", name="惠民超市", town="长泾镇")


@pytest.fixture
def cashier(verifiers, shop):
    return verifiers.operator_headers(shop, "cashier")


@pytest.fixture
def rival(verifiers):
    return verifiers.create("merchant", name="隔壁超市", town="长泾镇")


@pytest.fixture
def rival_cashier(verifiers, rival):
    return verifiers.operator_headers(rival, "rival")


# -- operators manage their verifier's offers -----------------------------------------------------------

def test_an_operator_publishes_an_offer_for_their_verifier(client, shop, cashier):
    body = offer_body()
    response = client.post(OFFERS, json=body, headers=cashier)
    assert response.status_code == 201
    answer = response.get_json()
    assert {k: answer[k] for k in ("title", "description", "min_stars", "quota_per_resident")} == {
        k: body[k] for k in ("title", "description", "min_stars", "quota_per_resident")}
    assert datetime.fromisoformat(answer["valid_to"]) == datetime.fromisoformat(body["valid_to"])
    assert answer["valid_to"].endswith("+08:00")
    row = stored(answer["id"])
    assert (row.verifier_id, row.withdrawn) == (shop.id, False)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "offer.create"))
    assert (record.actor_kind, record.object_type, record.object_id) == ("wechat", "offer", str(answer["id"]))
    assert record.after["min_stars"] == 3


def test_quota_per_resident_is_optional(client, cashier):
    assert published(client, cashier, quota_per_resident=...)["quota_per_resident"] is None
    assert published(client, cashier, quota_per_resident=None)["quota_per_resident"] is None


def test_a_verifier_cannot_be_named_in_the_body(client, cashier, rival):
    response = publish(client, cashier, verifier_id=rival.id)
    assert response.status_code == 422
    assert "verifier_id" in response.get_json()["errors"]["json"]
    assert count_offers() == 0


@pytest.mark.parametrize("stars", [1, 5])
def test_min_stars_from_one_to_five_are_accepted(client, cashier, stars):
    assert published(client, cashier, min_stars=stars)["min_stars"] == stars


@pytest.mark.parametrize("stars", [0, 6, -1, "3", 2.5, None])
def test_min_stars_outside_one_to_five_is_422_and_publishes_nothing(client, cashier, stars):
    response = publish(client, cashier, min_stars=stars)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == ["min_stars"]
    assert count_offers() == 0


@pytest.mark.parametrize("to_days", [0, -1])
def test_valid_to_must_come_after_valid_from(client, cashier, to_days):
    start = utcnow() + timedelta(days=1)
    response = publish(client, cashier, valid_from=local(start), valid_to=local(start + timedelta(days=to_days)))
    assert response.status_code == 422
    assert "valid_to" in response.get_json()["errors"]["json"]
    assert count_offers() == 0


def test_the_same_moment_in_another_offset_is_not_after(client, cashier):
    start = utcnow() + timedelta(days=1)
    response = publish(client, cashier, valid_from=start.isoformat(), valid_to=local(start))
    assert response.status_code == 422
    assert count_offers() == 0


@pytest.mark.parametrize("field", ["valid_from", "valid_to"])
def test_times_without_an_offset_are_refused(client, cashier, field):
    naive = (utcnow() + timedelta(days=2)).replace(tzinfo=None).isoformat()
    response = publish(client, cashier, **{field: naive})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count_offers() == 0


@pytest.mark.parametrize("changes, field", [
    ({"title": "x"}, "title"), ({"title": ...}, "title"), ({"description": ...}, "description"),
    ({"quota_per_resident": 0}, "quota_per_resident"), ({"valid_from": ...}, "valid_from"),
    ({"withdrawn": True}, "withdrawn"),
])
def test_bad_or_missing_fields_are_422(client, cashier, changes, field):
    response = publish(client, cashier, **changes)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count_offers() == 0


def test_a_blank_title_is_422(client, cashier):
    response = publish(client, cashier, title="   ")
    assert response.status_code == 422
    assert "title" in response.get_json()["errors"]["json"]
    assert count_offers() == 0


def test_an_operator_lists_only_their_own_current_and_past_offers(client, shop, rival, cashier):
    offer(shop, title="已结束", starts=-30, ends=-1)
    offer(shop, title="进行中")
    offer(shop, title="将开始", starts=5, ends=60)
    offer(rival, title="别家的")
    withdrawn = offer(shop, title="已撤下")
    service.withdraw_offer(None, shop.id, withdrawn.id)
    response = client.get(OFFERS, headers=cashier)
    assert response.status_code == 200
    assert [o["title"] for o in response.get_json()] == ["将开始", "进行中", "已结束"], "latest end first"
    page = client.get(OFFERS, query_string={"page_size": 2, "page": 2}, headers=cashier)
    assert len(page.get_json()) == 1
    assert json.loads(page.headers["X-Pagination"])["total"] == 3


def test_an_operator_changes_an_offer_with_an_audit_record(client, cashier, staff):
    created = published(client, cashier)
    new_end = local(utcnow() + timedelta(days=60))
    response = client.patch(f"{OFFERS}/{created['id']}", json={"min_stars": 4, "valid_to": new_end,
                                                               "title": "会员日八五折"}, headers=cashier)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["min_stars"], body["title"]) == (4, "会员日八五折")
    assert datetime.fromisoformat(body["valid_to"]) == datetime.fromisoformat(new_end)
    assert (body["description"], body["quota_per_resident"]) == (created["description"], 2)
    assert stored(created["id"]).min_stars == 4
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "offer.update"))
    assert (record.before["min_stars"], record.after["min_stars"]) == (3, 4)
    assert record.actor_kind == "wechat"
    # Times in audit snapshots are shown as every time is: Asia/Shanghai, with the offset (SPEC §10).
    assert datetime.fromisoformat(record.after["valid_to"]) == datetime.fromisoformat(new_end)
    for snapshot in (record.before, record.after):
        assert snapshot["valid_from"].endswith("+08:00") and snapshot["valid_to"].endswith("+08:00")
    shown = client.get("/api/v1/admin/audit", query_string={"action": "offer.update"},
                       headers=staff.headers("admin")).get_json()
    assert shown[0]["after"]["valid_to"] == record.after["valid_to"]


@pytest.mark.parametrize("changes", [{"min_stars": 0}, {"min_stars": 6}, {"title": "x"}, {"verifier_id": 1},
                                     {"quota_per_resident": 0}])
def test_bad_changes_are_422_and_change_nothing(client, cashier, changes):
    created = published(client, cashier)
    response = client.patch(f"{OFFERS}/{created['id']}", json=changes, headers=cashier)
    assert response.status_code == 422
    assert list(changes)[0] in response.get_json()["errors"]["json"]
    assert stored(created["id"]).min_stars == 3
    assert client.get(OFFERS, headers=cashier).get_json() == [created]


def test_moving_only_valid_to_before_valid_from_is_422_and_changes_nothing(client, cashier):
    created = published(client, cashier)
    response = client.patch(f"{OFFERS}/{created['id']}", json={"valid_to": created["valid_from"]}, headers=cashier)
    assert response.status_code == 422
    assert "valid_to" in response.get_json()["errors"]["json"]
    request_ends()
    assert client.get(OFFERS, headers=cashier).get_json() == [created]
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "offer.update")) == 0


def test_moving_only_valid_from_past_valid_to_is_422_and_changes_nothing(client, cashier):
    created = published(client, cashier)
    later = local(datetime.fromisoformat(created["valid_to"]) + timedelta(days=1))
    response = client.patch(f"{OFFERS}/{created['id']}", json={"valid_from": later}, headers=cashier)
    assert response.status_code == 422
    assert "valid_to" in response.get_json()["errors"]["json"]
    request_ends()
    assert client.get(OFFERS, headers=cashier).get_json() == [created]


def test_moving_both_ends_together_is_accepted(client, cashier):
    created = published(client, cashier)
    start = utcnow() + timedelta(days=100)
    response = client.patch(f"{OFFERS}/{created['id']}", json={
        "valid_from": local(start), "valid_to": local(start + timedelta(days=10))}, headers=cashier)
    assert response.status_code == 200, response.get_json()


def test_an_operator_withdraws_an_offer(client, cashier):
    created = published(client, cashier)
    response = client.delete(f"{OFFERS}/{created['id']}", headers=cashier)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get(OFFERS, headers=cashier).get_json() == []
    assert public_titles(client) == []
    assert stored(created["id"]).withdrawn is True, "kept for the verifications that redeemed it"
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "offer.withdraw"))
    assert (record.object_id, record.actor_kind) == (str(created["id"]), "wechat")
    for again in (client.delete(f"{OFFERS}/{created['id']}", headers=cashier),
                  client.patch(f"{OFFERS}/{created['id']}", json={"min_stars": 4}, headers=cashier)):
        assert (again.status_code, again.get_json()["reason"]) == (404, "offer_not_found")


def test_the_withdrawal_audit_record_shows_the_offer_as_it_was_before(client, cashier):
    created = published(client, cashier)
    client.delete(f"{OFFERS}/{created['id']}", headers=cashier)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "offer.withdraw"))
    assert record.before["withdrawn"] is False
    assert record.before["title"] == created["title"]


def test_another_verifiers_operator_gets_404_and_changes_nothing(client, cashier, rival_cashier):
    created = published(client, cashier)
    patched = client.patch(f"{OFFERS}/{created['id']}", json={"min_stars": 1}, headers=rival_cashier)
    assert (patched.status_code, patched.get_json()["reason"]) == (404, "offer_not_found")
    deleted = client.delete(f"{OFFERS}/{created['id']}", headers=rival_cashier)
    assert (deleted.status_code, deleted.get_json()["reason"]) == (404, "offer_not_found")
    assert client.get(OFFERS, headers=rival_cashier).get_json() == []
    assert client.get(OFFERS, headers=cashier).get_json() == [created]
    unknown = client.patch(f"{OFFERS}/999", json={"min_stars": 1}, headers=cashier)
    assert unknown.get_json() == patched.get_json(), "another's offer looks exactly like none at all"


def test_residents_and_staff_without_the_operator_role_are_refused(client, residents, staff, cashier):
    created = published(client, cashier)
    resident = residents.bound_headers(residents.create())
    for headers in (resident, residents.headers("newcomer"), staff.headers("admin")):
        for method, path, body in (("get", OFFERS, None), ("post", OFFERS, offer_body()),
                                   ("patch", f"{OFFERS}/{created['id']}", {"min_stars": 1}),
                                   ("delete", f"{OFFERS}/{created['id']}", None)):
            response = getattr(client, method)(path, json=body, headers=headers)
            assert (response.status_code, response.get_json()["reason"]) == (403, "role_not_allowed")
    assert client.get(OFFERS).status_code == 401
    assert count_offers() == 1 and stored(created["id"]).min_stars == 3


def test_a_suspended_verifiers_operator_cannot_publish(client, admin, shop, cashier):
    client.post(f"{VERIFIERS}/{shop.id}/suspend", json={"reason": "暂停核验"}, headers=admin)
    response = publish(client, cashier)
    assert (response.status_code, response.get_json()["reason"]) == (403, "verifier_suspended")
    assert count_offers() == 0


# -- the public list -----------------------------------------------------------------------------------

def test_the_public_list_shows_only_current_offers_of_active_verifiers(client, admin, shop, rival):
    offer(shop, title="进行中")
    offer(shop, title="已结束", starts=-30, ends=-1)
    offer(shop, title="将开始", starts=1, ends=30)
    service.withdraw_offer(None, shop.id, offer(shop, title="已撤下").id)
    offer(rival, title="被暂停商户的")
    assert public_titles(client) == ["进行中", "被暂停商户的"]
    client.post(f"{VERIFIERS}/{rival.id}/suspend", json={"reason": "暂停核验"}, headers=admin)
    assert public_titles(client) == ["进行中"]
    client.post(f"{VERIFIERS}/{rival.id}/reinstate", json={"reason": "恢复核验"}, headers=admin)
    assert public_titles(client) == ["进行中", "被暂停商户的"]


def test_the_public_list_needs_no_token_and_names_the_verifier(client, shop):
    offer(shop, title="会员日九折", quota=2)
    response = client.get(PUBLIC)
    assert response.status_code == 200
    [item] = response.get_json()
    assert item["verifier"] == {"id": shop.id, "name": "惠民超市", "kind": "merchant", "town": "长泾镇",
                                "address": shop.address}
    assert set(item) == {"id", "title", "description", "min_stars", "valid_from", "valid_to",
                         "quota_per_resident", "verifier"}
    assert shop.uscc not in response.get_data(as_text=True)


def test_the_public_list_filters_by_town_and_verifier_kind(client, verifiers, shop):
    bank = verifiers.create("bank", name="江阴农商银行", town="澄江街道")
    library = verifiers.create("organisation", name="江阴市图书馆", town="澄江街道")
    offer(shop, title="超市")
    offer(bank, title="银行")
    offer(library, title="图书馆")
    assert public_titles(client, town="长泾镇") == ["超市"]
    assert public_titles(client, town="澄江街道") == ["银行", "图书馆"]
    assert public_titles(client, kind="bank") == ["银行"]
    assert public_titles(client, kind="organisation", town="澄江街道") == ["图书馆"]
    assert public_titles(client, kind="merchant", town="澄江街道") == []
    assert public_titles(client, town="火星镇") == []


def test_min_stars_keeps_offers_asking_at_least_that_many_and_stars_those_a_resident_gets(client, shop):
    for stars in (1, 3, 4, 5):
        offer(shop, min_stars=stars, title=f"{stars}★")
    assert public_titles(client) == ["1★", "3★", "4★", "5★"], "fewest stars first"
    assert public_titles(client, min_stars=4) == ["4★", "5★"]
    assert public_titles(client, min_stars=2) == ["3★", "4★", "5★"]
    assert public_titles(client, stars=3) == ["1★", "3★"]
    assert public_titles(client, stars=5) == ["1★", "3★", "4★", "5★"]
    assert public_titles(client, stars=1) == ["1★"]
    assert public_titles(client, min_stars=3, stars=4) == ["3★", "4★"]


def test_the_public_list_is_paginated(client, shop):
    for number in range(5):
        offer(shop, title=f"优惠{number}")
    response = client.get(PUBLIC, query_string={"page": 3, "page_size": 2})
    assert [o["title"] for o in response.get_json()] == ["优惠4"]
    pagination = json.loads(response.headers["X-Pagination"])
    assert (pagination["total"], pagination["total_pages"], pagination["page"]) == (5, 3, 3)


@pytest.mark.parametrize("query", [{"min_stars": 0}, {"min_stars": 6}, {"stars": 0}, {"stars": 6},
                                   {"kind": "bakery"}, {"stars": "many"}, {"verifier_id": 1}])
def test_the_public_list_refuses_bad_filters(client, query):
    response = client.get(PUBLIC, query_string=query)
    assert response.status_code == 422
    assert list(query)[0] in response.get_json()["errors"]["query"]


def test_the_public_list_is_rate_limited_per_ip(app, client):
    change_settings({"limits.public_per_minute": 2})
    assert [client.get(PUBLIC).status_code for _ in range(2)] == [200, 200]
    refused = client.get(PUBLIC)
    assert (refused.status_code, refused.get_json()["reason"]) == (429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
