"""Rate limits shared by every domain (SPEC §10), counted by Flask-Limiter.

Flask-Limiter's storage is Redis when ``REDIS_URL`` is set and process memory otherwise (the
single-process embedded mode). Views use ``enforce``/``hit`` with a limit string and a key; a breach is
429 ``rate_limited`` with ``Retry-After``.
"""

import logging
import math
import time

import redis
from flask import current_app, request
from limits import parse

from backend.web.errors import RateLimited

log = logging.getLogger(__name__)


def client_ip() -> str:
    """The caller's address as the WSGI server saw it (a proxy fixer sets it behind gunicorn)."""
    return request.remote_addr or "unknown"


def storage_uri(config: dict) -> str:
    return config["REDIS_URL"] or "memory://"


def _limiter():
    return current_app.extensions["chengxin.limiter"]


def hit(limit: str, *key: str, message: str | None = None) -> None:
    """Count one event against ``limit`` for ``key``; raise 429 when the limit is already spent."""
    item = parse(limit)
    strategy = _limiter().limiter
    if strategy.hit(item, "chengxin", *key):
        return
    reset_at, _remaining = strategy.get_window_stats(item, "chengxin", *key)
    raise RateLimited(message, retry_after=math.ceil(reset_at - time.time()))


def hit_daily(count: int, *key: str, message: str | None = None) -> None:
    """Count one event against ``count`` a day for ``key``; raise 429 when the day's count is spent.

    The day is Asia/Shanghai's: the counter lives in the shared store (Redis without persistence, under the
    app's key prefix) until the next 00:00 there, when it expires, so nothing counted today outlives today.
    Callers that must not link the count to a person key it by a keyed hash
    (``backend.privacy.sealing.lookup_hash``) of who and which day.
    """
    from backend.data.cache import store
    from backend.dates.timeutil import seconds_until_local_midnight

    seconds = seconds_until_local_midnight()
    shared = store()
    name = shared.key("daily", *key)
    try:
        with shared.client.pipeline() as pipe:  # MULTI/EXEC: the expiry is set with the first count
            pipe.set(name, 0, ex=seconds, nx=True)
            pipe.incr(name)
            _created, used = pipe.execute()
    except (redis.RedisError, OSError) as exc:
        # Redis down: the action goes ahead uncounted rather than failing (a database fallback belongs here).
        log.warning("shared store unavailable for a daily limit: %s", type(exc).__name__)
        return
    if used <= count:
        return
    raise RateLimited(message, retry_after=seconds)


def check(limit: str, *key: str, message: str | None = None) -> None:
    """Refuse with 429 when ``limit`` is spent for ``key``, without counting this request."""
    item = parse(limit)
    strategy = _limiter().limiter
    if strategy.test(item, "chengxin", *key):
        return
    reset_at, _remaining = strategy.get_window_stats(item, "chengxin", *key)
    raise RateLimited(message, retry_after=math.ceil(reset_at - time.time()))


def clear(limit: str, *key: str) -> None:
    _limiter().limiter.clear(parse(limit), "chengxin", *key)


def public_request() -> None:
    """The per-IP limit every public endpoint shares."""
    hit(current_app.config["RATELIMIT_PUBLIC"], "public", client_ip())
