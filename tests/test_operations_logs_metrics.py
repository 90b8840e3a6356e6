"""Logs and metrics (SPEC §12): JSON lines with a request id on every line and nothing personal or secret
in them; Prometheus metrics at /metrics behind the operators' token."""

import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.web.requestlog import JsonFormatter
from tests.reporting import REPORTS, jpeg, load_rubric_and_categories, report_body, upload_id

CODE = "/api/v1/me/credit-code"
VERIFY = "/api/v1/verifications"


@pytest.fixture
def json_lines(monkeypatch):
    """Every record of every logger at DEBUG (SQLAlchemy's statements included), written as the app's
    handler writes them; yields a function returning the lines so far, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    loggers = [root, *(logger for logger in logging.root.manager.loggerDict.values()
                       if isinstance(logger, logging.Logger))]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        monkeypatch.setattr(logger, "disabled", False)
        logger.setLevel(logging.DEBUG)  # through setLevel: it empties the loggers' caches of levels
    root.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines, stream
    root.removeHandler(handler)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_a_whole_request_cycle_logs_json_lines_without_anything_personal_or_secret(
        client, residents, verifiers, json_lines):
    lines, stream = json_lines
    load_rubric_and_categories()
    person = residents.create(name="欧阳明远", phone="13912345678")
    cashier = verifiers.operator_headers(verifiers.create("merchant", name="惠民超市"), "cashier")
    picture = jpeg()  # made here: only the app's own lines are read below
    stream.truncate(0)
    stream.seek(0)

    signed_in = client.post("/api/v1/auth/wechat-login", json={"code": "dev-ouyang-log-check"},
                            headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert signed_in.status_code == 200
    assert signed_in.headers["X-Request-ID"] == "lb-7f3a.2_x"
    tokens = signed_in.get_json()
    me = {"Authorization": f"Bearer {tokens['access_token']}"}
    bound = client.post("/api/v1/me/identity", headers=me, json={
        "name": person.plain["name"], "id_number": person.plain["id_number"],
        "phone_code": f"dev-phone-{person.plain['phone']}"})
    assert bound.status_code == 200, bound.get_json()
    code = client.post(CODE, json={"scope": "basic"}, headers=me).get_json()["token"]
    verified = client.post(VERIFY, json={"token": code, "purpose": "discount"}, headers=cashier)
    assert verified.status_code == 200, verified.get_json()
    again = client.post(VERIFY, json={"token": code, "purpose": "discount"}, headers=cashier)
    assert again.get_json()["reason"] == "code_used"
    photo = upload_id(client, me, picture)
    filed = client.post(REPORTS, headers=me, json=report_body(
        anonymous=True, attachments=[photo], subject={"type": "person", "name": "王五某",
                                                      "id_number": residents.id_number()}))
    assert filed.status_code == 201, filed.get_json()
    receipt = filed.get_json()["receipt_code"]
    status = client.post("/api/v1/public/reports/status", json={"receipt": receipt},
                         headers={"X-Request-ID": "bad id with spaces"})
    assert status.status_code == 200
    assert status.headers["X-Request-ID"] != "bad id with spaces"
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200

    logged = lines()
    assert any(line["logger"].startswith("sqlalchemy.engine") for line in logged), "SQL was not captured"
    assert all(line["request_id"] for line in logged), "a line without a request id"
    requests = [line for line in logged if line["logger"] == "chengxin.requests"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/api/v1/auth/wechat-login", 200),
        ("POST", "/api/v1/me/identity", 200),
        ("POST", "/api/v1/me/credit-code", 201),
        ("POST", "/api/v1/verifications", 200),
        ("POST", "/api/v1/verifications", 409),
        ("POST", "/api/v1/uploads", 201),
        ("POST", "/api/v1/reports", 201),
        ("POST", "/api/v1/public/reports/status", 200),
        ("POST", "/api/v1/auth/refresh", 200),
    ]
    assert [r["principal"] for r in requests] == [
        None, "wechat", "wechat", "wechat", "wechat", "withheld", "withheld", None, None]
    assert all(isinstance(r["duration_ms"], float) for r in requests)
    # Every line of the first request carries the id its caller sent; the unsafe one was replaced.
    assert {line["request_id"] for line in logged[:5]} == {"lb-7f3a.2_x"}
    assert requests[7]["request_id"] == status.headers["X-Request-ID"]
    assert len({r["request_id"] for r in requests}) == len(requests)

    text = stream.getvalue()
    secrets = [person.plain["name"], person.plain["id_number"], person.plain["phone"], "王五某",
               tokens["access_token"], tokens["refresh_token"], refreshed.get_json()["access_token"],
               code, receipt, receipt.replace("-", ""), "dev-ouyang-log-check"]
    for secret in secrets:
        assert secret not in text, f"the logs hold {secret[:6]}…"
    assert json.dumps(person.plain["name"])[1:-1] not in text


def test_an_unhandled_error_logs_its_route_template_and_answers_without_a_trace(app, client, json_lines,
                                                                                monkeypatch):
    lines, _stream = json_lines
    from backend.health import routes

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(routes, "store", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    answer = client.get("/api/v1/health")
    assert answer.status_code == 500
    assert "boom" not in answer.get_data(as_text=True)
    errors = [line for line in lines() if line["level"] == "ERROR"]
    assert errors and "GET /api/v1/health" in errors[0]["message"] and "RuntimeError" in errors[0]["exception"]
    assert errors[0]["request_id"] == answer.headers["X-Request-ID"]


# -- metrics -------------------------------------------------------------------------------------------------


def samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_answer_404_without_the_token_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "CHENGXIN_METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_bearer_token_and_count_requests_verifications_and_imports(
        app, client, staff, residents, verifiers, monkeypatch):
    monkeypatch.setitem(app.config, "CHENGXIN_METRICS_TOKEN", "t0ken-for-prometheus-scrapes-0123456789")
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    scrape = {"Authorization": "Bearer t0ken-for-prometheus-scrapes-0123456789"}
    before = samples(client.get("/metrics", headers=scrape).get_data(as_text=True))

    me = residents.bound_headers(residents.create())
    cashier = verifiers.operator_headers(verifiers.create("merchant"), "cashier")
    code = client.post(CODE, json={"scope": "basic"}, headers=me).get_json()["token"]
    assert client.post(VERIFY, json={"token": code, "purpose": "discount"}, headers=cashier).status_code == 200
    assert client.post(VERIFY, json={"token": code, "purpose": "discount"}, headers=cashier).status_code == 409
    rows = "name,id_number,phone,town,village,household_no,status\n" + "\n".join(
        f"居民{n},{residents.id_number()},,长泾镇,蒋家村,H-{n},active" for n in range(3)) + "\n"
    imported = client.post("/api/v1/admin/residents/import", data=rows.encode(), content_type="text/csv",
                           headers=staff.headers("admin"))
    assert imported.status_code == 200, imported.get_json()
    client.get("/api/v1/public/reports/no-such-thing")

    answer = client.get("/metrics", headers=scrape)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    after = samples(answer.get_data(as_text=True))

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("chengxin_verifications_total", outcome="ok") == 1
    assert grew("chengxin_verifications_total", outcome="code_used") == 1
    assert grew("chengxin_http_requests_total", method="POST", route=VERIFY, status="409") == 1
    assert grew("chengxin_http_request_duration_seconds_count", method="POST", route=VERIFY) == 2
    assert grew("chengxin_imports_total", route="/api/v1/admin/residents/import", status="200") == 1
    assert grew("chengxin_import_rows_total", route="/api/v1/admin/residents/import") == 3
    assert grew("chengxin_http_requests_total", method="GET", route="unmatched", status="404") == 1
    # Labels are templates: no path a caller chose, no code, no id.
    text = answer.get_data(as_text=True)
    assert "no-such-thing" not in text and code not in text
