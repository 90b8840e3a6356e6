"""Settings with the SPEC defaults, validated and audited; the audit trail admins read (SPEC §1)."""

from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.settings import service as settings
from backend.settings.models import SettingValue

SPEC_DEFAULTS = {
    "credit.base_points": 1000,
    "credit_code.ttl_seconds": 60,
    "verifiers.invite_ttl_days": 7,
    "uploads.max_bytes": 10 * 1024 * 1024,
    "reports.finding_working_days": 10,
    "reports.duplicate_window_days": 30,
    "reports.acknowledge_working_days": 5,
    "reports.decide_days": 30,
    "reports.extended_decide_days": 90,
    "rewards.min_amount": 50,
    "rewards.max_amount": 10000,
    "repairs.decide_working_days": 10,
    "objections.decide_days": 20,
    "auth.refresh_grace_seconds": 30,
    "ratings.household_min_stars": 3,
    "ratings.household_top_stars": 4,
    "ratings.village_share": 0.8,
    "ratings.town_share": 0.6,
    "monitoring.penalty_rise_share": 0.2,
    "monitoring.penalty_rise_from_zero": 5,
    "limits.public_per_minute": 120,
    "limits.staff_login_failures_per_15_minutes": 5,
    "limits.wechat_sign_in_per_minute": 10,
    "limits.binding_per_day": 5,
    "limits.wrong_api_keys_per_minute": 20,
    "limits.api_key_per_minute": 600,
    "limits.credit_code_png_per_minute": 30,
    "limits.invite_redemptions_per_hour": 5,
    "limits.reports_per_day": 5,
    "limits.uploads_per_day": 50,
    "limits.claims_per_day": 10,
    "limits.credit_reports_per_day": 5,
}


def test_settings_start_at_the_defaults_of_the_spec(client, staff):
    body = client.get("/api/v1/admin/settings", headers=staff.headers("admin")).get_json()
    values = {item["key"]: item["value"] for item in body}
    for key, default in SPEC_DEFAULTS.items():
        assert values[key] == default, key
        assert settings.get(key) == default
    assert all(item["changed"] is False for item in body)


def test_admin_changes_a_setting_and_it_is_audited(client, staff):
    headers = staff.headers("admin")
    response = client.put("/api/v1/admin/settings", json={"limits.reports_per_day": 3}, headers=headers)
    assert response.status_code == 200
    changed = next(item for item in response.get_json() if item["key"] == "limits.reports_per_day")
    assert changed == {**changed, "value": 3, "default": 5, "changed": True}
    assert settings.get("limits.reports_per_day") == 3
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "settings.update"))
    assert (record.object_id, record.before, record.after) == ("limits.reports_per_day", {"value": 5}, {"value": 3})


def test_invalid_change_is_refused_whole_and_nothing_is_written(client, staff):
    headers = staff.headers("admin")
    response = client.put("/api/v1/admin/settings",
                          json={"limits.reports_per_day": 3, "ratings.village_share": 1.5}, headers=headers)
    assert response.status_code == 422
    assert "ratings.village_share" in response.get_json()["errors"]["json"]
    assert db.session.scalar(select(func.count()).select_from(SettingValue)) == 0
    assert settings.get("limits.reports_per_day") == 5


def test_unknown_setting_and_wrong_types_are_refused(client, staff):
    headers = staff.headers("admin")
    unknown = client.put("/api/v1/admin/settings", json={"no.such.setting": 1}, headers=headers)
    assert unknown.status_code == 422
    assert "no.such.setting" in unknown.get_json()["errors"]["json"]
    for value in ("5", 2.5, None, True):
        response = client.put("/api/v1/admin/settings", json={"limits.reports_per_day": value}, headers=headers)
        assert response.status_code == 422, value
    assert client.put("/api/v1/admin/settings", json={}, headers=headers).status_code == 422


def test_reward_bounds_must_stay_ordered(client, staff):
    response = client.put("/api/v1/admin/settings", json={"rewards.min_amount": 20000},
                          headers=staff.headers("admin"))
    assert response.status_code == 422


def test_calendar_overrides_are_validated(client, staff):
    headers = staff.headers("admin")
    bad = client.put("/api/v1/admin/settings", json={"calendar.overrides": [{"date": "2027-02-30"}]},
                     headers=headers)
    assert bad.status_code == 422
    good = client.put("/api/v1/admin/settings",
                      json={"calendar.overrides": [{"date": "2027-02-08", "working": False, "name": "春节"}]},
                      headers=headers)
    assert good.status_code == 200
    assert settings.get("calendar.overrides") == [{"date": "2027-02-08", "working": False, "name": "春节"}]


def test_audit_trail_is_readable_by_admins_newest_first_and_filtered(client, staff):
    headers = staff.headers("admin")
    created = client.post("/api/v1/admin/staff", json={
        "username": "zhang", "display_name": "张审核", "password": "a long enough password",
        "role": "reviewer"}, headers=headers).get_json()
    client.post(f"/api/v1/admin/staff/{created['id']}/permissions", json={"permission": "reports:identity"},
                headers=headers)
    response = client.get("/api/v1/admin/audit?object_type=staff", headers=headers)
    assert response.status_code == 200
    actions = [record["action"] for record in response.get_json()]
    assert actions[:2] == ["staff.grant", "staff.create"]
    grant = response.get_json()[0]
    assert grant["after"]["permissions"] == ["reports:identity"] and grant["before"]["permissions"] == []
    assert grant["actor_kind"] == "staff" and grant["actor_name"].startswith("admin")
    assert "password" not in str(response.get_json())
    only = client.get("/api/v1/admin/audit?action=staff.create", headers=headers).get_json()
    assert {record["action"] for record in only} == {"staff.create"}
    assert "X-Pagination" in response.headers


def test_audit_records_cannot_be_changed_through_the_api(client, staff):
    headers = staff.headers("admin")
    assert client.delete("/api/v1/admin/audit", headers=headers).status_code == 405
    assert client.put("/api/v1/admin/audit", json={}, headers=headers).status_code == 405
