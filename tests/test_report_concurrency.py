"""Simultaneous decisions on PostgreSQL (SPEC §5): the same decision sent ten times at once applies its
events and its reward exactly once; the others answer 200 with the stored decision."""

import threading

import pytest
from sqlalchemy import func, select

from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.reports.models import ReportDecision, ReportReward
from tests.conftest import TEST_DATABASE_URL
from tests.reporting import REVIEW
from tests.test_report_review import World

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="PostgreSQL not configured: set TEST_DATABASE_URL (.ci/run does) for the simultaneous-decision tests")

SENDERS = 10


def send_at_once(app, requests: list[tuple[str, dict, dict]]) -> list[tuple[int, dict]]:
    """POST each (url, body, headers) from its own thread, app context and session, released together."""
    db.session.commit()
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)
    errors = []

    def send(i):
        url, body, headers = requests[i]
        with app.app_context():
            try:
                client = app.test_client()
                barrier.wait(timeout=10)
                response = client.post(url, json=body, headers=headers)
                answers[i] = (response.status_code, response.get_json())
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return answers


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_same_decision_sent_ten_times_at_once_applies_once(app, client, staff, residents):
    world = World(client, staff, residents)
    filed = world.file()
    world.confirm(filed["id"])
    body = {"outcome": "substantiated", "note": "经市场监管局核查属实。", "reward_amount": 300}

    answers = send_at_once(app, [(f"{REVIEW}/{filed['id']}/decision", body, world.reviewer)] * SENDERS)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (SENDERS - 1) + [201], answers
    assert {body["outcome"] for _, body in answers} == {"substantiated"}
    assert count(ReportDecision) == 1
    assert count(ReportReward) == 1
    assert count(CreditEvent, CreditEvent.source == "report") == 1
    assert count(CreditEvent, CreditEvent.source == "report-reward") == 1


def test_different_decisions_at_once_one_wins_the_rest_are_409(app, client, staff, residents):
    world = World(client, staff, residents)
    filed = world.file()
    world.confirm(filed["id"])
    bodies = [{"outcome": "substantiated", "note": f"决定 {i}", "reward_amount": 100 + i} for i in range(SENDERS)]

    answers = send_at_once(app, [(f"{REVIEW}/{filed['id']}/decision", body, world.reviewer) for body in bodies])

    assert sorted(status for status, _ in answers) == [201] + [409] * (SENDERS - 1)
    assert {b["reason"] for status, b in answers if status == 409} == {"already_decided"}
    assert count(ReportReward) == 1 and count(CreditEvent) == 2


def test_the_same_payout_recorded_at_once_is_recorded_once(app, client, staff, residents):
    world = World(client, staff, residents)
    filed = world.file()
    world.confirm(filed["id"])
    assert world.decide(filed["id"]).status_code == 201
    reward_id = db.session.scalar(select(ReportReward.id))
    payer = staff.headers("reviewer", permissions=["rewards:pay"])
    paid = {"paid_at": "2026-12-03T10:00:00+08:00", "method": "cash", "reference": "R-1"}

    answers = send_at_once(app, [(f"/api/v1/review/rewards/{reward_id}/paid", paid, payer)] * SENDERS)

    assert {status for status, _ in answers} == {200}
    db.session.rollback()
    assert db.session.get(ReportReward, reward_id).status == "paid"
