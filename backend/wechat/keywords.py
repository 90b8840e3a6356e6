"""WeChat's subscribe-message keyword rules (订阅消息关键词), so no notice is refused for its form
(errcode 47003, "argument invalid"; SPEC §10).

A template's keywords are named by type and number (``thing1``, ``time2``); the type fixes what the
value may hold. ``FORMATTERS`` make a value fit its type (text too long is cut at a character boundary
and ends with "…"); every notice is built through them (``backend.notices.layouts.build``). ``problems``
states the same rules the other way round: the WeChat stand-ins (the development exchanger and
tests/wechat_standin.py) refuse data it finds fault with, as WeChat does.

Lengths are counted in UTF-16 code units, the strictest reading of "characters" (an emoji counts two, a
joined emoji sequence more); a cut never splits a character or an emoji sequence (``regex``'s ``\\X``,
Unicode's grapheme clusters).
"""

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

import regex

from backend.dates.timeutil import as_local

# WeChat's errcode for data that breaks the rules.
ARGUMENT_INVALID = 47003
ELLIPSIS = "…"
# The most each type holds, in UTF-16 code units (see above).
THING_MAX = 20
PHRASE_MAX = 5
NAME_MAX = 10  # Chinese; a name of letters alone may have 20
NAME_LETTERS_MAX = 20
NUMBER_DIGITS_MAX = 32
CHARACTER_STRING_MAX = 32
AMOUNT_DIGITS_MAX = 10
TIME_FORMAT = "%Y年%m月%d日 %H:%M"
DATE_FORMAT = "%Y年%m月%d日"

KEY = re.compile(r"(thing|time|date|phrase|number|character_string|amount|name)([1-9][0-9]?)")
_TIME = re.compile(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}")
_DATE = re.compile(r"\d{4}年\d{2}月\d{2}日")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?元")  # AMOUNT_DIGITS_MAX digits before the point
_CHARACTER_STRING = re.compile(r"[!-~]+")  # printable ASCII, no spaces
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·]+")
_LETTERS = re.compile(r"[A-Za-z .·'-]+")
_CONTROL = regex.compile(r"[\p{Cc}\p{Zl}\p{Zp}]+")

def units(text: str) -> int:
    """``text``'s length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` in at most ``limit`` units, cut between grapheme clusters and ending with ``ellipsis``
    when cut."""
    if units(text) <= limit:
        return text
    room = limit - units(ellipsis)
    kept, used = [], 0
    for cluster in regex.findall(r"\X", text):
        size = units(cluster)
        if used + size > room:
            break
        kept.append(cluster)
        used += size
    return "".join(kept).rstrip() + ellipsis


def _one_line(text) -> str:
    """Text on one line: line breaks, tabs and other control characters become single spaces."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def thing(text) -> str:
    """A ``thing``: any text, at most 20 characters."""
    return cut(_one_line(text), THING_MAX) or "—"


def phrase(text) -> str:
    """A ``phrase``: at most 5 Chinese characters (a status word: 已受理, 属实)."""
    return cut(_one_line(text).replace(" ", ""), PHRASE_MAX, ellipsis="")


def name(text) -> str:
    """A ``name``: at most 10 Chinese characters, or 20 letters."""
    text = _one_line(text)
    return cut(text, NAME_LETTERS_MAX if _LETTERS.fullmatch(text) else NAME_MAX)


def number(value) -> str:
    """A ``number``: digits (a decimal point allowed), at most 32 of them; no sign."""
    text = format(abs(Decimal(str(value))), "f")
    if len(text.replace(".", "")) > NUMBER_DIGITS_MAX:
        raise ValueError("a number keyword holds at most 32 digits")
    return text


def character_string(text) -> str:
    """A ``character_string``: at most 32 printable ASCII characters (a report number)."""
    text = "".join(ch for ch in str(text) if "!" <= ch <= "~")
    return cut(text, CHARACTER_STRING_MAX, ellipsis="...")


def time(moment: datetime) -> str:
    """A ``time``: ``2026年12月03日 14:30`` in Asia/Shanghai."""
    return as_local(moment).strftime(TIME_FORMAT)


def date_(day: date | datetime) -> str:
    """A ``date``: ``2026年12月03日`` (a moment is taken in Asia/Shanghai)."""
    if isinstance(day, datetime):
        day = as_local(day).date()
    return day.strftime(DATE_FORMAT)


def amount(yuan) -> str:
    """An ``amount`` in yuan: ``12.50元``."""
    text = f"{abs(Decimal(str(yuan))):.2f}元"
    if not _AMOUNT.fullmatch(text):
        raise ValueError("an amount keyword holds at most 10 digits before the point")
    return text


FORMATTERS = {"thing": thing, "time": time, "date": date_, "phrase": phrase, "number": number,
              "character_string": character_string, "amount": amount, "name": name}


def problems(data: Mapping) -> list[str]:
    """What WeChat would refuse in a notice's data (each keyword plain or as ``{"value": ...}``)."""
    found = []
    for key, entry in data.items():
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        match = KEY.fullmatch(str(key))
        if match is None:
            found.append(f"{key}: not a keyword name")
            continue
        if not isinstance(value, str) or not value:
            found.append(f"{key}: the value must be text")
            continue
        problem = _problem(match.group(1), value)
        if problem:
            found.append(f"{key}: {problem}")
    return found


def _problem(kind: str, value: str) -> str | None:
    if kind == "thing":
        return None if units(value) <= THING_MAX and not _CONTROL.search(value) else "at most 20 characters"
    if kind == "phrase":
        return None if units(value) <= PHRASE_MAX and _CHINESE.fullmatch(value) else "at most 5 Chinese characters"
    if kind == "name":
        fits = (_LETTERS.fullmatch(value) and len(value) <= NAME_LETTERS_MAX) or units(value) <= NAME_MAX
        return None if fits and not _CONTROL.search(value) else "at most 10 characters (20 letters)"
    if kind == "number":
        digits = value.replace(".", "")
        return None if _NUMBER.fullmatch(value) and len(digits) <= NUMBER_DIGITS_MAX else "at most 32 digits"
    if kind == "character_string":
        fits = _CHARACTER_STRING.fullmatch(value) and len(value) <= CHARACTER_STRING_MAX
        return None if fits else "at most 32 ASCII letters, digits or symbols"
    if kind == "time":
        return None if _TIME.fullmatch(value) else "a time as 2026年12月03日 14:30"
    if kind == "date":
        return None if _DATE.fullmatch(value) else "a date as 2026年12月03日"
    if kind == "amount":
        return None if _AMOUNT.fullmatch(value) else "an amount as 12.50元"
    return None
