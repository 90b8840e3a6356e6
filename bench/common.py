"""What every benchmark shares: the database it creates and drops, the app bound to it, timing helpers
and a description of the machine.

The benchmarks use their own PostgreSQL databases (``chengxin_bench`` and copies of it), never the test
database. Set BENCH_POSTGRES_URL to reach another server and BENCH_REDIS_URL for another Redis.
"""

import os
import platform
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from backend import create_app

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"  # ignored by git: files, secrets and raw timings of the last runs
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE = "chengxin_bench"


def database_url(name: str = DATABASE) -> str:
    return sa.engine.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def _server():
    return sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")


def drop_database(name: str) -> None:
    engine = _server()
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                           {"n": name})
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def create_database(name: str, template: str | None = None) -> None:
    """A fresh database, empty or a copy of ``template`` (which must have no connections)."""
    drop_database(name)
    engine = _server()
    with engine.connect() as connection:
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()


# What bench/README.md recommends for a production server that takes imports of a million rows, that can
# be applied without a restart (``shared_buffers`` needs one: it is reported, never assumed).
PRODUCTION_SETTINGS = {"max_wal_size": "8GB", "checkpoint_timeout": "30min"}


def server_settings(names=("shared_buffers", "max_wal_size", "checkpoint_timeout", "work_mem")) -> dict:
    engine = _server()
    with engine.connect() as connection:
        values = {name: connection.execute(sa.text(f"SHOW {name}")).scalar() for name in names}
    engine.dispose()
    return values


@contextmanager
def production_settings(apply: bool = True):
    """While the block runs, the server has ``PRODUCTION_SETTINGS`` (``ALTER SYSTEM`` and a reload, reset
    afterwards); yields the settings in force, for the figures."""
    engine = _server()
    if apply:
        with engine.connect() as connection:
            for name, value in PRODUCTION_SETTINGS.items():
                connection.execute(sa.text(f"ALTER SYSTEM SET {name} = '{value}'"))
            connection.execute(sa.text("SELECT pg_reload_conf()"))
        time.sleep(0.5)  # the reload is signalled, not waited for
    try:
        yield server_settings()
    finally:
        if apply:
            with engine.connect() as connection:
                for name in PRODUCTION_SETTINGS:
                    connection.execute(sa.text(f"ALTER SYSTEM RESET {name}"))
                connection.execute(sa.text("SELECT pg_reload_conf()"))
        engine.dispose()


def make_app(name: str = DATABASE):
    """The app on database ``name``, as in development (secrets generated once into bench/results), with
    Redis as in production, under a key prefix of its own."""
    RESULTS.mkdir(exist_ok=True)
    return create_app({"CHENGXIN_ENV": "development", "INSTANCE_PATH": str(RESULTS / "instance"),
                       "DATABASE_URL": database_url(name), "REDIS_URL": REDIS_URL,
                       "REDIS_PREFIX": f"chengxin-bench:{name}:", "LOG_LEVEL": "WARNING"})


def database_exists(name: str) -> bool:
    engine = _server()
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def kept(name: str, residents: int) -> dict | None:
    """What ``keep`` left for database ``name`` (its app's secrets and the prepared data) when the database
    is still there and was made for ``residents``; else None, and the caller prepares afresh."""
    import json

    path = RESULTS / f"{name}.kept.json"
    if not path.exists() or not database_exists(name):
        return None
    data = json.loads(path.read_text())
    return data if data.get("residents") == residents else None


def keep(name: str, residents: int, secrets: dict, prepared: dict) -> None:
    """Remember a prepared database for another run (``--keep``/``--reuse``): secrets stay in bench/results."""
    import json

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.kept.json"
    path.write_text(json.dumps({"residents": residents, "secrets": secrets, "prepared": prepared}))
    path.chmod(0o600)


def forget_kept(name: str) -> None:
    (RESULTS / f"{name}.kept.json").unlink(missing_ok=True)


def forget_redis_keys(name: str) -> None:
    """Remove what the app on database ``name`` left in Redis."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"chengxin-bench:{name}:*", count=1000):
        client.delete(key)


def release(app) -> None:
    """Close the app's connections so that its database can be copied or dropped."""
    from backend.data.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Stopwatch:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> dict:
    """nproc, memory, CPU model and PostgreSQL version, for the figures' context."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    total_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                    if line.startswith("MemTotal:"))
    engine = _server()
    with engine.connect() as connection:
        version = connection.execute(sa.text("SHOW server_version")).scalar()
    engine.dispose()
    return {"nproc": os.cpu_count(), "memory_gib": round(total_kb / 2**20, 1), "cpu": cpu,
            "postgresql": version, "python": platform.python_version()}


def save(name: str, figures: dict) -> None:
    """Keep a benchmark's figures (with the machine) in bench/results/<name>.json and print them."""
    import json

    RESULTS.mkdir(exist_ok=True)
    figures = {"machine": machine(), **figures}
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
