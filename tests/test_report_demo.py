"""The demo (``flask demo load``) shows reports in each state, one ready for a reviewer's decision."""

import json
import re
from pathlib import Path

from sqlalchemy import select

from backend.reports.models import Report


def test_the_demo_has_a_report_ready_for_decision_that_a_reviewer_decides(runner, client, app):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "ready for a decision" in result.output
    saved = json.loads((Path(app.instance_path) / "demo-credentials.json").read_text())
    password = re.search(r"username=reviewer\s+password=(\S+)", result.output).group(1)
    token = client.post("/api/v1/auth/staff-login",
                        json={"username": "reviewer", "password": password}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    from backend.data.extensions import db

    statuses = {r.report_no: r.status for r in db.session.scalars(select(Report))}
    assert sorted(statuses.values()) == ["acknowledged", "acknowledged", "acknowledged", "decided", "submitted"]
    forwarded = db.session.scalar(select(Report).where(Report.report_no == saved["reports"]["forwarded"]))
    assert [(f.source, f.status) for f in forwarded.forwards] == [("market-regulation", "pending")]
    ready = db.session.scalar(select(Report).where(Report.report_no == saved["reports"]["ready_for_decision"]))
    detail = client.get(f"/api/v1/review/reports/{ready.id}", headers=headers).get_json()
    assert detail["forwards"][0]["finding"] == "confirmed" and detail["attachments"]
    response = client.post(f"/api/v1/review/reports/{ready.id}/decision",
                           json={"outcome": "substantiated", "note": "核查属实。", "reward_amount": 200},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    status = client.post("/api/v1/public/reports/status", json={"receipt": saved["reports"]["question_receipt"]})
    assert status.get_json()["messages"][0]["kind"] == "question"
