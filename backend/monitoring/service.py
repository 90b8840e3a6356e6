"""Monthly monitoring (指标监测, SPEC §8): a month's figures per town and city-wide, its warnings (预警), and
the publication that freezes them.

Every figure comes from aggregate SQL (GROUP BY over the whole city, never a loop over residents) and is
taken as of 24:00 Asia/Shanghai on the month's last day (00:00 of the next month, the month's ``end``):

- **Residents and stars** are rebuilt from the ledger, not read from today's accounts: a resident counts
  if registered before the end and active in the registry; their points are the base plus the events
  recorded before the end, still effective at the end, whose status *at the end* (from the events' status
  history) was counting; stars follow from those points and any direct-grading ceiling, with the star
  levels in force. Credit households, villages and towns are rated from those stars by the rules of
  ``backend.ratings``.
- **Events** count by when they were recorded (``created_at`` within the month), by the resident's town.
- **Reviews** (reports, repairs, objections) come from the packages that own them: each registers a
  source with ``register_review_source`` and answers filed and decided within the month and overdue at
  its end, per town (``None``: no town known, counted city-wide only). Reports count by the subject's town.
- **Verifications and claims** (claims are stored as redemptions) by the verifier's town and purpose.
- **Government commitments** as of the end, by the owning body's town (``backend.integrity``).

What the registry and settings do not keep a history of is read as it stands now: a resident's town and
registry status, the star thresholds and the base points. A published month keeps what it showed.
"""

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, case, func, or_, select, text

from backend.accounts.models import WeChatAccount
from backend.audit import service as audit
from backend.codes.models import Verification
from backend.credit.levels import current_levels, stars_expression
from backend.credit.models import COUNTING_STATUSES, CreditEvent, EventStatusChange
from backend.data import bulk
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, as_local, as_utc, utcnow
from backend.i18n import _
from backend.integrity import service as integrity
from backend.monitoring.models import PublishedMonth
from backend.monitoring.sources import Period, ReviewCounts, review_label, review_sources
from backend.ratings import service as ratings
from backend.residents.models import Resident, Town
from backend.settings import service as settings
from backend.verifiers.models import Verifier
from backend.web.access import Principal
from backend.web.errors import Conflict, InvalidInput, NotFound

PURPOSES = ("discount", "admission", "loan", "service", "other")
STARS = (1, 2, 3, 4, 5)


class MonthNotEnded(Conflict):
    reason = "month_not_ended"
    message = _("Only a month that has ended can be published.")


class MonthInFuture(InvalidInput):
    reason = "month_in_future"

    def __init__(self):
        super().__init__(_("this month has not begun"), field="month")


class AlreadyPublished(Conflict):
    reason = "already_published"
    message = _("This month is already published; its figures do not change.")


class MonthNotPublished(NotFound):
    reason = "month_not_published"
    message = _("This month has not been published.")


class MonitoringTownNotFound(NotFound):
    reason = "town_not_found"
    message = _("No town of this name in the registry.")


# --- the month ------------------------------------------------------------------------------------------


def _month_start(year: int, month: int) -> datetime:
    return as_utc(datetime(year, month, 1, tzinfo=SHANGHAI))


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        if len(text) != 7 or not (2000 <= year <= 2999 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise InvalidInput(_("a month is written YYYY-MM"), field="month") from None
    return year, month


def period(month: str, now: datetime | None = None) -> Period:
    """The period of ``month`` (``YYYY-MM``); the running month is taken as of now."""
    year, number = parse_month(month)
    start = _month_start(year, number)
    end = _month_start(year + number // 12, number % 12 + 1)
    now = now or utcnow()
    if start > now:
        raise MonthInFuture()
    as_of = min(end, now)
    return Period(month, start, end, as_of, as_local(as_of).date())


def previous_month(month: str) -> str:
    year, number = parse_month(month)
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


# --- the figures ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One town's figures, or the city's."""

    residents: int = 0
    bound_residents: int = 0
    stars: dict = field(default_factory=lambda: {str(s): 0 for s in STARS})
    events: dict = field(default_factory=lambda: {"bonus": 0, "penalty": 0})
    reviews: dict = field(default_factory=dict)
    rewards: dict = field(default_factory=lambda: {"approved": 0, "approved_yuan": 0, "paid": 0, "paid_yuan": 0})
    verifications: dict = field(default_factory=lambda: {"total": 0, "redemptions": 0,
                                                         "by_purpose": {p: 0 for p in PURPOSES}})
    commitments: dict = field(default_factory=lambda: {"due": 0, "fulfilled": 0, "fulfilled_late": 0,
                                                       "overdue": 0, "broken": 0})
    ratings: dict = field(default_factory=lambda: {"households": 0, "credit_households": 0, "villages": 0,
                                                   "credit_villages": 0, "credit_village_share": 0.0})

    def add(self, other: "Figures") -> None:
        """Add a town's figures to these (the city's)."""
        self.residents += other.residents
        self.bound_residents += other.bound_residents
        for key, value in other.stars.items():
            self.stars[key] += value
        for group in ("events", "rewards", "commitments"):
            for key, value in getattr(other, group).items():
                getattr(self, group)[key] += value
        self.verifications["total"] += other.verifications["total"]
        self.verifications["redemptions"] += other.verifications["redemptions"]
        for key, value in other.verifications["by_purpose"].items():
            self.verifications["by_purpose"][key] += value
        for key in ("households", "credit_households", "villages", "credit_villages"):
            self.ratings[key] += other.ratings[key]


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def stars_at(*moments: datetime):
    """SQL: every active resident registered before the last of ``moments``, with household, village and
    town, and for each moment ``i``: ``present_i`` (1 if registered before it) and ``stars_i``, the stars
    held then, rebuilt from the ledger and the events' status history. One scan of the ledger serves
    every moment (a month and the one before it, for the warnings)."""
    events, changes = CreditEvent.__table__, EventStatusChange.__table__
    # Events that ever moved: their status at each moment is set by their last move before it, or, before
    # their first move, is the status that move left. Events that never moved have their status still.
    moves = (select(changes.c.event_id, func.min(changes.c.id).label("first_id"),
                    *[func.max(case((changes.c.at < moment, changes.c.id))).label(f"last_{i}")
                      for i, moment in enumerate(moments)])
             .group_by(changes.c.event_id).subquery("moves"))
    first_move = changes.alias("first_move")
    last_moves = [changes.alias(f"last_move_{i}") for i in range(len(moments))]
    joined = moves.join(first_move, first_move.c.id == moves.c.first_id)
    for i, last_move in enumerate(last_moves):
        joined = joined.outerjoin(last_move, last_move.c.id == moves.c[f"last_{i}"])
    changed = (select(moves.c.event_id, *[func.coalesce(last_move.c.to_status, first_move.c.from_status)
                                          .label(f"status_{i}") for i, last_move in enumerate(last_moves)])
               .select_from(joined).subquery("changed"))

    def counting(i, moment):
        return and_(events.c.created_at < moment, events.c.effective_until > moment,
                    func.coalesce(changed.c[f"status_{i}"], events.c.status).in_(COUNTING_STATUSES))

    totals = []
    for i, moment in enumerate(moments):
        points = func.coalesce(func.sum(case((counting(i, moment), events.c.points), else_=0)), 0)
        totals += [points.label(f"total_{i}"),
                   func.min(case((counting(i, moment), events.c.caps_stars_at))).label(f"ceiling_{i}")]
    per_resident = (select(events.c.resident_id, *totals)
                    .select_from(events.outerjoin(changed, changed.c.event_id == events.c.id))
                    .where(events.c.created_at < max(moments), events.c.effective_until > min(moments))
                    .group_by(events.c.resident_id)
                    .subquery("counting"))
    base, levels = settings.get("credit.base_points"), current_levels()
    columns = []
    for i, moment in enumerate(moments):
        points = base + func.coalesce(per_resident.c[f"total_{i}"], 0)
        columns += [case((Resident.created_at < moment, 1), else_=0).label(f"present_{i}"),
                    stars_expression(points, per_resident.c[f"ceiling_{i}"], levels).label(f"stars_{i}")]
    return (select(Resident.id.label("resident_id"), Resident.household_id, Resident.village_id,
                   Resident.town_id, *columns)
            .select_from(Resident)
            .outerjoin(per_resident, per_resident.c.resident_id == Resident.id)
            .where(Resident.created_at < max(moments), Resident.status == "active"))


def rated_towns(moment: datetime, before: datetime) -> dict[int, dict]:
    """Per town, as of ``moment``: residents, the stars they held and the ratings; and as of ``before``
    (the previous month's end) its villages and credit villages. One statement over the registry and the
    ledger, grouped three times (households, villages, towns)."""
    rules = ratings.rules()
    bulk.roomy_transaction()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Parallel workers would each rebuild the per-resident totals of the ledger (the inner side of
        # their join): one process does it once, and faster on a small machine.
        connection.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    people = stars_at(moment, before).subquery("people")
    household_columns = []
    for i in (0, 1):
        present, stars = people.c[f"present_{i}"], people.c[f"stars_{i}"]
        members = func.sum(present)
        lowest, highest = func.min(case((present == 1, stars))), func.max(case((present == 1, stars)))
        household_columns += [
            members.label(f"members_{i}"), case((members > 0, 1), else_=0).label(f"has_members_{i}"),
            case((and_(members > 0, lowest >= rules.min_stars, highest >= rules.top_stars), 1), else_=0)
            .label(f"is_credit_{i}")]
    households = (select(people.c.household_id, people.c.village_id, people.c.town_id, *household_columns,
                         *[_count_if(and_(people.c.present_0 == 1, people.c.stars_0 == stars)).label(f"s{stars}")
                           for stars in STARS])
                  .group_by(people.c.household_id, people.c.village_id, people.c.town_id)
                  .subquery("households_then"))
    village_columns = []
    for i in (0, 1):
        count, credit = func.sum(households.c[f"has_members_{i}"]), func.sum(households.c[f"is_credit_{i}"])
        village_columns += [
            count.label(f"households_{i}"), credit.label(f"credit_households_{i}"),
            case((count > 0, 1), else_=0).label(f"has_households_{i}"),
            ratings.at_least(credit, count, rules.village_share).label(f"is_credit_{i}")]
    villages = (select(households.c.village_id, households.c.town_id,
                       func.sum(households.c.members_0).label("residents"), *village_columns,
                       *[func.sum(households.c[f"s{stars}"]).label(f"s{stars}") for stars in STARS])
                .group_by(households.c.village_id, households.c.town_id)
                .subquery("villages_then"))
    towns = (select(villages.c.town_id, func.sum(villages.c.residents).label("residents"),
                    func.sum(villages.c.has_households_0).label("villages"),
                    func.sum(villages.c.is_credit_0).label("credit_villages"),
                    func.sum(villages.c.households_0).label("households"),
                    func.sum(villages.c.credit_households_0).label("credit_households"),
                    func.sum(villages.c.has_households_1).label("villages_before"),
                    func.sum(villages.c.is_credit_1).label("credit_villages_before"),
                    *[func.sum(villages.c[f"s{stars}"]).label(f"s{stars}") for stars in STARS])
             .group_by(villages.c.town_id))
    return {row.town_id: {"residents": int(row.residents), "villages": int(row.villages),
                          "credit_villages": int(row.credit_villages), "households": int(row.households),
                          "credit_households": int(row.credit_households),
                          "villages_before": int(row.villages_before),
                          "credit_villages_before": int(row.credit_villages_before),
                          "stars": {str(stars): int(row[f"s{stars}"]) for stars in STARS}}
            for row in db.session.execute(towns).mappings()}


def _bound_residents(moment: datetime) -> dict[int, int]:
    statement = (select(Resident.town_id, func.count())
                 .join(WeChatAccount, WeChatAccount.resident_id == Resident.id)
                 .where(WeChatAccount.bound_at < moment, Resident.created_at < moment, Resident.status == "active")
                 .group_by(Resident.town_id))
    return dict(db.session.execute(statement).all())


def penalty_and_bonus_events(start: datetime, end: datetime) -> dict[int, dict]:
    """Events recorded within [start, end), by the resident's town and kind."""
    statement = (select(Resident.town_id, _count_if(CreditEvent.kind == "bonus").label("bonus"),
                        _count_if(CreditEvent.kind == "penalty").label("penalty"))
                 .join(Resident, Resident.id == CreditEvent.resident_id)
                 .where(CreditEvent.created_at >= start, CreditEvent.created_at < end)
                 .group_by(Resident.town_id))
    return {row.town_id: {"bonus": int(row.bonus), "penalty": int(row.penalty)}
            for row in db.session.execute(statement)}


def _verifications(start: datetime, end: datetime) -> dict[int, dict]:
    statement = (select(Verifier.town_id, Verification.purpose, func.count().label("total"),
                        _count_if(Verification.redeemed.is_(True)).label("redemptions"))
                 .join(Verifier, Verifier.id == Verification.verifier_id)
                 .where(Verification.at >= start, Verification.at < end)
                 .group_by(Verifier.town_id, Verification.purpose))
    found: dict[int, dict] = {}
    for row in db.session.execute(statement):
        town = found.setdefault(row.town_id, {"total": 0, "redemptions": 0, "by_purpose": {p: 0 for p in PURPOSES}})
        town["total"] += row.total
        town["redemptions"] += int(row.redemptions)
        town["by_purpose"][row.purpose] = town["by_purpose"].get(row.purpose, 0) + row.total
    return found


def _rewards(start: datetime, end: datetime) -> dict[int | None, dict]:
    """Report rewards approved and paid within the month, by the report's subject's town."""
    from backend.reports.models import Report, ReportReward

    subject = Resident.__table__.alias("subject")
    town = func.coalesce(subject.c.town_id, Report.town_id)
    approved = and_(ReportReward.approved_at >= start, ReportReward.approved_at < end)
    paid = and_(ReportReward.paid_at.is_not(None), ReportReward.paid_at >= start, ReportReward.paid_at < end)

    def amount_if(condition):
        return func.coalesce(func.sum(case((condition, ReportReward.amount), else_=0)), 0)

    statement = (select(town.label("town_id"), _count_if(approved).label("approved"),
                        amount_if(approved).label("approved_yuan"), _count_if(paid).label("paid"),
                        amount_if(paid).label("paid_yuan"))
                 .select_from(ReportReward)
                 .join(Report, Report.id == ReportReward.report_id)
                 .outerjoin(subject, subject.c.id == Report.subject_resident_id)
                 .where(or_(approved, paid))
                 .group_by(town))
    return {row.town_id: {"approved": int(row.approved), "approved_yuan": int(row.approved_yuan),
                          "paid": int(row.paid), "paid_yuan": int(row.paid_yuan)}
            for row in db.session.execute(statement)}


def _commitments(as_of: datetime) -> dict[int | None, dict]:
    found = {}
    for town_id, counts in integrity.commitment_counts_by_town(as_of=as_of).items():
        found[town_id] = {"due": counts.due, "fulfilled": counts.fulfilled_on_time + counts.fulfilled_late,
                          "fulfilled_late": counts.fulfilled_late, "overdue": counts.overdue,
                          "broken": counts.broken}
    return found


def compute(month: str, *, now: datetime | None = None) -> dict:
    """The month's figures per town and city-wide, and its warnings: the document a publication freezes."""
    found = period(month, now)
    towns = {town.id: town.name for town in db.session.scalars(select(Town).order_by(Town.name, Town.id))}
    per_town = {town_id: Figures() for town_id in towns}
    # What belongs to no known town (reports on unknown subjects, city-level departments' commitments)
    # counts city-wide only.
    unplaced = Figures()

    def figures(town_id):
        return per_town.get(town_id, unplaced)

    before = period(previous_month(month))
    rated = rated_towns(found.as_of, before.as_of)
    for town_id, row in rated.items():
        target = figures(town_id)
        target.residents, target.stars = row["residents"], row["stars"]
        target.ratings.update({key: row[key] for key in ("households", "credit_households", "villages",
                                                          "credit_villages")})
    for town_id, count in _bound_residents(found.as_of).items():
        figures(town_id).bound_residents = count
    for town_id, counts in penalty_and_bonus_events(found.start, found.end).items():
        figures(town_id).events = counts
    sources = review_sources()
    names = sorted(sources)
    for target in [*per_town.values(), unplaced]:
        target.reviews = {name: asdict(ReviewCounts()) for name in names}
    for name in names:
        for town_id, counts in sources[name](found).items():
            figures(town_id).reviews[name] = asdict(counts)
    for town_id, counts in _rewards(found.start, found.end).items():
        figures(town_id).rewards = counts
    for town_id, counts in _verifications(found.start, found.end).items():
        figures(town_id).verifications = counts
    for town_id, counts in _commitments(found.as_of).items():
        figures(town_id).commitments = counts

    town_share = ratings.rules().town_share
    town_rows = []
    for town_id, name in towns.items():
        town = per_town[town_id]
        town.ratings["credit_village_share"] = ratings.share(town.ratings["credit_villages"], town.ratings["villages"])
        is_credit_town = ratings.meets(town.ratings["credit_villages"], town.ratings["villages"], town_share)
        town_rows.append({"town": name, **asdict(town), "ratings": {**town.ratings, "is_credit_town": is_credit_town}})
    city = Figures()
    city.reviews = {name: asdict(ReviewCounts()) for name in names}
    for town in [*per_town.values(), unplaced]:
        city.add(town)
        for name in names:
            city.reviews[name] = asdict(ReviewCounts(**city.reviews[name]) + ReviewCounts(**town.reviews[name]))
    city.ratings["credit_village_share"] = ratings.share(city.ratings["credit_villages"], city.ratings["villages"])
    city_row = {**asdict(city), "ratings": {
        **city.ratings, "towns": len(town_rows),
        "credit_towns": sum(1 for row in town_rows if row["ratings"]["is_credit_town"])}}
    document = {"month": month, "as_of": as_local(found.as_of).isoformat(), "complete": found.complete,
                "city": city_row, "towns": town_rows,
                "unplaced": {"reviews": unplaced.reviews, "commitments": unplaced.commitments,
                             "rewards": unplaced.rewards}}
    document["warnings"] = warnings(document, _previous_figures(before, rated, towns))
    return document


# --- warnings (预警) ------------------------------------------------------------------------------------


def _previous_figures(before: Period, rated: dict[int, dict], towns: dict[int, str]) -> dict:
    """What the warnings compare with: the previous month's penalties per town (recorded events never
    change) and its credit-village shares (from its publication when there is one, else rebuilt with this
    month's figures)."""
    penalties = {towns.get(town_id): counts["penalty"]
                 for town_id, counts in penalty_and_bonus_events(before.start, before.end).items()}
    published = db.session.get(PublishedMonth, before.month)
    if published is not None:
        shares = {row["town"]: row["ratings"]["credit_village_share"] for row in published.document["towns"]}
    else:
        shares = {towns[town_id]: ratings.share(row["credit_villages_before"], row["villages_before"])
                  for town_id, row in rated.items() if town_id in towns and row["villages_before"]}
    return {"penalties": penalties, "credit_village_shares": shares}


def thresholds() -> dict:
    return {key: settings.get(f"monitoring.{key}") for key in
            ("penalty_rise_share", "penalty_rise_from_zero", "overdue_reviews_at", "overdue_commitments_at")}


def penalties_rose(previous: int, current: int, share: float, from_zero: int) -> bool:
    """More than ``share`` above the previous month (exactly at it is no rise); from zero, ``from_zero``
    or more."""
    if previous == 0:
        return current >= from_zero
    rise = Fraction(str(share)).limit_denominator(10**6)
    return (current - previous) * rise.denominator > previous * rise.numerator


def warnings(document: dict, previous: dict) -> list[dict]:
    """The month's warnings as data (kind, town or None for city-level, the figures behind them); their
    text is written when they are read, in the reader's language."""
    limits = thresholds()
    found = []
    scopes = [(row["town"], row) for row in document["towns"]] + [(None, document["unplaced"])]
    for town, row in scopes:
        for source, counts in row["reviews"].items():
            if counts["overdue"] >= limits["overdue_reviews_at"]:
                found.append({"kind": "overdue_reviews", "town": town, "source": source, "count": counts["overdue"],
                              "threshold": limits["overdue_reviews_at"]})
        overdue = row["commitments"]["overdue"]
        if overdue >= limits["overdue_commitments_at"]:
            found.append({"kind": "overdue_commitments", "town": town, "source": None, "count": overdue,
                          "threshold": limits["overdue_commitments_at"]})
    for row in document["towns"]:
        before = previous["penalties"].get(row["town"], 0)
        now = row["events"]["penalty"]
        if penalties_rose(before, now, limits["penalty_rise_share"], limits["penalty_rise_from_zero"]):
            found.append({"kind": "penalty_rise", "town": row["town"], "source": None, "count": now,
                          "previous": before, "threshold": limits["penalty_rise_share"] if before else
                          limits["penalty_rise_from_zero"]})
        share_before = previous["credit_village_shares"].get(row["town"])
        share_now = row["ratings"]["credit_village_share"]
        if share_before is not None and share_now < share_before:
            found.append({"kind": "credit_village_share_fell", "town": row["town"], "source": None,
                          "share": share_now, "previous_share": share_before})
    return found


_WARNING_TEXT = {
    "overdue_reviews": _("%(count)s overdue reviews of %(source)s"),
    "overdue_commitments": _("%(count)s overdue government commitments"),
    "penalty_rise": _("penalties rose from %(previous)s to %(count)s over the previous month"),
    "credit_village_share_fell": _("the share of credit villages fell from %(previous_share)s to %(share)s"),
}


def with_messages(document: dict) -> dict:
    """The document with each warning's text in the reader's language."""
    shown = []
    for warning in document["warnings"]:
        values = {key: value for key, value in warning.items() if value is not None}
        if "source" in values:
            values["source"] = review_label(values["source"])
        shown.append({**warning, "message": str(_WARNING_TEXT[warning["kind"]] % values)})
    return {**document, "warnings": shown}


# --- reading, publishing --------------------------------------------------------------------------------


def published(month: str) -> PublishedMonth | None:
    parse_month(month)
    return db.session.get(PublishedMonth, month)


def _as_published(frozen: PublishedMonth) -> dict:
    return {**frozen.document, "published": True, "published_at": as_local(frozen.published_at).isoformat()}


def monthly(month: str) -> dict:
    """A month's figures: frozen when published, otherwise computed now."""
    frozen = published(month)
    if frozen is not None:
        return _as_published(frozen)
    return {**compute(month), "published": False, "published_at": None}


def published_month(month: str, town: str | None = None) -> dict:
    """A published month exactly as it was frozen, the city's or one town's; 404 ``month_not_published``
    for one that is not, ``town_not_found`` for an unknown town."""
    check_town(town)
    frozen = published(month)
    if frozen is None:
        raise MonthNotPublished()
    return for_town(_as_published(frozen), town)


def month_summary(frozen: PublishedMonth, town: str | None) -> dict:
    """One published month in a trend over months: the city's figures or one town's, and how many of its
    warnings concern them."""
    document = frozen.document
    figures = document["city"] if town is None else next(
        (item for item in document["towns"] if item["town"] == town), None)
    if figures is None:  # a town registered after the month was published: it had nothing then
        figures = {"town": town, **asdict(Figures())}
    return {"month": frozen.month, "as_of": as_local(frozen.as_of).isoformat(),
            "published_at": as_local(frozen.published_at).isoformat(), "town": town,
            "figures": figures, "ratings": figures.get("ratings", {}),
            "warnings": len(for_town(document, town)["warnings"])}


def publish(actor: Principal | None, month: str, *, now: datetime | None = None) -> dict:
    """Freeze an ended month's figures and warnings (409 ``already_published`` the second time)."""
    now = now or utcnow()
    found = period(month, now)
    if not found.complete:
        raise MonthNotEnded()
    if published(month) is not None:
        raise AlreadyPublished()
    document = compute(month, now=now)
    row = PublishedMonth(month=month, as_of=found.as_of, published_at=now,
                         published_by=actor.id if actor is not None and actor.kind == "staff" else None,
                         document=document)
    db.session.add(row)
    audit.record(actor, "monitoring.publish", "published_month", month,
                 after={"month": month, "warnings": len(document["warnings"])})
    db.session.commit()
    return {**document, "published": True, "published_at": as_local(now).isoformat()}


def published_months():
    """A select of the published months, newest first: to paginate."""
    return select(PublishedMonth).order_by(PublishedMonth.month.desc())


def check_town(name: str | None) -> None:
    if name is not None and db.session.scalar(select(Town.id).where(Town.name == name)) is None:
        raise MonitoringTownNotFound()


def for_town(document: dict, town: str | None) -> dict:
    """The document narrowed to one town (its warnings too); the whole city when ``town`` is None."""
    if town is None:
        return document
    return {**document, "towns": [row for row in document["towns"] if row["town"] == town],
            "warnings": [warning for warning in document["warnings"] if warning["town"] == town]}


# --- CSV ------------------------------------------------------------------------------------------------


def csv_text(document: dict) -> str:
    """The figures as one CSV row per town and one for the city (``town`` empty), header first."""
    reviews = sorted(document["city"]["reviews"])
    header = ["month", "town", "residents", "bound_residents", *[f"stars_{s}" for s in STARS],
              "bonus_events", "penalty_events",
              *[f"{name}_{key}" for name in reviews for key in ("filed", "decided", "overdue")],
              "rewards_approved", "rewards_approved_yuan", "rewards_paid", "rewards_paid_yuan",
              "verifications", "redemptions", *[f"verifications_{p}" for p in PURPOSES],
              "commitments_due", "commitments_fulfilled", "commitments_fulfilled_late", "commitments_overdue",
              "commitments_broken", "households", "credit_households", "villages", "credit_villages",
              "credit_village_share", "warnings"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for town, row in [(row["town"], row) for row in document["towns"]] + [("", document["city"])]:
        count = sum(1 for warning in document["warnings"] if (warning["town"] or "") == town) \
            if town else len(document["warnings"])
        writer.writerow([
            document["month"], town, row["residents"], row["bound_residents"], *[row["stars"][str(s)] for s in STARS],
            row["events"]["bonus"], row["events"]["penalty"],
            *[row["reviews"][name][key] for name in reviews for key in ("filed", "decided", "overdue")],
            row["rewards"]["approved"], row["rewards"]["approved_yuan"], row["rewards"]["paid"],
            row["rewards"]["paid_yuan"], row["verifications"]["total"], row["verifications"]["redemptions"],
            *[row["verifications"]["by_purpose"].get(p, 0) for p in PURPOSES],
            *[row["commitments"][key] for key in ("due", "fulfilled", "fulfilled_late", "overdue", "broken")],
            *[row["ratings"][key] for key in ("households", "credit_households", "villages", "credit_villages",
                                              "credit_village_share")],
            count])
    return out.getvalue()
