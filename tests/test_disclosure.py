"""The one disclosure rule (SPEC §3, §6): windows by severity, minor never shown, repaired or voided at once."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from backend.credit import disclosure

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def penalty(days_ago: float, *, max_days=365, min_days=90, status="active", kind="penalty"):
    return SimpleNamespace(kind=kind, status=status, occurred_at=NOW - timedelta(days=days_ago),
                           max_disclosure_days=max_days, min_disclosure_days=min_days)


def test_a_general_penalty_is_disclosed_until_its_window_ends():
    assert disclosure.is_disclosed(penalty(364.9), NOW)
    assert not disclosure.is_disclosed(penalty(365), NOW)


def test_a_minor_penalty_and_a_bonus_are_never_disclosed():
    assert disclosure.disclosed_until(penalty(0, max_days=0, min_days=0)) is None
    assert not disclosure.is_disclosed(penalty(0, max_days=0, min_days=0), NOW)
    assert not disclosure.is_disclosed(penalty(1, kind="bonus"), NOW)


@pytest.mark.parametrize("status,shown", [("active", True), ("disputed", True), ("repaired", False),
                                          ("voided", False)])
def test_only_a_standing_record_is_disclosed(status, shown):
    assert disclosure.is_disclosed(penalty(10, status=status), NOW) is shown


def test_repair_opens_on_the_shanghai_date_after_the_minimum_period():
    # 2026-03-04 17:30 UTC is already 2026-03-05 in Shanghai: 90 days later is 2026-06-03.
    event = SimpleNamespace(occurred_at=datetime(2026, 3, 4, 17, 30, tzinfo=UTC), min_disclosure_days=90)
    assert disclosure.repair_opens_on(event) == date(2026, 6, 3)
