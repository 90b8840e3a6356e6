"""A gunicorn of the benchmark's own: started on a free loopback port, checked to be the one answering
there, and wrk runs against it that refuse to report anything but 2xx answers.

A benchmark that timed whatever answered on a fixed port once reported a verification ÷ health ratio of
1.47 from thousands of refusals by another server: every check here exists to make that impossible.
"""

import os
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Config:
    """One gunicorn configuration to measure: ``workers`` processes of ``kind`` with ``threads`` each, of this
    code or of the tree given as the baseline."""

    kind: str
    threads: int
    workers: int
    tree: str = ""

    @property
    def name(self) -> str:
        shape = f"{self.workers}×{self.threads}" if self.kind == "gthread" else str(self.workers)
        return f"{self.tree + '/' if self.tree else ''}{self.kind} {shape}"


def shipped() -> Config:
    """What gunicorn.conf.py ships on this machine (worker class, workers, threads), read from the file."""
    names = {name: value for name, value in os.environ.items() if name.startswith("GUNICORN_")}
    for name in names:  # the file's own values, not an override this shell happens to carry
        del os.environ[name]
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.update(names)
    kind = conf.get("worker_class", "sync")
    return Config(kind, int(conf.get("threads", 1)) if kind == "gthread" else 1, int(conf.get("workers", 1)))


def parse_configs(text: str, workers: int, baseline: bool = False) -> list[Config]:
    """``shipped,sync@2,gthread:4@4,baseline/sync``: gunicorn.conf.py's own configuration, or a worker class
    with ``:threads`` and ``@workers`` (``workers`` when not given), ``baseline/`` for the baseline's tree."""
    result = []
    for item in text.split(","):
        if item == "shipped":
            result.append(shipped())
            continue
        tree, _, rest = item.rpartition("/")
        if tree and (tree != "baseline" or not baseline):
            raise SystemExit(f"{item}: only baseline/… with --baseline")
        rest, _, count = rest.partition("@")
        kind, _, threads = rest.partition(":")
        if kind not in ("sync", "gthread"):
            raise SystemExit(f"{item}: the worker class is sync or gthread")
        result.append(Config(kind, int(threads or 1), int(count or workers), tree))
    return result


class BenchmarkRefused(RuntimeError):
    """A measurement that must not be reported: another server answered, or some answers were not 2xx."""


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_own_server(base_url: str, nonce: str, path: str = "/api/v1/health") -> None:
    """Refuse unless the server at ``base_url`` answers 2xx with our nonce in ``X-Bench-Server``."""
    try:
        with urllib.request.urlopen(base_url + path, timeout=5) as answer:  # noqa: S310 - loopback
            status, seen = answer.status, answer.headers.get("X-Bench-Server")
    except OSError as exc:
        raise BenchmarkRefused(f"{base_url} does not answer: {exc}") from exc
    if seen != nonce:
        raise BenchmarkRefused(f"{base_url} is not this benchmark's server (X-Bench-Server {seen!r})")
    if not 200 <= status < 300:
        raise BenchmarkRefused(f"{base_url}{path} answered {status}")


@dataclass
class Gunicorn:
    """``workers`` processes of ``worker_class`` (``sync`` or ``gthread`` with ``threads``)."""

    env: dict
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    tree: Path = ROOT  # another checkout of the code (with bench/served.py) to measure it side by side

    def __post_init__(self):
        self.port = free_port()
        self.nonce = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None

    @property
    def label(self) -> str:
        label = Config(self.worker_class, self.threads, self.workers).name
        return label if self.tree == ROOT else f"{self.tree.name}/{label}"

    def __enter__(self):
        command = [str(VENV_BIN / "gunicorn"), "--workers", str(self.workers), "--worker-class", self.worker_class,
                   "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                   "bench.served:app"]
        self.process = subprocess.Popen(command, cwd=self.tree,  # noqa: S603 - our own gunicorn, fixed arguments
                                        env={**self.env, "BENCH_SERVER_NONCE": self.nonce,
                                             "PYTHONPATH": str(self.tree)})
        for _ in range(150):
            if self.process.poll() is not None:
                raise BenchmarkRefused(f"gunicorn exited with {self.process.returncode} (port {self.port} taken?)")
            try:
                check_own_server(self.base_url, self.nonce)
                return self
            except BenchmarkRefused:
                time.sleep(0.2)
        self.__exit__()
        raise BenchmarkRefused("gunicorn did not come up")

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def check(self) -> None:
        if self.process.poll() is not None:
            raise BenchmarkRefused(f"gunicorn exited with {self.process.returncode}")
        check_own_server(self.base_url, self.nonce)


def parse_wrk(output: str) -> dict:
    """Requests/s, p50 and p99 (ms), and every kind of failure wrk counted."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)

    def percentile(p):
        match = re.search(rf"\s{p}(?:\.0+)?%\s+([\d.]+)(us|ms|s)\b", output)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {"rps": rps, "requests": total, "p50_ms": percentile(50), "p99_ms": percentile(99),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0}


def refuse_unless_clean(result: dict, what: str) -> dict:
    """The result, or ``BenchmarkRefused`` when any answer was 4xx or 5xx (what wrk counts as non-2xx or 3xx), a
    socket failed, or nothing was measured."""
    if result["requests"] == 0:
        raise BenchmarkRefused(f"{what}: no request was answered")
    if result["non_2xx"]:
        raise BenchmarkRefused(f"{what}: {result['non_2xx']} of {result['requests']} answers were not 2xx")
    if result["socket_errors"]:
        raise BenchmarkRefused(f"{what}: {result['socket_errors']} socket errors (connect, read, write, timeout)")
    return result


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process(pid: str) -> tuple[str, int, float] | None:
    """(program, parent's pid, CPU seconds used) of a process, from /proc; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
    return program, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_by_kind(server: Gunicorn) -> dict[str, float]:
    """CPU seconds used so far by this server's gunicorn (master and workers), by every PostgreSQL process
    and by Redis: what the machine spends on the requests besides the load generator."""
    used = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0}
    master = server.process.pid
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _process(pid)
        if found is None:
            continue
        program, parent, seconds = found
        if int(pid) == master or parent == master:
            used["gunicorn"] += seconds
        elif program.startswith("postgres"):
            used["postgres"] += seconds
        elif "redis-server" in program:
            used["redis"] += seconds
    return used


def wrk(server: Gunicorn, path: str, seconds: int, *, threads: int = 2, connections: int = 8,
        script: str | None = None, extra_env: dict | None = None) -> dict:
    """One wrk measurement against ``server``: checked to be ours before and after, 2xx only. An answer
    slower than 10 s is a socket error (wrk's ``timeout``); a slow answer below that counts in the tail.
    With it, the CPU each answer cost the server, PostgreSQL, Redis and wrk itself (``cpu_ms``)."""
    server.check()
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    if script:
        command += ["-s", script]
    cpu_before, wrk_before = cpu_by_kind(server), os.times()
    output = subprocess.run(command + [server.base_url + path], capture_output=True, text=True,  # noqa: S603
                            check=True, env={**os.environ, **(extra_env or {}), "WRK_THREADS": str(threads)}).stdout
    cpu_after, wrk_after = cpu_by_kind(server), os.times()
    server.check()
    result = refuse_unless_clean(parse_wrk(output), f"{server.label} {path}")
    used = {kind: cpu_after[kind] - cpu_before[kind] for kind in cpu_before}
    used["wrk"] = (wrk_after.children_user + wrk_after.children_system
                   - wrk_before.children_user - wrk_before.children_system)
    result["cpu_ms"] = {kind: round(seconds * 1000 / result["requests"], 3) for kind, seconds in used.items()}
    result["cpu_ms"]["all"] = round(sum(result["cpu_ms"].values()), 3)
    return result
