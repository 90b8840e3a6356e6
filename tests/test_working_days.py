"""Working days of the mainland calendar, with 调休 and overrides (SPEC §10)."""

from datetime import date

from backend.dates.working_days import add_working_days, is_working_day, working_days_between


def test_national_day_holiday_is_not_worked_and_the_adjusted_saturday_is():
    assert not is_working_day(date(2026, 10, 1), {})
    assert not is_working_day(date(2026, 10, 7), {})
    assert is_working_day(date(2026, 10, 10), {})  # a Saturday worked in exchange (调休)


def test_ordinary_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 11, 28), {})  # Saturday
    assert is_working_day(date(2026, 11, 27), {})  # Friday


def test_add_working_days_skips_the_golden_week():
    assert add_working_days(date(2026, 9, 30), 1, {}) == date(2026, 10, 8)
    assert add_working_days(date(2026, 11, 27), 5, {}) == date(2026, 12, 4)
    assert add_working_days(date(2026, 11, 27), 0, {}) == date(2026, 11, 27)


def test_spring_festival_2026():
    assert not is_working_day(date(2026, 2, 17), {})  # 春节
    assert is_working_day(date(2026, 2, 14), {})  # adjusted Saturday


def test_years_beyond_the_package_use_weekdays_and_the_overrides():
    assert is_working_day(date(2027, 2, 8), {})  # a Monday, unknown to the package
    overrides = {date(2027, 2, 8): False, date(2027, 2, 20): True}
    assert not is_working_day(date(2027, 2, 8), overrides)
    assert is_working_day(date(2027, 2, 20), overrides)  # a Saturday worked
    assert add_working_days(date(2027, 2, 5), 1, overrides) == date(2027, 2, 9)


def test_overrides_come_from_the_settings(staff):
    from backend.settings import service as settings
    from backend.staff.service import principal_from_claims

    admin = staff.create("admin")
    settings.update(principal_from_claims({"uid": admin.id, "fam": None}),
                    {"calendar.overrides": [{"date": "2027-01-01", "working": False}]})
    assert not is_working_day(date(2027, 1, 1))
    assert is_working_day(date(2027, 1, 4))


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8), {}) == 1
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 27), {}) == 0
