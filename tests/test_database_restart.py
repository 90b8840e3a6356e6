"""The database restarted mid-run (SPEC §12 faults): requests in flight fail with a clean 503
``database_unavailable``, the next ones succeed (the pool's pre-ping replaces dead connections), and
nothing half-written remains: every account still equals its base plus its ledger.

The PostgreSQL here is a cluster of the test's own (initdb on a free port, stopped the fast way, which
cuts off every session, and started again); the shared one is never touched."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from backend import create_app
from backend.credit import rubric
from backend.credit import service as credit
from backend.credit.models import CreditAccount, CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from tests.conftest import Residents, Staff, base_config
from tests.services import PrivatePostgres, postgres_binaries

EVENTS = "/api/v1/admin/credit-events"


@pytest.fixture
def private_postgres():
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql")
    server = PrivatePostgres()
    server.init()
    yield server
    server.stop()
    server.remove()


@pytest.fixture
def restart_app(private_postgres, tmp_path):
    url = private_postgres.create_database("chengxin")
    config = base_config(url, f"chengxin-restart-{uuid.uuid4().hex[:8]}:", tmp_path / "instance")
    application = create_app({**config, "REDIS_URL": None})
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def test_a_database_restart_fails_requests_in_flight_cleanly_and_leaves_nothing_half_written(
        restart_app, private_postgres):
    people = Residents(restart_app)
    created = [people.create(name=f"居民{n}") for n in range(3)]
    residents = [(r.id, r.plain["id_number"]) for r in created]
    rubric.create_item(None, code="volunteer", category="social_contribution", title="志愿服务", points=2,
                       kind="bonus")
    base = {resident_id: credit.get_account(resident_id).points for resident_id, _ in residents}
    admin = Staff(restart_app).headers("admin")
    db.session.commit()

    occurred_at = (utcnow() - timedelta(hours=1)).isoformat()
    answers: list[tuple[str, int, str | None]] = []
    stop = threading.Event()

    def post(client, resident, ref):
        response = client.post(EVENTS, headers=admin, json={
            "id_number": resident[1], "rubric_code": "volunteer", "source": "office",
            "source_ref": ref, "occurred_at": occurred_at})
        return response.status_code, (response.get_json() or {}).get("reason")

    def worker(number):
        client = restart_app.test_client()
        serial = 0
        while not stop.is_set():
            serial += 1
            ref = f"w{number}-{serial}"
            try:
                status, reason = post(client, residents[serial % len(residents)], ref)
            except Exception as exc:  # noqa: BLE001 - an exception that escaped the app instead of an answer
                status, reason = 0, repr(exc)
            answers.append((ref, status, reason))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    private_postgres.restart()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = {status for _ref, status, _reason in answers}
    assert statuses <= {201, 503}, [answer for answer in answers if answer[1] not in (201, 503)][:3]
    failed = [(ref, reason) for ref, status, reason in answers if status == 503]
    assert failed, "no request was in flight while the database restarted"
    assert {reason for _ref, reason in failed} == {"database_unavailable"}
    # The next requests succeed: the last of every worker's did, and a new one does.
    client = restart_app.test_client()
    assert post(client, residents[0], "after-restart")[0] == 201

    # The refused ones are safe to send again: each lands once (201), or is found already recorded (200).
    for ref, _reason in failed:
        assert post(client, residents[int(ref.split("-")[1]) % len(residents)], ref)[0] in (200, 201)

    db.session.remove()
    recorded = set(db.session.scalars(select(CreditEvent.source_ref)))
    assert {ref for ref, status, _reason in answers if status == 201} <= recorded
    for resident_id, _id_number in residents:
        account = db.session.get(CreditAccount, resident_id)
        ledger = db.session.scalar(select(func.coalesce(func.sum(CreditEvent.points), 0))
                                   .where(CreditEvent.resident_id == resident_id))
        assert account.points == base[resident_id] + ledger
    assert len(recorded) == len({ref for ref, _s, _r in answers}) + 1
