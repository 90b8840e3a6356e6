"""A star-threshold change over 1 million accounts on PostgreSQL (``chengxin_bench_1m``): the time of
``PUT /api/v1/admin/star-levels``'s service (one UPDATE of the accounts whose stars change, the audit
record, the commit), for a small move (4★ from 1030 to 1025 and back: the accounts near it) and for a
large one (3★ from 960 to 1001 and back: every account at the base of 1000 changes).

    .venv/bin/python -m bench.star_levels [--runs 3]
"""

import argparse

from sqlalchemy import func, select

from bench.common import Stopwatch, make_app, median, release, save
from bench.import_events import COPY

DEFAULT = {5: 1050, 4: 1030, 3: 960, 2: 850}
MOVES = {"small": (4, 1025), "large": (3, 1001)}


def levels_with(stars: int | None = None, minimum: int | None = None) -> list[dict]:
    thresholds = dict(DEFAULT)
    if stars:
        thresholds[stars] = minimum
    return [{"stars": s, "name": f"{s}★", "min_points": thresholds[s]} for s in (5, 4, 3, 2)] + [
        {"stars": 1, "name": "1★"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from backend.credit import levels
    from backend.credit.models import CreditAccount
    from backend.data.extensions import db

    app = make_app(COPY)
    figures = {}
    with app.app_context():
        accounts = db.session.scalar(select(func.count()).select_from(CreditAccount))
        for move, (stars, minimum) in MOVES.items():
            timings = []
            for _run in range(args.runs):
                for wanted in (levels_with(stars, minimum), levels_with()):
                    with Stopwatch() as watch:
                        levels.set_levels(None, wanted)
                    timings.append(round(watch.seconds, 2))
            figures[move] = {"change": f"{stars}★ from {DEFAULT[stars]} to {minimum} and back",
                             "seconds": timings, "median_seconds": median(timings)}
        db.session.remove()
    release(app)
    save("star_levels", {"accounts": accounts, **figures})


if __name__ == "__main__":
    main()
