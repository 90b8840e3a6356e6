"""Public read-only endpoints read from a replica (``DATABASE_READ_URL``), falling back to the primary;
what must be current (report checks, receipts, revocations, anything that writes) stays on the primary
(SPEC §12). A second database stands in for the replica: it holds other rows than the primary, so each
answer shows where it was read."""

import uuid

import pytest
from flask_migrate import upgrade

from backend import create_app
from backend.credit import rubric
from backend.data.extensions import db
from backend.web.access import routes, rule_of
from tests.conftest import TEST_DATABASE_URL, base_config, create_postgres_database
from tests.reporting import load_rubric_and_categories


@pytest.fixture
def replica_url(tmp_path):
    if TEST_DATABASE_URL:
        url, drop = create_postgres_database(TEST_DATABASE_URL)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'replica.db'}"


def keys_of(app) -> dict:
    return {name: app.config[name] for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY")}


@pytest.fixture
def stand_in(app, replica_url, tmp_path):
    """The replica's database, migrated, with one rubric item the primary does not have."""
    replica = create_app({**base_config(replica_url, "chengxin-replica:", tmp_path / "replica"), **keys_of(app)})
    with replica.app_context():
        upgrade()
        rubric.create_item(None, code="replica-only", category="social_contribution", title="只在副本",
                           points=3, kind="bonus")
        db.session.remove()
        db.engine.dispose()
    return replica_url


def host(app, database_url, tmp_path, read_url=None):
    config = base_config(database_url, f"chengxin-host-{uuid.uuid4().hex[:8]}:", tmp_path / "host")
    return create_app({**config, **keys_of(app), "DATABASE_READ_URL": read_url})


def codes(answer) -> set[str]:
    return {item["code"] for group in answer.get_json() for item in group["items"]}


def test_public_reads_come_from_the_replica_and_current_checks_from_the_primary(app, database_url, stand_in,
                                                                               tmp_path, residents):
    load_rubric_and_categories()  # on the primary only
    with_replica = host(app, database_url, tmp_path, stand_in)
    client = with_replica.test_client()
    with with_replica.app_context():
        assert codes(client.get("/api/v1/public/rubric")) == {"replica-only"}
        assert client.get("/api/v1/public/towns").status_code == 200
        # Not marked for the replica: the report categories, and what a signed-in resident reads.
        assert client.get("/api/v1/public/report-categories").get_json()
        me = residents.bound_headers(residents.create())
        assert client.get("/api/v1/me/credit", headers=me).status_code == 200
        # A receipt check must be current: on the primary (the replica has no such table rows either way).
        assert client.post("/api/v1/public/reports/status", json={"receipt": "0000-0000-0000-0000-0000"}
                           ).status_code == 404
        # After a replica read, the same app context reads the primary again.
        assert db.session.scalar(db.select(db.func.count()).select_from(rubric.RubricItem)) > 1
        db.session.remove()
        db.engine.dispose()
        db.engines["replica"].dispose()

    without = host(app, database_url, tmp_path)
    with without.app_context():
        primary_codes = codes(without.test_client().get("/api/v1/public/rubric"))
        assert "replica-only" not in primary_codes and len(primary_codes) > 1
        db.session.remove()
        db.engine.dispose()


def test_only_public_reads_may_use_the_replica(app):
    marked = [(method, rule.rule) for method, rule, view in routes(app) if rule_of(view) and rule_of(view).replica]
    assert marked, "no endpoint reads from the replica"
    for method, path in marked:
        assert method == "GET" and path.startswith("/api/v1/public/"), (method, path)
        assert not any(word in path for word in ("report", "check", "jwks", "credit-code")), path
