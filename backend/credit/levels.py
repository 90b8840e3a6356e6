"""Star levels (星级, SPEC §3) and the star of a score, in Python for one account and in SQL for all."""

from dataclasses import dataclass

from sqlalchemy import case, literal, select, update

from backend.audit import service as audit
from backend.credit.models import CreditAccount, StarLevel
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.settings import service as settings
from backend.web.access import Principal
from backend.web.errors import InvalidInput


@dataclass(frozen=True)
class Level:
    stars: int
    name: str
    min_points: int | None  # None for 1★: it starts at no minimum


# The default bands follow the published Weihai/Wendeng and Rongcheng thousand-point schemes.
DEFAULT_LEVELS = (
    Level(5, "诚信模范", 1050),
    Level(4, "诚信优秀", 1030),
    Level(3, "诚信良好", 960),
    Level(2, "诚信警示", 850),
    Level(1, "失信", None),
)


def stored_levels_in_force(stored: int) -> bool:
    """Whether the stored levels are in force rather than the defaults: only when all of them are stored
    (``stored`` is how many rows ``star_levels`` holds)."""
    return stored == len(DEFAULT_LEVELS)


def current_levels() -> tuple[Level, ...]:
    """The levels in force, 5★ first (the defaults until an admin changes them)."""
    rows = db.session.scalars(select(StarLevel).order_by(StarLevel.stars.desc())).all()
    if not stored_levels_in_force(len(rows)):
        return DEFAULT_LEVELS
    return tuple(Level(row.stars, row.name, row.min_points) for row in rows)


def stars_for(points: int, ceiling: int | None, levels: tuple[Level, ...] | None = None) -> int:
    """The stars a score earns, held down by a direct-grading ceiling while one counts."""
    levels = levels or current_levels()
    earned = next(level.stars for level in levels if level.min_points is None or points >= level.min_points)
    return min(earned, ceiling) if ceiling is not None else earned


def level_name(stars: int, levels: tuple[Level, ...] | None = None) -> str:
    return next(level.name for level in (levels or current_levels()) if level.stars == stars)


def stars_expression(points_column, ceiling_column, levels: tuple[Level, ...]):
    """The same rule as ``stars_for`` as one SQL expression, for set-based recomputation."""
    earned = case(*[(points_column >= level.min_points, literal(level.stars))
                    for level in levels if level.min_points is not None], else_=literal(1))
    return case((ceiling_column.is_not(None) & (ceiling_column < earned), ceiling_column), else_=earned)


def validate_levels(levels: list[dict]) -> tuple[Level, ...]:
    by_stars = {item["stars"]: item for item in levels}
    if sorted(by_stars) != [1, 2, 3, 4, 5]:
        raise InvalidInput(_("give each of the levels 1 to 5 exactly once"), field="levels")
    result = []
    previous = None
    for stars in (5, 4, 3, 2):
        minimum = by_stars[stars].get("min_points")
        if minimum is None:
            raise InvalidInput(_("%(stars)s★ needs min_points", stars=stars), field="levels")
        if previous is not None and minimum >= previous:
            raise InvalidInput(_("thresholds must fall from 5★ to 2★"), field="levels")
        previous = minimum
        result.append(Level(stars, by_stars[stars]["name"], minimum))
    if by_stars[1].get("min_points") is not None:
        raise InvalidInput(_("1★ starts at no minimum: leave its min_points out"), field="levels")
    result.append(Level(1, by_stars[1]["name"], None))
    return tuple(result)


def set_levels(actor: Principal, levels: list[dict]) -> tuple[Level, ...]:
    """Replace the thresholds and names, then recompute every account's stars in one statement."""
    new = validate_levels(levels)
    before = [level.__dict__ for level in current_levels()]
    db.session.execute(StarLevel.__table__.delete())
    db.session.add_all(StarLevel(stars=level.stars, name=level.name, min_points=level.min_points) for level in new)
    db.session.flush()
    recompute_all_stars(new)
    audit.record(actor, "star_levels.update", "star_levels", None, before={"levels": before},
                 after={"levels": [level.__dict__ for level in new]})
    db.session.commit()
    return new


def shift_all_points(delta: int) -> int:
    """Move every account by ``delta`` points (the base changed) and let the stars follow; caller commits."""
    table = CreditAccount.__table__
    count = db.session.execute(update(table).values(points=table.c.points + delta, updated_at=utcnow())).rowcount
    recompute_all_stars()
    return count


def recompute_all_stars(levels: tuple[Level, ...] | None = None) -> int:
    """Set every account's stars from its points and ceiling in one UPDATE; the caller commits."""
    levels = levels or current_levels()
    table = CreditAccount.__table__
    stars = stars_expression(table.c.points, table.c.ceiling_stars, levels)
    # Only rows whose stars change are written: a threshold move touches the accounts near it.
    statement = update(table).where(table.c.stars != stars).values(stars=stars, updated_at=utcnow())
    return db.session.execute(statement).rowcount


@settings.on_change("credit.base_points")
def _base_points_changed(old: int, new: int) -> None:
    if old != new:
        shift_all_points(new - old)
