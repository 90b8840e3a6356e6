"""Synthetic data at city scale (flask demo synthesize): realistic and deterministic residents of Jiangyin's
towns, villages and households, and credit events across the rubric, loaded under the ledger's rules."""

import csv
from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from backend.credit.default_rubric import CITY_WIDE, LOCAL
from backend.credit.models import CreditAccount, CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, local_today
from backend.demo import synthetic
from backend.privacy.id_numbers import validate_id_number
from backend.residents import service as residents_service
from backend.residents.models import Household, Resident

AS_OF = date(2026, 6, 30)
TOWN_NAMES = {name for name, _share in synthetic.TOWNS}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_same_seed_gives_the_same_people_and_events():
    first = list(synthetic.people(300, seed=7))
    assert first == list(synthetic.people(300, seed=7))
    assert first != list(synthetic.people(300, seed=8))
    events = list(synthetic.events(first, 400, seed=7, as_of=AS_OF))
    assert events == list(synthetic.events(first, 400, seed=7, as_of=AS_OF))
    assert events != list(synthetic.events(first, 400, seed=8, as_of=AS_OF))


def test_more_people_of_one_seed_begin_with_the_fewer():
    assert list(synthetic.people(1000, seed=3))[:400] == list(synthetic.people(400, seed=3))


def test_people_have_valid_unique_id_numbers_of_jiangyin_and_its_neighbours():
    crowd = list(synthetic.people(2000, seed=11))
    numbers = [person.id_number for person in crowd]
    assert len(set(numbers)) == len(numbers) == 2000
    assert all(validate_id_number(number) == number for number in numbers)
    born = [datetime.strptime(number[6:14], "%Y%m%d").date() for number in numbers]
    assert min(born) >= date(1940, 1, 1) and max(born) <= date(2008, 12, 31)
    assert any(day.year < 1989 for day in born)  # 320281 holders born before 江阴市 existed (SPEC §2)
    regions = Counter(number[:6] for number in numbers)
    assert set(regions) <= {code for code, _weight in synthetic.REGIONS}
    assert regions["320281"] > 0.8 * len(numbers)


def test_people_live_in_households_of_one_to_five_in_the_real_towns():
    crowd = list(synthetic.people(3000, seed=5))
    sizes = Counter((p.town, p.village, p.household_no) for p in crowd)
    assert set(sizes.values()) <= {1, 2, 3, 4, 5} and {1, 5} <= set(sizes.values())
    assert {p.town for p in crowd} == TOWN_NAMES
    assert {"澄江街道", "长泾镇", "华士镇", "徐霞客镇", "璜土镇"} <= TOWN_NAMES
    places = synthetic.places()
    assert all(p.village in places[p.town] for p in crowd)
    assert all(village.endswith("社区") for village in places["澄江街道"])
    statuses = Counter(p.status for p in crowd)
    assert statuses["active"] > 0.9 * len(crowd) and statuses["moved"] and statuses["deceased"]


def test_events_spread_over_the_rubric_and_the_years_before_the_as_of_date():
    crowd = list(synthetic.people(2000, seed=9))
    events = list(synthetic.events(crowd, 3000, seed=9, as_of=AS_OF))
    by_number = {p.id_number: p for p in crowd}
    codes = Counter(e["rubric_code"] for e in events)
    assert len(codes) > 30
    assert {"bonus", "penalty"} == {item["kind"] for item in CITY_WIDE if item["code"] in codes}
    local = {item["code"]: town for town, items in LOCAL.items() for item in items}
    assert all(by_number[e["id_number"]].town == local[e["rubric_code"]] for e in events if e["rubric_code"] in local)
    assert all(by_number[e["id_number"]].status == "active" for e in events)
    moments = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    midnight = datetime(2026, 6, 30, tzinfo=SHANGHAI)
    assert all(midnight - timedelta(days=3 * 365) <= moment < midnight for moment in moments)
    assert len({(e["source"], e["source_ref"]) for e in events}) == len(events)


def test_synthesize_loads_sealed_residents_accounts_and_events_through_the_ledger(app):
    counts = synthetic.synthesize(residents=400, events_count=600, seed=21, as_of=local_today())
    assert counts == {"residents_added": 400, "events_created": 600, "events_unchanged": 0, "event_errors": 0}
    assert count(Resident) == 400 and count(CreditAccount) == 400
    crowd = list(synthetic.people(400, seed=21))
    sample = crowd[::37]
    for person in sample:
        resident = residents_service.find_by_id_number(person.id_number)
        held = residents_service.person(resident)
        assert (held.name, held.id_number, held.phone) == (person.name, person.id_number, person.phone)
        assert (resident.town.name, resident.village.name, resident.household.household_no, resident.status) == (
            person.town, person.village, person.household_no, person.status)
    sealed = b"".join(db.session.scalars(select(Resident.id_number_sealed)))
    assert all(person.id_number.encode() not in sealed for person in sample)
    assert count(Household) == len({(p.town, p.village, p.household_no) for p in crowd})
    # Every account is the base plus its counting events.
    now = datetime.now(SHANGHAI)
    for account in db.session.scalars(select(CreditAccount)):
        counting = db.session.scalar(select(func.coalesce(func.sum(CreditEvent.points), 0)).where(
            CreditEvent.resident_id == account.resident_id, CreditEvent.status.in_(("active", "disputed")),
            CreditEvent.effective_until > now))
        assert account.points == 1000 + counting


def test_synthesize_again_adds_nothing(app):
    synthetic.synthesize(residents=150, events_count=200, seed=4)
    again = synthetic.synthesize(residents=150, events_count=200, seed=4)
    assert again == {"residents_added": 0, "events_created": 0, "events_unchanged": 200, "event_errors": 0}
    assert (count(Resident), count(CreditEvent)) == (150, 200)


def test_the_command_synthesizes_and_writes_an_import_file(runner, client, staff, tmp_path):
    result = runner.invoke(args=["demo", "synthesize", "--residents", "120", "--events", "80", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "residents added: 120" in result.output and "events created: 80" in result.output
    path = tmp_path / "events.csv"
    result = runner.invoke(args=["demo", "synthesize", "--residents", "120", "--events", "300", "--seed", "3",
                                 "--events-csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "events written: 300" in result.output
    assert count(CreditEvent) == 80  # writing the file leaves the database alone
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 300 and list(rows[0]) == list(synthetic.EVENT_COLUMNS)
    response = client.post("/api/v1/admin/credit-events/import", data=path.read_bytes(), content_type="text/csv",
                           headers=staff.headers("admin"))
    # The same seed's first 80 events are those already recorded.
    assert (response.get_json()["created"], response.get_json()["unchanged"]) == (220, 80)
