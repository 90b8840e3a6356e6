"""Synthetic data at city scale (``flask demo synthesize``), for demos, load tests and benchmarks.

Residents of Jiangyin's real towns and streets (镇街), in villages and communities (村居) and households
(户) of one to five, with valid ID numbers (mostly 江阴 320281, some of the neighbouring counties; born
1940–2008); and credit events across the default rubric, recorded through the bulk import so that every
rule of the ledger holds. Everything is deterministic: the same seed, counts and as-of date give the same
people and events (their sealed values differ, as every seal takes a fresh nonce, but not what they hold).
Personal data is sealed and hashed exactly as the registry import does it.
"""

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from backend.credit import importing, ledger
from backend.credit.default_rubric import CITY_WIDE, LOCAL, load_default_rubric
from backend.data import bulk
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.dates.timeutil import SHANGHAI, local_today, utcnow
from backend.privacy.id_numbers import with_check_digit
from backend.privacy.sealing import lookup_hasher, sealer
from backend.residents.models import Household, Resident, Town, Village
from backend.residents.service import normalise_name

# The towns and streets of Jiangyin, with a rough share of its population each.
TOWNS = (
    ("澄江街道", 16), ("南闸街道", 4), ("云亭街道", 5), ("申港街道", 3), ("夏港街道", 4), ("利港街道", 3),
    ("璜土镇", 6), ("月城镇", 4), ("青阳镇", 6), ("徐霞客镇", 6), ("华士镇", 9), ("周庄镇", 8),
    ("新桥镇", 4), ("长泾镇", 5), ("顾山镇", 6), ("祝塘镇", 5),
)
VILLAGE_NAMES = ("蒋家", "河塘", "习礼", "东旺", "西湖", "南庄", "北渚", "大桥", "红星", "花园", "前进", "凤凰",
                 "光明", "万寿", "三房", "五星", "秦望", "璜塘", "南新", "东升", "兴隆", "永安", "长寿", "新庄",
                 "朱家", "陆家", "沈舍", "黄土", "山泉", "桃园", "观山", "钱家", "白石", "金桥", "丰收", "勤丰")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈任姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红兰海燕文辉玉凤春梅亮鹏飞晨浩宇欣怡子涵雨轩佳琪"
# Region codes: 江阴 itself, and people registered in the neighbouring counties who live here.
REGIONS = (("320281", 88), ("320282", 2), ("320211", 2), ("320206", 2), ("320205", 2), ("320582", 2),
           ("321282", 2))
HOUSEHOLD_SIZES = ((1, 12), (2, 28), (3, 27), (4, 21), (5, 12))
STATUSES = (("active", 970), ("moved", 20), ("deceased", 10))
# The department that sends each category's records.
SOURCES = {"social_contribution": "civil-affairs", "law_and_village_rules": "village-committees",
           "public_order": "public-security", "family_planning": "health-commission",
           "environment": "ecology-environment", "safety": "market-regulation", "finance": "people-bank",
           "reporting": "credit-office"}
YEARS_BACK = 3
GEOGRAPHY_SEED = 1989  # the places stay the same whatever the seed: different seeds, other people


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    phone: str | None
    town: str
    village: str
    household_no: str
    status: str


def _weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return lambda: rng.choices(values, weights)[0]


def places() -> dict[str, list[str]]:
    """Each town's villages and communities: the streets (街道) have communities (社区), the towns
    villages (村) and a community at their centre."""
    rng = random.Random(GEOGRAPHY_SEED)
    result = {}
    for town, share in TOWNS:
        count = 8 + share
        names = rng.sample(VILLAGE_NAMES, count)
        if town.endswith("街道"):
            result[town] = [f"{name}社区" for name in names]
        else:
            result[town] = [f"{town[:-1]}社区"] + [f"{name}村" for name in names[1:]]
    return result


def people(count: int, seed: int) -> Iterator[Person]:
    """``count`` residents in households of one to five, deterministic in ``seed``."""
    rng = random.Random(f"people:{seed}")
    geography = places()
    town = _weighted(rng, TOWNS)
    size = _weighted(rng, HOUSEHOLD_SIZES)
    region = _weighted(rng, REGIONS)
    status = _weighted(rng, STATUSES)
    first_birthday, days = date(1940, 1, 1), (date(2008, 12, 31) - date(1940, 1, 1)).days + 1
    numbers: set[str] = set()
    households: dict[str, int] = {}
    made = 0
    while made < count:
        place = town()
        village = rng.choice(geography[place])
        households[village] = households.get(village, 0) + 1
        household_no = f"{place[:2]}{village[:2]}-{households[village]:05d}"
        surname = rng.choice(SURNAMES)
        for _member in range(min(size(), count - made)):
            while True:
                born = first_birthday + timedelta(days=rng.randrange(days))
                first17 = f"{region()}{born:%Y%m%d}{rng.randrange(1000):03d}"
                if first17 not in numbers:
                    numbers.add(first17)
                    break
            name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else None
            yield Person(name, with_check_digit(first17), phone, place, village, household_no, status())
            made += 1


def _catalogue() -> list[tuple[dict, str | None, float]]:
    """The default rubric's items with the town of local ones and how often each comes up."""
    items = [(item, None) for item in CITY_WIDE] + [(item, town) for town, local in LOCAL.items() for item in local]
    weighted = []
    for item, town in items:
        if item["kind"] == "bonus":
            weight = 0.2 if item["category"] == "reporting" else 3.0
        else:
            weight = {"minor": 2.0, "general": 0.8, "serious": 0.15}[item["severity"]]
        weighted.append((item, town, weight))
    return weighted


def events(crowd: list[Person], count: int, seed: int, as_of: date) -> Iterator[dict]:
    """``count`` events for the active people of ``crowd`` over the years before ``as_of``, as rows of
    the import file; local items go to residents of their town only."""
    rng = random.Random(f"events:{seed}")
    active = [person for person in crowd if person.status == "active"]
    if not active:
        return
    by_town: dict[str, list[Person]] = {}
    for person in active:
        by_town.setdefault(person.town, []).append(person)
    catalogue = [(item, town) for item, town, _weight in _catalogue() if town is None or town in by_town]
    weights = [weight for item, town, weight in _catalogue() if town is None or town in by_town]
    midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=SHANGHAI)
    for index in range(count):
        item, town = rng.choices(catalogue, weights)[0]
        person = rng.choice(by_town[town] if town else active)
        occurred = midnight - timedelta(days=rng.randrange(YEARS_BACK * 365), seconds=rng.randrange(1, 86400))
        yield {"id_number": person.id_number, "rubric_code": item["code"], "occurred_at": occurred.isoformat(),
               "source": SOURCES[item["category"]], "source_ref": f"SYN{seed}-{index:08d}",
               "note": f"{item['title'][:20]}（合成数据）" if rng.random() < 0.3 else None}


EVENT_COLUMNS = ("id_number", "rubric_code", "occurred_at", "source", "source_ref", "note")


def write_events_csv(path: Path, rows: Iterator[dict]) -> int:
    """Write events as the import file a department sends (CSV with a header row, UTF-8)."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EVENT_COLUMNS)
        for row in rows:
            writer.writerow([row[name] or "" for name in EVENT_COLUMNS])
            count += 1
    return count


def synthesize(*, residents: int, events_count: int, seed: int, as_of: date | None = None,
               events_csv: Path | None = None) -> dict:
    """Create ``residents`` residents (each with an account at the base) and record ``events_count``
    events through the bulk import; with ``events_csv`` write those events to the file instead and
    leave the database alone. The same call again adds nothing. Commits."""
    as_of = as_of or local_today()
    crowd = list(people(residents, seed))
    if events_csv is not None:
        return {"events_written": write_events_csv(events_csv, events(crowd, events_count, seed, as_of))}
    load_default_rubric()
    bulk.roomy_transaction()
    added = _load_people(crowd)
    ledger.open_accounts(None, utcnow())
    db.session.commit()
    rows = (Row(line, fields) for line, fields in enumerate(events(crowd, events_count, seed, as_of), start=2))
    result = importing.import_events(None, rows)
    return {"residents_added": added, "events_created": result.created, "events_unchanged": result.unchanged,
            "event_errors": len(result.errors)}


def _load_people(crowd: list[Person]) -> int:
    """Towns, villages, households and residents, set-based; existing ones are left as they are."""
    towns = {}
    for name in dict.fromkeys(person.town for person in crowd):
        towns[name] = db.session.scalar(select(Town.id).where(Town.name == name))
        if towns[name] is None:
            town = Town(name=name)
            db.session.add(town)
            db.session.flush()
            towns[name] = town.id
    villages = {}
    for town, village in dict.fromkeys((person.town, person.village) for person in crowd):
        key = (towns[town], village)
        villages[key] = db.session.scalar(select(Village.id).where(Village.town_id == key[0], Village.name == village))
        if villages[key] is None:
            row = Village(town_id=key[0], name=village)
            db.session.add(row)
            db.session.flush()
            villages[key] = row.id
    village_of = {person: villages[(towns[person.town], person.village)] for person in crowd}
    bulk.insert_new(Household.__table__, dict.fromkeys((village_of[p], p.household_no) for p in crowd),
                    ("village_id", "household_no"))
    stored = db.session.execute(select(Household.id, Household.village_id, Household.household_no)
                                .where(Household.village_id.in_(set(villages.values()))))
    household_ids = {(village_id, number): household_id for household_id, village_id, number in stored}
    now = utcnow()
    hash_id, hash_name, hash_phone = lookup_hasher("id_number"), lookup_hasher("name"), lookup_hasher("phone")
    seal_id, seal_name, seal_phone = sealer("id_number"), sealer("name"), sealer("phone")
    columns = ("id_number_hash", "id_number_sealed", "name_hash", "name_sealed", "phone_hash", "phone_sealed",
               "household_id", "village_id", "town_id", "status", "created_at", "updated_at")

    def rows():
        for person in crowd:
            village_id = village_of[person]
            name = normalise_name(person.name)
            yield (hash_id(person.id_number), seal_id(person.id_number), hash_name(name), seal_name(name),
                   hash_phone(person.phone) if person.phone else None,
                   seal_phone(person.phone) if person.phone else None,
                   household_ids[(village_id, person.household_no)], village_id, towns[person.town], person.status,
                   now, now)

    return bulk.insert_new(Resident.__table__, rows(), columns)
