"""PDF generation of credit reports: time and size over 1,000 reports (p50, p99, max), in process.

The snapshots are varied the way residents' credit is: 0 to 12 penalties (a few long titles that wrap,
some reports running to a second page), up to 8 categories, a ceiling now and then. Rendering needs no
database: the download endpoint reads one row and opens one sealed value before it, well under a
millisecond of the figures below. The first PDF of a process also loads the font (reported apart).

    .venv/bin/python -m bench.report_pdf [--reports 1000] [--runs 3] [--seed 7]
"""

import argparse
import random
from datetime import timedelta

from backend.credit.rubric import CATEGORIES
from backend.credit_reports import document
from backend.dates.timeutil import as_local, utcnow
from backend.privacy import readback_codes
from bench.common import Stopwatch, median, percentile, save

TITLES = ["乱倒垃圾、违规焚烧秸秆", "醉酒驾驶机动车", "违反村规民约（经村民议事会认定）", "受到治安管理处罚",
          "非法排污（经环保部门查处，责令停产整治并处罚款，逾期未完成整改）", "参与赌博（经查处）",
          "无理缠访闹访、扰乱公共秩序", "不良贷款逾期未还（经金融机构认定，逾期超过九十日）"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林罗郑"
BASE = "https://credit.jiangyin.example.cn"


def snapshot(rng: random.Random, number: int) -> dict:
    issued = utcnow().replace(microsecond=0)
    stars = rng.choice([1, 2, 3, 3, 3, 4, 4, 5])
    categories = rng.sample(list(CATEGORIES), rng.randint(0, min(8, len(CATEGORIES))))
    penalties = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 8, 12])):
        disclosed = rng.random() < 0.6
        penalties.append({"occurred_on": (issued - timedelta(days=rng.randint(1, 1000))).date().isoformat(),
                          "rubric_code": "PN", "category": rng.choice(list(CATEGORIES)), "title": rng.choice(TITLES),
                          "points": -rng.choice([5, 10, 20, 30, 50, 100]), "severity": "general",
                          "status": rng.choice(["active", "disputed", "expired"]), "counts": True,
                          "disclosed_until": "2028-03-10" if disclosed else None})
    return {
        "report_no": f"XY-20261203-{number:06d}", "purpose": rng.choice(["求职", "入学", "申请诚信贷款", "入社申请"]),
        "issuer": "江阴市信用办", "issued_at": as_local(issued).isoformat(),
        "valid_until": as_local(issued + timedelta(days=30)).isoformat(),
        "subject": {"masked_name": rng.choice(SURNAMES) + "*" * rng.randint(1, 2),
                    "masked_id_number": "3202**********123X"},
        "points": 850 + rng.randint(0, 250), "stars": stars, "level_name": "诚信良好",
        "ceiling": {"stars": 2, "rubric_code": "PO-01", "title": "醉酒驾驶机动车"} if rng.random() < 0.05 else None,
        "categories": [{"category": c, "name": CATEGORIES[c], "bonus_events": rng.randint(0, 4),
                        "bonus_points": rng.randint(0, 60), "penalty_events": rng.randint(0, 2),
                        "penalty_points": -rng.randint(0, 60)} for c in categories],
        "penalties": penalties,
        "household": {"is_credit_household": rng.random() < 0.7},
    }


def render(item: dict) -> bytes:
    code = readback_codes.new_code()
    return document.render(item, code_display=readback_codes.display(code), check_url=f"{BASE}/check#{code}",
                           check_page=f"{BASE}/check", jwks_url=f"{BASE}/api/v1/.well-known/jwks.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    items = [snapshot(rng, n) for n in range(args.reports)]
    with Stopwatch() as first:
        render(items[0])  # loads and parses the font once per process
    runs = []
    for run in range(args.runs):
        times, sizes, pages = [], [], []
        for item in items:
            with Stopwatch() as watch:
                data = render(item)
            times.append(watch.seconds * 1000)
            sizes.append(len(data) / 1024)
            pages.append(data.count(b"/Type /Page\n"))
        runs.append({"p50_ms": percentile(times, 0.5), "p99_ms": percentile(times, 0.99), "max_ms": max(times),
                     "p50_kib": percentile(sizes, 0.5), "p99_kib": percentile(sizes, 0.99), "max_kib": max(sizes),
                     "two_page_share": sum(1 for p in pages if p > 1) / len(pages)})
        print(f"run {run + 1}: " + ", ".join(f"{key} {value:.1f}" for key, value in runs[-1].items()), flush=True)
    summary = {key: round(median([r[key] for r in runs]), 2) for key in runs[0]}
    summary["first_pdf_with_font_load_ms"] = round(first.seconds * 1000, 1)
    save("report_pdf", {"reports": args.reports, "runs": runs, "median_of_runs": summary})


if __name__ == "__main__":
    main()
