"""Redis stopped mid-run (SPEC §10 "the database is the record", §12 faults): the API keeps serving;
single-use codes, revocations and decisions hold; the limits that guard count in the database; read
limits fail open; when Redis returns, counting and caches go back to it without a restart.

The Redis here is a private redis-server the test starts on a free port, stops and starts again (with
its data, as a restarted Redis has); the shared one is never touched."""

import shutil
import uuid

import pytest
from sqlalchemy import func, select

from backend import create_app
from backend.data import cache, counters
from backend.data.extensions import db
from backend.web import ratelimits
from tests.conftest import Staff, base_config, change_settings
from tests.reporting import REPORTS, load_rubric_and_categories, report_body
from tests.services import PrivateRedis

CODE = "/api/v1/me/credit-code"
VERIFY = "/api/v1/verifications"


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_app(app, database_url, tmp_path, private_redis, monkeypatch):
    """Another host of the suite's app (its database and keys) on the private Redis; it rests from Redis
    only briefly after a failure."""
    monkeypatch.setattr(cache, "REST_SECONDS", 0.2)
    monkeypatch.setattr(ratelimits, "REDIS_REST_SECONDS", 0.2)
    config = base_config(database_url, f"chengxin-fault-{uuid.uuid4().hex[:8]}:", tmp_path / "instance")
    keys = {name: app.config[name] for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY")}
    application = create_app({**config, **keys, "REDIS_URL": private_redis.url})
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def counted_in_database() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(counters.Counter))


def test_redis_stopped_mid_run_and_back(fault_app, private_redis, residents, verifiers, staff):
    import time

    client = fault_app.test_client()
    load_rubric_and_categories()
    change_settings({"limits.public_per_minute": 3, "limits.binding_per_day": 2, "limits.reports_per_day": 2,
                     "limits.staff_login_failures_per_15_minutes": 2})
    me = residents.bound_headers(residents.create(name="赵六"))
    stranger = residents.headers("stranger")
    cashier = verifiers.operator_headers(verifiers.create("merchant"), "cashier")
    staff.create("reviewer", username="wang")
    signed_in = client.post("/api/v1/auth/staff-login", json={"username": "wang", "password": Staff.PASSWORD})
    reviewer = {"Authorization": f"Bearer {signed_in.get_json()['access_token']}"}
    # The reviewer's sign-in is now cached as alive in Redis, which keeps it over the restart.
    assert client.get("/api/v1/staff/me", headers=reviewer).status_code == 200
    code_before = client.post(CODE, json={"scope": "basic"}, headers=me).get_json()["token"]
    assert client.get("/api/v1/health").get_json()["redis"] == "ok"

    private_redis.stop()

    health = client.get("/api/v1/health")
    assert (health.status_code, health.get_json()["redis"]) == (503, "unavailable")
    # Read limits fail open: more public reads than the limit allows, all answered.
    assert [client.get("/api/v1/public/rubric").status_code for _ in range(5)] == [200] * 5
    # Single use holds: the code issued before the outage verifies once, then code_used.
    assert client.post(VERIFY, json={"token": code_before, "purpose": "discount"}, headers=cashier).status_code == 200
    again = client.post(VERIFY, json={"token": code_before, "purpose": "discount"}, headers=cashier)
    assert (again.status_code, again.get_json()["reason"]) == (409, "code_used")
    # The guarding limits count in the database: binding, reports, failed staff sign-ins.
    wrong = {"name": "不存在", "id_number": residents.id_number()}
    bindings = [client.post("/api/v1/me/identity", json=wrong, headers=stranger).status_code for _ in range(3)]
    assert bindings == [404, 404, 429]
    filings = [client.post(REPORTS, json=report_body(), headers=me).status_code for _ in range(3)]
    assert filings == [201, 201, 429]
    failures = [client.post("/api/v1/auth/staff-login", json={"username": "wang", "password": "wrong"}).status_code
                for _ in range(3)]
    assert failures == [401, 401, 429]
    assert counted_in_database() == 3
    # Revocation holds: logged out while Redis is away, the reviewer's token is refused at once.
    assert client.post("/api/v1/auth/logout", headers=reviewer).status_code == 204
    refused = client.get("/api/v1/staff/me", headers=reviewer)
    assert (refused.status_code, refused.get_json()["reason"]) == (401, "token_revoked")

    private_redis.start()
    time.sleep(0.3)  # past the rest after the last failure

    # Redis came back with the "alive" it cached before the outage; the revocation kept in the process
    # was written before anything was read, so the token stays refused.
    refused = client.get("/api/v1/staff/me", headers=reviewer)
    assert (refused.status_code, refused.get_json()["reason"]) == (401, "token_revoked")
    assert client.get("/api/v1/health").get_json()["redis"] == "ok"
    # Counting is back in Redis (the public limit counts and refuses again), and caches fill again.
    store = fault_app.extensions["chengxin.store"]
    # The staff sign-in before the outage counted one public request in Redis, which kept it; the ones
    # during the outage went uncounted.
    answers = [client.get("/api/v1/public/towns").status_code for _ in range(4)]
    assert answers == [200, 200, 429, 429]
    assert list(store.client.scan_iter(match=f"{fault_app.config['REDIS_PREFIX']}ratings*"))
    assert list(store.client.scan_iter(match=f"{fault_app.config['REDIS_PREFIX']}rl*"))
    assert counted_in_database() == 3


def test_database_counters_add_up_atomically_under_parallel_requests(app):
    """Each of many parallel additions sees a count of its own: none reads what another read."""
    from concurrent.futures import ThreadPoolExecutor

    def add(_):
        with app.app_context():
            try:
                return counters.increment("test:parallel:1", 60)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(add, range(40)))
    assert sorted(seen) == list(range(1, 41))
    assert counters.increment("test:parallel:1", 60, -1) == 39
