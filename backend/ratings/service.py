"""Credit households, villages and towns (信用户、信用村、信用镇, SPEC §3), computed from the accounts with
set-based SQL (GROUP BY), public as counts and never as lists of persons.

- A **credit household**: every member at ``ratings.household_min_stars`` or more, and at least one at
  ``ratings.household_top_stars`` or more. Members are the household's active residents; one without an
  account yet counts at the stars of the base.
- A **credit village**: at least ``ratings.village_share`` of its households are credit households.
- A **credit town**: at least ``ratings.town_share`` of its villages are credit villages.

Villages and towns count their households with active members only. Stars are the accounts' as stored:
an account whose next expiry has passed follows at its next read or at the nightly refresh. The public
lists are computed for the whole city at once and kept in the shared cache for ``CACHE_SECONDS`` (new
thresholds or star levels take effect at once; new events within that time).
"""

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import and_, case, func, literal, select

from backend.credit.levels import current_levels, stars_for
from backend.credit.models import CreditAccount
from backend.data.cache import store
from backend.data.extensions import db
from backend.residents.models import Household, Resident, Town, Village
from backend.settings import service as settings

CACHE_SECONDS = 300


@dataclass(frozen=True)
class Rules:
    min_stars: int
    top_stars: int
    village_share: Fraction
    town_share: Fraction
    base_stars: int


def rules() -> Rules:
    """The thresholds in force (settings ``ratings.*``); shares as exact fractions, so that 3 of 5
    villages are 60 % however a float rounds."""
    def share(key):
        return Fraction(str(settings.get(key))).limit_denominator(10**6)

    return Rules(settings.get("ratings.household_min_stars"), settings.get("ratings.household_top_stars"),
                 share("ratings.village_share"), share("ratings.town_share"),
                 stars_for(settings.get("credit.base_points"), None))


def at_least(part, whole, share: Fraction):
    """``part / whole >= share`` in integers, in SQL; an empty whole is never enough."""
    return case((and_(whole > 0, part * share.denominator >= whole * share.numerator), 1), else_=0)


def meets(part: int, whole: int, share: Fraction) -> bool:
    """``at_least`` for counts already read."""
    return whole > 0 and part * share.denominator >= whole * share.numerator


def _households(rules: Rules, *conditions):
    """One row per household with active members: its village and town, members, and the rating."""
    stars = func.coalesce(CreditAccount.stars, literal(rules.base_stars))
    is_credit = case((and_(func.min(stars) >= rules.min_stars, func.max(stars) >= rules.top_stars), 1), else_=0)
    return (select(Resident.household_id, Resident.village_id, Resident.town_id,
                   func.count().label("members"), is_credit.label("is_credit"))
            .select_from(Resident)
            .outerjoin(CreditAccount, CreditAccount.resident_id == Resident.id)
            .where(Resident.status == "active", *conditions)
            .group_by(Resident.household_id, Resident.village_id, Resident.town_id))


def _villages(rules: Rules, *conditions):
    households = _households(rules, *conditions).subquery("rated_households")
    credit = func.sum(households.c.is_credit)
    count = func.count()
    return (select(households.c.village_id, households.c.town_id, count.label("households"),
                   credit.label("credit_households"),
                   at_least(credit, count, rules.village_share).label("is_credit"))
            .group_by(households.c.village_id, households.c.town_id))


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _all_villages(found: Rules) -> list[dict]:
    rated = _villages(found).subquery("rated_villages")
    rows = db.session.execute(
        select(Town.name.label("town"), Village.name.label("village"), rated.c.households,
               rated.c.credit_households, rated.c.is_credit)
        .join(Village, Village.id == rated.c.village_id).join(Town, Town.id == rated.c.town_id)
        .order_by(Town.name, Village.name, Village.id))
    return [{"town": row.town, "village": row.village, "households": row.households,
             "credit_households": int(row.credit_households),
             "share": share(int(row.credit_households), row.households),
             "is_credit_village": bool(row.is_credit)} for row in rows]


def _all_towns(found: Rules) -> list[dict]:
    village_rows = _villages(found).subquery("rated_villages")
    credit_villages = func.sum(village_rows.c.is_credit)
    count = func.count()
    rated = (select(village_rows.c.town_id, count.label("villages"), credit_villages.label("credit_villages"),
                    func.sum(village_rows.c.households).label("households"),
                    func.sum(village_rows.c.credit_households).label("credit_households"),
                    at_least(credit_villages, count, found.town_share).label("is_credit"))
             .group_by(village_rows.c.town_id).subquery("rated_towns"))
    rows = db.session.execute(select(Town.name.label("town"), rated).join(Town, Town.id == rated.c.town_id)
                              .order_by(Town.name, Town.id))
    return [{"town": row.town, "villages": row.villages, "credit_villages": int(row.credit_villages),
             "share": share(int(row.credit_villages), row.villages), "is_credit_town": bool(row.is_credit),
             "households": int(row.households), "credit_households": int(row.credit_households)}
            for row in rows]


def _cached(name: str, compute) -> list[dict]:
    """Every village or town of the city, rated: from the shared cache when computed in the last
    ``CACHE_SECONDS`` under the same thresholds and star levels (a city of 1.8 million takes seconds to
    rate, and public endpoints must not do that per request)."""
    found = rules()
    version = hashlib.sha256(json.dumps([str(found), [level.__dict__ for level in current_levels()]],
                                        sort_keys=True).encode()).hexdigest()[:16]
    shared = store()
    key = shared.key("ratings", name, version)
    cached = shared.get(key)
    if cached is not None:
        return json.loads(cached)
    rows = compute(found)
    shared.set(key, json.dumps(rows, ensure_ascii=False), CACHE_SECONDS)
    return rows


def _page(rows: list[dict], page: int, page_size: int) -> tuple[list[dict], int]:
    return rows[(page - 1) * page_size:page * page_size], len(rows)


def villages(*, town: str | None = None, page: int = 1, page_size: int = 10) -> tuple[list[dict], int]:
    """A page of villages with their households, credit households and rating, by town and name; and
    how many villages there are."""
    rows = _cached("villages", _all_villages)
    if town is not None:
        rows = [row for row in rows if row["town"] == town]
    return _page(rows, page, page_size)


def towns(*, page: int = 1, page_size: int = 10) -> tuple[list[dict], int]:
    """A page of towns with their villages, credit villages, households, credit households and rating."""
    return _page(_cached("towns", _all_towns), page, page_size)


def household_status(resident: Resident) -> dict:
    """The resident's household as the resident sees it: its number, active members, and the rating."""
    row = db.session.execute(_households(rules(), Resident.household_id == resident.household_id)).first()
    number = db.session.scalar(select(Household.household_no).where(Household.id == resident.household_id))
    return {"household_no": number, "members": row.members if row else 0,
            "is_credit_household": bool(row.is_credit) if row else False}
