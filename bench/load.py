"""A realistic mix of traffic against gunicorn (gunicorn.conf.py) on PostgreSQL + Redis with 100 thousand
residents, on the loopback, for a bounded time; throughput, p50/p99 per endpoint and errors.

    .venv/bin/python -m bench.load [--residents 100000] [--seconds 60] [--clients 16] [--configs shipped,sync@2]

The mix (weights): a resident's credit look-up (30), a credit code issued (15) and verified by a shop's
cashier (15), a report filed (4), a public enterprise search (20), a credit-report check on the public
page (10), the public rubric (6). All traffic comes from one address and a few hundred accounts, so the
run raises the per-IP and per-account limits through the settings (``limits.*`` to their maximum) and
says so in its results. Creates and drops its own database (chengxin_bench_load; ``--keep`` and ``--reuse``
keep it for another run) and Redis prefix; starts and stops its own gunicorn on a free port, checked to be
the one answering (bench/server.py). Any answer other than the expected status counts as an error.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import threading
import time
from collections import defaultdict

from bench.common import create_database, drop_database, forget_kept, forget_redis_keys, keep, kept, save
from bench.server import Config, Gunicorn, parse_configs
from bench.verification import SECRETS, environment

DATABASE = "chengxin_bench_load"
MIX = (("credit_lookup", 30), ("code_issue", 15), ("code_verify", 15), ("report_filing", 4),
       ("enterprise_search", 20), ("credit_report_check", 10), ("public_rubric", 6))
RAISED_LIMITS = ("limits.public_per_minute", "limits.reports_per_day", "limits.api_key_per_minute",
                 "limits.credit_reports_per_day", "limits.uploads_per_day")


def prepare(env: dict, residents: int, accounts: int, enterprises: int) -> dict:
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import select
    from stdnum.cn import uscc

    from backend import create_app
    from backend.accounts.models import WeChatAccount
    from backend.auth import service as auth
    from backend.credit_reports import service as credit_reports
    from backend.data.extensions import db
    from backend.data.import_files import Row
    from backend.demo.synthetic import synthesize
    from backend.demo.synthetic_credit import enterprises as synthetic_enterprises
    from backend.public_credit.importing import import_enterprises
    from backend.reports.categories import load_defaults
    from backend.residents.models import Resident
    from backend.settings import service as settings
    from backend.settings.defaults import LIMIT_MAX
    from backend.verifiers import service as verifiers
    from backend.web.access import Principal

    system = Principal(kind="system", id=0, roles=frozenset({"admin"}), name="bench")
    app = create_app()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        counts = synthesize(residents=residents, events_count=residents // 10, seed=11)
        load_defaults()
        companies = list(synthetic_enterprises(enterprises, seed=11))
        import_enterprises(system, [Row(n + 2, row) for n, row in enumerate(companies)])
        print(f"synthesized {counts} and {enterprises} enterprises in {time.perf_counter() - started:.0f} s",
              flush=True)
        settings.update(system, {name: LIMIT_MAX for name in RAISED_LIMITS})
        body = "91320281MA0000001"
        shop = verifiers.create_verifier(system, name="bench shop", kind="merchant",
                                         uscc=body + uscc.calc_check_digit(body), town="长泾镇", address="长泾镇 1 号")
        cashier = WeChatAccount(openid="bench-cashier")
        db.session.add(cashier)
        db.session.commit()
        code, _invite = verifiers.create_invite(system, shop.id)
        verifiers.redeem_invite(cashier.id, code)
        ids = list(db.session.scalars(select(Resident.id).where(Resident.status == "active").order_by(Resident.id)))
        chosen = random.Random(3).sample(ids, accounts)
        tokens, checks = [], []
        for n, resident_id in enumerate(chosen):
            account = WeChatAccount(openid=f"bench-resident-{n}", resident_id=resident_id)
            db.session.add(account)
            db.session.flush()
            principal = Principal(kind="wechat", id=account.id, roles=frozenset({"resident"}),
                                  resident_id=resident_id)
            if n < 50:
                issued = credit_reports.issue(principal, db.session.get(Resident, resident_id), "loan")
                checks.append(issued.verification_code)
            tokens.append(auth.sign_in("wechat", account.id).access_token)
        db.session.commit()
        names = [company["name"][2:4] for company in companies[:200]]
        cashier_token = auth.sign_in("wechat", cashier.id).access_token
        db.session.remove()
        db.engine.dispose()
    return {"residents": tokens, "cashier": cashier_token, "checks": checks, "names": names}


class Client(threading.Thread):
    """One user at a time, closed loop: the next request leaves when the last answer came."""

    def __init__(self, number: int, port: int, prepared: dict, until: float, record):
        super().__init__(daemon=True)
        self.rng = random.Random(number)
        self.prepared = prepared
        self.until = until
        self.record = record
        self.codes: list[str] = []
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, name, method, path, expected, token=None, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            data, status = b"", 0
        self.record(name, time.perf_counter() - started, status == expected, status)
        return json.loads(data) if status == expected and data else None

    def run(self):
        names, weights = zip(*MIX, strict=True)
        residents = self.prepared["residents"]
        while time.perf_counter() < self.until:
            kind = self.rng.choices(names, weights)[0]
            me = self.rng.choice(residents)
            if kind == "credit_lookup":
                self.call(kind, "GET", "/api/v1/me/credit", 200, me)
            elif kind == "code_issue":
                answer = self.call(kind, "POST", "/api/v1/me/credit-code", 201, me, {"scope": "basic"})
                if answer:
                    self.codes.append(answer["token"])
            elif kind == "code_verify" and self.codes:
                self.call(kind, "POST", "/api/v1/verifications", 200, self.prepared["cashier"],
                          {"token": self.codes.pop(), "purpose": "discount"})
            elif kind == "report_filing":
                self.call(kind, "POST", "/api/v1/reports", 201, me, {
                    "category": "food_safety", "subject": {"type": "enterprise", "name": "某某小吃店"},
                    "description": "店内后厨使用过期食材，操作间卫生条件极差。", "anonymous": self.rng.random() < 0.5,
                    "location": {"town": "长泾镇", "address": "长泾镇河塘路 18 号"}, "attachments": [],
                    "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime(time.time() - 86400))})
            elif kind == "enterprise_search":
                query = self.rng.choice(self.prepared["names"])
                self.call(kind, "GET", "/api/v1/public/enterprises?q=" + _quote(query), 200)
            elif kind == "credit_report_check":
                self.call(kind, "POST", "/api/v1/public/credit-reports/check", 200, None,
                          {"code": self.rng.choice(self.prepared["checks"])})
            elif kind == "public_rubric":
                self.call(kind, "GET", "/api/v1/public/rubric", 200)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def drive(port: int, prepared: dict, seconds: int, clients: int) -> dict:
    timings, failures, statuses = defaultdict(list), defaultdict(int), defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()

    def record(name, elapsed, ok, status):
        with lock:
            timings[name].append(elapsed)
            statuses[name][status] += 1
            if not ok:
                failures[name] += 1

    started = time.perf_counter()
    until = started + seconds
    threads = [Client(n, port, prepared, until, record) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = sum(len(values) for values in timings.values())
    endpoints = {}
    for name, values in sorted(timings.items()):
        ordered = sorted(values)
        endpoints[name] = {"requests": len(values), "rps": round(len(values) / elapsed, 1),
                           "p50_ms": round(statistics.median(ordered) * 1000, 1),
                           "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
                           "errors": failures[name], "statuses": dict(statuses[name])}
    return {"seconds": round(elapsed, 1), "clients": clients, "requests": total, "rps": round(total / elapsed, 1),
            "errors": sum(failures.values()), "endpoints": endpoints}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--configs", default="shipped",
                        help="gunicorn configurations, one after the other: shipped (gunicorn.conf.py's own), or a "
                             "worker class with :threads and @workers, e.g. shipped,sync@2,gthread:4@2")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (and its app's secrets, in bench/results) for a run with --reuse")
    parser.add_argument("--reuse", action="store_true", help="use the database a run with --keep left, if any")
    parser.add_argument("--prepare-only", action="store_true", help="prepare the database, keep it, measure nothing")
    args = parser.parse_args()
    configs: list[Config] = parse_configs(args.configs, 2 * (os.cpu_count() or 1))
    keeping = args.keep or args.prepare_only
    env = {**environment(), "REDIS_PREFIX": f"chengxin-bench:{DATABASE}:"}
    env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + f"/{DATABASE}"
    previous = kept(DATABASE, args.residents) if args.reuse else None
    if previous:
        env.update(previous["secrets"])
        prepared = previous["prepared"]
        print(f"reusing {DATABASE} ({args.residents} residents)", flush=True)
    else:
        create_database(DATABASE)
        started = time.perf_counter()
        prepared = prepare(env, args.residents, args.accounts, args.enterprises)
        print(f"prepared in {time.perf_counter() - started:.0f} s", flush=True)
        if keeping:
            keep(DATABASE, args.residents, {name: env[name] for name in SECRETS}, prepared)
    runs, loads = {}, {}
    try:
        for config in [] if args.prepare_only else configs:
            with Gunicorn(env, workers=config.workers, worker_class=config.kind, threads=config.threads) as server:
                drive(server.port, prepared, 5, args.clients)  # warm-up: connections, caches
                before = os.getloadavg()
                result = drive(server.port, prepared, args.seconds, args.clients)
                server.check()  # still our own server, after the run
            loads[config.name] = {"before": before, "after": os.getloadavg()}
            runs[config.name] = result
            print(json.dumps({config.name: {k: v for k, v in result.items() if k != "endpoints"},
                              "load": loads[config.name]}), flush=True)
            for name, figures in result["endpoints"].items():
                print(f"  {name:22} {figures}", flush=True)
    finally:
        if not keeping:
            drop_database(DATABASE)
            forget_kept(DATABASE)
        forget_redis_keys(DATABASE)
    if args.prepare_only:
        return
    save("load", {"residents": args.residents, "accounts": args.accounts, "enterprises": args.enterprises,
                  "raised_limits": {name: "maximum (1,000,000)" for name in RAISED_LIMITS},
                  "configs": {config.name: vars(config) for config in configs}, "load_average": loads,
                  "runs": runs})


if __name__ == "__main__":
    main()
