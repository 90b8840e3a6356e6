"""A small demo data set for ``make run``: its passwords are generated on the machine, never committed."""

import json
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from backend.extensions import db
from backend.staff import service as staff_service
from backend.staff.models import StaffMember

DEMO_STAFF = [
    {"username": "admin", "display_name": "信用办管理员", "role": "admin", "permissions": []},
    {"username": "reviewer", "display_name": "审核员", "role": "reviewer",
     "permissions": ["reports:identity"]},
    {"username": "market", "display_name": "市场监管局", "role": "department", "source": "market-regulation",
     "permissions": []},
]


def _credentials_path() -> Path:
    return Path(current_app.instance_path) / "demo-credentials.json"


def load_if_empty() -> bool:
    """Load the demo set into an empty database; False when anything is there already."""
    if db.session.scalar(select(func.count()).select_from(StaffMember)):
        return False
    credentials = {}
    for entry in DEMO_STAFF:
        password = secrets.token_urlsafe(12)
        staff_service.create_staff(None, password=password, **entry)
        credentials[entry["username"]] = password
    path = _credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"staff": credentials}, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return True


def sign_in_help() -> str:
    path = _credentials_path()
    if not path.exists():
        return "No demo credentials on this machine (the database was not filled by `flask demo load`)."
    saved = json.loads(path.read_text())
    lines = ["Demo sign-in (POST /api/v1/auth/staff-login):"]
    for entry in DEMO_STAFF:
        password = saved.get("staff", {}).get(entry["username"])
        if password:
            lines.append(f"  {entry['role']:<10} username={entry['username']:<9} password={password}")
    return "\n".join(lines)
