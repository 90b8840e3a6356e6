"""Credit accounts (信用积分账户): score = base + counting events, star levels (星级) and direct grading
(直接判级), expiry, the resident's own view, and admin changes to thresholds and the base (SPEC §3)."""

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from backend.audit.models import AuditRecord
from backend.credit import rubric, service
from backend.credit.models import CreditAccount, CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import as_utc, utcnow

ME = "/api/v1/me/credit"
MY_EVENTS = "/api/v1/me/credit/events"
LEVELS = "/api/v1/admin/star-levels"
SETTINGS = "/api/v1/admin/settings"

DEFAULT_LEVELS = [
    {"stars": 5, "name": "诚信模范", "min_points": 1050},
    {"stars": 4, "name": "诚信优秀", "min_points": 1030},
    {"stars": 3, "name": "诚信良好", "min_points": 960},
    {"stars": 2, "name": "诚信警示", "min_points": 850},
    {"stars": 1, "name": "失信", "min_points": None},
]

_serial = itertools.count(1)


def item(points, *, code=None, **fields):
    """A city-wide rubric item made through the rubric service."""
    kind = "bonus" if points > 0 else "penalty"
    fields.setdefault("category", "social_contribution")
    if kind == "penalty":
        fields.setdefault("severity", "general")
    code = code or f"T-{next(_serial)}"
    return rubric.create_item(None, code=code, title=f"条目 {code}", points=points, kind=kind, **fields)


def grant(resident, points, *, code=None, days_ago=0, **fields) -> CreditEvent:
    """Grant a fresh item worth ``points`` (named ``code`` when given) to ``resident`` through the ledger."""
    code = item(points, code=code, **fields).code
    occurred_at = utcnow() - timedelta(days=days_ago, hours=1)
    return service.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                               occurred_at=occurred_at, source="credit-office",
                               source_ref=f"ref-{next(_serial)}").event


def account(resident) -> CreditAccount:
    db.session.rollback()
    return db.session.get(CreditAccount, resident.id)


def age(resident, *events):
    """Let ``events`` pass their validity: they and the account's next expiry lie a minute in the past."""
    past = utcnow() - timedelta(minutes=1)
    db.session.execute(update(CreditEvent).where(CreditEvent.id.in_([e.id for e in events]))
                       .values(effective_until=past))
    db.session.execute(update(CreditAccount).where(CreditAccount.resident_id == resident.id)
                       .values(next_expiry_at=past))
    db.session.commit()


def move(event, *targets):
    for target in targets:
        service.move_status(event.id, target, None, "测试")
    db.session.commit()


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def resident(residents):
    return residents.create()


@pytest.fixture
def me(residents, resident):
    return residents.bound_headers(resident)


# -- the score ----------------------------------------------------------------------------------------

def test_a_new_resident_starts_at_the_base_with_three_stars(client, me, resident):
    response = client.get(ME, headers=me)
    assert response.status_code == 200
    body = response.get_json()
    assert {key: body[key] for key in ("points", "stars", "level_name", "capped_by", "next_level")} == {
        "points": 1000, "stars": 3, "level_name": "诚信良好", "capped_by": None,
        "next_level": {"stars": 4, "points_needed": 30}}
    assert body["updated_at"].endswith("+08:00")
    assert account(resident).points == 1000


def test_a_new_resident_starts_at_the_base_an_admin_set(client, admin, residents):
    client.put(SETTINGS, json={"credit.base_points": 900}, headers=admin)
    newcomer = residents.create(name="李娜")
    body = client.get(ME, headers=residents.bound_headers(newcomer)).get_json()
    assert (body["points"], body["stars"], body["level_name"]) == (900, 2, "诚信警示")


def test_score_is_base_plus_the_counting_events(client, me, resident):
    grant(resident, 10)
    move(grant(resident, -30), "disputed")
    move(grant(resident, 20), "disputed", "voided")
    move(grant(resident, -50), "repaired")
    grant(resident, 40, days_ago=400)  # counted for 365 days: expired
    assert client.get(ME, headers=me).get_json()["points"] == 1000 + 10 - 30
    stored = account(resident)
    assert (stored.points, stored.stars) == (980, 3)


def test_each_grant_updates_the_account_in_the_same_transaction(resident):
    event = service.grant_event(None, id_number=resident.plain["id_number"], rubric_code=item(45).code,
                                occurred_at=utcnow() - timedelta(hours=1), source="credit-office",
                                source_ref="uncommitted", commit=False).event
    assert db.session.get(CreditAccount, resident.id).points == 1045
    db.session.rollback()
    assert db.session.get(CreditEvent, event.id) is None
    assert account(resident) is None


@pytest.mark.parametrize("delta, stars, name, next_level", [
    (200, 5, "诚信模范", None),
    (50, 5, "诚信模范", None),
    (49, 4, "诚信优秀", {"stars": 5, "points_needed": 1}),
    (30, 4, "诚信优秀", {"stars": 5, "points_needed": 20}),
    (29, 3, "诚信良好", {"stars": 4, "points_needed": 1}),
    (-40, 3, "诚信良好", {"stars": 4, "points_needed": 70}),
    (-41, 2, "诚信警示", {"stars": 3, "points_needed": 1}),
    (-150, 2, "诚信警示", {"stars": 3, "points_needed": 110}),
    (-151, 1, "失信", {"stars": 2, "points_needed": 1}),
    (-600, 1, "失信", {"stars": 2, "points_needed": 450}),
], ids=lambda value: str(value) if isinstance(value, int) else None)
def test_stars_follow_the_default_thresholds_exactly(client, me, resident, delta, stars, name, next_level):
    grant(resident, delta)
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["level_name"], body["next_level"]) == (
        1000 + delta, stars, name, next_level)
    assert body["capped_by"] is None


# -- direct grading -----------------------------------------------------------------------------------

def test_a_ceiling_holds_the_stars_whatever_the_points(client, me, resident):
    drunk_driving = grant(resident, -50, code="PO-T1", severity="serious", caps_stars_at=2,
                          category="public_order")
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["capped_by"], body["next_level"]) == (950, 2, "PO-T1", None)

    grant(resident, 120)
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["level_name"]) == (1070, 2, "诚信警示")
    assert (body["capped_by"], body["next_level"]) == ("PO-T1", None)
    events = client.get(MY_EVENTS, headers=me).get_json()
    assert sorted(event["points"] for event in events) == [-50, 120]  # the bonus is recorded all the same

    move(drunk_driving, "disputed", "voided")
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["capped_by"]) == (1120, 5, None)


def test_the_lowest_ceiling_holds_and_is_named(client, me, resident):
    grant(resident, -50, code="PO-T1", severity="serious", caps_stars_at=2)
    grant(resident, -100, code="FI-T1", severity="serious", caps_stars_at=1)
    grant(resident, 400)
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["capped_by"]) == (1250, 1, "FI-T1")
    stored = account(resident)
    assert (stored.ceiling_stars, stored.capped_by) == (1, "FI-T1")


def test_a_ceiling_ends_when_its_event_is_repaired(client, me, resident):
    ceiling = grant(resident, -50, code="PO-T1", severity="serious", caps_stars_at=2)
    grant(resident, 100)
    move(ceiling, "repaired")
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["capped_by"], body["next_level"]) == (1100, 5, None, None)


def test_a_ceiling_ends_when_its_event_expires(client, me, resident):
    ceiling = grant(resident, -50, code="PO-T1", severity="serious", caps_stars_at=2)
    grant(resident, 80)
    assert client.get(ME, headers=me).get_json()["stars"] == 2
    age(resident, ceiling)
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"], body["capped_by"]) == (1080, 5, None)


def test_a_ceiling_above_the_earned_stars_leaves_the_next_level_in_reach(client, me, resident):
    # 2★ ceiling, 840 points: 1★ earned; ten points more reach 2★, which the ceiling allows.
    grant(resident, -50, code="PO-T1", severity="serious", caps_stars_at=2)
    grant(resident, -110)
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"]) == (840, 1)
    assert body["next_level"] == {"stars": 2, "points_needed": 10}
    assert body["capped_by"] is None  # the ceiling does not hold these stars down


# -- expiry -------------------------------------------------------------------------------------------

def test_an_event_past_its_validity_stops_counting_and_shows_as_expired(client, me, resident):
    old = grant(resident, 40, days_ago=366)
    assert as_utc(old.effective_until) < utcnow()
    body = client.get(ME, headers=me).get_json()
    assert body["points"] == 1000
    events = client.get(MY_EVENTS, headers=me).get_json()
    assert [(event["id"], event["status"]) for event in events] == [(old.id, "expired")]
    assert db.session.get(CreditEvent, old.id).status == "active"  # the ledger row itself is never edited


def test_the_account_is_recomputed_on_read_once_an_event_expired(client, me, resident):
    bonus = grant(resident, 30)
    later = grant(resident, -5, validity_days=3000)
    stored = account(resident)
    assert (stored.points, stored.stars) == (1025, 3)
    assert as_utc(stored.next_expiry_at) == as_utc(bonus.effective_until)

    age(resident, bonus)
    body = client.get(ME, headers=me).get_json()
    assert (body["points"], body["stars"]) == (995, 3)
    stored = account(resident)
    assert stored.points == 995
    assert as_utc(stored.next_expiry_at) == as_utc(db.session.get(CreditEvent, later.id).effective_until)
    assert [e["status"] for e in client.get(MY_EVENTS, headers=me).get_json()] == ["active", "expired"]


def test_get_account_recomputes_an_account_whose_next_expiry_passed(resident):
    bonus = grant(resident, 60)
    assert account(resident).stars == 5
    age(resident, bonus)
    refreshed = service.get_account(resident.id)
    assert (refreshed.points, refreshed.stars, refreshed.next_expiry_at) == (1000, 3, None)
    assert (account(resident).points, account(resident).stars) == (1000, 3)


def test_refresh_command_recomputes_every_account_whose_next_expiry_passed(runner, residents, resident):
    second, untouched = residents.create(name="李娜"), residents.create(name="王芳")
    aged = [grant(resident, 60), grant(second, -200)]
    grant(untouched, 60)
    age(resident, aged[0])
    age(second, aged[1])
    before = account(untouched).updated_at

    result = runner.invoke(args=["credit", "refresh"])
    assert result.exit_code == 0, result.output
    assert "2 accounts refreshed" in result.output
    assert [(account(r).points, account(r).stars, account(r).next_expiry_at) for r in (resident, second)] == [
        (1000, 3, None), (1000, 3, None)]
    assert (account(untouched).points, account(untouched).stars, account(untouched).updated_at) == (
        1060, 5, before)
    again = runner.invoke(args=["credit", "refresh"])
    assert "0 accounts refreshed" in again.output


# -- the resident's events ----------------------------------------------------------------------------

@pytest.fixture
def history(resident):
    """One event in each shown status, oldest first."""
    events = {"expired": grant(resident, 40, days_ago=400)}
    events["voided"] = grant(resident, -30, days_ago=40)
    move(events["voided"], "disputed", "voided")
    events["repaired"] = grant(resident, -20, days_ago=30)
    move(events["repaired"], "repaired")
    events["disputed"] = grant(resident, -10, days_ago=20)
    move(events["disputed"], "disputed")
    events["active"] = grant(resident, 15, days_ago=10)
    return events


def test_my_events_are_listed_newest_first_with_their_shown_status(client, me, history):
    response = client.get(MY_EVENTS, headers=me)
    assert response.status_code == 200
    assert [(e["id"], e["status"]) for e in response.get_json()] == [
        (history[status].id, status) for status in ("active", "disputed", "repaired", "voided", "expired")]
    first = response.get_json()[0]
    assert {"rubric_code", "title", "category", "kind", "points", "occurred_at", "effective_until",
            "source"} <= set(first)
    assert "source_ref" not in first and "resident_id" not in first


@pytest.mark.parametrize("status", ["active", "expired", "disputed", "repaired", "voided"])
def test_my_events_filter_by_status(client, me, history, status):
    response = client.get(MY_EVENTS, query_string={"status": status}, headers=me)
    assert [(e["id"], e["status"]) for e in response.get_json()] == [(history[status].id, status)]


def test_my_events_filter_by_kind(client, me, history):
    bonuses = client.get(MY_EVENTS, query_string={"kind": "bonus"}, headers=me).get_json()
    penalties = client.get(MY_EVENTS, query_string={"kind": "penalty"}, headers=me).get_json()
    assert {e["id"] for e in bonuses} == {history["active"].id, history["expired"].id}
    assert {e["id"] for e in penalties} == {history[s].id for s in ("voided", "repaired", "disputed")}
    assert client.get(MY_EVENTS, query_string={"kind": "reward"}, headers=me).status_code == 422
    assert client.get(MY_EVENTS, query_string={"status": "deleted"}, headers=me).status_code == 422


def test_my_events_are_paginated(client, me, history):
    first = client.get(MY_EVENTS, query_string={"page_size": 2}, headers=me)
    assert len(first.get_json()) == 2
    assert '"total": 5' in first.headers["X-Pagination"]
    last = client.get(MY_EVENTS, query_string={"page_size": 2, "page": 3}, headers=me).get_json()
    assert [e["id"] for e in last] == [history["expired"].id]
    assert client.get(MY_EVENTS, query_string={"page_size": 101}, headers=me).status_code == 422


def test_i_see_only_my_own_events_and_score(client, residents, me, resident):
    other = residents.create(name="李娜")
    grant(other, -100)
    grant(resident, 5)
    assert [e["points"] for e in client.get(MY_EVENTS, headers=me).get_json()] == [5]
    assert client.get(ME, headers=me).get_json()["points"] == 1005


def test_an_account_not_yet_bound_is_refused(client, residents):
    headers = residents.headers("stranger")
    for url in (ME, MY_EVENTS):
        response = client.get(url, headers=headers)
        assert response.status_code == 403
        assert response.get_json()["reason"] == "not_bound"
    assert client.get(ME).status_code == 401


def test_staff_have_no_credit_of_their_own(client, staff):
    assert client.get(ME, headers=staff.headers("admin")).status_code == 403


# -- star levels --------------------------------------------------------------------------------------

def test_admin_reads_the_default_star_levels(client, admin):
    response = client.get(LEVELS, headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {"levels": DEFAULT_LEVELS}


@pytest.fixture
def population(residents):
    """Residents at 1000, 1040, 1060 and 950 points, and one held at 2★ by a ceiling at 1150."""
    people = {}
    for points in (0, 40, 60, -50):
        person = residents.create(name=f"居民{points}")
        if points:
            grant(person, points)
        service.get_account(person.id)
        people[1000 + points] = person
    capped = residents.create(name="欧阳娜娜")
    grant(capped, -50, severity="serious", caps_stars_at=2)
    grant(capped, 200)
    people["capped"] = capped
    return people


def stars_of(people) -> dict:
    db.session.rollback()
    return {key: db.session.get(CreditAccount, person.id).stars for key, person in people.items()}


def test_new_thresholds_recompute_every_account_at_once(client, admin, residents, population):
    assert stars_of(population) == {1000: 3, 1040: 4, 1060: 5, 950: 2, "capped": 2}
    new = [{"stars": 5, "name": "信用模范", "min_points": 1100}, {"stars": 4, "name": "信用优秀", "min_points": 1050},
           {"stars": 3, "name": "信用良好", "min_points": 1001}, {"stars": 2, "name": "信用警示", "min_points": 950},
           {"stars": 1, "name": "信用较差", "min_points": None}]
    response = client.put(LEVELS, json={"levels": new}, headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {"levels": new}
    assert client.get(LEVELS, headers=admin).get_json() == {"levels": new}
    assert stars_of(population) == {1000: 2, 1040: 3, 1060: 4, 950: 2, "capped": 2}
    body = client.get(ME, headers=residents.bound_headers(population[1060])).get_json()
    assert (body["stars"], body["level_name"], body["next_level"]) == (4, "信用优秀",
                                                                       {"stars": 5, "points_needed": 40})
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "star_levels.update"))
    assert record.before["levels"][0]["min_points"] == 1050 and record.after["levels"][0]["min_points"] == 1100


def changed(stars, **fields):
    return [{**level, **fields} if level["stars"] == stars else level for level in DEFAULT_LEVELS]


@pytest.mark.parametrize("levels", [
    DEFAULT_LEVELS[:4],
    [*DEFAULT_LEVELS, {"stars": 6, "name": "超级", "min_points": 2000}],
    [DEFAULT_LEVELS[0], *DEFAULT_LEVELS[:3], DEFAULT_LEVELS[4]],
    changed(4, min_points=1060),
    changed(4, min_points=1050),
    changed(2, min_points=970),
    changed(1, min_points=0),
    changed(2, min_points=None),
    changed(3, name=""),
    changed(3, min_points="960"),
], ids=["four-levels", "six-levels", "5-star-twice", "4-above-5", "4-equals-5", "2-above-3", "1-with-minimum",
        "2-without-minimum", "empty-name", "text-threshold"])
def test_star_levels_must_be_five_with_falling_thresholds_and_no_minimum_for_one_star(client, admin, population,
                                                                                      levels):
    before = stars_of(population)
    response = client.put(LEVELS, json={"levels": levels}, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["reason"] == "invalid_input"
    db.session.rollback()
    assert client.get(LEVELS, headers=admin).get_json() == {"levels": DEFAULT_LEVELS}
    assert stars_of(population) == before


@pytest.mark.parametrize("role", ["reviewer", "department"])
def test_only_admins_read_and_change_star_levels(client, staff, role):
    headers = staff.headers(role)
    assert client.get(LEVELS, headers=headers).status_code == 403
    assert client.put(LEVELS, json={"levels": DEFAULT_LEVELS}, headers=headers).status_code == 403


# -- the base -----------------------------------------------------------------------------------------

def test_changing_the_base_shifts_every_account_and_its_stars(client, admin, residents, population):
    response = client.put(SETTINGS, json={"credit.base_points": 1010}, headers=admin)
    assert response.status_code == 200
    db.session.rollback()
    points = {key: db.session.get(CreditAccount, person.id).points for key, person in population.items()}
    assert points == {1000: 1010, 1040: 1050, 1060: 1070, 950: 960, "capped": 1160}
    assert stars_of(population) == {1000: 3, 1040: 5, 1060: 5, 950: 3, "capped": 2}
    body = client.get(ME, headers=residents.bound_headers(population[1040])).get_json()
    assert (body["points"], body["stars"], body["level_name"]) == (1050, 5, "诚信模范")

    grant(population[950], 5)  # a later grant counts from the new base
    assert db.session.get(CreditAccount, population[950].id).points == 965

    client.put(SETTINGS, json={"credit.base_points": 1000}, headers=admin)
    db.session.rollback()
    assert db.session.get(CreditAccount, population[1040].id).points == 1040
    assert stars_of(population) == {1000: 3, 1040: 4, 1060: 5, 950: 2, "capped": 2}


def test_a_base_change_is_an_update_of_every_account(client, admin, residents, population):
    # The points change, so the time the resident sees as updated_at moves with them, stars or not.
    db.session.execute(update(CreditAccount).values(updated_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    before = utcnow().replace(microsecond=0)
    client.put(SETTINGS, json={"credit.base_points": 1005}, headers=admin)
    db.session.rollback()
    for person in population.values():
        assert as_utc(db.session.get(CreditAccount, person.id).updated_at) >= before
    body = client.get(ME, headers=residents.bound_headers(population[1000])).get_json()
    assert body["points"] == 1005
    assert datetime.fromisoformat(body["updated_at"]) >= before
