"""Credit-code verification throughput under gunicorn (2 workers) on PostgreSQL + Redis, against
GET /api/v1/health in the same run (issue: verification ÷ health throughput).

    .venv/bin/python -m bench.verification [--residents 100000] [--runs 3] [--seconds 12]

Needs PostgreSQL and Redis on 127.0.0.1 and `wrk` (Debian package). Creates and drops its own database
(chengxin_bench_codes) and Redis key prefix; starts and stops its own gunicorn.
"""

import argparse
import base64
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench.common import REDIS_URL, create_database, database_url, drop_database, forget_redis_keys, save

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DATABASE = "chengxin_bench_codes"
PORT = int(os.environ.get("BENCH_PORT", "5077"))
THREADS, CONNECTIONS = 2, 8


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def environment() -> dict:
    return {
        **os.environ,
        "CHENGXIN_ENV": "production",
        "DATABASE_URL": database_url(DATABASE),
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"chengxin-bench:{DATABASE}:",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": key(),
        "LOOKUP_HASH_KEY": key(),
        "WECHAT_APPID": "wxbench",
        "WECHAT_SECRET": "bench-secret",
        "LOG_LEVEL": "WARNING",
    }




def prepare(env: dict, residents: int, tokens_per_run: int, runs: int, tokens_dir: Path) -> dict:
    """Migrate, load residents, a verifier with an operator and a bank key, and issue the codes."""
    os.environ.update(env)
    from flask_migrate import upgrade
    from stdnum.cn import uscc

    from backend import create_app
    from backend.accounts.models import WeChatAccount
    from backend.auth import service as auth
    from backend.codes import service as codes
    from backend.data.extensions import db
    from backend.demo.synthetic import synthesize
    from backend.residents.models import Resident
    from backend.settings import service as settings
    from backend.settings.defaults import LIMIT_MAX
    from backend.verifiers import service as verifiers

    app = create_app()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        counts = synthesize(residents=residents, events_count=residents // 10, seed=7)
        print(f"synthesized {counts} in {time.perf_counter() - started:.1f} s", flush=True)
        system = None
        settings.update(_admin(), {"credit_code.ttl_seconds": 600, "limits.api_key_per_minute": LIMIT_MAX})
        body = "91320281MA0000001"
        shop = verifiers.create_verifier(system, name="bench shop", kind="merchant",
                                         uscc=body + uscc.calc_check_digit(body), town="长泾镇", address="长泾镇 1 号")
        body = "91320281MA0000002"
        bank = verifiers.create_verifier(system, name="bench bank", kind="bank",
                                         uscc=body + uscc.calc_check_digit(body), town="长泾镇", address="长泾镇 2 号")
        account = WeChatAccount(openid="bench-cashier")
        db.session.add(account)
        db.session.commit()
        code, _invite = verifiers.create_invite(system, shop.id)
        verifiers.redeem_invite(account.id, code)
        access = auth.sign_in("wechat", account.id).access_token
        api_key, _row = verifiers.create_api_key(system, bank.id, "bench")
        ids = list(db.session.scalars(sa.select(Resident.id).where(Resident.status == "active").order_by(Resident.id)))
        files = []
        started = time.perf_counter()
        for run in range(runs * 2):
            path = tokens_dir / f"tokens-{run}.txt"
            with path.open("w") as handle:
                for i in range(tokens_per_run):
                    resident = db.session.get(Resident, ids[(run * tokens_per_run + i) * 7919 % len(ids)])
                    handle.write(codes.issue(resident, "basic").token + "\n")
                    if i % 500 == 0:
                        db.session.expunge_all()
            files.append(path)
        print(f"issued {runs * 2 * tokens_per_run} codes in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return {"bearer": f"Bearer {access}", "api_key": api_key, "token_files": files}


def _admin():
    from backend.web.access import Principal

    return Principal(kind="system", id=0, roles=frozenset({"admin"}), name="bench")


def start_server(env: dict) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(VENV_BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{PORT}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=1)  # noqa: S310 - loopback
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not come up")


def wrk(url: str, seconds: int, extra_env: dict | None = None, script: str | None = None) -> dict:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True,  # noqa: S603 - wrk, loopback
                            env={**os.environ, **(extra_env or {}), "WRK_THREADS": str(THREADS)}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)

    def percentile(p):
        match = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", output)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {"rps": rps, "p50_ms": percentile(50), "p99_ms": percentile(99),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--tokens", type=int, default=20_000, help="codes per verification run")
    args = parser.parse_args()

    env = environment()
    create_database(DATABASE)
    server = None
    try:
        with tempfile.TemporaryDirectory() as tokens_dir:
            prepared = prepare(env, args.residents, args.tokens, args.runs, Path(tokens_dir))
            server = start_server(env)
            results = {"health": [], "operator": [], "api_key": []}
            files = iter(prepared["token_files"])
            script = str(ROOT / "bench" / "verify.lua")
            verify_url = f"http://127.0.0.1:{PORT}/api/v1/verifications"
            for _run in range(args.runs):
                results["health"].append(wrk(f"http://127.0.0.1:{PORT}/api/v1/health", args.seconds))
                results["operator"].append(wrk(verify_url, args.seconds, {
                    "TOKENS_FILE": str(next(files)), "AUTH_HEADER": prepared["bearer"]}, script))
                results["api_key"].append(wrk(verify_url, args.seconds, {
                    "TOKENS_FILE": str(next(files)), "API_KEY": prepared["api_key"]}, script))
                print(json.dumps({k: v[-1] for k, v in results.items()}), flush=True)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        drop_database(DATABASE)
        forget_redis_keys(DATABASE)

    summary = {}
    for name, runs in results.items():
        summary[name] = {metric: statistics.median(r[metric] for r in runs) for metric in ("rps", "p50_ms", "p99_ms")}
        summary[name]["non_2xx"] = sum(r["non_2xx"] for r in runs)
    for name in ("operator", "api_key"):
        summary[name]["ratio_to_health"] = round(summary[name]["rps"] / summary["health"]["rps"], 3)
    save("verification", {"residents": args.residents, "runs": args.runs, "seconds": args.seconds, **summary})


if __name__ == "__main__":
    main()
