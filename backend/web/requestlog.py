"""Logs as JSON lines with a request id on every line, and one line per request (SPEC §12).

Every record the process logs (the app's, SQLAlchemy's, gunicorn's) is written as one JSON object with
the id of the request it belongs to. An incoming ``X-Request-ID`` of at most 64 safe characters is kept
(a load balancer's or the mini-program's id then joins the lines of one call across hosts); anything
else is replaced by a new one. Either way it goes back as ``X-Request-ID``.

The line each request ends with names the method, the route *template* (``/api/v1/me/reports/<report_no>``,
never the path: paths hold report numbers and codes), the status, the duration and the kind of caller
(``wechat``, ``staff``, ``apikey`` or none), never who: no name, ID number, phone, token, receipt or code
is ever logged, and the filing of a report does not even name the kind of its caller
(``backend.web.access.keep_caller_out_of_logs``). Query strings and bodies are never logged.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import has_request_context, request

HEADER = "X-Request-ID"
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ID = "chengxin.request_id"
_STARTED = "chengxin.request_started"
# The fields a request's closing line carries, besides the ones every line has.
REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "principal")
WITHHELD = "withheld"

log = logging.getLogger("chengxin.requests")


def request_id() -> str | None:
    """This request's id: the caller's ``X-Request-ID`` when it is safe, otherwise a new one."""
    if not has_request_context():
        return None
    found = request.environ.get(_ID)
    if found is None:
        offered = request.headers.get(HEADER, "")
        found = offered if SAFE_ID.fullmatch(offered) else uuid.uuid4().hex
        request.environ[_ID] = found
    return found


def route_template() -> str:
    """The URL rule this request matched (its template, with no values in it), or ``unmatched``."""
    rule = request.url_rule if has_request_context() else None
    return rule.rule if rule is not None else "unmatched"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, request id, message, and a request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id(),
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


_HANDLER_MARK = "_chengxin_json"


def configure_logging(level: str) -> None:
    """Write every record of the process to stderr as JSON lines (once per process)."""
    root = logging.getLogger()
    root.setLevel(str(level).upper())
    if any(getattr(handler, _HANDLER_MARK, False) or isinstance(handler.formatter, JsonFormatter)
           for handler in root.handlers):
        return  # this process writes JSON lines already (gunicorn.conf.py configured it)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)


def _start() -> None:
    request.environ[_STARTED] = time.perf_counter()
    request_id()


def _principal_kind() -> str | None:
    from backend.web.access import caller_may_be_logged, current_principal

    if not caller_may_be_logged():
        return WITHHELD
    principal = current_principal()
    return principal.kind if principal is not None else None


def _finish(response):
    started = request.environ.get(_STARTED)
    duration = time.perf_counter() - started if started is not None else 0.0
    response.headers[HEADER] = request_id()
    route = route_template()
    from backend.web import metrics

    metrics.observe_request(request.method, route, response.status_code, duration)
    log.info("request", extra={"method": request.method, "route": route, "status": response.status_code,
                               "duration_ms": round(duration * 1000, 1), "principal": _principal_kind()})
    return response


def _log_exception(app):
    def log_exception(exc_info) -> None:
        # Flask's own names the request's path, which may hold a report number; the template does not.
        app.logger.error("unhandled exception on %s %s", request.method, route_template(), exc_info=exc_info)

    return log_exception


def init_app(app) -> None:
    """Give each request an id and a closing log line; registered before every other request hook."""
    configure_logging(app.config["LOG_LEVEL"])
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.log_exception = _log_exception(app)
