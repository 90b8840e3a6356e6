"""Import of the 1-million-event file on PostgreSQL, through the API (the Flask test client in process,
the file streamed as the request body, as an admin): the first import, then the same file again; and
beside them the raw COPY of the same rows into a bare table (no indexes, no checks), the physical
reference on this machine. Each run starts from a fresh copy of ``chengxin_bench`` (10 thousand events
in the ledger); the copy of the last run is kept as ``chengxin_bench_1m`` for the look-up benchmark.

    .venv/bin/python -m bench.import_events [--runs 3] [--settings both|default|production]

With ``--settings production`` (and by default side by side with the server as it is) the runs have the
server settings bench/README.md recommends for production (``bench.common.PRODUCTION_SETTINGS``: WAL size
and checkpoint distance, applied with ALTER SYSTEM and a reload, reset afterwards). Every run checks that
the second import of the file adds nothing.
"""

import argparse
from pathlib import Path

import psycopg

from bench.common import (
    DATABASE,
    Stopwatch,
    create_database,
    database_url,
    make_app,
    median,
    production_settings,
    release,
    save,
)
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


def one_run(tuned: bool) -> dict:
    with production_settings(apply=tuned) as settings:
        create_database(COPY, template=DATABASE)
        app = make_app(COPY)
        client, headers = app.test_client(), admin_headers(app)
        load = loadavg()
        first, first_answer = import_file(client, headers)
        again, again_answer = import_file(client, headers)
        release(app)
        copy_seconds = raw_copy()
    assert again_answer["created"] == 0 and again_answer["unchanged"] == first_answer["created"] + first_answer[
        "unchanged"], again_answer  # the second import is a no-op
    return {"settings": settings, "load_average": load,
            "first_seconds": round(first, 2), "first_per_second": round(first_answer["rows"] / first),
            "first": first_answer, "again_seconds": round(again, 2),
            "again_per_second": round(again_answer["rows"] / again), "again": again_answer,
            "raw_copy_seconds": round(copy_seconds, 2),
            "raw_copy_per_second": round(first_answer["rows"] / copy_seconds)}


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settings", choices=("both", "default", "production"), default="both",
                        help="the server as it is, with bench.common.PRODUCTION_SETTINGS, or both side by side")
    args = parser.parse_args()
    kinds = {"both": ("default", "production"), "default": ("default",), "production": ("production",)}[args.settings]
    runs = {kind: [] for kind in kinds}
    for _run in range(args.runs):
        for kind in kinds:  # side by side: each run measures every kind in turn
            runs[kind].append(one_run(tuned=kind == "production"))
            print(kind, runs[kind][-1], flush=True)
    figures = {}
    for kind, measured in runs.items():
        figures[kind] = {"runs": measured, **{f"median_{name}": median([r[name] for r in measured]) for name in (
            "first_seconds", "first_per_second", "again_seconds", "again_per_second", "raw_copy_seconds",
            "raw_copy_per_second")}}
    save("import_events", figures)


if __name__ == "__main__":
    main()
