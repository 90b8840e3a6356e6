"""Score look-up through the API, ``GET /api/v1/me/credit``, with 10 thousand and with 1 million events
in the ledger (``chengxin_bench`` and ``chengxin_bench_1m``: the same 1 million residents and accounts).
The Flask test client calls the app in process, so the figures are the app's and the database's time
without network or WSGI server. Both apps run side by side and take turns in rounds, so that both ledger
sizes meet the same machine noise; each request is one resident's, from a pool of signed-in residents.

    .venv/bin/python -m bench.lookup [--rounds 10] [--requests 1000] [--residents 50]
"""

import argparse
import time

from sqlalchemy import func, select

from bench.common import DATABASE, make_app, median, percentile, save
from bench.import_events import COPY

SIZES = {"10k": DATABASE, "1m": COPY}


def bound_residents(app, count: int) -> list[dict]:
    """Bind ``count`` active residents, spread over the registry, to WeChat accounts; their headers."""
    from backend.accounts.models import WeChatAccount
    from backend.accounts.service import wechat_sign_in
    from backend.credit.models import CreditEvent
    from backend.data.extensions import db
    from backend.dates.timeutil import utcnow
    from backend.residents.models import Resident
    from backend.wechat.development import DevelopmentExchanger

    headers = []
    with app.app_context():
        ledger = db.session.scalar(select(func.count()).select_from(CreditEvent))
        top = db.session.scalar(select(func.max(Resident.id)))
        step = top // (count * 2)
        picked = db.session.scalars(select(Resident.id).where(Resident.status == "active",
                                                              Resident.id % step == 0)
                                    .order_by(Resident.id).limit(count)).all()
        for number, resident_id in enumerate(picked):
            name = f"bench-{number}"
            openid = DevelopmentExchanger.openid_for(name)
            account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.openid == openid))
            if account is None:
                db.session.add(WeChatAccount(openid=openid, resident_id=resident_id, bound_at=utcnow()))
                db.session.commit()
            pair = wechat_sign_in(DevelopmentExchanger(), f"dev-{name}")
            db.session.commit()
            headers.append({"Authorization": f"Bearer {pair.access_token}"})
    return ledger, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--residents", type=int, default=50)
    args = parser.parse_args()
    apps, clients, headers, ledgers, timings = {}, {}, {}, {}, {}
    for size, name in SIZES.items():
        apps[size] = make_app(name)
        clients[size] = apps[size].test_client()
        ledgers[size], headers[size] = bound_residents(apps[size], args.residents)
        timings[size] = []
    for size in SIZES:  # warm up: connections, caches
        for number in range(500):
            clients[size].get("/api/v1/me/credit", headers=headers[size][number % args.residents])
    for _round in range(args.rounds):
        for size in SIZES:
            client, pool = clients[size], headers[size]
            for number in range(args.requests):
                started = time.perf_counter()
                response = client.get("/api/v1/me/credit", headers=pool[number % len(pool)])
                timings[size].append(time.perf_counter() - started)
                assert response.status_code == 200, response.get_json()
    figures = {size: {"ledger_events": ledgers[size], "requests": len(timings[size]),
                      "median_ms": round(median(timings[size]) * 1000, 3),
                      "p99_ms": round(percentile(timings[size], 0.99) * 1000, 3)} for size in SIZES}
    figures["median_ratio_1m_to_10k"] = round(figures["1m"]["median_ms"] / figures["10k"]["median_ms"], 3)
    save("lookup", figures)


if __name__ == "__main__":
    main()
