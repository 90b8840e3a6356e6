"""Monthly monitoring (指标监测, SPEC §8): figures per town and city-wide as of 24:00 Asia/Shanghai on the
month's last day, rebuilt from the ledger and the events' status history; warnings exactly at their
thresholds; a published month frozen against later imports, decisions and registry changes."""

import csv
import io
import itertools
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from backend.credit import service as credit
from backend.credit.default_rubric import load_default_rubric
from backend.credit.importing import import_events
from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.integrity import service as integrity
from backend.monitoring import service as monitoring
from backend.monitoring import sources
from backend.residents.models import Resident
from backend.web.access import ADMIN, Principal
from tests.conftest import change_settings

ADMIN_MONTHLY = "/api/v1/admin/stats/monthly"
PUBLIC_MONTHLY = "/api/v1/public/stats/monthly"
SYSTEM = Principal(kind="system", id=0, roles=frozenset({ADMIN}), name="tests")
CLOCKED = ("backend.credit.service", "backend.residents.service", "backend.accounts.service",
           "backend.reports.service", "backend.reports.review", "backend.integrity.service",
           "backend.monitoring.service")
references = itertools.count(1)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Clock:
    """The services' clocks, set to a moment or left running."""

    def __init__(self, monkeypatch):
        import importlib

        from backend.dates.timeutil import utcnow

        self.now = None
        for name in CLOCKED:
            monkeypatch.setattr(importlib.import_module(name), "utcnow", lambda: self.now or utcnow())

    def at(self, when: str) -> "Clock":
        self.now = moment(when)
        return self

    def running(self) -> "Clock":
        self.now = None
        return self


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def rubric(app):
    load_default_rubric()


def register(residents, *, town="长泾镇", village="蒋家村", household_no=None, since="2026-10-01T00:00:00+08:00"):
    """A resident registered (through the registry import) at ``since``."""
    resident = residents.create(town=town, village=village, household_no=household_no, phone=None)
    db.session.execute(update(Resident).where(Resident.id == resident.id).values(created_at=moment(since)))
    db.session.commit()
    return resident


def grant(clock, resident, code: str, recorded: str, occurred: str | None = None):
    clock.at(recorded)
    grant = credit.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                               occurred_at=moment(occurred or recorded), source="market-regulation",
                               source_ref=f"ref-{next(references)}")
    clock.running()
    return grant.event


def town_of(document: dict, name: str) -> dict:
    return next(row for row in document["towns"] if row["town"] == name)


def kinds(document: dict, town: str | None = "长泾镇") -> list[str]:
    return sorted(warning["kind"] for warning in document["warnings"] if warning["town"] == town)


# --- the month's end, in Asia/Shanghai -------------------------------------------------------------------


def test_figures_stand_at_midnight_asia_shanghai_on_the_last_day(clock, residents):
    late, early, expired, voided = (register(residents, household_no=f"H-{n}") for n in range(4))
    grant(clock, late, "PO-01", "2026-11-30T23:59:59+08:00")  # −50, caps at 2★: recorded in November
    grant(clock, early, "LV-03", "2026-12-01T00:00:00+08:00")  # −30: recorded in December
    # Recorded in November but no longer effective at its end (a ≤ 40-point penalty counts a year).
    grant(clock, expired, "PO-03", "2026-11-02T10:00:00+08:00", occurred="2025-11-15T10:00:00+08:00")
    event = grant(clock, voided, "PO-02", "2026-11-03T10:00:00+08:00")  # −30 → 970, 3★ ...
    clock.at("2026-11-20T10:00:00+08:00")
    credit.dispute(event.id, SYSTEM, "objection")
    credit.uphold_objection(event.id, SYSTEM, "upheld")  # ... voided within the month
    db.session.commit()
    clock.running()

    november = monitoring.compute("2026-11")
    changjing = town_of(november, "长泾镇")
    assert november["as_of"] == "2026-12-01T00:00:00+08:00" and november["complete"] is True
    assert changjing["events"] == {"bonus": 0, "penalty": 3}
    assert changjing["residents"] == 4
    # late: 950 capped at 2★; early (its penalty came after midnight), expired and voided: 1000, 3★.
    assert changjing["stars"] == {"1": 0, "2": 1, "3": 3, "4": 0, "5": 0}
    assert november["city"]["stars"] == changjing["stars"]

    december = monitoring.compute("2026-12")
    assert december["complete"] is False
    assert town_of(december, "长泾镇")["events"] == {"bonus": 0, "penalty": 1}


def test_stars_follow_the_status_history_not_todays_account(clock, residents):
    resident = register(residents)
    event = grant(clock, resident, "PO-01", "2026-11-10T09:00:00+08:00")  # 2★ while it counts
    for when, move in (("2026-11-15T09:00:00+08:00", credit.dispute),
                       ("2026-12-01T00:00:01+08:00", credit.uphold_objection)):
        clock.at(when)
        move(event.id, SYSTEM, "objection")
        db.session.commit()
    clock.running()
    assert credit.get_account(resident.id).stars == 3  # today: voided, back to 1000
    # At November's end it was disputed, which still counts (SPEC §3).
    assert town_of(monitoring.compute("2026-11"), "长泾镇")["stars"]["2"] == 1
    assert town_of(monitoring.compute("2026-10"), "长泾镇")["stars"]["3"] == 1


def test_residents_registered_and_bound_by_the_end(clock, residents):
    register(residents, since="2026-11-30T23:59:59+08:00")
    register(residents, since="2026-12-01T00:00:00+08:00")
    register(residents, town="澄江街道", village="城中社区", since="2026-11-01T00:00:00+08:00")
    document = monitoring.compute("2026-11")
    assert town_of(document, "长泾镇")["residents"] == 1
    assert town_of(document, "澄江街道")["residents"] == 1
    assert document["city"]["residents"] == 2
    assert document["city"]["ratings"]["towns"] == 2


# --- warnings, exactly at their thresholds --------------------------------------------------------------


def penalties(clock, resident, month: str, count: int) -> None:
    for day in range(1, count + 1):
        grant(clock, resident, "EN-01", f"{month}-{day:02d}T10:00:00+08:00")


def test_penalty_rise_warns_above_the_share_and_from_zero_at_the_count(clock, residents, client, staff):
    changjing, chengjiang = register(residents), register(residents, town="澄江街道", village="城中社区")
    penalties(clock, changjing, "2026-10", 5)
    penalties(clock, changjing, "2026-11", 6)  # +20 %: exactly the setting, no rise "by more than"
    penalties(clock, chengjiang, "2026-11", 4)  # from zero: below 5
    document = monitoring.compute("2026-11")
    assert "penalty_rise" not in kinds(document) and "penalty_rise" not in kinds(document, "澄江街道")

    grant(clock, changjing, "EN-01", "2026-11-20T10:00:00+08:00")  # 7: +40 %
    grant(clock, chengjiang, "EN-01", "2026-11-20T10:00:00+08:00")  # 5 from zero
    document = monitoring.compute("2026-11")
    rise = next(w for w in document["warnings"] if w["kind"] == "penalty_rise" and w["town"] == "长泾镇")
    assert (rise["count"], rise["previous"]) == (7, 5)
    assert "penalty_rise" in kinds(document, "澄江街道")
    shown = client.get(ADMIN_MONTHLY, query_string={"month": "2026-11"},
                       headers={**staff.headers("admin"), "Accept-Language": "en"}).get_json()["warnings"]
    assert {"kind": "penalty_rise", "town": "长泾镇", "source": None, "count": 7, "previous": 5, "threshold": 0.2,
            "message": "penalties rose from 5 to 7 over the previous month"} in shown

    change_settings({"monitoring.penalty_rise_share": 0.4, "monitoring.penalty_rise_from_zero": 6})
    document = monitoring.compute("2026-11")
    assert "penalty_rise" not in kinds(document) and "penalty_rise" not in kinds(document, "澄江街道")


def test_overdue_reports_warn_at_the_setting(clock, residents, client, staff):
    from tests.reporting import REPORTS, REVIEW, load_rubric_and_categories, report_body

    load_rubric_and_categories()
    change_settings({"monitoring.overdue_reviews_at": 2})
    reporter = register(residents, since="2026-10-01T00:00:00+08:00")
    clock.at("2026-11-02T09:00:00+08:00")
    headers = residents.bound_headers(reporter)

    def file(at: str) -> int:
        clock.at(at)
        body = report_body(occurred_at="2026-11-01T09:00:00+08:00")
        response = client.post(REPORTS, json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        clock.running()
        return response.get_json()["report_no"]

    file("2026-11-02T09:00:00+08:00")  # acknowledgement due 2026-11-09: overdue at the month's end
    reports = monitoring.compute("2026-11")["towns"][0]["reviews"]["reports"]
    assert reports == {"filed": 1, "decided": 0, "overdue": 1}
    assert "overdue_reviews" not in kinds(monitoring.compute("2026-11"))

    second = file("2026-11-03T09:00:00+08:00")
    # Acknowledged after the month ended: still open at its end.
    from backend.reports.models import Report

    report_id = db.session.query(Report.id).filter(Report.report_no == second).scalar()
    clock.at("2026-12-01T08:00:00+08:00")
    assert client.post(f"{REVIEW}/{report_id}/acknowledge", headers=staff.headers("reviewer")).status_code == 200
    clock.running()
    document = monitoring.compute("2026-11")
    warning = next(w for w in document["warnings"] if w["kind"] == "overdue_reviews")
    assert (warning["town"], warning["source"], warning["count"], warning["threshold"]) == ("长泾镇", "reports", 2, 2)
    assert document["city"]["reviews"]["reports"] == {"filed": 2, "decided": 0, "overdue": 2}
    # December, just after the acknowledgement: one acknowledged, the other still late. (Read at a set moment:
    # as the days pass, the acknowledged report's own decision deadline passes too.)
    clock.at("2026-12-01T09:00:00+08:00")
    assert monitoring.compute("2026-12")["city"]["reviews"]["reports"]["overdue"] == 1


def test_other_review_kinds_register_their_counts(monkeypatch, residents):
    register(residents)
    town_id = db.session.query(Resident.town_id).scalar()
    seen = []

    def repairs(period):
        seen.append((period.month, period.as_of, period.on))
        return {town_id: sources.ReviewCounts(filed=3, decided=1, overdue=1), None: sources.ReviewCounts(overdue=1)}

    monkeypatch.setitem(sources._review_sources, "repairs", repairs)
    document = monitoring.compute("2026-11")
    assert seen == [("2026-11", moment("2026-12-01T00:00:00+08:00"), date(2026, 12, 1))]
    assert town_of(document, "长泾镇")["reviews"]["repairs"] == {"filed": 3, "decided": 1, "overdue": 1}
    assert document["unplaced"]["reviews"]["repairs"]["overdue"] == 1
    assert document["city"]["reviews"]["repairs"] == {"filed": 3, "decided": 1, "overdue": 2}
    warned = {(w["town"], w["source"]) for w in document["warnings"] if w["kind"] == "overdue_reviews"}
    assert warned == {("长泾镇", "repairs"), (None, "repairs")}


def test_overdue_commitments_warn_at_the_setting(clock, residents, client, staff):
    register(residents)
    body = integrity.register_body(None, kind="town", name="长泾镇人民政府", town="长泾镇")
    admin = staff.headers("admin")
    for due in ("2026-11-30", "2026-12-01"):  # due on the last day: overdue at its end; the next day: not
        clock.at("2026-11-01T09:00:00+08:00")
        response = client.post("/api/v1/admin/commitments", headers=admin, json={
            "owner_id": body.id, "kind": "deadline", "title": "企业开办一日办结", "content": "一个工作日内办结",
            "made_on": "2026-11-01", "due_on": due})
        assert response.status_code == 201, response.get_json()
    clock.running()
    document = monitoring.compute("2026-11")
    assert town_of(document, "长泾镇")["commitments"] == {"due": 1, "fulfilled": 0, "fulfilled_late": 0,
                                                        "overdue": 1, "broken": 0}
    assert kinds(document) == ["overdue_commitments"]
    change_settings({"monitoring.overdue_commitments_at": 2})
    assert kinds(monitoring.compute("2026-11")) == []


def test_a_falling_credit_village_share_warns(clock, residents):
    resident = register(residents)
    grant(clock, resident, "SC-07", "2026-10-10T10:00:00+08:00")  # 1030: 4★, a credit household and village
    october = monitoring.compute("2026-10")
    assert town_of(october, "长泾镇")["ratings"]["credit_village_share"] == 1.0
    assert town_of(october, "长泾镇")["ratings"]["is_credit_town"] is True
    assert october["city"]["ratings"]["credit_towns"] == 1
    grant(clock, resident, "EN-01", "2026-11-10T10:00:00+08:00")  # 1025: 3★
    november = monitoring.compute("2026-11")
    assert town_of(november, "长泾镇")["ratings"]["credit_village_share"] == 0.0
    fell = next(w for w in november["warnings"] if w["kind"] == "credit_village_share_fell")
    assert (fell["previous_share"], fell["share"]) == (1.0, 0.0)
    assert "credit_village_share_fell" not in kinds(october)


# --- publication ----------------------------------------------------------------------------------------


def test_a_published_month_never_changes(clock, residents, client, staff):
    people = [register(residents, household_no=f"H-{n}") for n in range(3)]
    grant(clock, people[0], "PO-01", "2026-11-05T10:00:00+08:00")
    grant(clock, people[1], "SC-07", "2026-11-06T10:00:00+08:00")
    admin = staff.headers("admin")
    published = client.post(f"{ADMIN_MONTHLY}/2026-11/publish", headers=admin)
    assert published.status_code == 201, published.get_json()
    before = client.get(f"{PUBLIC_MONTHLY}/2026-11").get_json()
    assert before["published"] is True and before["city"]["events"] == {"bonus": 1, "penalty": 1}

    # Later: events dated in November imported, a decision, a registry change and new star thresholds.
    rows = [Row(2 + n, {"id_number": people[n].plain["id_number"], "rubric_code": "LV-03",
                        "occurred_at": "2026-11-20T10:00:00+08:00", "source": "market-regulation",
                        "source_ref": f"late-{n}", "note": ""}) for n in range(3)]
    assert not import_events(None, rows).errors
    first = db.session.query(CreditEvent).filter(CreditEvent.resident_id == people[0].id).first()
    credit.dispute(first.id, SYSTEM, "objection")
    credit.uphold_objection(first.id, SYSTEM, "upheld")
    db.session.commit()
    residents.create(id_number=people[2].plain["id_number"], name=people[2].plain["name"], phone=None,
                     household_no="H-2", status="moved")
    from backend.credit import levels

    levels.set_levels(SYSTEM, [{"stars": 5, "name": "诚信模范", "min_points": 1100},
                               {"stars": 4, "name": "诚信优秀", "min_points": 1080},
                               {"stars": 3, "name": "诚信良好", "min_points": 990},
                               {"stars": 2, "name": "诚信警示", "min_points": 850},
                               {"stars": 1, "name": "失信"}])

    after = client.get(f"{PUBLIC_MONTHLY}/2026-11").get_json()
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert client.get(ADMIN_MONTHLY, query_string={"month": "2026-11"}, headers=admin).get_json() == before
    # The same month computed afresh has moved: the freeze is what kept it.
    assert monitoring.compute("2026-11")["city"]["stars"] != before["city"]["stars"]

    again = client.post(f"{ADMIN_MONTHLY}/2026-11/publish", headers=admin)
    assert again.status_code == 409 and again.get_json()["reason"] == "already_published"


def test_only_ended_months_are_published(client, staff, runner):
    admin = staff.headers("admin")
    response = client.post(f"{ADMIN_MONTHLY}/{_running_month()}/publish", headers=admin)
    assert response.status_code == 409 and response.get_json()["reason"] == "month_not_ended"
    response = client.post(f"{ADMIN_MONTHLY}/2999-01/publish", headers=admin)
    assert response.status_code == 422 and response.get_json()["reason"] == "month_in_future"
    response = client.post(f"{ADMIN_MONTHLY}/2026-13/publish", headers=admin)
    assert response.status_code == 422
    assert monitoring.published(_running_month()) is None and monitoring.published("2999-01") is None

    result = runner.invoke(args=["stats", "publish", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "2026-10 published" in result.output
    result = runner.invoke(args=["stats", "publish", "--month", "2026-10"])
    assert result.exit_code != 0 and "already_published" in result.output
    assert monitoring.published("2026-10").published_by is None


def _running_month() -> str:
    from backend.dates.timeutil import local_today

    today = local_today()
    return f"{today.year}-{today.month:02d}"


def test_public_months_list_and_town_filter(clock, residents, client, staff):
    register(residents)
    register(residents, town="澄江街道", village="城中社区")
    admin = staff.headers("admin")
    for month in ("2026-10", "2026-11"):
        assert client.post(f"{ADMIN_MONTHLY}/{month}/publish", headers=admin).status_code == 201

    listed = client.get(PUBLIC_MONTHLY)
    assert listed.status_code == 200
    assert [item["month"] for item in listed.get_json()] == ["2026-11", "2026-10"]
    assert listed.get_json()[0]["town"] is None and listed.get_json()[0]["figures"]["residents"] == 2
    one_town = client.get(PUBLIC_MONTHLY, query_string={"town": "澄江街道"}).get_json()
    assert one_town[0]["town"] == "澄江街道" and one_town[0]["figures"]["residents"] == 1

    month = client.get(f"{PUBLIC_MONTHLY}/2026-11", query_string={"town": "澄江街道"}).get_json()
    assert [row["town"] for row in month["towns"]] == ["澄江街道"]
    assert month["city"]["residents"] == 2

    for path, query, reason in ((f"{PUBLIC_MONTHLY}/2026-09", {}, "month_not_published"),
                                (PUBLIC_MONTHLY, {"town": "无此镇"}, "town_not_found")):
        response = client.get(path, query_string=query)
        assert response.status_code == 404 and response.get_json()["reason"] == reason


def test_admins_export_csv_and_only_admins_read(clock, residents, client, staff):
    resident = register(residents)
    grant(clock, resident, "EN-01", "2026-11-05T10:00:00+08:00")
    response = client.get(ADMIN_MONTHLY, query_string={"month": "2026-11", "format": "csv"},
                          headers=staff.headers("admin"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["town"] for row in rows] == ["长泾镇", ""]
    assert rows[0]["penalty_events"] == "1" and rows[1]["residents"] == "1" and rows[0]["stars_3"] == "1"
    assert "reports_overdue" in rows[0]
    for role in ("reviewer", "department"):
        denied = client.get(ADMIN_MONTHLY, query_string={"month": "2026-11"}, headers=staff.headers(role))
        assert denied.status_code == 403
    assert client.get(ADMIN_MONTHLY, query_string={"month": "2026-11"}).status_code == 401


def test_verifications_count_by_the_verifiers_town_and_purpose(residents, verifiers, client):
    resident = residents.create()
    headers = residents.bound_headers(resident)
    shop = verifiers.create("merchant", town="澄江街道")
    operator = verifiers.operator_headers(shop)
    for purpose in ("discount", "admission", "discount"):
        token = client.post("/api/v1/me/credit-code", json={"scope": "basic"}, headers=headers).get_json()["token"]
        body = {"token": token, "purpose": purpose} | ({"min_stars": 3} if purpose == "admission" else {})
        assert client.post("/api/v1/verifications", json=body, headers=operator).status_code == 200
    document = monitoring.compute(_running_month())
    figures = town_of(document, "澄江街道")["verifications"]
    assert figures["total"] == 3 and figures["by_purpose"]["discount"] == 2 and figures["by_purpose"]["admission"] == 1
    assert town_of(document, "长泾镇")["verifications"]["total"] == 0
    assert document["city"]["verifications"]["total"] == 3


def test_the_previous_month_counts_only_who_was_registered_then(clock, residents):
    resident = register(residents)
    grant(clock, resident, "SC-07", "2026-10-10T10:00:00+08:00")  # a credit village in October
    register(residents, village="河塘村", since="2026-11-15T10:00:00+08:00")  # a second village from November
    november = monitoring.compute("2026-11")
    assert town_of(november, "长泾镇")["ratings"]["villages"] == 2
    fell = next(w for w in november["warnings"] if w["kind"] == "credit_village_share_fell")
    assert (fell["previous_share"], fell["share"]) == (1.0, 0.5)
    assert monitoring.compute("2026-10")["city"]["residents"] == 1


def test_the_demo_leaves_published_months_to_chart(runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    months = client.get(PUBLIC_MONTHLY).get_json()
    assert len(months) == 3
    assert all(month["figures"]["residents"] > 0 for month in months)
    latest = client.get(f"{PUBLIC_MONTHLY}/{months[0]['month']}").get_json()
    assert len(latest["towns"]) >= 2 and sum(latest["city"]["stars"].values()) == latest["city"]["residents"]
