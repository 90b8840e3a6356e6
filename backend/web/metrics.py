"""Prometheus metrics (SPEC §12): requests, latency and errors by route template; verifications; imports.

Served at ``/metrics`` only when ``CHENGXIN_METRICS_TOKEN`` is set, and then only to a caller who sends it
as a bearer token (compared in constant time); otherwise the path answers 404 like any unknown one.

Under gunicorn each worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty
directory, emptied before each start; ``gunicorn.conf.py`` marks a worker dead when it exits) the workers
write their samples there and a scrape of any worker adds them all up. Without it (one process), the
process's own registry is served.

Labels are route templates, methods, status codes and fixed words, never values a caller chose: the
number of series stays bounded whatever the traffic.
"""

import hmac
import os

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from backend.web.access import AccessRule, guarded
from backend.web.errors import NotFound

NAMESPACE = "chengxin"

REQUESTS = Counter("http_requests", "Requests answered, by method, route template and status",
                   ["method", "route", "status"], namespace=NAMESPACE)
LATENCY = Histogram("http_request_duration_seconds", "Time to answer a request, by method and route template",
                    ["method", "route"], namespace=NAMESPACE,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ERRORS = Counter("http_server_errors", "Requests answered with a 5xx status, by method and route template",
                 ["method", "route"], namespace=NAMESPACE)
VERIFICATIONS = Counter("verifications", "Credit-code verifications, by outcome (a reason word or ok)",
                        ["outcome"], namespace=NAMESPACE)
IMPORTS = Counter("imports", "Import requests, by route template and status (bad rows are reported in a 200)",
                  ["route", "status"], namespace=NAMESPACE)
IMPORT_ROWS = Counter("import_rows", "Rows read from import files, by route template", ["route"],
                      namespace=NAMESPACE)

TOKEN_VARIABLE = "CHENGXIN_METRICS_TOKEN"  # noqa: S105 - the variable's name, not a token
METRICS = AccessRule(None, limited=False, token_variable=TOKEN_VARIABLE)

blp = Blueprint("metrics", __name__)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    if status >= 500:
        ERRORS.labels(method, route).inc()
    if method == "POST" and route.endswith("/import"):
        IMPORTS.labels(route, str(status)).inc()


def count_verification(outcome: str) -> None:
    VERIFICATIONS.labels(outcome).inc()


def token_matches() -> bool:
    """Whether the request carries the metrics token (never true while none is configured)."""
    expected = current_app.config.get(TOKEN_VARIABLE)
    if not expected:
        return False
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), expected.encode())


def exposition() -> bytes:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    return generate_latest()


@blp.route("/metrics")
@guarded(METRICS)
def metrics():
    if not token_matches():
        raise NotFound()
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
