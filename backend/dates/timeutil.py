"""Time as the product speaks it: stored in UTC, shown in Asia/Shanghai (SPEC §10)."""

from datetime import UTC, date, datetime
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
