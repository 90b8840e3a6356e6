"""Time as the product speaks it: stored in UTC, shown in Asia/Shanghai (SPEC §10)."""

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_local(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value).astimezone(SHANGHAI)


def local_day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day``, as a UTC instant."""
    return as_utc(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI))


def seconds_until_local_midnight(now: datetime | None = None) -> int:
    """Whole seconds (at least 1) until the next 00:00 Asia/Shanghai, when daily limits reset."""
    now = now or utcnow()
    tomorrow = as_utc(now).astimezone(SHANGHAI).date() + timedelta(days=1)
    return max(1, math.ceil((local_day_start(tomorrow) - as_utc(now)).total_seconds()))
