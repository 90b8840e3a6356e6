"""The public credit query at city scale on PostgreSQL: 200 thousand synthetic enterprises and 1 million
licences and penalties over them, loaded through the imports (the API, the Flask test client in process,
the files streamed as request bodies, as an admin); then name-substring search and the enterprise page
through the API, p50 and p99; the plans of the search; and the raw COPY of the disclosure file beside
its import.

    .venv/bin/python -m bench.public_credit [--enterprises 200000] [--disclosures 1000000] [--requests 2000]
                                            [--keep] [--skip-load]

The files are written once into bench/results/credit/ (deterministic, decided before the day they are
written) and reused while that day lasts. ``--keep`` leaves the database ``chengxin_bench_credit`` for
another look; ``--skip-load`` measures the queries on the kept one.
"""

import argparse
import csv
import json
import random
import statistics
import time
from datetime import date

import psycopg

from backend.demo.synthetic_credit import TOWNS, write_files
from bench.common import (
    RESULTS,
    Stopwatch,
    create_database,
    database_url,
    drop_database,
    forget_redis_keys,
    make_app,
    percentile,
    release,
    save,
)

DATABASE = "chengxin_bench_credit"
FILES = RESULTS / "credit"
SEED = 2026
WARM_UP = 200
# Words nearly every name holds: the worst case of a search, measured apart.
GENERIC_WORDS = ("有限公司", "江阴市", "有限", "纺织")


def files(enterprise_count: int, disclosure_count: int) -> dict:
    marker = FILES / "files.json"
    wanted = {"enterprises": enterprise_count, "disclosures": disclosure_count, "seed": SEED,
              "as_of": date.today().isoformat()}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return {"enterprises": FILES / "enterprises.csv", "disclosures": FILES / "disclosures.csv"}
    with Stopwatch() as writing:
        paths = write_files(FILES, enterprise_count=enterprise_count, disclosure_count=disclosure_count, seed=SEED,
                            as_of=date.today())
    marker.write_text(json.dumps(wanted))
    print(f"files written in {writing.seconds:.0f} s", flush=True)
    return paths


def admin_headers(app) -> dict:
    from backend.auth import service as auth
    from backend.staff import service as staff

    with app.app_context():
        admin = staff.create_staff(None, username="bench-admin", display_name="bench",
                                   password="bench password 1", role="admin")  # noqa: S106 - a throwaway database
        return {"Authorization": "Bearer " + auth.sign_in("staff", admin.id).access_token}


def import_file(client, headers, kind: str, path) -> dict:
    with open(path, "rb") as body, Stopwatch() as watch:
        response = client.post(f"/api/v1/admin/{kind}/import", input_stream=body, content_length=path.stat().st_size,
                               content_type="text/csv", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    answer = response.get_json()
    assert not answer["errors"], answer["errors"][:5]
    figures = {key: answer[key] for key in ("rows", "created", "updated", "unchanged")}
    figures.update(seconds=round(watch.seconds, 1), per_second=round(answer["rows"] / watch.seconds))
    print(kind, figures, flush=True)
    return figures


def raw_copy(path) -> float:
    """COPY the disclosure file into a bare table of text columns: the floor for any import."""
    with open(path, encoding="utf-8") as handle:
        columns = next(csv.reader(handle))
    url = database_url(DATABASE).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE raw_disclosures ({})".format(
            ", ".join(f'"{name}" text' for name in columns)))
        with open(path, "rb") as body, Stopwatch() as watch, cursor.copy(
                "COPY raw_disclosures FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := body.read(1 << 20):
                copy.write(chunk)
        connection.rollback()
    return watch.seconds


def load(app, paths) -> dict:
    client, headers = app.test_client(), admin_headers(app)
    figures = {"enterprises": import_file(client, headers, "enterprises", paths["enterprises"]),
               "disclosures_first": import_file(client, headers, "disclosures", paths["disclosures"]),
               "disclosures_again": import_file(client, headers, "disclosures", paths["disclosures"])}
    copy_seconds = raw_copy(paths["disclosures"])
    figures["raw_copy"] = {"seconds": round(copy_seconds, 1),
                           "per_second": round(figures["disclosures_first"]["rows"] / copy_seconds)}
    print("raw copy", figures["raw_copy"], flush=True)
    return figures


def trade_name_at(name: str) -> int:
    """Where the trade name (字号) starts: after the place (江阴市, 江阴, 江苏, and a shop's town)."""
    for prefix in ("江阴市", "江阴", "江苏"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            town = next((town for town in TOWNS if rest.startswith(town)), "")
            return len(prefix) + len(town)
    return 0


def search_terms(path, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """What people type: a trade name (two characters), a trade name with the start of the trade (four),
    a whole name, or a USCC."""
    with open(path, encoding="utf-8") as handle:
        companies = list(csv.DictReader(handle))
    terms = []
    for _ in range(count):
        company = rng.choice(companies)
        name, kind = company["name"], rng.random()
        start = trade_name_at(name)
        if kind < 0.35:
            terms.append(("trade name, 2 characters", name[start:start + 2]))
        elif kind < 0.7:
            terms.append(("trade name and trade, 4 characters", name[start:start + 4]))
        elif kind < 0.9:
            terms.append(("whole name", name))
        else:
            terms.append(("USCC", company["uscc"]))
    return terms


def timed_requests(client, paths: list[str]) -> list[float]:
    for path in paths[:WARM_UP]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    timings = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return timings


def summary(timings: list[float]) -> dict:
    return {"requests": len(timings), "p50_ms": round(statistics.median(timings), 2),
            "p99_ms": round(percentile(timings, 0.99), 2), "max_ms": round(max(timings), 2)}


def measure(app, paths, requests: int) -> dict:
    from urllib.parse import quote

    from backend.settings import service as settings
    from backend.settings.defaults import LIMIT_MAX
    from backend.web.access import ADMIN, Principal

    # The benchmark is one client at one address: the per-IP limit of public queries is raised for it.
    with app.app_context():
        settings.update(Principal(kind="system", id=0, roles=frozenset({ADMIN}), name="benchmark"),
                        {"limits.public_per_minute": LIMIT_MAX})
    rng = random.Random(SEED)
    client = app.test_client()
    terms = search_terms(paths["enterprises"], requests, rng)
    search = timed_requests(client, [f"/api/v1/public/enterprises?q={quote(term)}" for _kind, term in terms])
    by_kind = {}
    for (kind, _term), timing in zip(terms, search, strict=True):
        by_kind.setdefault(kind, []).append(timing)
    common = {term: summary(timed_requests(client, [f"/api/v1/public/enterprises?q={quote(term)}"] * 50))
              for term in GENERIC_WORDS}
    with open(paths["enterprises"], encoding="utf-8") as handle:
        usccs = [row["uscc"] for row in csv.DictReader(handle)]
    pages = timed_requests(client, [f"/api/v1/public/enterprises/{rng.choice(usccs)}" for _ in range(requests)])
    return {"search": summary(search), "search_by_kind": {kind: summary(t) for kind, t in by_kind.items()},
            "search_common_terms": common, "enterprise_page": summary(pages)}


def plans(app) -> dict:
    """EXPLAIN ANALYZE of the search's statements, as the app sends them."""
    from sqlalchemy import func, select

    from backend.data.extensions import db
    from backend.public_credit import service

    shown = {}
    with app.app_context():
        for label, q in (("4 characters", "华宏纺织"), ("2 characters", "华宏"),
                         ("whole name", "江阴市华宏纺织有限公司"), ("a generic word", "有限公司")):
            statement = service.search_enterprises(q).limit(10)
            # As page_of counts a full first page: up to SEARCH_LIMIT matches.
            count = select(func.count()).select_from(
                service.search_enterprises(q).order_by(None).limit(service.SEARCH_LIMIT).subquery())
            for part, sql in (("page", statement), ("count", count)):
                # Literal values are written with % doubled for the driver's parameter style.
                compiled = str(sql.compile(db.engine, compile_kwargs={"literal_binds": True})).replace("%%", "%")
                driver = db.session.connection().connection.driver_connection  # no parameters: % as written
                rows = [row[0] for row in driver.execute(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}").fetchall()]
                shown[f"{label} — {part}"] = rows
        db.session.remove()
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--disclosures", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    paths = files(args.enterprises, args.disclosures)
    figures = {"enterprises": args.enterprises, "disclosures": args.disclosures,
               "file_megabytes": round(paths["disclosures"].stat().st_size / 2**20, 1)}
    if not args.skip_load:
        create_database(DATABASE)
    app = make_app(DATABASE)
    try:
        if not args.skip_load:
            from flask_migrate import upgrade

            with app.app_context():
                upgrade()
            figures["load"] = load(app, paths)
            release(app)
            url = database_url(DATABASE).replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
        with app.app_context():
            figures["queries"] = measure(app, paths, args.requests)
        figures["plans"] = plans(app)
    finally:
        release(app)
        forget_redis_keys(DATABASE)
        if not args.keep:
            drop_database(DATABASE)
    save("public_credit", figures)


if __name__ == "__main__":
    main()
