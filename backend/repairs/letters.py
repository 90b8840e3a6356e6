"""The credit commitment letter (信用承诺书, SPEC §6) as versioned data: admins publish a new version,
applications keep the version their applicant accepted, and the current one is public."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.repairs.models import CommitmentLetter
from backend.web.access import Principal

# The first version, there from the start so that repair works before an admin has written one.
DEFAULT_TITLE = "信用承诺书"
DEFAULT_TEXT = (
    "本人自愿申请信用修复，郑重承诺：\n"
    "一、所提交的申请材料真实、准确、完整，如有虚假，愿意承担相应责任；\n"
    "二、已经履行相关法定义务，纠正失信行为，消除不良影响；\n"
    "三、今后自觉遵守法律法规和村规民约，诚实守信；\n"
    "四、如违背承诺，自愿接受相应惩戒，并同意将违背承诺的情况记入本人信用记录。")


def current() -> CommitmentLetter:
    """The current (latest) version; the first one is written on first use."""
    letter = db.session.scalar(select(CommitmentLetter).order_by(CommitmentLetter.version.desc()).limit(1))
    if letter is not None:
        return letter
    try:
        with db.session.begin_nested():
            db.session.add(CommitmentLetter(version=1, title=DEFAULT_TITLE, text=DEFAULT_TEXT, published_at=utcnow()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another request wrote it first
    return db.session.scalar(select(CommitmentLetter).order_by(CommitmentLetter.version.desc()).limit(1))


def versions():
    """Every published version, newest first: a select to paginate."""
    return select(CommitmentLetter).order_by(CommitmentLetter.version.desc())


def publish(actor: Principal, *, title: str, text: str) -> CommitmentLetter:
    """Publish a new version; it becomes current at once and applications filed before keep theirs."""
    latest = current().version
    letter = CommitmentLetter(version=latest + 1, title=title, text=text, published_at=utcnow(),
                              published_by=actor.id)
    db.session.add(letter)
    db.session.flush()
    audit.record(actor, "commitment_letter.publish", "commitment_letter", letter.version,
                 after={"version": letter.version, "title": title})
    db.session.commit()
    return letter


def latest_version() -> int:
    return db.session.scalar(select(func.max(CommitmentLetter.version))) or current().version
