"""Concurrent writers to one resident on PostgreSQL: the account stays base + the counting events, the
annual cap holds, and one (source, source_ref) lands once (SPEC §3)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.credit import rubric, service
from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="PostgreSQL not configured: set TEST_DATABASE_URL (.ci/run does) for the concurrent-writer tests")

WRITERS = 12


def run_parallel(app, work):
    """Run ``work(i)`` in WRITERS threads, each in its own app context and database session."""
    barrier = threading.Barrier(WRITERS)
    results, errors = [None] * WRITERS, []

    def runner(i):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = work(i)
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_parallel_grants_to_one_resident_all_count(app, residents):
    resident = residents.create()
    for code, points in (("CC-BONUS", 7), ("CC-PENALTY", -3)):
        rubric.create_item(None, code=code, category="social_contribution", title=code, points=points,
                           kind="bonus" if points > 0 else "penalty",
                           severity="minor" if points < 0 else None)
    id_number = resident.plain["id_number"]
    occurred = utcnow() - timedelta(hours=1)

    def grant(i):
        return service.grant_event(None, id_number=id_number, rubric_code="CC-BONUS" if i % 2 else "CC-PENALTY",
                                   occurred_at=occurred, source="concurrency", source_ref=f"w-{i}").event.points

    results, errors = run_parallel(app, grant)
    assert errors == []
    db.session.expire_all()
    account = service.get_account(resident.id)
    assert account.points == 1000 + sum(results) == 1000 + 6 * 7 - 6 * 3
    assert db.session.scalar(select(func.count()).select_from(CreditEvent)) == WRITERS


def test_parallel_grants_respect_the_annual_cap(app, residents):
    resident = residents.create()
    rubric.create_item(None, code="CC-CAPPED", category="social_contribution", title="capped", points=10,
                       kind="bonus", annual_cap=25)
    id_number = resident.plain["id_number"]
    occurred = utcnow() - timedelta(hours=1)

    def grant(i):
        return service.grant_event(None, id_number=id_number, rubric_code="CC-CAPPED", occurred_at=occurred,
                                   source="concurrency", source_ref=f"cap-{i}").event.points

    results, errors = run_parallel(app, grant)
    assert errors == []
    assert sum(results) == 25
    assert sorted(results, reverse=True)[:3] == [10, 10, 5]
    db.session.expire_all()
    assert service.get_account(resident.id).points == 1025


def test_the_same_source_ref_sent_in_parallel_lands_once(app, residents):
    resident = residents.create()
    rubric.create_item(None, code="CC-ONCE", category="social_contribution", title="once", points=5, kind="bonus")
    id_number = resident.plain["id_number"]
    occurred = utcnow() - timedelta(hours=1)

    def grant(_i):
        grant = service.grant_event(None, id_number=id_number, rubric_code="CC-ONCE", occurred_at=occurred,
                                    source="concurrency", source_ref="the-same")
        return grant.event.id, grant.created

    results, errors = run_parallel(app, grant)
    assert errors == []
    assert len({event_id for event_id, _created in results}) == 1
    assert sum(created for _id, created in results) == 1
    db.session.expire_all()
    assert service.get_account(resident.id).points == 1005
