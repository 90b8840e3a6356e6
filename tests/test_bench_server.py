"""The verification benchmark refuses to report what it did not measure: another server on its port, or
answers that were not 2xx (bench/server.py). Nothing here is timed."""

import http.server
import threading

import pytest

from bench.server import (
    BenchmarkRefused,
    Config,
    check_own_server,
    free_port,
    parse_configs,
    parse_wrk,
    refuse_unless_clean,
    shipped,
)

WRK_CLEAN = """Running 12s test @ http://127.0.0.1:40311/api/v1/verifications
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.02ms  48.20ms   80.12%
  Latency Distribution
     50%   11.52ms
     75%   13.20ms
     90%   15.80ms
     99%   24.70ms
  7915 requests in 12.01s, 4.95MB read
Requests/sec:    659.04
Transfer/sec:    422.05KB
"""

WRK_REFUSED = """Running 12s test @ http://127.0.0.1:5077/api/v1/verifications
  2 threads and 8 connections
  Latency Distribution
     50%  540.00us
     75%  700.00us
     90%  900.00us
     99%    1.20ms
  29473 requests in 12.00s, 5.10MB read
  Non-2xx or 3xx responses: 29473
Requests/sec:   2456.08
"""

WRK_SOCKET_ERRORS = WRK_CLEAN.replace(
    "Requests/sec:", "  Socket errors: connect 0, read 3, write 0, timeout 2\nRequests/sec:")


def test_clean_run_is_reported_with_its_figures():
    result = refuse_unless_clean(parse_wrk(WRK_CLEAN), "clean")
    assert result == {"rps": 659.04, "requests": 7915, "p50_ms": 11.52, "p99_ms": 24.7, "non_2xx": 0,
                      "socket_errors": 0}


def test_run_with_non_2xx_answers_is_refused():
    result = parse_wrk(WRK_REFUSED)
    assert result["non_2xx"] == 29473 and result["p50_ms"] == 0.54 and result["p99_ms"] == 1.2
    with pytest.raises(BenchmarkRefused, match="29473 of 29473 answers were not 2xx"):
        refuse_unless_clean(result, "refused")


def test_run_with_socket_errors_or_no_answer_is_refused():
    with pytest.raises(BenchmarkRefused, match="5 socket errors"):
        refuse_unless_clean(parse_wrk(WRK_SOCKET_ERRORS), "errors")
    with pytest.raises(BenchmarkRefused, match="no request was answered"):
        refuse_unless_clean(parse_wrk(WRK_CLEAN.replace("7915 requests", "0 requests")), "nothing")


class _Answer(http.server.BaseHTTPRequestHandler):
    nonce = None

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.send_response(200)
        if self.nonce:
            self.send_header("X-Bench-Server", self.nonce)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def stranger():
    """Another server on a loopback port: answers 200 to everything, with a nonce of its own."""
    server = http.server.HTTPServer(("127.0.0.1", 0), type("Stranger", (_Answer,), {"nonce": "someone-else"}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_another_server_on_the_port_is_refused(stranger):
    with pytest.raises(BenchmarkRefused, match="not this benchmark's server"):
        check_own_server(stranger, "our-nonce")
    check_own_server(stranger, "someone-else")  # the same check passes for the server that owns the nonce


def test_nobody_on_the_port_is_refused():
    with pytest.raises(BenchmarkRefused, match="does not answer"):
        check_own_server(f"http://127.0.0.1:{free_port()}", "our-nonce")


def test_configurations_name_class_threads_and_workers(monkeypatch):
    assert parse_configs("sync,gthread:4@4,baseline/sync@3", 2, baseline=True) == [
        Config("sync", 1, 2), Config("gthread", 4, 4), Config("sync", 1, 3, "baseline")]
    assert [c.name for c in parse_configs("sync@2,gthread:4", 2)] == ["sync 2", "gthread 2×4"]
    with pytest.raises(SystemExit, match="only baseline"):
        parse_configs("baseline/sync", 2)
    with pytest.raises(SystemExit, match="sync or gthread"):
        parse_configs("gevent", 2)


def test_shipped_is_what_gunicorn_conf_says_not_the_shell(monkeypatch):
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    monkeypatch.setenv("GUNICORN_WORKERS", "97")
    config = shipped()
    assert config.kind == conf["worker_class"] and config.workers == conf["workers"] != 97
    assert parse_configs("shipped", 2) == [config]


def test_the_cpu_of_a_server_counts_its_master_and_workers_and_nothing_else():
    """What a request costs the machine is read from /proc: the server's own processes (the master and the
    workers it forked), not a busy process of someone else."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from types import SimpleNamespace

    from bench.server import cpu_by_kind

    spin = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(60)"
    master = subprocess.Popen([sys.executable, "-c",  # noqa: S603 - the test's own interpreter
                               f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {spin!r}])\n{spin}"],
                              start_new_session=True)
    stranger = subprocess.Popen([sys.executable, "-c", spin], start_new_session=True)  # noqa: S603
    try:
        server = SimpleNamespace(process=master)
        before = cpu_by_kind(server)["gunicorn"]
        used, deadline = 0.0, time.monotonic() + 30
        while time.monotonic() < deadline:  # until both spins are over, however loaded the machine is
            time.sleep(0.5)
            now = cpu_by_kind(server)["gunicorn"] - before
            if now >= 0.6 and now == used:
                break
            used = now
        assert 0.6 <= used < 1.2  # two spins of 0.4 s (master and child), not the stranger's third
    finally:
        for process in (master, stranger):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
