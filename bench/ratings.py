"""Rating every village and town of the benchmark city (1 million residents, ``chengxin_bench_1m``): the
set-based SQL behind ``GET /api/v1/public/villages`` and ``/towns`` when the cache is cold, and a request
through the API when it is warm.

    .venv/bin/python -m bench.ratings [--runs 3]
"""

import argparse
import time

from bench.common import Stopwatch, make_app, median, release, save
from bench.import_events import COPY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from backend.ratings import service

    app = make_app(COPY)
    cold = {"villages": [], "towns": []}
    with app.app_context():
        for _run in range(args.runs):
            for name, compute in (("villages", service._all_villages), ("towns", service._all_towns)):
                with Stopwatch() as watch:
                    rows = compute(service.rules())
                cold[name].append(round(watch.seconds, 2))
    client = app.test_client()
    client.get("/api/v1/public/towns")
    warm = []
    for _request in range(200):
        started = time.perf_counter()
        client.get("/api/v1/public/villages", query_string={"town": "长泾镇"})
        warm.append(time.perf_counter() - started)
    release(app)
    save("ratings", {"cold_seconds": cold, "median_cold_villages_seconds": median(cold["villages"]),
                     "median_cold_towns_seconds": median(cold["towns"]), "towns": len(rows),
                     "median_warm_request_ms": round(median(warm) * 1000, 2)})


if __name__ == "__main__":
    main()
