"""The monthly monitoring of the benchmark city (SPEC §8): every figure of a month per town and city-wide,
stars and ratings rebuilt from a ledger of 1 million events for 1 million residents, by aggregate SQL;
then the same month published, and read back from its publication.

    .venv/bin/python -m bench.monitoring --prepare [--residents 1000000] [--events 1000000]
    .venv/bin/python -m bench.monitoring [--runs 3] [--month 2026-11] [--keep]

``--prepare`` makes its own database ``chengxin_bench_monitoring`` (``flask demo synthesize``'s city,
seed 2018, events through the bulk import) and gives it a past: residents registered before the
ledger's first event, and each event recorded when it occurred, so that the months before today hold
their share of events; 1 in 100 events is disputed and half of those later voided, so that the status
history is read. A run computes the month ``--runs`` times (the warnings compare with the previous
month, so each run rebuilds two months' stars), publishes it, and reads the published month 200 times
through the public API. The database is dropped at the end unless ``--keep``.
"""

import argparse
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.common import Stopwatch, create_database, drop_database, forget_redis_keys, make_app, median, release, save

DATABASE = "chengxin_bench_monitoring"
SEED = 2018


def prepare(residents: int, events: int) -> dict:
    from flask_migrate import upgrade

    from backend.data.extensions import db
    from backend.demo.synthetic import synthesize

    create_database(DATABASE)
    app = make_app(DATABASE)
    with app.app_context():
        upgrade()
        with Stopwatch() as making:
            counts = synthesize(residents=residents, events_count=events, seed=SEED)
        with Stopwatch() as dating:
            db.session.execute(sa.text("UPDATE credit_events SET created_at = occurred_at"))
            db.session.execute(sa.text("UPDATE residents SET created_at = :at"),
                               {"at": datetime(2020, 1, 1, tzinfo=UTC)})
            # A status history: 1 in 100 events disputed a week after it was recorded, half of those voided
            # a week later (the events' current status follows the last move).
            db.session.execute(sa.text(
                "INSERT INTO event_status_changes (event_id, from_status, to_status, at, actor_kind, reason) "
                "SELECT id, 'active', 'disputed', created_at + interval '7 days', 'system', 'benchmark' "
                "FROM credit_events WHERE id % 100 = 0"))
            db.session.execute(sa.text(
                "INSERT INTO event_status_changes (event_id, from_status, to_status, at, actor_kind, reason) "
                "SELECT id, 'disputed', 'voided', created_at + interval '14 days', 'system', 'benchmark' "
                "FROM credit_events WHERE id % 200 = 0"))
            db.session.execute(sa.text(
                "UPDATE credit_events SET status = CASE WHEN id % 200 = 0 THEN 'voided' ELSE 'disputed' END "
                "WHERE id % 100 = 0"))
            db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    release(app)
    return {"residents": residents, "events": events, "counts": counts,
            "synthesize_seconds": round(making.seconds, 1), "dating_seconds": round(dating.seconds, 1)}


def run(runs: int, month: str) -> dict:
    from backend.data.extensions import db
    from backend.monitoring import service
    from backend.settings import service as settings
    from backend.settings.defaults import LIMIT_MAX
    from backend.web.access import ADMIN, Principal

    app = make_app(DATABASE)
    timings = []
    with app.app_context():
        db.session.execute(sa.delete(service.PublishedMonth))
        db.session.commit()
        totals = db.session.execute(sa.text(
            "SELECT (SELECT count(*) FROM residents), (SELECT count(*) FROM credit_events), "
            "(SELECT count(*) FROM event_status_changes)")).one()
        for _run in range(runs):
            with Stopwatch() as watch:
                document = service.compute(month)
            timings.append(round(watch.seconds, 2))
            db.session.rollback()
        with Stopwatch() as publishing:
            service.publish(None, month)
        # The reads come from one address: lift the per-IP limit of public endpoints for them.
        settings.update(Principal(kind="system", id=0, roles=frozenset({ADMIN}), name="bench"),
                        {"limits.public_per_minute": LIMIT_MAX})
    client = app.test_client()
    reads = []
    for _request in range(200):
        started = time.perf_counter()
        response = client.get(f"/api/v1/public/stats/monthly/{month}")
        reads.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_json()
    release(app)
    city = document["city"]
    return {"month": month, "residents_in_db": totals[0], "events_in_db": totals[1], "status_changes": totals[2],
            "compute_seconds": timings, "median_compute_seconds": median(timings),
            "publish_seconds": round(publishing.seconds, 2),
            "median_published_read_ms": round(median(reads) * 1000, 2),
            "city": {"residents": city["residents"], "stars": city["stars"], "events": city["events"],
                     "ratings": city["ratings"]},
            "towns": len(document["towns"]), "warnings": len(document["warnings"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--keep", action="store_true", help="keep the database for another run")
    args = parser.parse_args()
    if args.prepare:
        save("monitoring_prepare", prepare(args.residents, args.events))
        return
    figures = run(args.runs, args.month)
    save("monitoring", figures)
    if not args.keep:
        drop_database(DATABASE)
        forget_redis_keys(DATABASE)


if __name__ == "__main__":
    main()
