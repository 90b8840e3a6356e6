"""Every benchmark in turn, then the benchmark databases and Redis keys are removed (``--keep`` leaves
them for another look). About 15 minutes on a 2-core machine.

    .venv/bin/python -m bench.run_all [--keep]
"""

import argparse
import subprocess
import sys

from bench.common import DATABASE, drop_database, forget_redis_keys
from bench.import_events import COPY

STEPS = ("bench.prepare", "bench.import_events", "bench.lookup", "bench.star_levels", "bench.ratings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args()
    try:
        for step in STEPS:
            print(f"== {step}", flush=True)
            subprocess.run([sys.executable, "-m", step], check=True)  # noqa: S603 - our own modules
    finally:
        if not args.keep:
            for name in (COPY, DATABASE):
                drop_database(name)
                forget_redis_keys(name)


if __name__ == "__main__":
    main()
