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
from backend.dates.timeutil import local_today, utcnow
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


def _load_credit_report(credentials: dict) -> None:
    """The bound resident's credit report for a job application, so the PDF and the check page can be
    tried at once. Its verification code is shown only at issue, so the demo keeps it with the sign-ins."""
    from backend.accounts.service import principal_from_claims
    from backend.credit_reports import service as reports
    from backend.privacy.readback_codes import display

    account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.resident_id.is_not(None))
                                 .order_by(WeChatAccount.id))
    if account is None:
        return
    principal = principal_from_claims({"uid": account.id, "fam": None})
    issued = reports.issue(principal, db.session.get(Resident, account.resident_id), "求职")
    credentials["credit_report"] = {"report_no": issued.report.report_no,
                                    "verification_code": display(issued.verification_code)}


def _demo_photo() -> bytes:
    """A small photo, made here, standing for what a resident would take with the phone."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (196, 188, 170))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 200, 420, 320), fill=(90, 80, 60))
    draw.ellipse((300, 60, 380, 140), fill=(230, 230, 220))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    out.seek(0)
    return out


def _staff_principal(username: str):
    from backend.web.access import Principal

    staff = db.session.scalar(select(StaffMember).where(StaffMember.username == username))
    return Principal(kind="staff", id=staff.id, roles=frozenset([staff.role]), source=staff.source,
                     permissions=frozenset(staff.permission_names), name=staff.username,
                     extra={"display_name": staff.display_name})


def _load_reports(credentials: dict) -> None:
    """Reports in each state of the office's work: new, acknowledged with a question to an anonymous
    reporter, forwarded and waiting for the department's finding, verified by the department and waiting
    for the decision, and decided with a reward."""
    from backend.reports import categories, review
    from backend.reports import service as reports
    from backend.uploads import service as uploads
    from backend.web.access import RESIDENT, Principal

    categories.load_defaults()
    people = demo_people()
    account = db.session.scalar(select(WeChatAccount).where(
        WeChatAccount.openid == DevelopmentExchanger.openid_for(BOUND_CODE[len("dev-"):])))
    reporter = Principal(kind="wechat", id=account.id, roles=frozenset({RESIDENT}), resident_id=account.resident_id)
    reviewer, market = _staff_principal("reviewer"), _staff_principal("market")
    now = utcnow()

    def file(**fields):
        photo = uploads.receive(reporter, _demo_photo())
        return reports.file_report(reporter, occurred_at=now - timedelta(days=2), attachments=[photo.id], **fields)

    def report_id(answer):
        from backend.reports.models import Report

        return db.session.scalar(select(Report.id).where(Report.report_no == answer["report_no"]))

    fresh = file(category="environment", anonymous=False,
                 subject={"type": "enterprise", "name": "江阴市某某印染厂"},
                 description="厂区东侧排污口夜间向河道排放深色废水，气味刺鼻，已持续一周。",
                 location={"town": "长泾镇", "address": "长泾镇河塘村东河"})
    asked = file(category="village_rules", anonymous=True,
                 subject={"type": "person", "name": people[6]["name"], "id_number": people[6]["id_number"]},
                 description="在村道旁私自搭建彩钢棚，占用公共通道，村委劝阻后仍不拆除。",
                 location={"town": people[6]["town"]})
    review.acknowledge(reviewer, report_id(asked))
    review.ask(reviewer, report_id(asked), "请问彩钢棚具体在村道哪一段？是否有更多照片？")
    ready = file(category="food_safety", anonymous=False,
                 subject={"type": "person", "name": people[2]["name"], "id_number": people[2]["id_number"]},
                 description="在菜场门口无证摆摊售卖自制熟食，无冷藏设施，夏季有异味。",
                 location={"town": people[2]["town"], "address": "菜场南门"})
    review.acknowledge(reviewer, report_id(ready))
    review.forward(reviewer, report_id(ready))
    review.record_finding(market, report_id(ready), finding="confirmed",
                          note="经现场检查，当事人无食品经营许可证，现场查扣熟食 12 公斤，已立案。", evidence=[])
    decided = file(category="food_safety", anonymous=True,
                   subject={"type": "person", "name": people[4]["name"], "id_number": people[4]["id_number"]},
                   description="在小区门口销售过期奶制品，多名居民反映腹泻。",
                   location={"town": people[4]["town"]})
    review.forward(reviewer, report_id(decided))
    review.record_finding(market, report_id(decided), finding="confirmed", note="抽检不合格，已责令停止销售。",
                          evidence=[])
    review.decide(reviewer, report_id(decided), outcome="substantiated", note="经市场监管局核查属实，予以奖励。",
                  reward_amount=300)
    # Forwarded to the market regulator and waiting for its finding: the department's screen has work.
    waiting = file(category="food_safety", anonymous=True,
                   subject={"type": "enterprise", "name": "江阴市某某小吃店"},
                   description="后厨卫生脏乱，有老鼠出没，餐具未经消毒直接使用。",
                   location={"town": "澄江街道", "address": "人民中路"})
    review.acknowledge(reviewer, report_id(waiting))
    review.forward(reviewer, report_id(waiting))
    credentials["reports"] = {"new": fresh["report_no"], "forwarded": waiting["report_no"],
                              "question": asked["report_no"], "question_receipt": asked["receipt_code"],
                              "ready_for_decision": ready["report_no"],
                              "decided": decided["report_no"], "decided_receipt": decided["receipt_code"]}


# (owner, kind, title, content, made days ago, due in days (negative: past), outcome recorded today)
DEMO_COMMITMENTS = [
    ("market", "service_quality", "企业开办一日办结", "企业开办登记、公章刻制、发票申领一个工作日内全部办结", 60, 120,
     None),
    ("market", "deadline", "食品经营许可五个工作日办结", "材料齐全的食品经营许可申请五个工作日内作出决定", 40, -20,
     ("fulfilled", "已于今日完成积压申请审批，见澄市监〔2026〕18号通报")),
    ("长泾镇", "investment", "水蜜桃产业园道路配套", "年内建成产业园主干道及排水管网，保障入园企业按期投产", 90, -10,
     None),
    ("长泾镇", "contract", "工程款三十日内支付", "镇属工程验收合格后三十日内付清工程款", 50, 5,
     ("fulfilled", "工程款已全额支付，见长泾镇财政所付款凭证")),
    ("澄江街道", "service_quality", "政务服务差评二十四小时回复", "政务服务“好差评”中的差评二十四小时内回复并整改",
     30, 60, None),
    ("澄江街道", "guarantee", "小微企业应急转贷担保", "为辖区小微企业提供应急转贷资金担保", 120, -15,
     ("broken", "担保资金未能按期到位，已向企业说明并另行协调")),
]


def _load_integrity() -> None:
    """Government bodies in the demo towns, their commitments (one overdue, one fulfilled late) and
    dishonesty records, through the integrity services."""
    from backend.integrity import service as integrity

    admin, market = _staff_principal("admin"), _staff_principal("market")
    bodies = {"market": integrity.register_body(admin, kind="department", name="江阴市市场监督管理局",
                                                source="market-regulation")}
    for town, name in (("长泾镇", "长泾镇人民政府"), ("澄江街道", "澄江街道办事处")):
        bodies[town] = integrity.register_body(admin, kind="town", name=name, town=town)
    today = integrity.today()
    for owner, kind, title, content, made_ago, due_in, outcome in DEMO_COMMITMENTS:
        actor = market if owner == "market" else admin
        commitment = integrity.publish_commitment(
            actor, owner_id=bodies[owner].id, kind=kind, title=title, content=content,
            made_on=today - timedelta(days=made_ago), due_on=today + timedelta(days=due_in))
        if outcome:
            integrity.record_outcome(actor, commitment.id, outcome[0], evidence=outcome[1])
    integrity.create_government_record(
        admin, owner_id=bodies["长泾镇"].id, kind="unpaid_debt",
        facts="拖欠江阴某建材有限公司道路工程款 86 万元，经催告仍未支付", decided_on=today - timedelta(days=100),
        source_document="(2026)苏0281民初1234号")
    settled = integrity.create_government_record(
        admin, owner_id=bodies["澄江街道"].id, kind="broken_contract",
        facts="单方终止与某科技企业签订的厂房租赁优惠协议", decided_on=today - timedelta(days=200),
        source_document="澄江街道信用承诺履约核查通报〔2026〕2号")
    integrity.rectify_government_record(admin, settled.id, rectified_on=today - timedelta(days=150),
                                        rectification="恢复履行协议并补偿企业损失")


# The demo's monitoring shows this many published months before the running one (a trend to chart).
PUBLISHED_MONTHS = 3


def _load_monitoring() -> None:
    """Give the demo a past: its residents were registered a year and a half ago and each demo event was
    recorded when it occurred (the demo's own rows, nothing else); then publish the last ended months, so
    the monitoring has figures, warnings and a trend over months."""
    from sqlalchemy import update

    from backend.credit.models import CreditEvent
    from backend.monitoring import service as monitoring

    now = utcnow()
    db.session.execute(update(Resident).values(created_at=now - timedelta(days=550)))
    db.session.execute(update(CreditEvent).where(CreditEvent.source == "demo")
                       .values(created_at=CreditEvent.occurred_at))
    db.session.commit()
    today = local_today()
    month = monitoring.previous_month(f"{today.year}-{today.month:02d}")
    months = []
    for _ in range(PUBLISHED_MONTHS):
        months.append(month)
        month = monitoring.previous_month(month)
    for month in reversed(months):
        monitoring.publish(None, month)


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
    _load_credit_report(saved)
    _load_reports(saved)
    _load_integrity()
    public_credit.load(demo_uscc)
    _load_monitoring()
    path = _credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return True


def sign_in_help() -> str:
    """How to sign in to the demo just loaded."""
    path = _credentials_path()
    if not path.exists():
        return "No demo credentials on this machine (the database was not filled by `flask demo load`)."
    return _help_text(json.loads(path.read_text()))


def current_sign_in_help() -> str:
    """The demo sign-ins that still work in a database the demo filled earlier; the ones changed since
    (a password reset, a disabled account, a revoked key, an unbinding) are named, not shown."""
    path = _credentials_path()
    if not path.exists():
        return ("The database already holds data that `flask demo load` did not put there on this machine: "
                "no demo sign-ins to show.")
    saved = json.loads(path.read_text())
    changed = _drop_changed(saved)
    text = "Demo data was loaded before. The demo sign-ins that still work:\n" + _help_text(saved)
    if changed:
        text += "\nChanged since the demo was loaded (no longer shown): " + ", ".join(changed)
    return text


def _drop_changed(saved: dict) -> list[str]:
    from backend.auth.passwords import verify_password
    from backend.verifiers.service import api_key_works

    changed = []
    for username, password in list(saved.get("staff", {}).items()):
        member = db.session.scalar(select(StaffMember).where(StaffMember.username == username))
        if member is None or not member.active or not verify_password(member.password_hash, password):
            changed.append(f"staff {username}")
            del saved["staff"][username]
    demo_residents = saved.get("residents")
    if demo_residents:
        bound = db.session.scalar(select(WeChatAccount).where(
            WeChatAccount.openid == DevelopmentExchanger.openid_for(demo_residents["bound"]["code"][len("dev-"):])))
        unbound = residents_service.find_by_id_number(demo_residents["unbound"]["id_number"])
        taken = unbound is not None and db.session.scalar(
            select(func.count()).select_from(WeChatAccount).where(WeChatAccount.resident_id == unbound.id))
        if bound is None or bound.resident_id is None or unbound is None or taken:
            changed.append("the demo residents' binding")
            del saved["residents"]
    if saved.get("bank_api_key") and not api_key_works(saved["bank_api_key"]):
        changed.append("the bank system's API key")
        del saved["bank_api_key"]
    return changed


def _help_text(saved: dict) -> str:
    lines = ["Demo staff sign-in (the console at /console/, or POST /api/v1/auth/staff-login):"]
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
    if saved.get("reports"):
        demo_reports = saved["reports"]
        lines += [
            f"Reports: {demo_reports['ready_for_decision']} has the department's confirmed finding, ready for "
            f"a decision; {demo_reports['new']} is new; {demo_reports['forwarded']} waits for the market "
            f"regulator's finding",
            f"  anonymous, with a question: {demo_reports['question']} (receipt {demo_reports['question_receipt']});"
            f" decided with a reward: {demo_reports['decided']} (receipt {demo_reports['decided_receipt']})",
        ]
    if saved.get("bank_api_key"):
        lines.append(f"Bank system: X-API-Key: {saved['bank_api_key']}")
    if saved.get("credit_report"):
        report = saved["credit_report"]
        lines.append(f"Credit report of the bound resident: {report['report_no']}, verification code "
                     f"{report['verification_code']} (check it at /check)")
    return "\n".join(lines)
