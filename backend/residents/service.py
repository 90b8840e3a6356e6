"""The registry: importing residents, reading them back masked, and their personal data (SPEC §2)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backend.audit import service as audit
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.privacy.id_numbers import InvalidIdNumber, validate_id_number
from backend.privacy.masking import mask_id_number, mask_name, mask_phone
from backend.privacy.sealing import lookup_hash, lookup_hasher, open_sealed, seal
from backend.query_records import service as query_records
from backend.residents.models import RESIDENT_STATUSES, Household, Resident, Town, Village
from backend.web.access import Principal
from backend.web.errors import Forbidden, InvalidInput, NotFound

PHONE = re.compile(r"^1[3-9]\d{9}$")
BATCH = 1000


class ResidentNotActive(Forbidden):
    reason = "resident_not_active"
    message = _("The registry shows this resident as moved or deceased; ask the credit office.")


@dataclass(frozen=True)
class Person:
    """A resident's personal data in clear: only ever held in memory, never logged."""

    name: str
    id_number: str
    phone: str | None


def normalise_name(name: str) -> str:
    return re.sub(r"\s+", "", name or "")


def id_number_hash(id_number: str) -> str:
    return lookup_hash("id_number", id_number)


def id_number_hasher():
    """``id_number_hash`` as a function with its key read once, for files of a million rows."""
    return lookup_hasher("id_number")


def name_hash(name: str) -> str:
    return lookup_hash("name", normalise_name(name))


def phone_hash(phone: str | None) -> str | None:
    return lookup_hash("phone", phone) if phone else None


def person(resident: Resident) -> Person:
    return Person(open_sealed("name", resident.name_sealed), open_sealed("id_number", resident.id_number_sealed),
                  open_sealed("phone", resident.phone_sealed))


def masked(resident: Resident) -> dict:
    """What any response may show of a resident."""
    data = person(resident)
    return {
        "id": resident.id,
        "masked_name": mask_name(data.name),
        "masked_id_number": mask_id_number(data.id_number),
        "masked_phone": mask_phone(data.phone),
        "town": resident.town.name,
        "village": resident.village.name,
        "household_no": resident.household.household_no,
        "status": resident.status,
    }


def find_by_id_number(id_number: str) -> Resident | None:
    return db.session.scalar(select(Resident).where(Resident.id_number_hash == id_number_hash(id_number)))


# --- import ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


@dataclass
class _Place:
    towns: dict = field(default_factory=dict)
    villages: dict = field(default_factory=dict)
    households: dict = field(default_factory=dict)

    def town(self, name: str) -> Town:
        if name not in self.towns:
            town = db.session.scalar(select(Town).where(Town.name == name))
            if town is None:
                town = Town(name=name)
                db.session.add(town)
                db.session.flush()
            self.towns[name] = town
        return self.towns[name]

    def village(self, town: Town, name: str) -> Village:
        key = (town.id, name)
        if key not in self.villages:
            village = db.session.scalar(select(Village).where(Village.town_id == town.id, Village.name == name))
            if village is None:
                village = Village(town_id=town.id, name=name)
                db.session.add(village)
                db.session.flush()
            self.villages[key] = village
        return self.villages[key]

    def household(self, village: Village, number: str) -> Household:
        key = (village.id, number)
        if key not in self.households:
            household = db.session.scalar(select(Household).where(
                Household.village_id == village.id, Household.household_no == number))
            if household is None:
                household = Household(village_id=village.id, household_no=number)
                db.session.add(household)
                db.session.flush()
            self.households[key] = household
        return self.households[key]


def _refused(field: str, problem) -> ValueError:
    """A row's first problem, naming its field, in the reader's language."""
    return ValueError(f"{field}: {problem}")


def _clean(fields: dict) -> dict:
    """Check one row; raise ValueError naming the first problem."""
    def text(name, limit, required=True):
        value = fields.get(name)
        value = "" if value is None else str(value).strip()
        if required and not value:
            raise _refused(name, _("is missing"))
        if len(value) > limit:
            raise _refused(name, _("is longer than %(limit)s characters", limit=limit))
        return value

    name = normalise_name(text("name", 50))
    try:
        id_number = validate_id_number(text("id_number", 30))
    except InvalidIdNumber as exc:
        raise _refused("id_number", exc) from exc
    phone = text("phone", 20, required=False) or None
    if phone and not PHONE.match(phone):
        raise _refused("phone", _("must be an 11-digit mainland mobile number"))
    status = text("status", 16, required=False) or "active"
    if status not in RESIDENT_STATUSES:
        raise _refused("status", _("must be one of %(choices)s", choices=", ".join(RESIDENT_STATUSES)))
    return {"name": name, "id_number": id_number, "phone": phone, "status": status,
            "town": text("town", 50), "village": text("village", 50), "household_no": text("household_no", 32)}


def import_residents(actor: Principal | None, rows: Iterable[Row]) -> ImportResult:
    """Create or update residents by ID number (idempotent); bad rows are reported, good rows land.

    Works in batches, each committed on its own, so a large file neither holds one long transaction
    nor loses the batches before a failure.
    """
    result = ImportResult()
    places = _Place()
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        cleaned = []
        for row in batch:
            if row.error:
                result.errors.append({"line": row.line, "reason": "invalid_input", "message": row.error})
                continue
            try:
                cleaned.append((row.line, _clean(row.fields)))
            except ValueError as exc:
                result.errors.append({"line": row.line, "reason": "invalid_input", "message": str(exc)})
        hashes = {id_number_hash(values["id_number"]) for _line, values in cleaned}
        existing = {r.id_number_hash: r for r in db.session.scalars(
            select(Resident).where(Resident.id_number_hash.in_(hashes)))} if hashes else {}
        for _line, values in cleaned:
            _upsert(values, existing, places, result)
        db.session.commit()
    audit.record(actor, "residents.import", "residents", None,
                 after={"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                        "errors": len(result.errors)})
    db.session.commit()
    return result


def _upsert(values: dict, existing: dict, places: _Place, result: ImportResult) -> None:
    town = places.town(values["town"])
    village = places.village(town, values["village"])
    household = places.household(village, values["household_no"])
    key = id_number_hash(values["id_number"])
    wanted = {"name_hash": name_hash(values["name"]), "phone_hash": phone_hash(values["phone"]),
              "household_id": household.id, "village_id": village.id, "town_id": town.id,
              "status": values["status"]}
    resident = existing.get(key)
    if resident is None:
        resident = Resident(id_number_hash=key, id_number_sealed=seal("id_number", values["id_number"]),
                            name_sealed=seal("name", values["name"]),
                            phone_sealed=seal("phone", values["phone"]), **wanted)
        db.session.add(resident)
        existing[key] = resident
        result.created += 1
        return
    if all(getattr(resident, name) == value for name, value in wanted.items()):
        result.unchanged += 1
        return
    if resident.name_hash != wanted["name_hash"]:
        resident.name_sealed = seal("name", values["name"])
    if resident.phone_hash != wanted["phone_hash"]:
        resident.phone_sealed = seal("phone", values["phone"])
    for name, value in wanted.items():
        setattr(resident, name, value)
    resident.updated_at = utcnow()
    result.updated += 1


# --- reading --------------------------------------------------------------------------------------------


def list_residents(*, town: str | None = None, village: str | None = None, status: str | None = None,
                   id_number: str | None = None, name: str | None = None):
    """A select of residents for admins, filtered; exact matches only on ID number and name."""
    statement = select(Resident).order_by(Resident.id).options(
        selectinload(Resident.town), selectinload(Resident.village), selectinload(Resident.household))
    if town:
        statement = statement.join(Town, Resident.town_id == Town.id).where(Town.name == town)
    if village:
        statement = statement.join(Village, Resident.village_id == Village.id).where(Village.name == village)
    if status:
        statement = statement.where(Resident.status == status)
    if id_number:
        try:
            normalised = validate_id_number(id_number)
        except InvalidIdNumber as exc:
            raise InvalidInput(str(exc), field="id_number") from exc
        statement = statement.where(Resident.id_number_hash == id_number_hash(normalised))
    if name:
        statement = statement.where(Resident.name_hash == name_hash(name))
    return statement


def get_resident(resident_id: int) -> Resident:
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


def read_for_staff(actor: Principal, residents: list[Resident], purpose: str) -> list[dict]:
    """Masked residents for a staff reader, with a query record each (committed)."""
    shown = [masked(r) for r in residents]
    query_records.record([r.id for r in residents], actor, purpose=purpose, scope="registry")
    db.session.commit()
    return shown
