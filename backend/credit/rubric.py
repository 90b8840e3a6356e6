"""The rubric (评定标准, SPEC §3) as data: its categories, the defaults of omitted fields, and its upkeep."""

from sqlalchemy import false, or_, select

from backend.audit import service as audit
from backend.credit.models import RubricItem
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.residents.models import Town
from backend.web.access import Principal
from backend.web.errors import Conflict, InvalidInput, NotFound

# The policy's categories; social contribution covers 创业带富, 创造就业, 社会公益, 志愿服务, 群众好评.
CATEGORIES = {
    "social_contribution": "社会贡献",
    "law_and_village_rules": "遵纪守法与村规民约",
    "public_order": "社会治安",
    "family_planning": "计划生育",
    "environment": "生态环境",
    "safety": "安全生产与食品安全",
    "finance": "金融信用",
    "reporting": "举报",
}
SEVERITIES = ("minor", "general", "serious")

# Disclosure by severity, from the national credit-repair rules: (earliest repair, end of disclosure).
DISCLOSURE_DAYS = {"minor": (0, 0), "general": (90, 365), "serious": (365, 1095)}
CEILING_VALIDITY_DAYS = {2: 3 * 365, 1: 5 * 365}
PENALTY_VALIDITY_DAYS = {"small": 365, "large": 2 * 365}  # <= 40 points, > 40 points
BONUS_VALIDITY_DAYS = 365
# Honours count by level: county 1 year, prefecture 2, province 3, nation 5.
HONOUR_VALIDITY_DAYS = {"county": 365, "prefecture": 2 * 365, "province": 3 * 365, "nation": 5 * 365}

DERIVED = frozenset({"validity_days", "min_disclosure_days", "max_disclosure_days", "repairable"})
FIELDS = ("category", "title", "points", "kind", "severity", "validity_days", "min_disclosure_days",
          "max_disclosure_days", "repairable", "annual_cap", "caps_stars_at")


def with_defaults(fields: dict) -> dict:
    """Fill the fields left out with the defaults of SPEC §3 and check the item is coherent."""
    item = dict(fields)
    kind, points = item.get("kind"), item.get("points")
    if kind not in ("bonus", "penalty"):
        raise InvalidInput(_("must be bonus or penalty"), field="kind")
    if not isinstance(points, int) or points == 0:
        raise InvalidInput(_("must be a non-zero integer"), field="points")
    if (kind == "bonus") != (points > 0):
        raise InvalidInput(_("bonus items add points, penalty items take them away"), field="points")
    if item.get("category") not in CATEGORIES:
        raise InvalidInput(_("must be one of %(choices)s", choices=", ".join(CATEGORIES)), field="category")
    if item.get("honour_level") is not None and kind != "bonus":
        raise InvalidInput(_("only bonus items are honours"), field="honour_level")
    if kind == "penalty":
        if item.get("severity") not in SEVERITIES:
            raise InvalidInput(_("a penalty needs a severity: %(choices)s", choices=", ".join(SEVERITIES)),
                               field="severity")
        if item.get("annual_cap") is not None:
            raise InvalidInput(_("annual caps limit gains; penalties have none"), field="annual_cap")
        ceiling = item.get("caps_stars_at")
        if item.get("validity_days") is None:
            item["validity_days"] = CEILING_VALIDITY_DAYS.get(ceiling) or PENALTY_VALIDITY_DAYS[
                "small" if abs(points) <= 40 else "large"]
        earliest, latest = DISCLOSURE_DAYS[item["severity"]]
        if item.get("min_disclosure_days") is None:
            item["min_disclosure_days"] = earliest
        if item.get("max_disclosure_days") is None:
            item["max_disclosure_days"] = latest
    else:
        if item.get("severity") is not None:
            raise InvalidInput(_("only penalties have a severity"), field="severity")
        if item.get("caps_stars_at") is not None:
            raise InvalidInput(_("only penalties set a star ceiling"), field="caps_stars_at")
        if item.get("validity_days") is None:
            item["validity_days"] = HONOUR_VALIDITY_DAYS.get(item.get("honour_level"), BONUS_VALIDITY_DAYS)
        for name in ("min_disclosure_days", "max_disclosure_days"):
            if item.get(name) is None:
                item[name] = 0
    if item.get("repairable") is None:
        item["repairable"] = kind == "penalty"
    item.setdefault("annual_cap", None)
    item.setdefault("caps_stars_at", None)
    item.pop("honour_level", None)
    if item["validity_days"] < 1:
        raise InvalidInput(_("must be at least 1"), field="validity_days")
    if item["min_disclosure_days"] > item["max_disclosure_days"]:
        raise InvalidInput(_("must not exceed max_disclosure_days"), field="min_disclosure_days")
    if item["annual_cap"] is not None and item["annual_cap"] < 1:
        raise InvalidInput(_("must be at least 1 (leave it out for no cap)"), field="annual_cap")
    return item


def _snapshot(item: RubricItem) -> dict:
    return {name: getattr(item, name) for name in ("code", *FIELDS)} | {"town": item.town.name if item.town else None,
                                                                         "active": item.active}


def _town(name: str | None) -> Town | None:
    if name is None:
        return None
    town = db.session.scalar(select(Town).where(Town.name == name))
    if town is None:
        raise InvalidInput(_("no such town in the registry"), field="town")
    return town


def create_item(actor: Principal | None, *, code: str, town: str | None = None, **fields) -> RubricItem:
    """Add a rubric item; ``town`` makes it a local (+N) item of that town."""
    if db.session.scalar(select(RubricItem.id).where(RubricItem.code == code)):
        raise Conflict(_("A rubric item with this code exists."), reason="rubric_code_taken")
    values = with_defaults({name: fields.get(name) for name in (*FIELDS, "honour_level")})
    item = RubricItem(code=code, town=_town(town), active=True, **values)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "rubric.create", "rubric_item", item.code, after=_snapshot(item))
    db.session.commit()
    return item


class RubricItemNotFound(NotFound):
    reason = "rubric_item_not_found"
    message = _("No rubric item has this code.")


def get_item(code: str) -> RubricItem:
    item = db.session.scalar(select(RubricItem).where(RubricItem.code == code))
    if item is None:
        raise RubricItemNotFound()
    return item


def update_item(actor: Principal, code: str, changes: dict) -> RubricItem:
    """Change an item for events granted from now on; granted events keep what they were given."""
    item = get_item(code)
    before = _snapshot(item)
    current = {name: getattr(item, name) for name in FIELDS}
    # A changed kind, severity, points or ceiling moves the fields that held their defaults along with
    # it; a value an admin set on purpose (not the default) stays.
    if changes.keys() & {"kind", "severity", "points", "caps_stars_at"}:
        defaults = with_defaults({**current, **{name: None for name in DERIVED}})
        for name in DERIVED - changes.keys():
            if current[name] == defaults[name]:
                current[name] = None
    merged = with_defaults({**current, **{k: v for k, v in changes.items() if k in FIELDS}})
    for name, value in merged.items():
        setattr(item, name, value)
    if "town" in changes:
        item.town = _town(changes["town"])
    if "active" in changes:
        item.active = bool(changes["active"])
    item.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "rubric.update", "rubric_item", item.code, before=before, after=_snapshot(item))
    db.session.commit()
    return item


def list_items(*, town: str | None = None, category: str | None = None, include_retired: bool = False,
               town_only: bool = False, city_wide_only: bool = False):
    """Items, city-wide ones first. ``town`` adds that town's local items to the city-wide ones (or gives
    only them with ``town_only``); without a town, ``city_wide_only`` leaves every local item out."""
    statement = select(RubricItem).order_by(RubricItem.town_id.is_not(None), RubricItem.category, RubricItem.code)
    if not include_retired:
        statement = statement.where(RubricItem.active.is_(True))
    if category:
        statement = statement.where(RubricItem.category == category)
    if town:
        town_id = db.session.scalar(select(Town.id).where(Town.name == town))
        if town_id is None:
            return statement.where(false()) if town_only else statement.where(RubricItem.town_id.is_(None))
        if town_only:
            statement = statement.where(RubricItem.town_id == town_id)
        else:
            statement = statement.where(or_(RubricItem.town_id.is_(None), RubricItem.town_id == town_id))
    elif city_wide_only:
        statement = statement.where(RubricItem.town_id.is_(None))
    return statement


def public_rubric(town: str | None = None) -> list[dict]:
    """The published rubric grouped by category (city-wide items, plus the town's own when asked)."""
    groups: dict[str, list] = {}
    for item in db.session.scalars(list_items(town=town, city_wide_only=True)):
        groups.setdefault(item.category, []).append(item)
    return [{"category": key, "name": CATEGORIES[key], "items": groups[key]}
            for key in CATEGORIES if key in groups]
