"""Disclosure windows (公示期限, SPEC §3, §6, §7): the one rule of when a penalty is shown to others.

A penalty is disclosed from when it occurred until its window ends (``max_disclosure_days`` later; a
minor penalty, with a window of zero days, is never disclosed), and only while it stands: a repaired or
voided record leaves every public answer and every bank's detailed view at once, without anyone acting.
Repair opens once ``min_disclosure_days`` have passed, on an Asia/Shanghai calendar date.

Every reader of disclosed records (bank verification, credit reports, the public credit query) asks this
module rather than comparing dates of its own.
"""

from datetime import date, datetime, timedelta

from backend.dates.timeutil import SHANGHAI, as_utc, utcnow

# Statuses of a record that still stands (an event under objection is shown as such, still disclosed).
STANDING_STATUSES = ("active", "disputed")


def window_end(start: datetime, max_days: int) -> datetime | None:
    """The instant a window of ``max_days`` from ``start`` closes; None for a record never disclosed."""
    return as_utc(start) + timedelta(days=max_days) if max_days > 0 else None


def is_open(status: str, until: datetime | None, now: datetime | None = None) -> bool:
    """Whether a record with this status and window end is disclosed at ``now``."""
    return status in STANDING_STATUSES and until is not None and as_utc(until) > (now or utcnow())


def disclosed_until(event) -> datetime | None:
    """The end of a credit event's disclosure (None for bonuses and minor penalties)."""
    if event.kind != "penalty":
        return None
    return window_end(event.occurred_at, event.max_disclosure_days)


def is_disclosed(event, now: datetime | None = None) -> bool:
    """Whether a credit event is shown to anyone but the resident at ``now``."""
    return is_open(event.status, disclosed_until(event), now)


def repair_opens_on(event) -> date:
    """The first Asia/Shanghai calendar date a repair of this penalty may be asked for."""
    occurred = as_utc(event.occurred_at).astimezone(SHANGHAI)
    return (occurred + timedelta(days=event.min_disclosure_days)).date()
