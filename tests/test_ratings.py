"""Credit households, villages and towns (信用户、信用村、信用镇): rated from the members' stars with the
thresholds of the settings, public as counts and never as lists of persons (SPEC §3)."""

import itertools
from datetime import timedelta

import pytest

from backend.credit import rubric, service
from backend.data.import_files import Row
from backend.dates.timeutil import utcnow
from backend.residents import service as residents_service

VILLAGES = "/api/v1/public/villages"
TOWNS = "/api/v1/public/towns"
ME = "/api/v1/me/credit"
SETTINGS = "/api/v1/admin/settings"

_codes = itertools.count(1)


def grant(resident, points: int):
    """Move ``resident`` by ``points`` through the ledger (+30: 4★, -50: 2★ from the base of 1000)."""
    kind = "bonus" if points > 0 else "penalty"
    code = f"RT-{next(_codes)}"
    rubric.create_item(None, code=code, category="social_contribution", title=code, points=points, kind=kind,
                       severity="general" if kind == "penalty" else None)
    service.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                        occurred_at=utcnow() - timedelta(hours=1), source="credit-office", source_ref=code)


class Registry:
    """Households built through the registry import, with their members' stars set through the ledger."""

    def __init__(self, residents):
        self.residents = residents
        self.names = itertools.count(1)

    def household(self, *stars: int, town="长泾镇", village="蒋家村", number=None, statuses=None):
        """A household whose members have ``stars`` (3 = left at the base, without any event)."""
        number = number or f"H-{next(self.names)}"
        members = []
        for index, wanted in enumerate(stars):
            member = self.residents.create(name=f"王{next(self.names)}", town=town, village=village,
                                           household_no=number)
            if wanted != 3:
                grant(member, {5: 60, 4: 30, 2: -50, 1: -200}[wanted])
            status = (statuses or {}).get(index)
            if status:  # the registry reports them moved or deceased afterwards
                member.plain["status"] = status
                assert not residents_service.import_residents(None, [Row(2, member.plain)]).errors
            members.append(member)
        return members


@pytest.fixture
def registry(residents):
    return Registry(residents)


def villages(client, **query):
    response = client.get(VILLAGES, query_string=query)
    assert response.status_code == 200, response.get_json()
    return {row["village"]: row for row in response.get_json()}


def household_of(client, residents, member) -> dict:
    return client.get(ME, headers=residents.bound_headers(member)).get_json()["household"]


# -- credit households ----------------------------------------------------------------------------------

def test_a_household_with_every_member_at_3_stars_and_one_at_4_is_a_credit_household(client, residents, registry):
    first, *_ = registry.household(4, 3, 3, number="蒋家-001")
    assert household_of(client, residents, first) == {"household_no": "蒋家-001", "members": 3,
                                                      "is_credit_household": True}


@pytest.mark.parametrize("stars", [(4, 2), (5, 1), (3, 3), (3,)],
                         ids=["one-at-2", "one-at-1", "none-at-4", "alone-at-3"])
def test_a_household_with_a_member_below_3_stars_or_none_at_4_is_not(client, residents, registry, stars):
    first, *_ = registry.household(*stars)
    assert household_of(client, residents, first)["is_credit_household"] is False


def test_a_direct_grading_ceiling_counts_as_the_stars_it_leaves(client, residents, registry):
    first, second = registry.household(5, 3)
    item = rubric.create_item(None, code="RT-CEILING", category="finance", title="失信被执行人", points=-1,
                              kind="penalty", severity="serious", caps_stars_at=1)
    service.grant_event(None, id_number=second.plain["id_number"], rubric_code=item.code,
                        occurred_at=utcnow() - timedelta(hours=1), source="court", source_ref="RT-C1")
    assert household_of(client, residents, first)["is_credit_household"] is False


def test_only_active_residents_are_members(client, residents, registry):
    first, *_ = registry.household(4, 3, 1, 1, statuses={2: "moved", 3: "deceased"})
    assert household_of(client, residents, first) == {"household_no": first.plain["household_no"], "members": 2,
                                                      "is_credit_household": True}


def test_residents_without_an_account_count_at_the_stars_of_the_base(client, staff, residents, registry):
    lone = registry.household(3, number="H-NEW")
    admin = staff.headers("admin")
    assert client.put(SETTINGS, json={"credit.base_points": 1030}, headers=admin).status_code == 200
    # No event and no read yet: no account, so the base's 4★ counts.
    assert villages(client)["蒋家村"]["credit_households"] == 1
    assert household_of(client, residents, lone[0])["is_credit_household"] is True


def test_the_household_rule_follows_its_settings(client, staff, residents, registry):
    first, *_ = registry.household(4, 2)
    me, admin = residents.bound_headers(first), staff.headers("admin")
    client.put(SETTINGS, json={"ratings.household_min_stars": 2}, headers=admin)
    assert client.get(ME, headers=me).get_json()["household"]["is_credit_household"] is True
    client.put(SETTINGS, json={"ratings.household_top_stars": 5}, headers=admin)
    assert client.get(ME, headers=me).get_json()["household"]["is_credit_household"] is False


def test_new_star_thresholds_move_the_ratings_at_once(client, staff, residents, registry):
    first, *_ = registry.household(4, 3)
    levels = [{"stars": 5, "name": "诚信模范", "min_points": 1050},
              {"stars": 4, "name": "诚信优秀", "min_points": 1031},
              {"stars": 3, "name": "诚信良好", "min_points": 960},
              {"stars": 2, "name": "诚信警示", "min_points": 850},
              {"stars": 1, "name": "失信"}]
    assert client.put("/api/v1/admin/star-levels", json={"levels": levels},
                      headers=staff.headers("admin")).status_code == 200
    assert household_of(client, residents, first)["is_credit_household"] is False


# -- credit villages ------------------------------------------------------------------------------------

def test_a_village_with_80_percent_credit_households_is_a_credit_village(client, registry):
    for _ in range(4):
        registry.household(4, 3, village="蒋家村")
    registry.household(3, 3, village="蒋家村")
    for _ in range(3):
        registry.household(4, village="河塘村")
    registry.household(3, village="河塘村")
    registry.household(2, 4, village="河塘村")
    rated = villages(client)
    assert rated["蒋家村"] == {"town": "长泾镇", "village": "蒋家村", "households": 5, "credit_households": 4,
                            "share": 0.8, "is_credit_village": True}
    assert rated["河塘村"] == {"town": "长泾镇", "village": "河塘村", "households": 5, "credit_households": 3,
                            "share": 0.6, "is_credit_village": False}


def test_the_village_share_follows_its_setting(client, staff, registry):
    registry.household(4, village="河塘村")
    registry.household(3, village="河塘村")
    assert villages(client)["河塘村"]["is_credit_village"] is False
    client.put(SETTINGS, json={"ratings.village_share": 0.5}, headers=staff.headers("admin"))
    assert villages(client)["河塘村"]["is_credit_village"] is True


def test_a_village_counts_only_households_with_active_members(client, registry):
    registry.household(4, village="蒋家村")
    registry.household(2, village="蒋家村", statuses={0: "moved"})
    registry.household(2, village="习礼村", statuses={0: "deceased"})
    rated = villages(client)
    assert (rated["蒋家村"]["households"], rated["蒋家村"]["is_credit_village"]) == (1, True)
    assert "习礼村" not in rated


def test_villages_are_listed_by_town_and_name_a_page_at_a_time(client, registry):
    for town, village in [("长泾镇", "蒋家村"), ("长泾镇", "河塘村"), ("华士镇", "华西村"), ("华士镇", "红星村")]:
        registry.household(4, town=town, village=village)
    response = client.get(VILLAGES, query_string={"page_size": 3})
    assert [(row["town"], row["village"]) for row in response.get_json()] == sorted(
        [("长泾镇", "蒋家村"), ("长泾镇", "河塘村"), ("华士镇", "华西村"), ("华士镇", "红星村")])[:3]
    assert '"total": 4' in response.headers["X-Pagination"]
    only = client.get(VILLAGES, query_string={"town": "华士镇"}).get_json()
    assert sorted(row["village"] for row in only) == ["华西村", "红星村"]
    assert client.get(VILLAGES, query_string={"town": "不存在镇"}).get_json() == []


def test_a_village_list_shows_counts_and_never_persons(client, registry):
    members = registry.household(4, 3, village="蒋家村")
    response = client.get(VILLAGES)
    assert set(response.get_json()[0]) == {"town", "village", "households", "credit_households", "share",
                                           "is_credit_village"}
    text = response.get_data(as_text=True)
    for member in members:
        assert member.plain["name"] not in text and member.plain["id_number"] not in text
        assert member.plain["household_no"] not in text


def test_an_unknown_query_parameter_is_refused(client):
    response = client.get(VILLAGES, query_string={"village": "蒋家村"})
    assert response.status_code == 422


# -- credit towns ---------------------------------------------------------------------------------------

def test_a_town_with_60_percent_credit_villages_is_a_credit_town(client, registry):
    # 3 of 5 is exactly 60 %: the rule holds however 0.6 * 5 rounds in floating point.
    for village in ("A村", "B村", "C村"):
        registry.household(4, town="长泾镇", village=village)
    for village in ("D村", "E村"):
        registry.household(3, town="长泾镇", village=village)
    for village in ("F村", "G村"):
        registry.household(4, town="华士镇", village=village)
    for village in ("H村", "I村", "J村"):
        registry.household(3, town="华士镇", village=village)
    response = client.get(TOWNS)
    assert response.status_code == 200
    assert response.get_json() == [
        {"town": "华士镇", "villages": 5, "credit_villages": 2, "share": 0.4, "is_credit_town": False,
         "households": 5, "credit_households": 2},
        {"town": "长泾镇", "villages": 5, "credit_villages": 3, "share": 0.6, "is_credit_town": True,
         "households": 5, "credit_households": 3},
    ]
    assert "X-Pagination" in response.headers


def test_the_town_share_follows_its_setting(client, staff, registry):
    registry.household(4, village="A村")
    registry.household(3, village="B村")
    assert client.get(TOWNS).get_json()[0]["is_credit_town"] is False
    client.put(SETTINGS, json={"ratings.town_share": 0.5}, headers=staff.headers("admin"))
    assert client.get(TOWNS).get_json()[0]["is_credit_town"] is True


def test_ratings_need_no_token(client, registry):
    registry.household(4)
    assert client.get(TOWNS).status_code == 200
    assert client.get(VILLAGES).status_code == 200
    assert client.get(TOWNS).get_json()[0]["town"] == "长泾镇"
