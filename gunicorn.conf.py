"""gunicorn's configuration for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Workers are ``sync`` processes, ``2 × cores + 1`` of them, chosen by the runs of 2026-12-03 on a quieter
2-core host (bench/README.md, "Load" and "Credit-code verification"): the realistic mix (bench/load.py,
16 clients, 100 thousand residents) answered 95.7 and 112.8 requests/s with 5 sync workers against
79.6–81.9 with the 4 gthread workers × 4 threads shipped before, 80.3–102.6 with 2 sync and 84.8–105.1
with 2 gthread × 4, and the lowest p99 on nearly every endpoint (181–394 ms in the quieter pass, against
347–1,644 ms with gthread); the verification benchmark gave 2 sync workers the best verification ÷ health
(0.26 / 0.25 against 0.23 / 0.22 for 4 gthread × 4) and p99 (89 / 76 ms against 337 / 117 ms). Threads
of one process queue on the GIL: the app's work per request is mostly Python, not waiting. Every value
can be changed through the variable named beside it, without editing this file
(``GUNICORN_WORKER_CLASS=gthread`` and ``GUNICORN_THREADS`` bring the threads back).

A sync worker is held by its request from the first byte to the last: put it behind a proxy that buffers
request bodies (nginx does by default), or a slow upload holds a whole worker. A worker that answers no
heartbeat for ``timeout`` seconds is replaced, and a sync worker sends none while it handles a request, so
``timeout`` must outlast the longest request: the import of a 256 MB event file (about 50 s for a million
rows on a quiet 2-core host, minutes on a loaded one). ``SIGHUP`` or ``SIGTERM`` lets requests in progress
finish for up to ``graceful_timeout`` seconds. Each worker is replaced after about ``max_requests``
requests, which bounds what any slow leak can grow to.

The app writes its own JSON line per request (route templates, no paths, no query strings: paths hold
report numbers), so gunicorn's access log stays off; gunicorn's own messages go to stderr as JSON lines.
Each worker holds up to ``pool_size + max_overflow`` (10 + 10) database connections: keep
``workers × 20`` per host, summed over the hosts, under PostgreSQL's ``max_connections`` (or put PgBouncer
in between).
"""

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))  # the longest request: a large import
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # below the load balancer's idle timeout
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "backend.web.requestlog.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": loglevel.upper()},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
                "gunicorn.access": {"handlers": [], "propagate": False}},
}


def on_starting(server):
    """Start the shared metrics directory empty: samples of an earlier run's workers would add up."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    """A worker that left: its live gauges leave with it (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
