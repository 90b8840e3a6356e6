"""Staff sign-in, refresh rotation, family revocation, the grace window and logout (SPEC §10)."""

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from backend.auth import service as tokens
from backend.auth.models import RefreshToken, TokenFamily
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.settings import service as settings
from tests.conftest import Staff, bearer


def login(client, username, password=Staff.PASSWORD):
    return client.post("/api/v1/auth/staff-login", json={"username": username, "password": password})


def test_staff_login_returns_token_pair_listing_the_role(client, staff):
    staff.create("reviewer", username="wang")
    response = login(client, "wang")
    assert response.status_code == 200
    body = response.get_json()
    assert body["roles"] == ["reviewer"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 7200
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["reviewer"]
    assert claims["exp"] - claims["iat"] == 7200


def test_staff_refresh_token_lives_twelve_hours(client, staff):
    staff.create("admin", username="lili")
    login(client, "lili")
    family = db.session.scalar(select(TokenFamily))
    assert family.expires_at - family.created_at == timedelta(hours=12)


def test_wrong_password_and_unknown_user_get_the_same_refusal(client, staff):
    staff.create("admin", username="lili")
    wrong = login(client, "lili", "not the password")
    unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["reason"] == unknown.get_json()["reason"] == "invalid_credentials"
    assert db.session.scalar(select(TokenFamily)) is None


def test_disabled_staff_cannot_sign_in(client, staff):
    admin = staff.create("admin", username="boss")
    other = staff.create("reviewer", username="zhao")
    from backend.staff import service

    service.set_active(service.principal_from_claims({"uid": admin.id, "fam": None}), other.id, False)
    assert login(client, "zhao").status_code == 401


def test_failed_logins_are_rate_limited_per_account(app, client, staff):
    staff.create("admin", username="lili")
    limit = settings.get("limits.staff_login_failures_per_15_minutes")
    for _ in range(limit):
        assert login(client, "lili", "wrong password").status_code == 401
    blocked = login(client, "lili")  # even the right password waits now
    assert blocked.status_code == 429
    assert blocked.get_json()["reason"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0


def test_successful_logins_do_not_count_as_failures(app, client, staff):
    staff.create("admin", username="lili")
    limit = settings.get("limits.staff_login_failures_per_15_minutes")
    for _ in range(limit + 2):
        assert login(client, "lili").status_code == 200


def test_access_token_opens_admin_endpoints(client, staff):
    staff.create("admin", username="lili")
    token = login(client, "lili").get_json()["access_token"]
    assert client.get("/api/v1/admin/staff", headers=bearer(token)).status_code == 200


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_the_pair(client, staff):
    staff.create("admin", username="lili")
    first = login(client, "lili").get_json()
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    body = second.get_json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert client.get("/api/v1/admin/staff", headers=bearer(body["access_token"])).status_code == 200


def test_repeated_refresh_within_grace_window_gets_the_same_new_pair(client, staff):
    staff.create("admin", username="lili")
    first = login(client, "lili").get_json()
    a = refresh(client, first["refresh_token"]).get_json()
    b = refresh(client, first["refresh_token"]).get_json()
    assert a["refresh_token"] == b["refresh_token"]
    assert a["access_token"] == b["access_token"]
    assert refresh(client, a["refresh_token"]).status_code == 200


def test_reuse_after_grace_window_revokes_the_whole_family(client, staff):
    staff.create("admin", username="lili")
    first = login(client, "lili").get_json()
    second = refresh(client, first["refresh_token"]).get_json()
    spent = db.session.scalar(select(RefreshToken).where(RefreshToken.used_at.is_not(None)))
    spent.used_at = utcnow() - timedelta(seconds=31)
    db.session.commit()

    replay = refresh(client, first["refresh_token"])
    assert replay.status_code == 401
    assert replay.get_json()["reason"] == "token_reused"
    # The thief's replay also ends the legitimate holder's sign-in.
    assert refresh(client, second["refresh_token"]).get_json()["reason"] == "token_revoked"
    assert client.get("/api/v1/admin/staff", headers=bearer(second["access_token"])).status_code == 401
    assert db.session.scalar(select(TokenFamily)).revoked_reason == "reuse"


def test_grace_window_follows_the_setting(client, staff):
    from backend.settings import service as settings

    admin = staff.create("admin", username="lili")
    actor = __import__("backend.staff.service", fromlist=["x"]).principal_from_claims({"uid": admin.id, "fam": None})
    settings.update(actor, {"auth.refresh_grace_seconds": 0})
    first = login(client, "lili").get_json()
    refresh(client, first["refresh_token"])
    spent = db.session.scalar(select(RefreshToken).where(RefreshToken.used_at.is_not(None)))
    spent.used_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert refresh(client, first["refresh_token"]).get_json()["reason"] == "token_reused"


def test_unknown_and_expired_refresh_tokens_are_refused(client, staff):
    staff.create("admin", username="lili")
    assert refresh(client, "x" * 43).get_json()["reason"] == "token_invalid"
    first = login(client, "lili").get_json()
    row = db.session.scalar(select(RefreshToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 401
    assert response.get_json()["reason"] == "token_expired"


def test_logout_revokes_access_and_refresh_tokens(client, staff):
    staff.create("admin", username="lili")
    pair = login(client, "lili").get_json()
    assert client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    response = client.get("/api/v1/admin/staff", headers=bearer(pair["access_token"]))
    assert response.status_code == 401
    assert response.get_json()["reason"] == "token_revoked"
    assert refresh(client, pair["refresh_token"]).get_json()["reason"] == "token_revoked"


def test_revocation_is_recorded_in_the_database_not_only_the_cache(app, client, staff):
    staff.create("admin", username="lili")
    pair = login(client, "lili").get_json()
    client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    store = app.extensions["chengxin.store"]
    for key in store.client.scan_iter(match=f"{app.config['REDIS_PREFIX']}*"):
        store.client.delete(key)  # Redis lost everything
    assert client.get("/api/v1/admin/staff", headers=bearer(pair["access_token"])).status_code == 401


def test_other_sign_ins_survive_a_logout(client, staff):
    staff.create("admin", username="lili")
    phone = login(client, "lili").get_json()
    laptop = login(client, "lili").get_json()
    client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"]))
    assert client.get("/api/v1/admin/staff", headers=bearer(laptop["access_token"])).status_code == 200


@pytest.mark.parametrize("mutate", ["tamper", "expired", "alg_none", "wrong_key", "refresh_as_access"])
def test_bad_access_tokens_are_refused(app, client, staff, mutate):
    member = staff.create("admin", username="lili")
    pair = tokens.sign_in("staff", member.id)
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    key = app.config["SECRET_KEY"]
    if mutate == "tamper":
        head, body, sig = pair.access_token.split(".")
        token = f"{head}.{body[:-2]}AA.{sig}"
    elif mutate == "expired":
        claims.update(iat=claims["iat"] - 3 * 3600, exp=claims["exp"] - 3 * 3600)
        token = jwt.encode(claims, key, algorithm="HS256")
    elif mutate == "alg_none":
        token = jwt.encode(claims, None, algorithm="none")
    elif mutate == "wrong_key":
        token = jwt.encode(claims, "another key of the same length as the real one!!", algorithm="HS256")
    else:
        token = pair.refresh_token
    response = client.get("/api/v1/admin/staff", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["reason"] == ("token_expired" if mutate == "expired" else "token_invalid")


def test_malformed_authorization_header_is_401(client):
    response = client.get("/api/v1/admin/staff", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.get_json()["reason"] == "token_invalid"


def test_disabling_staff_ends_their_sessions_at_once(client, staff):
    from backend.staff import service

    admin = staff.create("admin", username="boss")
    staff.create("admin", username="lili")
    pair = login(client, "lili").get_json()
    actor = service.principal_from_claims({"uid": admin.id, "fam": None})
    service.set_active(actor, service.authenticate("lili", Staff.PASSWORD).id, False)
    assert client.get("/api/v1/admin/staff", headers=bearer(pair["access_token"])).status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401
