"""Import of the 1-million-event file on PostgreSQL, through the API (the Flask test client in process,
the file streamed as the request body, as an admin): the first import, then the same file again; and
beside them the raw COPY of the same rows into a bare table (no indexes, no checks), the physical
reference on this machine. Each run starts from a fresh copy of ``chengxin_bench`` (10 thousand events
in the ledger); the copy of the last run is kept as ``chengxin_bench_1m`` for the look-up benchmark.

    .venv/bin/python -m bench.import_events [--runs 3]
"""

import argparse

import psycopg

from bench.common import DATABASE, Stopwatch, create_database, database_url, make_app, median, release, save
from bench.prepare import EVENTS_FILE

COPY = "chengxin_bench_1m"


def import_file(client, headers) -> tuple[float, dict]:
    with open(EVENTS_FILE, "rb") as body, Stopwatch() as watch:
        response = client.post("/api/v1/admin/credit-events/import", input_stream=body,
                               content_length=EVENTS_FILE.stat().st_size, content_type="text/csv",
                               headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    answer = response.get_json()
    return watch.seconds, {key: answer[key] for key in ("rows", "created", "unchanged", "conflicts")} | {
        "errors": len(answer["errors"])}


def admin_headers(app) -> dict:
    from backend.auth import service as auth
    from backend.staff import service as staff

    with app.app_context():
        admin = staff.create_staff(None, username="bench-admin", display_name="bench",
                                   password="bench password 1", role="admin")  # noqa: S106 - a throwaway database
        return {"Authorization": "Bearer " + auth.sign_in("staff", admin.id).access_token}


def raw_copy() -> float:
    """COPY the file's rows into an unindexed table of the same columns: the floor for any import."""
    url = database_url(COPY).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE raw_events (id_number text, rubric_code text, occurred_at timestamptz, "
                       "source text, source_ref text, note text)")
        with open(EVENTS_FILE, "rb") as body, Stopwatch() as watch, cursor.copy(
                "COPY raw_events FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := body.read(1 << 20):
                copy.write(chunk)
        connection.rollback()
    return watch.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _run in range(args.runs):
        create_database(COPY, template=DATABASE)
        app = make_app(COPY)
        client, headers = app.test_client(), admin_headers(app)
        first, first_answer = import_file(client, headers)
        again, again_answer = import_file(client, headers)
        release(app)
        copy_seconds = raw_copy()
        runs.append({"first_seconds": round(first, 2), "first_per_second": round(first_answer["rows"] / first),
                     "first": first_answer, "again_seconds": round(again, 2),
                     "again_per_second": round(again_answer["rows"] / again), "again": again_answer,
                     "raw_copy_seconds": round(copy_seconds, 2),
                     "raw_copy_per_second": round(first_answer["rows"] / copy_seconds)})
        print(runs[-1], flush=True)
    save("import_events", {
        "runs": runs,
        "median_first_seconds": median([r["first_seconds"] for r in runs]),
        "median_first_per_second": median([r["first_per_second"] for r in runs]),
        "median_again_seconds": median([r["again_seconds"] for r in runs]),
        "median_again_per_second": median([r["again_per_second"] for r in runs]),
        "median_raw_copy_seconds": median([r["raw_copy_seconds"] for r in runs]),
        "median_raw_copy_per_second": median([r["raw_copy_per_second"] for r in runs]),
    })


if __name__ == "__main__":
    main()
