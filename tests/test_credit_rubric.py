"""The rubric (评定标准, the "100+N" standard) as data: admin upkeep, the defaults of omitted fields,
town-local items, the public rubric and the default rubric loader (SPEC §3)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.credit.models import CreditEvent, RubricItem
from backend.credit.rubric import CATEGORIES
from backend.data.extensions import db
from backend.dates.timeutil import as_utc, utcnow

ITEMS = "/api/v1/admin/rubric-items"
PUBLIC = "/api/v1/public/rubric"


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


def bonus(code="SC-T1", **fields):
    return {"code": code, "category": "social_contribution", "title": "志愿服务满 50 小时", "points": 10,
            "kind": "bonus", **fields}


def penalty(code="LV-T1", **fields):
    return {"code": code, "category": "law_and_village_rules", "title": "违反村规民约", "points": -30,
            "kind": "penalty", "severity": "general", **fields}


def create(client, headers, body):
    return client.post(ITEMS, json=body, headers=headers)


def committed(model) -> int:
    """Rows of ``model`` that were committed (a refused request's leftovers are discarded first)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def rubric_audit() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "rubric_item")
                                   .order_by(AuditRecord.id)))


def grant(client, headers, resident, code, *, source_ref, occurred_at=None):
    return client.post("/api/v1/admin/credit-events", headers=headers, json={
        "id_number": resident.plain["id_number"], "rubric_code": code,
        "occurred_at": (occurred_at or utcnow() - timedelta(hours=1)).isoformat(),
        "source": "credit-office", "source_ref": source_ref})


# -- creating items -----------------------------------------------------------------------------------

def test_admin_creates_an_item_with_every_field(client, admin, residents):
    residents.create(town="长泾镇")
    body = penalty("CJ-T1", category="environment", title="长泾镇：在禁捕水域非法捕捞", points=-12,
                   severity="serious", validity_days=500, min_disclosure_days=30, max_disclosure_days=400,
                   repairable=False, caps_stars_at=3, town="长泾镇")
    response = create(client, admin, body)
    assert response.status_code == 201
    shown = response.get_json()
    assert shown == {**body, "annual_cap": None, "active": True}
    item = db.session.scalar(select(RubricItem).where(RubricItem.code == "CJ-T1"))
    assert (item.points, item.severity, item.validity_days, item.min_disclosure_days, item.max_disclosure_days,
            item.repairable, item.caps_stars_at, item.town.name) == (-12, "serious", 500, 30, 400, False, 3,
                                                                     "长泾镇")
    assert client.get(f"{ITEMS}/CJ-T1", headers=admin).get_json() == shown


def test_a_bonus_with_an_annual_cap_keeps_it(client, admin):
    response = create(client, admin, bonus(annual_cap=20, validity_days=730, repairable=False))
    assert response.status_code == 201
    item = response.get_json()
    assert (item["annual_cap"], item["validity_days"], item["repairable"]) == (20, 730, False)
    assert (item["severity"], item["caps_stars_at"], item["town"]) == (None, None, None)


@pytest.mark.parametrize("fields, validity, disclosure", [
    ({"points": -40, "severity": "minor"}, 365, (0, 0)),
    ({"points": -40, "severity": "general"}, 365, (90, 365)),
    ({"points": -41, "severity": "general"}, 730, (90, 365)),
    ({"points": -41, "severity": "serious"}, 730, (365, 1095)),
    ({"points": -100, "severity": "serious"}, 730, (365, 1095)),
    ({"points": -10, "severity": "serious", "caps_stars_at": 2}, 3 * 365, (365, 1095)),
    ({"points": -100, "severity": "serious", "caps_stars_at": 1}, 5 * 365, (365, 1095)),
], ids=["minor-40", "general-40", "general-41", "serious-41", "serious-100", "ceiling-2", "ceiling-1"])
def test_omitted_penalty_fields_take_the_defaults_of_points_ceiling_and_severity(client, admin, fields, validity,
                                                                                   disclosure):
    response = create(client, admin, penalty(**fields))
    assert response.status_code == 201
    item = response.get_json()
    assert item["validity_days"] == validity
    assert (item["min_disclosure_days"], item["max_disclosure_days"]) == disclosure
    assert item["repairable"] is True
    assert item["annual_cap"] is None and item["town"] is None and item["active"] is True


def test_omitted_bonus_fields_take_the_defaults_of_a_bonus(client, admin):
    response = create(client, admin, bonus())
    assert response.status_code == 201
    item = response.get_json()
    assert item["validity_days"] == 365
    assert (item["min_disclosure_days"], item["max_disclosure_days"]) == (0, 0)
    assert (item["severity"], item["annual_cap"], item["caps_stars_at"], item["town"]) == (None, None, None, None)
    assert item["active"] is True


def test_fields_given_are_kept_over_the_defaults(client, admin):
    response = create(client, admin, penalty(points=-50, validity_days=100, min_disclosure_days=10,
                                             max_disclosure_days=20))
    item = response.get_json()
    assert (item["validity_days"], item["min_disclosure_days"], item["max_disclosure_days"]) == (100, 10, 20)


@pytest.mark.parametrize("body, field", [
    (bonus(points=-10), "points"),
    (penalty(points=10), "points"),
    (bonus(points=0), "points"),
    (penalty(severity=None), "severity"),
    ({k: v for k, v in penalty().items() if k != "severity"}, "severity"),
    (bonus(severity="minor"), "severity"),
    (bonus(caps_stars_at=2), "caps_stars_at"),
    (penalty(annual_cap=20), "annual_cap"),
    (penalty(min_disclosure_days=100, max_disclosure_days=50), "min_disclosure_days"),
    (penalty(caps_stars_at=5), "caps_stars_at"),
    (bonus(category="sports"), "category"),
    (bonus(kind="reward"), "kind"),
    ({k: v for k, v in bonus().items() if k != "title"}, "title"),
], ids=["bonus-negative", "penalty-positive", "zero", "penalty-null-severity", "penalty-no-severity",
        "bonus-severity", "bonus-ceiling", "penalty-annual-cap", "disclosure-reversed", "ceiling-5",
        "unknown-category", "unknown-kind", "no-title"])
def test_an_incoherent_item_is_refused_and_nothing_is_written(client, admin, body, field):
    response = create(client, admin, body)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["reason"] == "invalid_input"
    assert field in payload["errors"]["json"]
    assert committed(RubricItem) == 0
    assert rubric_audit() == []


def test_a_taken_code_is_409_and_the_first_item_is_unchanged(client, admin):
    assert create(client, admin, bonus("SC-T1", points=10)).status_code == 201
    response = create(client, admin, bonus("SC-T1", points=30, title="另一条"))
    assert response.status_code == 409
    assert response.get_json()["reason"] == "rubric_code_taken"
    assert committed(RubricItem) == 1
    item = client.get(f"{ITEMS}/SC-T1", headers=admin).get_json()
    assert (item["points"], item["title"]) == (10, "志愿服务满 50 小时")


def test_a_local_item_carries_its_town(client, admin, residents):
    residents.create(town="长泾镇")
    response = create(client, admin, bonus("CJ-T1", town="长泾镇"))
    assert response.status_code == 201
    assert response.get_json()["town"] == "长泾镇"
    assert db.session.scalar(select(RubricItem).where(RubricItem.code == "CJ-T1")).town.name == "长泾镇"


def test_a_local_item_of_an_unknown_town_is_refused(client, admin, residents):
    residents.create(town="长泾镇")
    response = create(client, admin, bonus("XX-T1", town="不存在镇"))
    assert response.status_code == 422
    assert "town" in response.get_json()["errors"]["json"]
    assert committed(RubricItem) == 0


@pytest.mark.parametrize("role", ["reviewer", "department"])
def test_only_admins_keep_the_rubric(client, staff, admin, role):
    create(client, admin, bonus())
    headers = staff.headers(role)
    assert create(client, headers, bonus("SC-T2")).status_code == 403
    assert client.patch(f"{ITEMS}/SC-T1", json={"points": 50}, headers=headers).status_code == 403
    assert client.get(ITEMS, headers=headers).status_code == 403
    assert client.post(ITEMS, json=bonus("SC-T3")).status_code == 401
    assert committed(RubricItem) == 1


def test_creating_an_item_is_audited_with_what_was_created(client, staff):
    chief = staff.create("admin", username="chief")
    response = create(client, {"Authorization": f"Bearer {staff.token(chief)}"}, penalty())
    assert response.status_code == 201
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "rubric.create"))
    assert (record.actor_kind, record.actor_id, record.object_type, record.object_id) == (
        "staff", chief.id, "rubric_item", "LV-T1")
    assert record.after["points"] == -30 and record.after["validity_days"] == 365
    assert record.before is None


# -- changing and retiring items ----------------------------------------------------------------------

def test_a_change_applies_to_future_events_and_granted_events_keep_what_they_were_given(client, admin, residents):
    resident = residents.create()
    create(client, admin, bonus(points=10, title="旧标题"))
    first = grant(client, admin, resident, "SC-T1", source_ref="before-change")
    assert first.status_code == 201
    first = first.get_json()

    response = client.patch(f"{ITEMS}/SC-T1", json={"points": 25, "title": "新标题", "validity_days": 30},
                            headers=admin)
    assert response.status_code == 200
    assert (response.get_json()["points"], response.get_json()["title"]) == (25, "新标题")

    stored = db.session.get(CreditEvent, first["id"])
    assert (stored.points, stored.title) == (10, "旧标题")
    assert as_utc(stored.effective_until) - as_utc(stored.occurred_at) == timedelta(days=365)
    second = grant(client, admin, resident, "SC-T1", source_ref="after-change").get_json()
    assert (second["points"], second["title"]) == (25, "新标题")
    events = client.get("/api/v1/me/credit/events", headers=residents.bound_headers(resident)).get_json()
    assert {(e["title"], e["points"]) for e in events} == {("旧标题", 10), ("新标题", 25)}
    stored_second = db.session.get(CreditEvent, second["id"])
    assert as_utc(stored_second.effective_until) - as_utc(stored_second.occurred_at) == timedelta(days=30)


def test_a_change_of_points_recomputes_a_default_that_depends_on_them(client, admin):
    create(client, admin, penalty(points=-30))
    response = client.patch(f"{ITEMS}/LV-T1", json={"points": -50}, headers=admin)
    assert response.status_code == 200
    assert response.get_json()["validity_days"] == 730


def test_a_change_of_severity_recomputes_the_disclosure_defaults(client, admin):
    create(client, admin, penalty(severity="minor"))
    response = client.patch(f"{ITEMS}/LV-T1", json={"severity": "serious"}, headers=admin)
    assert (response.get_json()["min_disclosure_days"], response.get_json()["max_disclosure_days"]) == (365, 1095)


def test_a_change_of_points_keeps_the_validity_an_admin_set(client, admin):
    # An honour counts by its level (a national honour 5 years); raising its points must not cut that to 1 year.
    create(client, admin, bonus("SC-T11", title="国家级荣誉表彰", points=50, validity_days=5 * 365))
    response = client.patch(f"{ITEMS}/SC-T11", json={"points": 60}, headers=admin)
    assert response.status_code == 200
    assert response.get_json()["points"] == 60
    assert response.get_json()["validity_days"] == 5 * 365


@pytest.mark.parametrize("change", [{"severity": "minor"}, {"points": -10}, {"caps_stars_at": 2},
                                    {"kind": "penalty"}, {"town": "不存在镇"}, {"code": "NEW"}])
def test_a_change_that_breaks_the_item_is_refused_and_nothing_changes(client, admin, change):
    create(client, admin, bonus(points=10))
    before = client.get(f"{ITEMS}/SC-T1", headers=admin).get_json()
    response = client.patch(f"{ITEMS}/SC-T1", json=change, headers=admin)
    assert response.status_code == 422
    db.session.rollback()
    assert client.get(f"{ITEMS}/SC-T1", headers=admin).get_json() == before
    assert rubric_audit() == ["rubric.create"]


def test_changing_an_unknown_item_is_404(client, admin):
    response = client.patch(f"{ITEMS}/NOPE", json={"points": 5}, headers=admin)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "rubric_item_not_found"
    assert client.get(f"{ITEMS}/NOPE", headers=admin).status_code == 404


def test_a_retired_item_cannot_be_granted_and_leaves_the_public_rubric(client, admin, residents):
    resident = residents.create()
    create(client, admin, bonus())
    granted = grant(client, admin, resident, "SC-T1", source_ref="while-active")
    assert granted.status_code == 201

    response = client.patch(f"{ITEMS}/SC-T1", json={"active": False}, headers=admin)
    assert response.status_code == 200 and response.get_json()["active"] is False
    refused = grant(client, admin, resident, "SC-T1", source_ref="after-retiring")
    assert refused.status_code == 422
    assert refused.get_json()["reason"] == "rubric_item_retired"
    assert committed(CreditEvent) == 1
    assert db.session.get(CreditEvent, granted.get_json()["id"]).status == "active"  # granted events stay
    assert client.get(PUBLIC).get_json() == []
    assert client.get(ITEMS, headers=admin).get_json() == []
    assert [i["code"] for i in client.get(f"{ITEMS}?include_retired=true", headers=admin).get_json()] == ["SC-T1"]


def test_a_retired_item_can_be_brought_back(client, admin, residents):
    resident = residents.create()
    create(client, admin, bonus())
    client.patch(f"{ITEMS}/SC-T1", json={"active": False}, headers=admin)
    client.patch(f"{ITEMS}/SC-T1", json={"active": True}, headers=admin)
    assert grant(client, admin, resident, "SC-T1", source_ref="again").status_code == 201


def test_a_change_is_audited_with_before_and_after(client, admin):
    create(client, admin, bonus(points=10))
    client.patch(f"{ITEMS}/SC-T1", json={"points": 15, "active": False}, headers=admin)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "rubric.update"))
    assert record.object_type == "rubric_item" and record.object_id == "SC-T1"
    assert (record.before["points"], record.before["active"]) == (10, True)
    assert (record.after["points"], record.after["active"]) == (15, False)


def test_admin_list_filters_by_category_and_town(client, admin, residents):
    residents.create(town="长泾镇")
    create(client, admin, bonus("SC-T1"))
    create(client, admin, penalty("LV-T1"))
    create(client, admin, bonus("CJ-T1", town="长泾镇"))
    everything = client.get(ITEMS, headers=admin)
    assert everything.status_code == 200 and "X-Pagination" in everything.headers
    assert {i["code"] for i in everything.get_json()} == {"SC-T1", "LV-T1", "CJ-T1"}
    by_category = client.get(f"{ITEMS}?category=law_and_village_rules", headers=admin).get_json()
    assert [i["code"] for i in by_category] == ["LV-T1"]
    assert [i["code"] for i in client.get(f"{ITEMS}?town=长泾镇", headers=admin).get_json()] == ["CJ-T1"]


# -- the public rubric --------------------------------------------------------------------------------

@pytest.fixture
def published(client, admin, residents):
    residents.create(town="长泾镇")
    residents.create(town="周庄镇")
    for body in (bonus("SC-T1"), bonus("SC-T2", points=5), penalty("LV-T1"),
                 penalty("FI-T1", category="finance", points=-100, severity="serious", caps_stars_at=1),
                 bonus("CJ-T1", category="environment", town="长泾镇"),
                 bonus("ZZ-T1", town="周庄镇")):
        assert create(client, admin, body).status_code == 201


def codes_by_category(body) -> dict:
    return {group["category"]: [item["code"] for item in group["items"]] for group in body}


def test_public_rubric_is_grouped_by_category_and_shows_only_city_wide_items(client, published):
    response = client.get(PUBLIC)
    assert response.status_code == 200
    body = response.get_json()
    assert codes_by_category(body) == {"social_contribution": ["SC-T1", "SC-T2"],
                                       "law_and_village_rules": ["LV-T1"], "finance": ["FI-T1"]}
    assert [group["category"] for group in body] == [key for key in CATEGORIES if key in codes_by_category(body)]
    assert {group["category"]: group["name"] for group in body}["finance"] == CATEGORIES["finance"]
    ceiling = body[-1]["items"][0]
    assert (ceiling["points"], ceiling["severity"], ceiling["caps_stars_at"], ceiling["validity_days"]) == (
        -100, "serious", 1, 5 * 365)
    assert "active" not in ceiling


def test_public_rubric_of_a_town_adds_its_own_local_items_only(client, published):
    body = client.get(PUBLIC, query_string={"town": "长泾镇"}).get_json()
    codes = codes_by_category(body)
    assert codes["environment"] == ["CJ-T1"]
    assert codes["social_contribution"] == ["SC-T1", "SC-T2"]
    assert "ZZ-T1" not in str(codes)
    local = body[[g["category"] for g in body].index("environment")]["items"][0]
    assert local["town"] == "长泾镇"


def test_public_rubric_of_an_unknown_town_is_the_city_wide_rubric(client, published):
    body = client.get(PUBLIC, query_string={"town": "不存在镇"}).get_json()
    assert codes_by_category(body) == {"social_contribution": ["SC-T1", "SC-T2"],
                                       "law_and_village_rules": ["LV-T1"], "finance": ["FI-T1"]}


# -- the default rubric -------------------------------------------------------------------------------

def test_load_rubric_loads_the_city_wide_standard_and_the_local_items(runner, client):
    result = runner.invoke(args=["credit", "load-rubric"])
    assert result.exit_code == 0, result.output
    items = db.session.scalars(select(RubricItem)).all()
    city_wide = [item for item in items if item.town_id is None]
    assert len(city_wide) >= 30
    assert {item.category for item in city_wide} == set(CATEGORIES)
    by_code = {item.code: item for item in items}
    assert (by_code["RP-01"].kind, by_code["RP-01"].points, by_code["RP-01"].category) == ("bonus", 10, "reporting")
    assert (by_code["RP-02"].kind, by_code["RP-02"].points) == ("bonus", 30)
    assert (by_code["RP-03"].kind, by_code["RP-03"].points) == ("penalty", -50)
    assert by_code["RP-03"].severity is not None
    ceilings = {item.caps_stars_at for item in city_wide if item.caps_stars_at is not None}
    assert {1, 2} <= ceilings
    for item in items:
        if item.caps_stars_at in (1, 2) and item.kind == "penalty":
            assert item.validity_days == {2: 3 * 365, 1: 5 * 365}[item.caps_stars_at], item.code
    honours = {by_code[code].title: by_code[code].validity_days for code in ("SC-08", "SC-09", "SC-10", "SC-11")}
    assert honours == {"县级荣誉表彰": 365, "地市级荣誉表彰": 2 * 365, "省级荣誉表彰": 3 * 365,
                       "国家级荣誉表彰": 5 * 365}  # honours count by level: 1, 2, 3 and 5 years
    local = [item for item in items if item.town_id is not None]
    assert local and {item.town.name for item in local} == {"长泾镇"}
    assert f"{len(items)} rubric items added" in result.output

    public = client.get(PUBLIC, query_string={"town": "长泾镇"}).get_json()
    assert sum(len(group["items"]) for group in public) == len(items)


def test_load_rubric_twice_adds_nothing_and_keeps_admin_changes(runner, client, admin):
    runner.invoke(args=["credit", "load-rubric"])
    count = committed(RubricItem)
    client.patch(f"{ITEMS}/RP-01", json={"points": 15}, headers=admin)
    again = runner.invoke(args=["credit", "load-rubric"])
    assert again.exit_code == 0, again.output
    assert "0 rubric items added" in again.output
    assert committed(RubricItem) == count
    assert client.get(f"{ITEMS}/RP-01", headers=admin).get_json()["points"] == 15


@pytest.mark.parametrize(("level", "days"), [("county", 365), ("prefecture", 730), ("province", 1095),
                                             ("nation", 1825)])
def test_an_honour_counts_as_long_as_its_level_says(client, admin, level, days):
    response = create(client, admin, bonus(code=f"HN-{level}", honour_level=level))
    assert response.status_code == 201
    assert response.get_json()["validity_days"] == days


def test_only_bonus_items_are_honours(client, admin):
    response = create(client, admin, penalty(honour_level="nation"))
    assert response.status_code == 422
    assert "honour_level" in response.get_json()["errors"]["json"]
    assert committed(RubricItem) == 0


def test_the_public_rubric_is_the_one_list_documented_as_bounded_and_unpaginated(client):
    """SPEC §10: lists paginate, except the public rubric, one bounded document grouped by category."""
    document = client.get("/api/v1/openapi.json").get_json()
    unpaginated = []
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            answer = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            if answer.get("schema", {}).get("type") != "array":
                continue
            if "page" not in {parameter.get("name") for parameter in operation.get("parameters", [])}:
                unpaginated.append(path)
    # The admin's settings are read and written as one form (every setting, a few dozen) rather than a list.
    assert sorted(set(unpaginated) - {"/api/v1/admin/settings"}) == ["/api/v1/public/rubric"]
    described = document["paths"]["/api/v1/public/rubric"]["get"].get("description", "")
    assert "not paginated" in described and "bounded" in described
