"""The fields of enterprises, 双公示 disclosures and list entries as senders write them (SPEC §7), checked
once for single records and for files alike.

A disclosure comes under our English names or under the national collection standard's column codes
(``CF_WSH``, ``XK_XDR_MC`` …, matched without regard to case), mixed as a sender likes. The standard
counts money in 万元; our names, and everything stored, count yuan, exactly to the fen. A row's type is
its ``type`` column, or told by its codes (``XK_*`` for a licence, ``CF_*`` for a penalty).

Each parser returns the record's clear values by column, with a keyed hash of its content (so the same row
again is recognised without opening sealed columns), or raises ``InvalidField`` naming one field.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from flask import current_app
from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError

from backend.credit import disclosure as windows
from backend.credit.ledger import SOURCE_PATTERN
from backend.dates.timeutil import local_today
from backend.i18n import _
from backend.privacy.id_numbers import InvalidIdNumber, validate_id_number
from backend.privacy.masking import mask_name
from backend.public_credit.models import (
    DISCLOSURE_STATUSES,
    ENTERPRISE_KINDS,
    ENTERPRISE_STATUSES,
    LICENCE_STATES,
    LISTS,
    SUBJECT_CATEGORIES,
)

EARLIEST = date(1949, 1, 1)
LATEST = date(9998, 12, 31)
MAX_YUAN = Decimal("1000000000000000")  # 10^15 yuan: more than any fine, within NUMERIC(18, 2)
FEN = Decimal("0.01")
TEN_THOUSAND = Decimal(10000)
_SOURCE = re.compile(SOURCE_PATTERN)


class InvalidField(ValueError):
    """One field of a sent record fails its check. ``reason`` is the word a client branches on."""

    def __init__(self, field: str, message, reason: str = "invalid_input"):
        super().__init__(field)
        self.field = field
        self.message = message
        self.reason = reason


# --- the national standard's codes ----------------------------------------------------------------------

LICENCE_CODES = {
    "decision_no": "XK_WSH", "document_name": "XK_XKWS", "subject_name": "XK_XDR_MC",
    "subject_category": "XK_XDR_LB", "subject_uscc": "XK_XDR_SHXYM", "legal_representative": "XK_FRDB",
    "licence_category": "XK_XKLB", "certificate_name": "XK_XKZS", "licence_no": "XK_XKBH", "content": "XK_NR",
    "decided_on": "XK_JDRQ", "valid_from": "XK_YXQZ", "valid_to": "XK_YXQZI", "authority": "XK_XKJG",
    "authority_uscc": "XK_XKJGDM", "state": "XK_ZT", "data_source": "XK_LYDW", "data_source_uscc": "XK_LYDWDM",
    "remarks": "BZ",
}
PENALTY_CODES = {
    "decision_no": "CF_WSH", "subject_name": "CF_XDR_MC", "subject_category": "CF_XDR_LB",
    "subject_uscc": "CF_XDR_SHXYM", "legal_representative": "CF_FRDB", "violation_type": "CF_WFXW",
    "facts": "CF_SY", "legal_basis": "CF_YJ", "penalty_category": "CF_CFLB", "content": "CF_NR",
    "fine_amount": "CF_NR_FK", "confiscated_amount": "CF_NR_WFFF", "licence_suspended_or_revoked": "CF_NR_ZKDX",
    "decided_on": "CF_JDRQ", "valid_until": "CF_YXQ", "disclosed_until": "CF_GSJZQ", "authority": "CF_CFJG",
    "authority_uscc": "CF_CFJGDM", "data_source": "CF_SJLY", "data_source_uscc": "CF_SJLYDM", "remarks": "BZ",
}
CODES = {"licence": LICENCE_CODES, "penalty": PENALTY_CODES}
# Money the standard counts in 万元.
IN_TEN_THOUSANDS = ("fine_amount", "confiscated_amount")

# The standard's words for our values.
SUBJECT_CATEGORY_WORDS = {"法人及非法人组织": "legal_person", "法人": "legal_person", "自然人": "natural_person",
                          "个体工商户": "individual_business"}
CATEGORY_WORD = {"legal_person": "法人及非法人组织", "natural_person": "自然人", "individual_business": "个体工商户"}
STATE_WORDS = {"1": "valid", "有效": "valid", "2": "invalid", "无效": "invalid"}
STATE_CODE = {"valid": "1", "invalid": "2"}
SEVERITY_WORDS = {"轻微": "minor", "一般": "general", "严重": "serious"}
TYPE_WORDS = {"行政许可": "licence", "xk": "licence", "行政处罚": "penalty", "cf": "penalty"}
ENTERPRISE_KIND_WORDS = {"法人及非法人组织": "legal_person", "法人": "legal_person",
                         "个体工商户": "individual_business"}
ENTERPRISE_STATUS_WORDS = {"存续": "operating", "在业": "operating", "开业": "operating", "在营": "operating",
                           "吊销": "revoked", "注销": "deregistered", "迁出": "moved_out"}
LIST_WORDS = {"红名单": "red", "守信红名单": "red", "重点关注名单": "watch", "黑名单": "black", "失信黑名单": "black"}


# --- values ---------------------------------------------------------------------------------------------


def _text(value, field: str, limit: int, *, required: bool = False) -> str | None:
    # Files of a million rows: the common case (text of the right length, no spaces around it) first.
    if value.__class__ is str and 0 < len(value) <= limit and not value[0].isspace() \
            and not value[-1].isspace() and "\x00" not in value and (value.isascii() or _encodable(value)):
        return value
    if value is None or (value.__class__ is str and not value.strip()):
        if required:
            raise InvalidField(field, _("is missing"))
        return None
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise InvalidField(field, _("must be text"))
        value = str(value)
    value = value.strip()
    if len(value) > limit:
        raise InvalidField(field, _("is longer than %(n)s characters", n=limit))
    if "\x00" in value:
        raise InvalidField(field, _("must not contain NUL characters"))
    try:
        value.encode()
    except UnicodeEncodeError:
        raise InvalidField(field, _("is not valid text")) from None
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate, from a JSON escape
        return False
    return True


_DATE = re.compile(r"^(\d{4})[-/]?(\d{1,2})[-/]?(\d{1,2})$")


def _date(value, field: str, *, required: bool = False) -> date | None:
    """YYYY-MM-DD, YYYY/MM/DD (the standard's) or YYYYMMDD."""
    if value.__class__ is str and len(value) == 10 and value[4] in "-/" and value[7] == value[4]:
        try:  # the common forms, read without a regular expression (files of a million rows)
            day = date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            pass
        else:
            if EARLIEST <= day <= LATEST:
                return day
    text = _text(value, field, 20, required=required)
    if text is None:
        return None
    match = _DATE.match(text)
    try:
        day = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidField(field, _("is not a date (YYYY-MM-DD)"))
    if not EARLIEST <= day <= LATEST:
        raise InvalidField(field, _("must lie between 1949 and 9998"))
    return day


def _yuan(value, field: str, *, ten_thousands: bool) -> Decimal | None:
    """An amount of money, exact to the fen; ``ten_thousands`` when sent in 万元."""
    text = _text(value, field, 40)
    if text is None:
        return None
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidField(field, _("is not a number"))
    if not 0 <= amount < (MAX_YUAN / TEN_THOUSAND if ten_thousands else MAX_YUAN):
        raise InvalidField(field, _("must be at least 0 and less than 10^15 yuan"))
    if ten_thousands:
        amount *= TEN_THOUSAND
    if amount != amount.quantize(FEN, rounding="ROUND_DOWN"):
        raise InvalidField(field, _("is not exact to the fen (万元 with at most 6 decimals, yuan with 2)"))
    return amount.quantize(FEN)


def _word(value, field: str, allowed: tuple[str, ...], words: dict, *, required: bool = False) -> str | None:
    text = _text(value, field, 40, required=required)
    if text is None:
        return None
    word = words.get(text, text.lower())
    if word not in allowed:
        raise InvalidField(field, _("must be one of %(values)s", values=", ".join(allowed)))
    return word


def checked_uscc(value, field: str, *, required: bool = True) -> str | None:
    """A unified social credit code (统一社会信用代码), checked by its GB 32100 check character."""
    text = _text(value, field, 30, required=required)
    if text is None:
        return None
    code, problem = _checked_uscc(text)
    if problem is not None:
        raise InvalidField(field, _("not a valid unified social credit code (%(problem)s)", problem=problem),
                           reason="invalid_uscc")
    return code


@lru_cache(maxsize=1 << 16)
def _checked_uscc(text: str) -> tuple[str | None, str | None]:
    # Files repeat their authorities' and subjects' codes on row after row: each is checked once.
    try:
        return uscc_code.validate(text), None
    except ValidationError as exc:
        return None, exc.message


def _source(value, field: str) -> str:
    source = _text(value, field, 64, required=True)
    if not _SOURCE.match(source):
        raise InvalidField(field, _("must be a source name: lower-case letters, digits and '-' (2–64)"))
    return source


def content_hasher():
    """A keyed hash of a record's clear content, as a function with its key read once: equal for the same
    content, whatever its spelling in the file, and no dictionary of names can reverse it. The parsers
    build ``values`` in a fixed order of names, which the text keeps."""
    key, digest, sha256 = current_app.config["LOOKUP_HASH_KEY_BYTES"], hmac.digest, hashlib.sha256

    def content_hash(kind: str, values: dict) -> str:
        # NUL, which no value holds, stands for an empty one.
        text = "\x1f".join(["\x00" if value is None else str(value) for value in values.values()])
        return digest(key, f"public-credit:{kind}:{text}".encode(), sha256).hex()

    return content_hash


def shown_subject_name(category: str, name: str) -> str:
    """A business by its name; a natural person only masked."""
    return mask_name(name) if category == "natural_person" else name


# --- enterprises ----------------------------------------------------------------------------------------


@dataclass
class Parsed:
    """A checked record: its clear values by column (sealing happens where it is stored), its content
    hash, and what else the record's writer needs to know."""

    values: dict
    content_hash: str
    extra: dict


def parse_enterprise(fields: dict, *, hasher=None) -> Parsed:
    values = {
        "uscc": checked_uscc(fields.get("uscc"), "uscc"),
        "name": _text(fields.get("name"), "name", 200, required=True),
        "kind": _word(fields.get("kind"), "kind", ENTERPRISE_KINDS, ENTERPRISE_KIND_WORDS) or "legal_person",
        "legal_representative": _text(fields.get("legal_representative"), "legal_representative", 50),
        "town": _text(fields.get("town"), "town", 50),
        "address": _text(fields.get("address"), "address", 200),
        "registered_on": _date(fields.get("registered_on"), "registered_on"),
        "status": _word(fields.get("status"), "status", ENTERPRISE_STATUSES, ENTERPRISE_STATUS_WORDS) or "operating",
    }
    if values["registered_on"] and values["registered_on"] > local_today():
        raise InvalidField("registered_on", _("must not be in the future"))
    return Parsed(values, (hasher or content_hasher())("enterprise", values), {})


# --- disclosures ----------------------------------------------------------------------------------------


# Files' column names arrive in lower case (backend.data.import_files).
_LOWER_CODES = {kind: {name: code.lower() for name, code in codes.items()} for kind, codes in CODES.items()}


class _Reader:
    """A row's value of one of our fields, under our name or the standard's code."""

    def __init__(self, fields: dict, kind: str):
        self.fields = fields
        self.codes = CODES[kind]
        self.lower_codes = _LOWER_CODES[kind]

    def __call__(self, name: str):
        ours = self.fields.get(name)
        code = self.lower_codes.get(name)
        theirs = self.fields.get(code) if code else None
        if _blank(ours):
            return theirs
        if _blank(theirs) or theirs == ours:
            return ours
        if str(theirs).strip() != str(ours).strip():
            raise InvalidField(name, _("%(ours)s and %(code)s disagree", ours=name, code=self.codes[name]))
        return ours

    def money(self, name: str) -> Decimal | None:
        ours, code = self.fields.get(name), self.codes[name]
        theirs = self.fields.get(self.lower_codes[name])
        yuan = _yuan(ours, name, ten_thousands=False)
        from_code = _yuan(theirs, name, ten_thousands=True)
        if yuan is not None and from_code is not None and yuan != from_code:
            raise InvalidField(name, _("%(ours)s and %(code)s disagree", ours=name, code=code))
        return yuan if yuan is not None else from_code


def _blank(value) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def disclosure_type(fields: dict) -> str:
    """``type``, or what the row's codes tell: XK_* a licence, CF_* a penalty."""
    stated = _word(fields.get("type"), "type", ("licence", "penalty"), TYPE_WORDS)
    if stated:
        return stated
    told = {kind for kind, prefix in (("licence", "xk_"), ("penalty", "cf_"))
            if any(key.startswith(prefix) and not _blank(value) for key, value in fields.items())}
    if len(told) == 1:
        return told.pop()
    if told:
        raise InvalidField("type", _("the row mixes licence (XK_*) and penalty (CF_*) codes; give its type"))
    raise InvalidField("type", _("is missing: give type (licence or penalty) or the standard's codes"))


def parse_disclosure(fields: dict, *, today: date | None = None, hasher=None) -> Parsed:
    """A licence or penalty as sent; ``extra`` holds its type and key, the wanted status (None: as
    recorded), and when its disclosure ends."""
    today = today or local_today()
    kind = disclosure_type(fields)
    read = _Reader(fields, kind)
    category = _word(read("subject_category"), "subject_category", SUBJECT_CATEGORIES, SUBJECT_CATEGORY_WORDS,
                     required=True)
    person = category == "natural_person"
    values = {
        "subject_category": category,
        "subject_name": _text(read("subject_name"), "subject_name", 200, required=True),
        "subject_uscc": checked_uscc(read("subject_uscc"), "subject_uscc", required=not person),
        "legal_representative": None if person else _text(read("legal_representative"), "legal_representative", 50),
        "content": _text(read("content"), "content", 4000, required=True),
        "decided_on": _date(read("decided_on"), "decided_on", required=True),
        "authority": _text(read("authority"), "authority", 200, required=True),
        "data_source": _source(read("data_source"), "data_source"),
        "data_source_uscc": checked_uscc(read("data_source_uscc"), "data_source_uscc", required=False),
        "remarks": _text(read("remarks"), "remarks", 2000),
    }
    if person and values["subject_uscc"]:
        raise InvalidField("subject_uscc", _("a natural person has no unified social credit code"))
    if values["decided_on"] > today:
        raise InvalidField("decided_on", _("must not be in the future"))
    key = {"type": kind, "authority_uscc": checked_uscc(read("authority_uscc"), "authority_uscc"),
           "decision_no": _text(read("decision_no"), "decision_no", 128, required=True)}
    if kind == "licence":
        values.update(_licence_values(read))
        shown_until = windows.licence_shown_until(values["state"], values["valid_to"])
    else:
        values.update(_penalty_values(read, values["decided_on"], person))
        shown_until = windows.penalty_shown_until(values["decided_on"], values["disclosed_until"])
    status = _word(fields.get("status"), "status", DISCLOSURE_STATUSES, {})
    if status == "repaired":
        if kind != "penalty":
            raise InvalidField("status", _("only a penalty can be repaired"), reason="not_repairable")
        opens_on = windows.penalty_repair_opens_on(values["decided_on"], values["severity"], natural_person=person)
        if opens_on > today:
            raise InvalidField("status", _("repair opens on %(day)s", day=opens_on.isoformat()),
                               reason="repair_too_early")
    return Parsed(values, (hasher or content_hasher())(kind, {**key, **values}),
                  {**key, "status": status, "shown_until": shown_until})


def _licence_values(read: _Reader) -> dict:
    values = {
        "document_name": _text(read("document_name"), "document_name", 200),
        "licence_category": _text(read("licence_category"), "licence_category", 100, required=True),
        "certificate_name": _text(read("certificate_name"), "certificate_name", 200),
        "licence_no": _text(read("licence_no"), "licence_no", 128),
        "valid_from": _date(read("valid_from"), "valid_from", required=True),
        "valid_to": _date(read("valid_to"), "valid_to"),
        "state": _word(read("state"), "state", LICENCE_STATES, STATE_WORDS) or "valid",
    }
    if values["valid_to"] and values["valid_to"] < values["valid_from"]:
        raise InvalidField("valid_to", _("must not be before valid_from"))
    return values


def _penalty_values(read: _Reader, decided_on: date, person: bool) -> dict:
    severity = _word(read("severity"), "severity", windows.SEVERITIES, SEVERITY_WORDS, required=True)
    values = {
        "violation_type": _text(read("violation_type"), "violation_type", 500, required=True),
        "facts": _text(read("facts"), "facts", 4000, required=True),
        "legal_basis": _text(read("legal_basis"), "legal_basis", 2000, required=True),
        "penalty_category": _text(read("penalty_category"), "penalty_category", 200, required=True),
        "fine_amount": read.money("fine_amount"),
        "confiscated_amount": read.money("confiscated_amount"),
        "licence_suspended_or_revoked": _text(read("licence_suspended_or_revoked"),
                                              "licence_suspended_or_revoked", 500),
        "valid_until": _date(read("valid_until"), "valid_until"),
        "severity": severity,
    }
    until = _date(read("disclosed_until"), "disclosed_until")
    if until is None:
        until = windows.default_disclosed_until(decided_on, severity, natural_person=person)
    elif not windows.within_window(decided_on, until, severity, natural_person=person):
        fewest, most = windows.penalty_window(severity, natural_person=person)
        raise InvalidField("disclosed_until", _("a %(severity)s penalty is disclosed %(fewest)s to %(most)s days "
                                                "from decided_on", severity=severity, fewest=fewest, most=most),
                           reason="outside_disclosure_window")
    values["disclosed_until"] = until
    return values


# --- list entries ---------------------------------------------------------------------------------------


def parse_list_entry(fields: dict, *, today: date | None = None, hasher=None) -> Parsed:
    """An entry of the red, watch or black list; ``extra`` holds its key and any removal sent with it."""
    today = today or local_today()
    list_name = _word(fields.get("list"), "list", LISTS, LIST_WORDS, required=True)
    uscc = checked_uscc(fields.get("subject_uscc"), "subject_uscc", required=False)
    id_number = _text(fields.get("subject_id_number"), "subject_id_number", 30)
    category = _word(fields.get("subject_category"), "subject_category", SUBJECT_CATEGORIES, SUBJECT_CATEGORY_WORDS)
    category = category or ("natural_person" if id_number and not uscc else "legal_person")
    if category == "natural_person":
        if uscc:
            raise InvalidField("subject_uscc", _("a natural person has no unified social credit code"))
        if id_number is None:
            raise InvalidField("subject_id_number", _("is missing: a person is listed by ID number"))
        try:
            id_number = validate_id_number(id_number, today=today)
        except InvalidIdNumber as exc:
            raise InvalidField("subject_id_number", _("not a valid ID number: %(problem)s", problem=str(exc))) \
                from None
    else:
        if uscc is None:
            raise InvalidField("subject_uscc", _("is missing"), reason="invalid_uscc")
        id_number = None
    values = {
        "subject_category": category,
        "subject_name": _text(fields.get("subject_name"), "subject_name", 200, required=True),
        "reason": _text(fields.get("reason"), "reason", 2000, required=True),
        "listing_authority": _text(fields.get("listing_authority"), "listing_authority", 200, required=True),
        "data_source": _source(fields.get("data_source"), "data_source"),
    }
    listed_on = _date(fields.get("listed_on"), "listed_on", required=True)
    if listed_on > today:
        raise InvalidField("listed_on", _("must not be in the future"))
    removal = parse_removal(fields, listed_on, today=today, required=False)
    return Parsed(values, (hasher or content_hasher())("list_entry", values),
                  {"list": list_name, "subject_uscc": uscc, "subject_id_number": id_number, "listed_on": listed_on,
                   "removal": removal})


def parse_removal(fields: dict, listed_on: date, *, today: date, required: bool = True) -> dict | None:
    """``removed_on`` (default today), ``removal_reason`` and ``removal_authority``, given together."""
    names = ("removed_on", "removal_reason", "removal_authority")
    if not required and all(_blank(fields.get(name)) for name in names):
        return None
    removal = {"removed_on": _date(fields.get("removed_on"), "removed_on") or today,
               "removal_reason": _text(fields.get("removal_reason"), "removal_reason", 2000, required=True),
               "removal_authority": _text(fields.get("removal_authority"), "removal_authority", 200, required=True)}
    if removal["removed_on"] > today:
        raise InvalidField("removed_on", _("must not be in the future"))
    if removal["removed_on"] < listed_on:
        raise InvalidField("removed_on", _("must not be before listed_on"))
    return removal


def as_text(value) -> str | None:
    """A stored value as the standard's files write it."""
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.strftime("%Y/%m/%d")
    return str(value)
