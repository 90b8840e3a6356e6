"""Property: after every step of any sequence of grants, status moves, threshold changes and passing
time, the account equals base + the counting events, and the stars follow thresholds and ceilings."""

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.credit import levels, rubric, service
from backend.credit.service import MOVES, StatusMoveNotAllowed
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, utcnow

BASE = 1000


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


items = st.fixed_dictionaries({
    "kind": st.sampled_from(["bonus", "penalty"]),
    "points": st.integers(1, 120),
    "annual_cap": st.one_of(st.none(), st.integers(1, 60)),
    "caps_stars_at": st.one_of(st.none(), st.integers(1, 4)),
    "validity_days": st.integers(1, 900),
})
steps = st.one_of(
    # A grant happened some days ago; an offset puts it right at its expiry (one day either side, or on it).
    st.tuples(st.just("grant"), st.integers(0, 3), st.integers(0, 800), st.sampled_from([None, -1, 0, 1])),
    st.tuples(st.just("move"), st.integers(0, 30), st.sampled_from(["active", "disputed", "voided", "repaired"])),
    st.tuples(st.just("advance"), st.integers(1, 400)),
    st.tuples(st.just("thresholds"), st.lists(st.integers(700, 1300), min_size=4, max_size=4, unique=True)),
)


def expected_stars(points, ceiling, bands):
    earned = next(level.stars for level in bands if level.min_points is None or points >= level.min_points)
    return min(earned, ceiling) if ceiling is not None else earned


def year_of(moment: datetime) -> int:
    return moment.astimezone(SHANGHAI).year


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow], derandomize=True,
          database=None)
@given(item_specs=st.lists(items, min_size=4, max_size=4), plan=st.lists(steps, min_size=1, max_size=14))
def test_account_always_equals_base_plus_counting_events(residents, monkeypatch, item_specs, plan):
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)
    resident = residents.create(id_number=residents.id_number())
    codes = []
    for spec in item_specs:
        residents.serial += 1
        code = f"P-{residents.serial}"
        points = spec["points"] if spec["kind"] == "bonus" else -spec["points"]
        rubric.create_item(None, code=code, category="social_contribution", title=code, points=points,
                           kind=spec["kind"], severity="general" if spec["kind"] == "penalty" else None,
                           validity_days=spec["validity_days"],
                           annual_cap=spec["annual_cap"] if spec["kind"] == "bonus" else None,
                           caps_stars_at=spec["caps_stars_at"] if spec["kind"] == "penalty" else None)
        codes.append((code, points, spec))
    model = []  # what the ledger should hold: dicts of points, status, until, ceiling, item, year
    bands = levels.current_levels()

    for number, step in enumerate(plan):
        if step[0] == "grant":
            _, which, days_ago, offset = step
            code, points, spec = codes[which]
            if offset is not None:
                days_ago = max(0, spec["validity_days"] + offset)
            occurred = clock.now - timedelta(days=days_ago)
            if points > 0 and spec["annual_cap"] is not None:
                gained = sum(e["points"] for e in model if e["item"] == which and e["status"] != "voided"
                             and e["year"] == year_of(occurred))
                points = max(0, min(points, spec["annual_cap"] - gained))
            grant = service.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                                        occurred_at=occurred, source="property", source_ref=f"{resident.id}-{number}")
            assert grant.event.points == points
            model.append({"id": grant.event.id, "points": points, "status": "active", "item": which,
                          "until": occurred + timedelta(days=spec["validity_days"]), "year": year_of(occurred),
                          "ceiling": spec["caps_stars_at"] if spec["kind"] == "penalty" else None})
        elif step[0] == "move" and model:
            _, index, to_status = step
            entry = model[index % len(model)]
            if (entry["status"], to_status) in MOVES:
                service.move_status(entry["id"], to_status, None, "property test")
                db.session.commit()
                entry["status"] = to_status
            else:
                try:
                    service.move_status(entry["id"], to_status, None, "property test")
                    raise AssertionError(f"{entry['status']} -> {to_status} was allowed")
                except StatusMoveNotAllowed:
                    db.session.rollback()
        elif step[0] == "advance":
            clock.now += timedelta(days=step[1])
        elif step[0] == "thresholds":
            minimums = sorted(step[1], reverse=True)
            bands = levels.set_levels(None, [{"stars": 5 - i, "name": f"{5 - i}★", "min_points": m}
                                             for i, m in enumerate(minimums)]
                                      + [{"stars": 1, "name": "1★", "min_points": None}])

        counting = [e for e in model if e["status"] in ("active", "disputed") and e["until"] > clock.now]
        points = BASE + sum(e["points"] for e in counting)
        ceilings = [e["ceiling"] for e in counting if e["ceiling"] is not None]
        ceiling = min(ceilings) if ceilings else None
        account = service.get_account(resident.id)
        assert account.points == points, f"after step {number} {step}"
        assert account.stars == expected_stars(points, ceiling, bands), f"after step {number} {step}"
        assert account.ceiling_stars == ceiling
    levels.set_levels(None, [{"stars": level.stars, "name": level.name, "min_points": level.min_points}
                             for level in levels.DEFAULT_LEVELS])
