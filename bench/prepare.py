"""Make the benchmark city: a fresh ``chengxin_bench`` database with 1 million synthetic residents (each
with an account), the default rubric and 10 thousand events in the ledger; and the import file of 1
million events for those residents (the same seed, so its first 10 thousand rows are the recorded ones).

    .venv/bin/python -m bench.prepare [--residents 1000000] [--events 10000] [--file-events 1000000]
"""

import argparse

from flask_migrate import upgrade

from backend.demo.synthetic import synthesize
from bench.common import DATABASE, RESULTS, Stopwatch, create_database, make_app, release, save

SEED = 2018
EVENTS_FILE = RESULTS / "events.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--file-events", type=int, default=1_000_000)
    args = parser.parse_args()
    create_database(DATABASE)
    app = make_app()
    with app.app_context():
        upgrade()
        with Stopwatch() as loading:
            counts = synthesize(residents=args.residents, events_count=args.events, seed=SEED)
        with Stopwatch() as writing:
            written = synthesize(residents=args.residents, events_count=args.file_events, seed=SEED,
                                 events_csv=EVENTS_FILE)
    release(app)
    save("prepare", {"residents": args.residents, "ledger_events": args.events, "file_events": args.file_events,
                     "synthesize_seconds": round(loading.seconds, 1), "counts": counts,
                     "write_file_seconds": round(writing.seconds, 1), "file": written,
                     "file_megabytes": round(EVENTS_FILE.stat().st_size / 2**20, 1)})


if __name__ == "__main__":
    main()
