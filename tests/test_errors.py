"""The error body of SPEC §10: {code, status, message, reason, errors?}; no 500 for bad input."""

import pytest

from backend.web.errors import Conflict, DomainError, InvalidInput, RateLimited


def test_unknown_route_is_a_json_404_with_a_reason(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["reason"] == "not_found" and body["code"] == 404 and body["message"]


def test_wrong_method_is_405_with_a_reason(client):
    response = client.delete("/api/v1/health")
    assert response.status_code == 405
    assert response.get_json()["reason"] == "method_not_allowed"


def test_validation_errors_are_422_with_field_messages_and_write_nothing(client, staff):
    headers = staff.headers("admin")
    response = client.post("/api/v1/admin/staff", json={"username": "x"}, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "invalid_input"
    assert set(body["errors"]["json"]) >= {"display_name", "password", "role"}
    assert "display_name" in body["message"]
    assert client.get("/api/v1/admin/staff", headers=headers).get_json()[-1]["username"] != "x"


@pytest.mark.parametrize("payload", ["not json", "[1, 2", "null", "[]", "12"])
def test_malformed_bodies_are_client_errors_not_500(client, payload):
    response = client.post("/api/v1/auth/staff-login", data=payload, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.get_json()["reason"]


def test_unknown_fields_are_refused(client):
    response = client.post("/api/v1/auth/staff-login", json={"username": "a", "password": "b", "role": "admin"})
    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["json"]


def test_domain_errors_carry_status_reason_and_details():
    error = Conflict("Already there.", reason="already_bound", existing_id=7)
    assert error.body() == {"code": 409, "status": "Conflict", "message": "Already there.",
                            "reason": "already_bound", "existing_id": 7}
    assert InvalidInput("must be positive", field="amount").body()["errors"] == {
        "json": {"amount": ["must be positive"]}}
    assert RateLimited(retry_after=42).headers == {"Retry-After": "42"}
    assert issubclass(Conflict, DomainError)


def test_uncaught_errors_are_500_without_a_stack_trace(app):
    from flask import Flask

    from backend.web.api import Api

    other = Flask("boom")
    other.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    Api(other)

    @other.route("/boom")
    def boom():
        raise RuntimeError("secret internals 3202811990")

    response = other.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["reason"] == "internal_error"
    assert "3202811990" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
