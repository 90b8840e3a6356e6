"""The command line, the health check, and the docs page that works offline."""

import re

from sqlalchemy import select

from backend.data.extensions import db
from backend.staff.models import StaffMember


def test_create_admin_with_password_option(runner, client):
    result = runner.invoke(args=["users", "create-admin", "chief", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "admin chief created" in result.output
    login = client.post("/api/v1/auth/staff-login", json={"username": "chief", "password": "a long enough password"})
    assert login.get_json()["roles"] == ["admin"]


def test_create_admin_prompts_for_the_password(runner):
    result = runner.invoke(args=["users", "create-admin", "chief"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output


def test_create_admin_refuses_a_weak_password(runner):
    from backend.data.extensions import db

    result = runner.invoke(args=["users", "create-admin", "chief", "--password", "short"])
    assert result.exit_code != 0
    assert db.session.scalar(select(StaffMember)) is None


def test_demo_load_fills_an_empty_database_once_and_prints_sign_in(runner, client, app):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output
    password = re.search(r"username=admin\s+password=(\S+)", first.output).group(1)
    login = client.post("/api/v1/auth/staff-login", json={"username": "admin", "password": password})
    assert login.status_code == 200
    second = runner.invoke(args=["demo", "load"])
    assert "demo data loaded" not in second.output
    assert "still work" in second.output
    assert password in second.output


def test_a_later_demo_load_shows_only_the_sign_ins_that_still_work(runner, app):
    from backend.staff import service as staff_service
    from backend.verifiers import service as verifiers

    first = runner.invoke(args=["demo", "load"])
    admin_password = re.search(r"username=admin\s+password=(\S+)", first.output).group(1)
    reviewer_password = re.search(r"username=reviewer\s+password=(\S+)", first.output).group(1)
    admin = db.session.scalar(select(StaffMember).where(StaffMember.username == "admin"))
    staff_service.update_staff(None, admin.id, password="a brand new password")
    key = verifiers.principal_from_api_key(re.search(r"X-API-Key: (\S+)", first.output).group(1), "127.0.0.1")
    verifiers.revoke_api_key(None, key.extra["verifier_id"], key.id)

    later = runner.invoke(args=["demo", "load"]).output
    assert admin_password not in later and "username=admin " not in later
    assert reviewer_password in later
    assert "X-API-Key" not in later
    assert "staff admin" in later and "API key" in later


def test_health_reports_database_and_redis(app, client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["redis"] == ("embedded" if app.extensions["chengxin.store"].embedded else "ok")


def test_health_is_503_when_redis_is_down(app, client, monkeypatch):
    store = app.extensions["chengxin.store"]
    monkeypatch.setattr(store, "embedded", False)
    monkeypatch.setattr(store, "ping", lambda: False)
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_docs_page_uses_only_assets_the_app_serves(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, "the docs page loads its scripts and styles"
    for source in sources:
        assert source.startswith("/api/v1/"), f"external asset {source}"
        assert client.get(source).status_code == 200, source
    assert "https://" not in page and "http://" not in page


def test_openapi_documents_the_error_body_and_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert {"code", "status", "reason"} <= set(error["required"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    staff_list = spec["paths"]["/api/v1/admin/staff"]["get"]
    assert staff_list["security"] == [{"bearer": []}]
    assert {"401", "403"} <= set(staff_list["responses"])
