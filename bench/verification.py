"""Credit-code verification throughput under gunicorn on PostgreSQL + Redis, against GET /api/v1/health in
the same run, for each gunicorn configuration asked for, side by side.

    .venv/bin/python -m bench.verification [--residents 100000] [--runs 3] [--seconds 12]
        [--configs shipped,sync@2,gthread:4@2]  [--keep] [--reuse]

A configuration is ``shipped`` (what gunicorn.conf.py says) or a worker class with ``:threads`` and
``@workers`` (``--workers``, 2, when not given). Every run starts its own gunicorn on a free port, checks
before and after each measurement that the server answering is that one, and refuses to report a run with
any answer that is not 2xx (bench/server.py).

Needs PostgreSQL and Redis on 127.0.0.1 and `wrk` (Debian package). Creates and drops its own database
(chengxin_bench_codes; ``--keep`` leaves it, with its app's secrets in bench/results, for ``--reuse``) and
Redis key prefix; starts and stops its own gunicorn."""

import argparse
import base64
import json
import os
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.common import (
    REDIS_URL,
    create_database,
    database_url,
    drop_database,
    forget_kept,
    forget_redis_keys,
    keep,
    kept,
    release,
    save,
)
from bench.server import BenchmarkRefused, Gunicorn, parse_configs, wrk

ROOT = Path(__file__).resolve().parent.parent
DATABASE = os.environ.get("BENCH_CODES_DATABASE", "chengxin_bench_codes")
SECRETS = ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY")


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




def bench_app(env: dict):
    os.environ.update(env)
    from backend import create_app

    return create_app()


def prepare(app, residents: int) -> dict:
    """Migrate, load residents, a verifier with an operator and a bank key."""
    from flask_migrate import upgrade
    from stdnum.cn import uscc

    from backend.accounts.models import WeChatAccount
    from backend.auth import service as auth
    from backend.data.extensions import db
    from backend.demo.synthetic import synthesize
    from backend.settings import service as settings
    from backend.settings.defaults import LIMIT_MAX
    from backend.verifiers import service as verifiers

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
        db.session.remove()
        db.engine.dispose()
    return {"bearer": f"Bearer {access}", "api_key": api_key}


def issue_codes(app, files: int, per_file: int, tokens_dir: Path) -> list[Path]:
    """``files`` files of ``per_file`` fresh basic codes each, for residents spread over the registry: the
    codes ``codes.issue`` makes (same claims, key and subject sealing), signed here in a loop so that
    hundreds of thousands take seconds rather than a database round trip each. Signed just before each
    measurement, so none expires during a long run."""
    with app.app_context():
        return _issue_codes(files, per_file, tokens_dir)


def _issue_codes(files: int, per_file: int, tokens_dir: Path) -> list[Path]:
    import jwt

    from backend.codes import keys
    from backend.codes import service as codes
    from backend.credit.models import CreditAccount
    from backend.data.extensions import db
    from backend.dates.timeutil import utcnow
    from backend.residents.models import Resident
    from backend.settings import service as settings

    stars = dict(db.session.execute(sa.select(Resident.id, CreditAccount.stars).join(
        CreditAccount, CreditAccount.resident_id == Resident.id).where(Resident.status == "active")
        .order_by(Resident.id)).all())
    ids = list(stars)
    kid, signer = keys.active_signer()
    now = utcnow().replace(microsecond=0)
    expires = now + timedelta(seconds=settings.get("credit_code.ttl_seconds"))
    paths = []
    for number in range(files):
        path = tokens_dir / f"tokens-{secrets.token_hex(4)}.txt"
        with path.open("w") as handle:
            for i in range(per_file):
                resident = ids[(number * per_file + i) * 7919 % len(ids)]
                claims = {"iss": codes.ISSUER, "sub": codes.seal_subject(resident), "scope": "basic",
                          "stars": stars[resident], "iat": int(now.timestamp()), "exp": int(expires.timestamp()),
                          "jti": secrets.token_urlsafe(16)}
                handle.write(jwt.encode(claims, signer, algorithm=keys.ALGORITHM,
                                        headers={"kid": kid, "typ": keys.CODE_TYP}) + "\n")
        paths.append(path)
    return paths


def _admin():
    from backend.web.access import Principal

    return Principal(kind="system", id=0, roles=frozenset({"admin"}), name="bench")


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--tokens", type=int, default=15_000, help="codes per verification measurement")
    parser.add_argument("--workers", type=int, default=2, help="workers of a configuration that names none")
    parser.add_argument("--configs", default="sync,gthread:4",
                        help="gunicorn configurations to measure side by side: shipped (gunicorn.conf.py's own), "
                             "or a worker class with :threads and @workers, e.g. sync@2,gthread:4@2,gthread:4@4; "
                             "baseline/… for the tree given by --baseline")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (e.g. `git archive main`) to measure beside this one; needs bench/")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (and its app's secrets, in bench/results) for a run with --reuse")
    parser.add_argument("--reuse", action="store_true", help="use the database a run with --keep left, if any")
    parser.add_argument("--prepare-only", action="store_true", help="prepare the database, keep it, measure nothing")
    args = parser.parse_args()
    configs = parse_configs(args.configs, args.workers, baseline=args.baseline is not None)
    keeping = args.keep or args.prepare_only

    env = environment()
    previous = kept(DATABASE, args.residents) if args.reuse else None
    if previous:
        env.update(previous["secrets"])
        prepared = previous["prepared"]
        print(f"reusing {DATABASE} ({args.residents} residents)", flush=True)
    else:
        create_database(DATABASE)
    app = bench_app(env)
    if not previous:
        prepared = prepare(app, args.residents)
        if keeping:
            keep(DATABASE, args.residents, {name: env[name] for name in SECRETS}, prepared)
    results = {config.name: {"health": [], "operator": [], "api_key": []} for config in configs}
    loads, refused = [], {}
    try:
        with tempfile.TemporaryDirectory() as tokens_dir:
            script = str(ROOT / "bench" / "verify.lua")
            for _run in range(0 if args.prepare_only else args.runs):
                for config in configs:  # side by side: each run measures every configuration
                    operator_tokens, api_key_tokens = map(str, issue_codes(app, 2, args.tokens, Path(tokens_dir)))
                    name = config.name
                    loads.append(loadavg())
                    try:
                        with Gunicorn(env, workers=config.workers, worker_class=config.kind, threads=config.threads,
                                      tree=args.baseline if config.tree else ROOT) as server:
                            run = {"health": wrk(server, "/api/v1/health", args.seconds),
                                   "operator": wrk(server, "/api/v1/verifications", args.seconds, script=script,
                                                   extra_env={"TOKENS_FILE": operator_tokens,
                                                              "AUTH_HEADER": prepared["bearer"]}),
                                   "api_key": wrk(server, "/api/v1/verifications", args.seconds, script=script,
                                                  extra_env={"TOKENS_FILE": api_key_tokens,
                                                             "API_KEY": prepared["api_key"]})}
                    except BenchmarkRefused as refusal:  # this run is not reported; the others go on
                        refused.setdefault(name, []).append(str(refusal))
                        print(name, "refused:", refusal, flush=True)
                        continue
                    loads.append(loadavg())
                    for endpoint, figures in run.items():
                        results[name][endpoint].append(figures)
                    print(name, f"load {loads[-1]:.2f}", json.dumps(run), flush=True)
    finally:
        release(app)
        if not keeping:
            drop_database(DATABASE)
            forget_kept(DATABASE)
        forget_redis_keys(DATABASE)
    if args.prepare_only:
        return

    summary = {}
    for config, endpoints in results.items():
        figures = summary[config] = {"clean_runs": len(endpoints["health"]), "refused_runs": refused.get(config, [])}
        if not endpoints["health"]:
            continue
        for name, runs in endpoints.items():
            figures[name] = {metric: statistics.median(r[metric] for r in runs)
                             for metric in ("rps", "p50_ms", "p99_ms")}
            figures[name]["runs_rps"] = [r["rps"] for r in runs]
            figures[name]["cpu_ms"] = {kind: statistics.median(r["cpu_ms"][kind] for r in runs)
                                       for kind in runs[0]["cpu_ms"]}
        for name in ("operator", "api_key"):
            # the ratio of each run (health measured just before), then their median
            ratios = [v["rps"] / h["rps"] for v, h in zip(endpoints[name], endpoints["health"], strict=True)]
            figures[name]["ratio_to_health"] = round(statistics.median(ratios), 3)
            figures[name]["runs_ratio"] = [round(r, 3) for r in ratios]
    save("verification", {"residents": args.residents, "runs": args.runs, "seconds": args.seconds,
                          "configs": {config.name: vars(config) for config in configs},
                          "load_average": {"min": min(loads), "max": max(loads), "each": loads},
                          "non_2xx_in_reported_runs": 0, **summary})


if __name__ == "__main__":
    main()
