"""Report categories (举报类别) as data: the policy's defaults, and their upkeep by admins (SPEC §5).

Each names the rubric item a substantiated report applies when its subject is a resident (a penalty),
and the department, by its source, that verifies such reports by default.
"""

import re

from sqlalchemy import select

from backend.audit import service as audit
from backend.credit.rubric import get_item
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.reports.models import ReportCategory
from backend.web.access import Principal
from backend.web.errors import Conflict, InvalidInput, NotFound

SOURCE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
FIELDS = ("name", "description", "rubric_code", "department_source", "position", "active")

# The policy's lines of reporting, each with its default rubric item and verifying department.
DEFAULTS = [
    {"code": "food_safety", "name": "食品安全", "description": "生产销售不合格食品、无证经营餐饮等",
     "rubric_code": "SF-02", "department_source": "market-regulation"},
    {"code": "production_safety", "name": "安全生产", "description": "违规生产、重大事故隐患、消防隐患等",
     "rubric_code": "SF-01", "department_source": "emergency-management"},
    {"code": "environment", "name": "生态环境", "description": "非法排污、倾倒垃圾、焚烧秸秆等",
     "rubric_code": "EN-02", "department_source": "ecology-environment"},
    {"code": "public_order", "name": "社会治安", "description": "赌博、扰乱公共秩序等",
     "rubric_code": "PO-02", "department_source": "public-security"},
    {"code": "fraud", "name": "欺诈失信", "description": "诈骗、虚假承诺、违约不履行等",
     "rubric_code": "LV-04", "department_source": "public-security"},
    {"code": "village_rules", "name": "村规民约", "description": "违反村规民约、违法建设等",
     "rubric_code": "LV-02", "department_source": "town-government"},
    {"code": "finance", "name": "金融失信", "description": "恶意逃废债务、信用卡恶意透支等",
     "rubric_code": "FI-03", "department_source": "financial-regulation"},
    {"code": "other", "name": "其他", "description": "其他失信行为",
     "rubric_code": "LV-02", "department_source": "town-government"},
]


class CategoryNotFound(NotFound):
    reason = "category_not_found"
    message = _("No such report category.")


class CategoryCodeTaken(Conflict):
    reason = "category_code_taken"
    message = _("A report category with this code exists.")


class RubricItemWrongKind(InvalidInput):
    reason = "rubric_item_wrong_kind"


def check_penalty_item(code: str, field: str = "rubric_code") -> None:
    """A report applies a penalty item to its subject: 404 for an unknown code, 422 for a bonus."""
    item = get_item(code)
    if item.kind != "penalty":
        raise RubricItemWrongKind(_("must name a penalty item"), field=field)


def _check(values: dict) -> dict:
    if "rubric_code" in values:
        check_penalty_item(values["rubric_code"])
    if "department_source" in values and not SOURCE.match(values["department_source"]):
        raise InvalidInput(_("must be lower-case letters, digits and '-' (2–64)"), field="department_source")
    return values


def _snapshot(category: ReportCategory) -> dict:
    return {"code": category.code, **{name: getattr(category, name) for name in FIELDS}}


def get(code: str, *, active_only: bool = False) -> ReportCategory:
    category = db.session.scalar(select(ReportCategory).where(ReportCategory.code == code))
    if category is None or (active_only and not category.active):
        raise CategoryNotFound()
    return category


def listed(*, include_inactive: bool = False):
    statement = select(ReportCategory).order_by(ReportCategory.position, ReportCategory.id)
    if not include_inactive:
        statement = statement.where(ReportCategory.active.is_(True))
    return statement


def create(actor: Principal | None, *, code: str, **values) -> ReportCategory:
    """Add a category; commits."""
    if db.session.scalar(select(ReportCategory.id).where(ReportCategory.code == code)):
        raise CategoryCodeTaken()
    values = _check(values)
    now = utcnow()
    category = ReportCategory(code=code, created_at=now, updated_at=now,
                              **{"position": 0, "active": True, **values})
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "report_category.create", "report_category", code, after=_snapshot(category))
    db.session.commit()
    return category


def update(actor: Principal, code: str, changes: dict) -> ReportCategory:
    """Change a category; reports already filed keep theirs; commits."""
    category = get(code)
    before = _snapshot(category)
    for name, value in _check(dict(changes)).items():
        setattr(category, name, value)
    category.updated_at = utcnow()
    audit.record(actor, "report_category.update", "report_category", code, before=before,
                 after=_snapshot(category))
    db.session.commit()
    return category


def load_defaults() -> int:
    """Create the default categories that are missing (never changes existing ones); returns how many.
    Needs the default rubric (``flask credit load-rubric``) first."""
    existing = set(db.session.scalars(select(ReportCategory.code)))
    created = 0
    for position, entry in enumerate(DEFAULTS, start=1):
        if entry["code"] not in existing:
            create(None, position=position, **entry)
            created += 1
    return created
