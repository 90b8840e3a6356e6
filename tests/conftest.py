"""Fixtures. The suite runs on SQLite with in-process stand-ins by default, and on PostgreSQL + Redis
when TEST_DATABASE_URL / TEST_REDIS_URL are set: each run creates its own database (and Redis key
prefix) and removes it at the end.
"""

import base64
import os
import secrets
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from backend import create_app
from backend.data.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def create_postgres_database(base_url: str) -> tuple[str, callable]:
    """Create a fresh database beside the one TEST_DATABASE_URL names; return its URL and a dropper."""
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if base_url.startswith("postgresql://") else base_url)
    name = f"chengxin_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        url, drop = create_postgres_database(TEST_DATABASE_URL)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def redis_prefix():
    prefix = f"chengxin-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    if TEST_REDIS_URL:
        client = redis.Redis.from_url(TEST_REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)


def base_config(database_url: str, redis_prefix: str, instance_path: Path) -> dict:
    return {
        "CHENGXIN_ENV": "testing",
        "DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": new_key(),
        "LOOKUP_HASH_KEY": new_key(),
        "INSTANCE_PATH": str(instance_path),
        "WECHAT_APPID": None,
        "WECHAT_SECRET": None,
    }


@pytest.fixture(scope="session")
def app(database_url, redis_prefix, tmp_path_factory):
    from flask_migrate import upgrade

    application = create_app(base_config(database_url, redis_prefix, tmp_path_factory.mktemp("instance")))
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


WINDOW_ALIGNMENT = 15 * 60


@pytest.fixture(autouse=True)
def _rate_limit_windows_begin_with_the_test(monkeypatch):
    """Rate limits count in fixed windows (a minute, 15 minutes, an hour, a day from midnight in China),
    each beginning on a quarter hour. The limits' clock runs as if each test began just after a quarter
    hour, so a test that spends a limit never straddles two windows and sees its count split; a test about
    windows sets the clock itself."""
    from types import SimpleNamespace

    from backend.web import ratelimits

    shift = time.time() % WINDOW_ALIGNMENT - 0.5
    monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: time.time() - shift))


@pytest.fixture(autouse=True)
def _clean_state(app):
    """Every test starts from empty tables, an empty shared store and fresh rate-limit counters."""
    with app.app_context():
        yield
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
        store = app.extensions["chengxin.store"]
        if store.embedded:
            store.client.flushdb()
        else:
            for key in store.client.scan_iter(match=f"{app.config['REDIS_PREFIX']}*", count=1000):
                store.client.delete(key)
        app.extensions["chengxin.limiter"].reset()
        from backend.codes import keys

        keys.reset_caches()  # the keys it cached were in the tables just emptied


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Staff:
    """Builds staff accounts through the service and signs them in."""

    PASSWORD = "correct horse battery"

    def __init__(self, app):
        self.app = app
        self.count = 0

    def create(self, role="admin", *, username=None, source=None, permissions=()):
        from backend.staff import service

        self.count += 1
        username = username or f"{role}{self.count}"
        if role == "department" and source is None:
            source = "market-regulation"
        return service.create_staff(None, username=username, display_name=username, password=self.PASSWORD,
                                    role=role, source=source, permissions=list(permissions))

    def token(self, staff) -> str:
        from backend.auth import service

        return service.sign_in("staff", staff.id).access_token

    def headers(self, role="admin", **kwargs) -> dict:
        return bearer(self.token(self.create(role, **kwargs)))


@pytest.fixture
def staff(app):
    return Staff(app)


def change_settings(values: dict) -> None:
    """Change settings through the settings service, as the system (no admin account needed)."""
    from backend.settings import service
    from backend.web.access import ADMIN, Principal

    service.update(Principal(kind="system", id=0, roles=frozenset({ADMIN}), name="tests"), values)


class Verifiers:
    """Builds verifiers, their operators and bank API keys through the services."""

    def __init__(self, app, residents):
        self.app = app
        self.residents = residents
        self.serial = 0

    def uscc(self) -> str:
        from stdnum.cn import uscc

        self.serial += 1
        body = f"91320281MA{self.serial:07d}"
        return body + uscc.calc_check_digit(body)

    def create(self, kind="merchant", *, name=None, town="长泾镇", address="长泾镇河塘路 1 号"):
        from backend.residents.models import Town
        from backend.verifiers import service

        if db.session.scalar(sa.select(Town.id).where(Town.name == town)) is None:
            db.session.add(Town(name=town))
            db.session.commit()
        return service.create_verifier(None, name=name or f"{kind} {self.serial + 1}", kind=kind,
                                       uscc=self.uscc(), town=town, address=address)

    def operator_headers(self, verifier, account_name=None) -> dict:
        """A WeChat account that redeemed an invite of ``verifier``."""
        from backend.verifiers import service
        from backend.web.access import authenticate

        headers = self.residents.headers(account_name or f"operator{verifier.id}")
        with self.app.test_request_context(headers=headers):
            account_id = authenticate().id
        code, _invite = service.create_invite(None, verifier.id)
        service.redeem_invite(account_id, code)
        return headers

    def api_key_headers(self, verifier) -> dict:
        from backend.verifiers import service

        key, _row = service.create_api_key(None, verifier.id, "tests")
        return {"X-API-Key": key}


@pytest.fixture
def verifiers(app, residents):
    return Verifiers(app, residents)


@pytest.fixture
def role_headers(staff, residents, verifiers):
    """Authorization headers for one caller of every role."""
    headers = {role: staff.headers(role) for role in ("admin", "reviewer", "department")}
    headers["resident"] = residents.bound_headers(residents.create())
    headers["operator"] = verifiers.operator_headers(verifiers.create("merchant"))
    headers["verifier_system"] = verifiers.api_key_headers(verifiers.create("bank"))
    return headers


class Residents:
    """Builds registry residents through the import service and WeChat accounts through sign-in."""

    def __init__(self, app):
        self.app = app
        self.serial = 0

    def id_number(self, born: str = "19800101", region: str = "320281") -> str:
        from backend.privacy.id_numbers import with_check_digit

        self.serial += 1
        return with_check_digit(f"{region}{born}{self.serial % 1000:03d}")

    def create(self, *, name="张伟", id_number=None, phone="13800138000", town="长泾镇", village="蒋家村",
               household_no=None, status="active"):
        from backend.data.import_files import Row
        from backend.residents import service

        id_number = id_number or self.id_number()
        row = {"name": name, "id_number": id_number, "phone": phone or "", "town": town, "village": village,
               "household_no": household_no or f"H-{self.serial:04d}", "status": status}
        result = service.import_residents(None, [Row(2, row)])
        assert not result.errors, result.errors
        resident = service.find_by_id_number(id_number)
        resident.plain = row  # what the test knows in clear
        return resident

    def sign_in(self, name: str):
        """Sign in a WeChat user through the development exchanger; returns the token pair."""
        from backend.accounts import service
        from backend.wechat import get_client

        return service.wechat_sign_in(get_client(), f"dev-{name}")

    def headers(self, name: str) -> dict:
        return bearer(self.sign_in(name).access_token)

    def bound_headers(self, resident, account_name: str | None = None) -> dict:
        """A WeChat account bound to ``resident`` through the binding service."""
        from backend.accounts import service
        from backend.web.access import authenticate
        from backend.wechat import get_client

        headers = self.headers(account_name or f"user{resident.id}")
        with self.app.test_request_context(headers=headers):
            account_id = authenticate().id
        phone = resident.plain["phone"]
        service.bind_identity(get_client(), account_id, name=resident.plain["name"],
                              id_number=resident.plain["id_number"],
                              phone_code=f"dev-phone-{phone}" if phone else None)
        return headers


@pytest.fixture
def residents(app):
    return Residents(app)


def send_at_once(app, requests: list[tuple[str, str, dict]]) -> list[tuple[int, dict, dict]]:
    """Send each (method, path, keyword arguments of the test client) from its own thread, app context and
    database session, all released by one barrier; return (status, body, headers) in order."""
    db.session.commit()  # nothing of the test's own session may hold a lock the threads wait for
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)
    errors = []

    def send(i):
        method, path, kwargs = requests[i]
        with app.app_context():
            try:
                client = app.test_client()
                barrier.wait(timeout=10)
                response = client.open(path, method=method, **kwargs)
                answers[i] = (response.status_code, response.get_json(silent=True), dict(response.headers))
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return answers


class Counter:
    """Counts calls of a function, from any thread: how many attempts a limit let through to be checked."""

    def __init__(self, function):
        self.function = function
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.calls += 1
        return self.function(*args, **kwargs)
