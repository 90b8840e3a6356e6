"""Resident ID numbers (居民身份证号, GB 11643) and the checks of SPEC §2.

``stdnum.cn.ric.validate`` also refuses a region code that did not exist in the holder's birth year; a
real Jiangyin resident born before 1989 carries 320281 (江阴市, created 1989), so the region is checked
only for being a known code, whatever the year.
"""

import re
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

from backend.i18n import _

# A number already in its normal form; bulk imports meet millions of these, so they skip normalising.
_NORMAL = re.compile(r"[0-9]{17}[0-9X]")


class InvalidIdNumber(ValueError):
    """The text is not a valid ID number; the message says which check failed."""


def normalise(value: str) -> str:
    if value and _NORMAL.fullmatch(value):
        return value
    return ric.compact(value or "")


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Return the normalised ID number, or raise ``InvalidIdNumber`` naming the failed check."""
    number = normalise(value)
    if len(number) != 18:
        raise InvalidIdNumber(_("must have 18 characters"))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber(_("must be 17 digits followed by a digit or X"))
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidIdNumber(_("the check digit does not match"))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(_("the birth date is not a real date")) from exc
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidIdNumber(_("the birth date is out of range"))
    if not region_known(number[:6]):
        raise InvalidIdNumber(_("the region code is unknown"))
    return number


@lru_cache(maxsize=8192)
def region_known(code: str) -> bool:
    parts = numdb.get("cn/loc").info(code)
    return any("county" in props for _part, props in parts)


def is_valid_id_number(value: str) -> bool:
    try:
        validate_id_number(value)
        return True
    except InvalidIdNumber:
        return False


def with_check_digit(first17: str) -> str:
    """Complete 17 digits with their check digit (for synthetic demo and test data)."""
    return first17 + ric.calc_check_digit(first17 + "0")
