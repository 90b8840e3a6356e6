"""Filing throughput with a 2 MB photo, and what a 10 MB upload costs a worker's memory (issue: reports).

    .venv/bin/python -m bench.reports [--runs 3] [--seconds 15] [--clients 4]

Throughput: gunicorn (2 sync workers) on PostgreSQL + Redis, loopback, a free port; each client thread
repeats a whole filing — upload a 2 MB phone photo (POST /api/v1/uploads, multipart), then file an
anonymous report with it (POST /api/v1/reports) — under its own account. Memory: a fresh gunicorn with one
worker per case; the worker's peak resident size (VmHWM) after a small warm-up upload, and again after the
case. Creates and drops its own database and Redis keys, and its own instance folder for the files.
"""

import argparse
import base64
import contextlib
import http.client
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import REDIS_URL, create_database, database_url, drop_database, forget_redis_keys, save

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DATABASE = "chengxin_bench_reports"
ACCOUNTS = 64


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment() -> dict:
    # development: the built-in WeChat exchanger screens the text, so no call leaves the machine.
    return {**os.environ, "CHENGXIN_ENV": "development", "DATABASE_URL": database_url(DATABASE),
            "REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"chengxin-bench:{DATABASE}:",
            "SECRET_KEY": secrets.token_urlsafe(48), "DATA_ENCRYPTION_KEY": key(), "LOOKUP_HASH_KEY": key(),
            "LOG_LEVEL": "WARNING"}


def photo(target_bytes: int, seed: int = 1) -> bytes:
    """A JPEG of about ``target_bytes``: noise over a gradient compresses like a detailed phone photo."""
    from PIL import Image

    rng = random.Random(seed)
    width, height = 1600, 1200
    for _ in range(8):
        noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        out = io.BytesIO()
        noise.save(out, format="JPEG", quality=85)
        if 0.95 * target_bytes <= out.tell() <= target_bytes:
            return out.getvalue()
        scale = (0.975 * target_bytes / out.tell()) ** 0.5
        width, height = int(width * scale), int(height * scale)
    return out.getvalue()


def big_pdf(target_bytes: int) -> bytes:
    """A PDF of about ``target_bytes``: pages carrying incompressible image data, and an author."""
    from PIL import Image

    rng = random.Random(2)
    page = Image.frombytes("RGB", (800, 800), rng.randbytes(800 * 800 * 3))
    one = io.BytesIO()
    page.save(one, format="PDF", quality=90)
    count = max(1, int(target_bytes * 0.97 // one.tell()))
    out = io.BytesIO()
    page.save(out, format="PDF", save_all=True, append_images=[page] * (count - 1), quality=90, author="张伟")
    return out.getvalue()


def prepare(env: dict, instance: Path) -> list[str]:
    """Migrate, load rubric and categories, raise the daily limits, and sign in the bench's accounts."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from backend import create_app
    from backend.accounts.models import WeChatAccount
    from backend.auth import service as auth
    from backend.credit.default_rubric import load_default_rubric
    from backend.data.extensions import db
    from backend.reports.categories import load_defaults
    from backend.residents.models import Town
    from backend.settings import service as settings
    from backend.web.access import Principal

    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        load_default_rubric()
        load_defaults()
        if not db.session.query(Town).filter_by(name="长泾镇").first():
            db.session.add(Town(name="长泾镇"))
        system = Principal(kind="system", id=0, roles=frozenset({"admin"}), name="bench")
        settings.update(system, {"limits.reports_per_day": 100, "limits.uploads_per_day": 10000})
        tokens = []
        for i in range(ACCOUNTS):
            account = WeChatAccount(openid=f"dev-openid-bench-{i}")
            db.session.add(account)
            db.session.commit()
            tokens.append(auth.sign_in("wechat", account.id).access_token)
        db.session.remove()
        db.engine.dispose()
    return tokens


def start(env: dict, port: int, instance: Path, workers: int) -> subprocess.Popen:
    factory = f"backend:create_app({{'INSTANCE_PATH': '{instance}'}})"
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--timeout", "120", factory], cwd=ROOT, env=env)
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not come up")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def multipart(data: bytes, filename: str, media_type: str) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {media_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def call(connection, method, path, token, body: bytes, content_type: str) -> tuple[int, dict]:
    # A server answering 413 before taking the whole body closes the connection; its answer is still there.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.request(method, path, body=body, headers={"Authorization": f"Bearer {token}",
                                                             "Content-Type": content_type})
    response = connection.getresponse()
    payload = response.read()
    return response.status, json.loads(payload) if payload else {}


def filing_run(port: int, tokens: list[str], body: bytes, content_type: str, seconds: float, clients: int) -> dict:
    """Clients filing as fast as they can for ``seconds``: filings/s and latencies of each call."""
    deadline = time.monotonic() + seconds
    uploads_ms, reports_ms, errors = [], [], []
    lock = threading.Lock()

    def client(index: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        token = tokens[index % len(tokens)]
        occurred = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, answer = call(connection, "POST", "/api/v1/uploads", token, body, content_type)
            uploaded = time.perf_counter()
            if status != 201:
                errors.append(status)
                continue
            report = {"category": "food_safety", "subject": {"type": "enterprise", "name": "某某小吃店"},
                      "description": "店内后厨使用过期食材，操作间卫生条件极差。", "occurred_at": occurred,
                      "attachments": [answer["upload_id"]], "anonymous": True}
            status, _answer = call(connection, "POST", "/api/v1/reports", token, json.dumps(report).encode(),
                                   "application/json")
            filed = time.perf_counter()
            with lock:
                if status == 201:
                    uploads_ms.append((uploaded - started) * 1000)
                    reports_ms.append((filed - uploaded) * 1000)
                else:
                    errors.append(status)
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"filings_per_s": round(len(uploads_ms) / elapsed, 2), "filings": len(uploads_ms), "errors": errors,
            "upload_p50_ms": round(statistics.median(uploads_ms), 1),
            "report_p50_ms": round(statistics.median(reports_ms), 1)}


def worker_pid(master: int) -> int:
    for _ in range(50):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(f"{field}:")))


def memory_case(env, instance, token, warm: tuple[bytes, str], case: tuple[bytes, str]) -> dict:
    port = free_port()
    server = start(env, port, instance, workers=1)
    try:
        pid = worker_pid(server.pid)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        status, _ = call(connection, "POST", "/api/v1/uploads", token, *warm)
        assert status == 201, status
        before = memory_kib(pid)
        # The worker's resident size, sampled every few milliseconds while it handles the upload.
        samples, done = [before], threading.Event()

        def sample():
            while not done.is_set():
                samples.append(memory_kib(pid))
                time.sleep(0.002)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        status, answer = call(connection, "POST", "/api/v1/uploads", token, *case)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    finally:
        stop(server)
    return {"status": status, "metadata_removed": answer.get("metadata_removed"),
            "rss_before_mib": round(before / 1024, 1), "rss_peak_mib": round(max(samples) / 1024, 1),
            "growth_mib": round((max(samples) - before) / 1024, 1), "seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--memory-only", action="store_true", help="only the memory of 10 MB uploads")
    args = parser.parse_args()

    env = environment()
    create_database(DATABASE)
    instance = Path(tempfile.mkdtemp(prefix="chengxin-bench-reports-"))
    try:
        tokens = prepare(env, instance)
        two_mb = photo(2 * 1024 * 1024)
        ten_mb = photo(10 * 1024 * 1024 - 200 * 1024, seed=3)
        pdf = big_pdf(9 * 1024 * 1024)
        from PIL import Image

        sizes = {"photo_2mb": (len(two_mb), Image.open(io.BytesIO(two_mb)).size),
                 "photo_10mb": (len(ten_mb), Image.open(io.BytesIO(ten_mb)).size), "pdf_10mb": (len(pdf), None)}
        print(json.dumps(sizes), flush=True)
        body, content_type = multipart(two_mb, "photo.jpg", "image/jpeg")
        port = free_port()
        server = start(env, port, instance, workers=2)
        runs = []
        try:
            if args.memory_only:
                args.runs = 0
            filing_run(port, tokens, body, content_type, 3, args.clients)  # warm-up
            for _ in range(args.runs):
                runs.append(filing_run(port, tokens[args.clients:], body, content_type, args.seconds, args.clients))
                print(json.dumps(runs[-1]), flush=True)
        finally:
            stop(server)
        warm = multipart(photo(50 * 1024, seed=9), "small.jpg", "image/jpeg")
        memory = {
            "photo_10mb": memory_case(env, instance, tokens[0], warm, multipart(ten_mb, "big.jpg", "image/jpeg")),
            "pdf_10mb": memory_case(env, instance, tokens[1], warm, multipart(pdf, "big.pdf", "application/pdf")),
            "refused_11mb": memory_case(env, instance, tokens[2], warm,
                                        multipart(ten_mb + b"\0" * (1024 * 1024), "huge.jpg", "image/jpeg")),
        }
        print(json.dumps(memory), flush=True)
    finally:
        drop_database(DATABASE)
        forget_redis_keys(DATABASE)
        shutil.rmtree(instance, ignore_errors=True)

    figures = {"clients": args.clients, "seconds": args.seconds, "sizes": sizes, "runs": runs, "memory": memory}
    if runs:
        figures |= {"filings_per_s_median": statistics.median(r["filings_per_s"] for r in runs),
                    "upload_p50_ms_median": statistics.median(r["upload_p50_ms"] for r in runs),
                    "report_p50_ms_median": statistics.median(r["report_p50_ms"] for r in runs)}
    save("reports-memory" if args.memory_only else "reports", figures)


if __name__ == "__main__":
    main()
