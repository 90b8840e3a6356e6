"""Disclosure windows (公示期限, SPEC §3, §6, §7): the one rule of when a penalty is shown to others.

A penalty is disclosed from when it occurred until its window ends (``max_disclosure_days`` later; a
minor penalty, with a window of zero days, is never disclosed), and only while it stands: a repaired or
voided record leaves every public answer and every bank's detailed view at once, without anyone acting.
Repair opens once ``min_disclosure_days`` have passed, on an Asia/Shanghai calendar date.

Every reader of disclosed records (bank verification, credit reports, the public credit query) asks this
module rather than comparing dates of its own.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import and_

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


# --- 双公示 disclosures of enterprises and other subjects (SPEC §7) ------------------------------------
#
# Their windows run in days from ``decided_on`` (a calendar date in Asia/Shanghai). ``disclosed_until`` is
# the date on which the disclosure ends, at 00:00 Asia/Shanghai: a window of N days from decided_on ends
# on decided_on + N, the same instant ``window_end`` gives for N days from the start of decided_on.

# (fewest, most) days a penalty of each severity is disclosed (国办发〔2025〕22号): the fewest is also
# when its repair opens (SPEC §6's minimum). A minor penalty may be left undisclosed.
ENTERPRISE_WINDOWS = {"minor": (0, 90), "general": (90, 365), "serious": (365, 1095)}
# A natural person's penalties follow the residents' rule (SPEC §3): minor ones are never disclosed.
PERSON_WINDOWS = {"minor": (0, 0), "general": (90, 365), "serious": (365, 1095)}
SEVERITIES = tuple(ENTERPRISE_WINDOWS)

# Stands for "no end" where a time column needs a value (a licence without an end date).
OPEN_ENDED = datetime(9999, 1, 1, tzinfo=UTC)


def penalty_window(severity: str, *, natural_person: bool = False) -> tuple[int, int]:
    """(fewest, most) days a penalty of ``severity`` is disclosed, counted from its decision date."""
    return (PERSON_WINDOWS if natural_person else ENTERPRISE_WINDOWS)[severity]


def default_disclosed_until(decided_on: date, severity: str, *, natural_person: bool = False) -> date:
    """The window's maximum: the date a penalty's disclosure ends when its sender names none."""
    return decided_on + timedelta(days=penalty_window(severity, natural_person=natural_person)[1])


def within_window(decided_on: date, until: date, severity: str, *, natural_person: bool = False) -> bool:
    """Whether an explicit ``disclosed_until`` lies inside the severity's window."""
    fewest, most = penalty_window(severity, natural_person=natural_person)
    return decided_on + timedelta(days=fewest) <= until <= decided_on + timedelta(days=most)


@lru_cache(maxsize=4096)
def day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day``, in UTC (kept for the few thousand dates a file of a million
    records names)."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def penalty_shown_until(decided_on: date, until: date) -> datetime | None:
    """The instant a penalty disclosed from ``decided_on`` until ``until`` leaves every public answer
    (None: never disclosed)."""
    return window_end(day_start(decided_on), (until - decided_on).days)


def licence_shown_until(state: str, valid_to: date | None) -> datetime | None:
    """A licence is shown while its state is valid and through its last valid day (SPEC §7)."""
    if state != "valid":
        return None
    return OPEN_ENDED if valid_to is None else day_start(valid_to + timedelta(days=1))


def penalty_repair_opens_on(decided_on: date, severity: str, *, natural_person: bool = False) -> date:
    """The first date an early end after repair may be recorded (the window's fewest days)."""
    return decided_on + timedelta(days=penalty_window(severity, natural_person=natural_person)[0])


def open_clause(status, until, now: datetime | None = None):
    """``is_open`` as an SQL condition on a status column and a window-end column, for queries that
    page through disclosed records in the database."""
    return and_(status.in_(STANDING_STATUSES), until.is_not(None), until > (now or utcnow()))
