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
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.dates.timeutil import utcnow
from backend.demo import public_credit
from backend.privacy.id_numbers import with_check_digit
from backend.residents import service as residents_service
from backend.residents.models import Resident
from backend.staff import service as staff_service
from backend.staff.models import StaffMember
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


# Modelled on real programmes: deposit-free library loans, hospital deposit waivers, loan-rate discounts
# for 4★+, scenic-spot discounts, and a cooperative's admission threshold.
DEMO_VERIFIERS = [
    ("江阴市图书馆", "organisation", "澄江街道", "澄江中路 1 号", [
        ("信用借阅免押金", "3★ 及以上读者免押金办理借阅证，可借图书 10 册", 3, None)]),
    ("江阴市人民医院", "organisation", "澄江街道", "寿山路 163 号", [
        ("诚信就医免住院押金", "4★ 及以上患者住院免交押金，先诊疗后付费", 4, None)]),
    ("江阴农商银行", "bank", "澄江街道", "澄江中路 1 号", [
        ("诚信贷款利率优惠", "4★ 及以上借款人信用贷款利率下浮 10%", 4, None),
        ("诚信模范专享授信", "5★ 诚信模范最高 30 万元免担保授信", 5, None)]),
    ("鹅鼻嘴公园", "merchant", "澄江街道", "滨江路 1 号", [
        ("景区门票八折", "3★ 及以上居民购票八折，每月 2 次", 3, 2)]),
    ("长泾镇水蜜桃专业合作社", "organisation", "长泾镇", "长泾镇蒋家村", [
        ("社员准入", "入社须 3★ 及以上（诚信准入）", 3, None)]),
]
CASHIER_CODE = "dev-demo-cashier"


def demo_uscc(serial: int) -> str:
    """A synthetic unified social credit code of Jiangyin with a valid check character."""
    from stdnum.cn import uscc

    body = f"91320281MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def _load_verifiers(credentials: dict) -> None:
    from backend.accounts.service import wechat_sign_in
    from backend.verifiers import service as verifiers

    now = utcnow()
    library = None
    for serial, (name, kind, town, address, offers) in enumerate(DEMO_VERIFIERS, start=1):
        verifier = verifiers.create_verifier(None, name=name, kind=kind, uscc=demo_uscc(serial), town=town,
                                             address=address)
        library = library or verifier
        for title, description, min_stars, quota in offers:
            verifiers.create_offer(None, verifier.id, title=title, description=description, min_stars=min_stars,
                                   valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=365),
                                   quota_per_resident=quota)
        if kind == "bank":
            key, _row = verifiers.create_api_key(None, verifier.id, "demo bank system")
            credentials["bank_api_key"] = key
    wechat_sign_in(DevelopmentExchanger(), CASHIER_CODE)
    account_id = db.session.scalar(select(WeChatAccount.id).where(
        WeChatAccount.openid == DevelopmentExchanger.openid_for(CASHIER_CODE[len("dev-"):])))
    code, _invite = verifiers.create_invite(None, library.id)
    verifiers.redeem_invite(account_id, code)
    credentials["cashier"] = {"code": CASHIER_CODE, "verifier": library.name}


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
    _load_verifiers(saved)
    public_credit.load(demo_uscc)
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
    if saved.get("cashier"):
        lines.append(f"Operator of {saved['cashier']['verifier']}: code={saved['cashier']['code']}")
    if saved.get("bank_api_key"):
        lines.append(f"Bank system: X-API-Key: {saved['bank_api_key']}")
    return "\n".join(lines)
