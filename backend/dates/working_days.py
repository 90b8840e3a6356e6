"""Working days of the mainland calendar (SPEC §10): weekends off, public holidays off, and the
adjusted working weekends (调休) on, as ``chinesecalendar`` knows them; the setting
``calendar.overrides`` decides days of years the package does not cover yet (or corrects it).
"""

from datetime import date, timedelta

import chinese_calendar


def _overrides(overrides: dict[date, bool] | None) -> dict[date, bool]:
    if overrides is not None:
        return overrides
    from backend.settings import service as settings

    return {date.fromisoformat(item["date"]) if isinstance(item["date"], str) else item["date"]: item["working"]
            for item in settings.get("calendar.overrides")}


def is_working_day(day: date, overrides: dict[date, bool] | None = None) -> bool:
    """True when offices work on ``day``. Outside the package's years, weekdays work unless overridden."""
    table = _overrides(overrides)
    if day in table:
        return table[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, count: int, overrides: dict[date, bool] | None = None) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    table = _overrides(overrides)
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, table):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, overrides: dict[date, bool] | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    table = _overrides(overrides)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, table):
            count += 1
    return count
