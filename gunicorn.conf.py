"""gunicorn's configuration for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Workers are processes, each with a few threads (``gthread``): a request spends most of its time waiting
on PostgreSQL and Redis, so threads overlap those waits inside one process, and processes use the cores.
``bench/README.md`` has the runs this was chosen by. Every value can be changed through the variable
named beside it, without editing this file.

A worker that answers no heartbeat for ``timeout`` seconds is replaced (in gthread the heartbeat comes
from the worker's main loop, so a long import upload does not count against it); ``SIGHUP`` or
``SIGTERM`` lets requests in progress finish for up to ``graceful_timeout`` seconds. Each worker is
replaced after about ``max_requests`` requests, which bounds what any slow leak can grow to.

The app writes its own JSON line per request (route templates, no paths, no query strings: paths hold
report numbers), so gunicorn's access log stays off; gunicorn's own messages go to stderr as JSON lines.
Each worker holds up to ``pool_size + max_overflow`` (10 + 10) database connections: keep
``workers × 20`` per host, summed over the hosts, under PostgreSQL's ``max_connections`` (or put PgBouncer
in between).
"""

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
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
