"""Review deadlines (SPEC §5, §6): in working days of the mainland calendar or in calendar days, counted
from an Asia/Shanghai date, and the queue's "overdue" test as SQL.

A deadline is a date: the case is on time until 24:00 Asia/Shanghai of its due date, and overdue from
the next day while still open. Due dates are computed when the clock starts (filing, forwarding) and
stored, so a later change of a setting or of the calendar never moves a deadline already given.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_

from backend.dates.timeutil import SHANGHAI, as_utc, local_today
from backend.dates.working_days import add_working_days


def local_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(SHANGHAI).date()


def due_in_working_days(start: datetime, days: int) -> date:
    """The date ``days`` working days after the Asia/Shanghai date of ``start`` (that day not counted)."""
    return add_working_days(local_date(start), days)


def due_in_days(start: datetime, days: int) -> date:
    """The date ``days`` calendar days after the Asia/Shanghai date of ``start``."""
    return local_date(start) + timedelta(days=days)


def is_overdue(due_on: date | None, done: bool, today: date | None = None) -> bool:
    """Whether an open step is past its due date."""
    return not done and due_on is not None and (today or local_today()) > due_on


def overdue(*steps, today: date | None = None):
    """SQL: any of ``steps`` — pairs (due-date column, condition that the step is still open) — is late."""
    today = today or local_today()
    return or_(*(and_(open_condition, due_column.is_not(None), due_column < today)
                 for due_column, open_condition in steps))
