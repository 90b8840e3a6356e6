"""Admins manage staff: create, rename, reset, disable, grant and revoke permissions (SPEC §1)."""

from sqlalchemy import select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.staff.models import StaffMember
from tests.conftest import Staff

NEW = {"username": "dept.tax", "display_name": "税务局", "password": "a long enough password",
       "role": "department", "source": "tax"}


def test_admin_creates_a_department_account_tied_to_its_source(client, staff):
    response = client.post("/api/v1/admin/staff", json=NEW, headers=staff.headers("admin"))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["role"], body["source"], body["active"]) == ("department", "tax", True)
    assert "password" not in body and "password_hash" not in body
    stored = db.session.scalar(select(StaffMember).where(StaffMember.username == "dept.tax"))
    assert stored.password_hash.startswith("$argon2id$")
    login = client.post("/api/v1/auth/staff-login", json={"username": "dept.tax", "password": NEW["password"]})
    assert login.get_json()["roles"] == ["department"]


def test_department_without_source_and_others_with_one_are_refused(client, staff):
    headers = staff.headers("admin")
    without_source = {k: v for k, v in NEW.items() if k != "source"}
    no_source = client.post("/api/v1/admin/staff", json=without_source, headers=headers)
    assert no_source.status_code == 422
    assert "source" in no_source.get_json()["errors"]["json"]
    reviewer = client.post("/api/v1/admin/staff", json={**NEW, "role": "reviewer"}, headers=headers)
    assert reviewer.status_code == 422
    assert db.session.scalar(select(StaffMember).where(StaffMember.username == "dept.tax")) is None


def test_duplicate_username_is_409(client, staff):
    headers = staff.headers("admin")
    assert client.post("/api/v1/admin/staff", json=NEW, headers=headers).status_code == 201
    again = client.post("/api/v1/admin/staff", json={**NEW, "username": "DEPT.TAX"}, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["reason"] == "username_taken"


def test_weak_password_and_bad_username_are_refused(client, staff):
    headers = staff.headers("admin")
    weak = client.post("/api/v1/admin/staff", json={**NEW, "password": "short"}, headers=headers)
    assert weak.status_code == 422 and weak.get_json()["reason"] == "weak_password"
    bad = client.post("/api/v1/admin/staff", json={**NEW, "username": "有 空格"}, headers=headers)
    assert bad.status_code == 422


def test_unknown_permission_is_refused(client, staff):
    headers = staff.headers("admin")
    response = client.post("/api/v1/admin/staff", json={**NEW, "permissions": ["everything"]}, headers=headers)
    assert response.status_code == 422


def test_grant_and_revoke_take_effect_on_the_next_request(app, client, staff):
    headers = staff.headers("admin")
    reviewer = staff.create("reviewer", username="zhao")
    reviewer_token = staff.token(reviewer)
    granted = client.post(f"/api/v1/admin/staff/{reviewer.id}/permissions",
                          json={"permission": "rewards:pay"}, headers=headers)
    assert granted.get_json()["permissions"] == ["rewards:pay"]
    from backend.web.access import authenticate

    with app.test_request_context(headers={"Authorization": f"Bearer {reviewer_token}"}):
        assert authenticate().permissions == frozenset({"rewards:pay"})
    revoked = client.delete(f"/api/v1/admin/staff/{reviewer.id}/permissions/rewards:pay", headers=headers)
    assert revoked.get_json()["permissions"] == []
    with app.test_request_context(headers={"Authorization": f"Bearer {reviewer_token}"}):
        assert authenticate().permissions == frozenset()
    actions = db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert actions[-2:] == ["staff.grant", "staff.revoke"]


def test_admins_cannot_change_their_own_permissions_or_disable_themselves(client, staff):
    admin = staff.create("admin", username="boss")
    headers = {"Authorization": f"Bearer {staff.token(admin)}"}
    grant = client.post(f"/api/v1/admin/staff/{admin.id}/permissions", json={"permission": "rewards:pay"},
                        headers=headers)
    assert grant.status_code == 403 and grant.get_json()["reason"] == "self_change"
    disable = client.post(f"/api/v1/admin/staff/{admin.id}/disable", headers=headers)
    assert disable.status_code == 403


def test_disable_and_enable(client, staff):
    headers = staff.headers("admin")
    member = staff.create("reviewer", username="zhao")
    token = staff.token(member)
    disabled = client.post(f"/api/v1/admin/staff/{member.id}/disable", headers=headers)
    assert disabled.get_json()["active"] is False and disabled.get_json()["disabled_at"]
    refused = client.get("/api/v1/admin/audit", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert client.post("/api/v1/auth/staff-login",
                       json={"username": "zhao", "password": Staff.PASSWORD}).status_code == 401
    enabled = client.post(f"/api/v1/admin/staff/{member.id}/enable", headers=headers)
    assert enabled.get_json()["active"] is True
    assert client.post("/api/v1/auth/staff-login",
                       json={"username": "zhao", "password": Staff.PASSWORD}).status_code == 200


def test_password_reset_ends_existing_sign_ins(client, staff):
    headers = staff.headers("admin")
    member = staff.create("reviewer", username="zhao")
    old = client.post("/api/v1/auth/staff-login", json={"username": "zhao", "password": Staff.PASSWORD}).get_json()
    response = client.patch(f"/api/v1/admin/staff/{member.id}", json={"password": "another long password"},
                            headers=headers)
    assert response.status_code == 200
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]}).status_code == 401
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "staff.update"))
    assert "another long password" not in str(record.after) + str(record.before) + str(record.note)


def test_unknown_staff_is_404(client, staff):
    assert client.get("/api/v1/admin/staff/9999", headers=staff.headers("admin")).status_code == 404


def test_list_is_paginated_and_filtered(client, staff):
    headers = staff.headers("admin")
    for n in range(3):
        staff.create("reviewer", username=f"reviewer-{n}")
    page = client.get("/api/v1/admin/staff?role=reviewer&page_size=2", headers=headers)
    assert len(page.get_json()) == 2
    assert '"total": 3' in page.headers["X-Pagination"]
    assert client.get("/api/v1/admin/staff?page_size=101", headers=headers).status_code == 422


def test_staff_member_reads_their_own_account(client, staff):
    """What the console's header and menus follow: the live role, source and permissions."""
    department = staff.create("department", username="market.one", source="market-regulation")
    reviewer = staff.create("reviewer", username="reviewer.one", permissions=["reports:identity"])

    mine = client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {staff.token(department)}"})
    assert mine.status_code == 200
    assert {k: mine.get_json()[k] for k in ("username", "role", "source", "permissions", "active")} == {
        "username": "market.one", "role": "department", "source": "market-regulation", "permissions": [],
        "active": True}
    theirs = client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {staff.token(reviewer)}"})
    assert (theirs.get_json()["role"], theirs.get_json()["permissions"]) == ("reviewer", ["reports:identity"])


def test_own_account_shows_a_permission_revoked_since_sign_in(client, staff):
    reviewer = staff.create("reviewer", permissions=["rewards:pay"])
    headers = {"Authorization": f"Bearer {staff.token(reviewer)}"}
    revoked = client.delete(f"/api/v1/admin/staff/{reviewer.id}/permissions/rewards:pay",
                            headers=staff.headers("admin"))
    assert revoked.status_code == 200

    assert client.get("/api/v1/staff/me", headers=headers).get_json()["permissions"] == []
