"""A small demo data set for ``make run``: its passwords are generated on the machine, never committed."""

import json
import random
import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from backend.accounts.models import WeChatAccount
from backend.credit import service as credit
from backend.credit.default_rubric import load_default_rubric
from backend.extensions import db
from backend.id_numbers import with_check_digit
from backend.imports import Row
from backend.residents import service as residents_service
from backend.residents.models import Resident
from backend.staff import service as staff_service
from backend.staff.models import StaffMember
from backend.timeutil import utcnow
from backend.wechat.development import DevelopmentExchanger

DEMO_STAFF = [
    {"username": "admin", "display_name": "信用办管理员", "role": "admin", "permissions": []},
    {"username": "reviewer", "display_name": "审核员", "role": "reviewer",
     "permissions": ["reports:identity"]},
    {"username": "market", "display_name": "市场监管局", "role": "department", "source": "market-regulation",
     "permissions": []},
]


# The policy's pilot areas: 澄江街道 (a street of the city centre) and 长泾镇 (a town).
PLACES = {
    "澄江街道": ["君山社区", "黄山社区", "大桥社区", "东门社区"],
    "长泾镇": ["蒋家村", "河塘村", "习礼村", "长泾社区"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红兰海燕文辉玉凤春梅亮鹏飞"
JIANGYIN = "320281"
RESIDENTS = 60
BOUND_CODE = "dev-demo-bound"
UNBOUND_CODE = "dev-demo-unbound"


def demo_people(count: int = RESIDENTS, seed: int = 20181) -> list[dict]:
    """Synthetic residents with valid ID numbers of Jiangyin (320281), some born before 1989."""
    rng = random.Random(seed)
    people, seen = [], set()
    towns = list(PLACES)
    while len(people) < count:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 65 * 365))
        first17 = f"{JIANGYIN}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
        number = with_check_digit(first17)
        if number in seen:
            continue
        seen.add(number)
        town = towns[len(people) % len(towns)]
        village = PLACES[town][(len(people) // len(towns)) % len(PLACES[town])]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"13{rng.randrange(0, 10)}{rng.randrange(0, 10**8):08d}" if rng.random() < 0.7 else ""
        people.append({"name": name, "id_number": number, "phone": phone, "town": town, "village": village,
                       "household_no": f"{village[:2]}-{len(people) // 3 + 1:03d}", "status": "active"})
    people[-1]["status"] = "moved"
    people[-2]["status"] = "deceased"
    return people


def _load_residents(credentials: dict) -> None:
    people = demo_people()
    residents_service.import_residents(None, (Row(n, p) for n, p in enumerate(people, start=2)))
    # The unbound one has a registry phone, so the demo shows the phone button of binding too.
    bound = people[0]
    unbound = next(p for p in people[1:] if p["phone"] and p["status"] == "active")
    resident = residents_service.find_by_id_number(bound["id_number"])
    db.session.add(WeChatAccount(openid=DevelopmentExchanger.openid_for(BOUND_CODE[len("dev-"):]),
                                 resident_id=resident.id, bound_at=utcnow()))
    db.session.commit()
    credentials["residents"] = {
        "bound": {"code": BOUND_CODE, "name": bound["name"]},
        "unbound": {"code": UNBOUND_CODE, "name": unbound["name"], "id_number": unbound["id_number"],
                    "phone_code": f"dev-phone-{unbound['phone']}" if unbound["phone"] else None},
    }


DEMO_EVENTS = [  # (resident index, rubric code, days ago)
    (0, "SC-04", 40), (0, "SC-03", 100), (0, "EN-03", 200), (0, "SC-09", 300),
    (2, "EN-01", 30), (3, "FI-01", 120), (4, "PO-01", 400), (5, "SC-02", 50), (5, "SC-10", 500),
    (6, "LV-04", 10), (7, "CJ-01", 60), (8, "SC-06", 20), (9, "FI-02", 700),
]


def _load_events() -> None:
    """A few events so the demo's scores spread over the star levels."""
    people = demo_people()
    now = utcnow()
    for index, (person_index, code, days_ago) in enumerate(DEMO_EVENTS):
        person = people[person_index]
        if code.startswith("CJ-") and person["town"] != "长泾镇":
            person = next(p for p in people if p["town"] == "长泾镇")
        credit.grant_event(None, id_number=person["id_number"], rubric_code=code,
                           occurred_at=now - timedelta(days=days_ago), source="demo", source_ref=f"demo-{index}")


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
    saved = {"staff": credentials}
    if not db.session.scalar(select(func.count()).select_from(Resident)):
        _load_residents(saved)
    load_default_rubric()
    _load_events()
    path = _credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, ensure_ascii=False, indent=2))
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
    demo_residents = saved.get("residents")
    if demo_residents:
        bound, unbound = demo_residents["bound"], demo_residents["unbound"]
        lines += [
            "Residents (POST /api/v1/auth/wechat-login {\"code\": ...}, development exchanger):",
            f"  bound      code={bound['code']}  ({bound['name']})",
            f"  unbound    code={unbound['code']}  then POST /api/v1/me/identity "
            + json.dumps({"name": unbound["name"], "id_number": unbound["id_number"],
                          **({"phone_code": unbound["phone_code"]} if unbound["phone_code"] else {})},
                         ensure_ascii=False),
        ]
    return "\n".join(lines)
