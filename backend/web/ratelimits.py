"""Rate limits shared by every domain (SPEC §10): one mechanism that every limit uses.

An attempt is counted before it is evaluated: ``attempt`` adds one to the subject's counter of the
current window in a single atomic step (Redis ``INCRBY`` through Flask-Limiter's storage, or process
memory in the embedded single-process mode) and refuses with 429 ``rate_limited`` and ``Retry-After``
once the count passes the limit. However many requests arrive at once, at most the limit of them get
past it. A limit on failures (wrong passwords, wrong API keys) counts every attempt the same way and
gives back those that succeed, so a parallel burst still evaluates no more than the limit.

Windows are fixed: a limit per minute, hour or 15 minutes counts in windows aligned to the clock; a
daily limit counts in the calendar day of Asia/Shanghai and resets at 00:00 there.

Keys sit under ``REDIS_PREFIX`` and name their subject (an account, a username, an IP address) only by
a keyed hash, under a key derived from ``LOOKUP_HASH_KEY``: the store holds no account id or address
in clear, and nobody without the key can tell whose counter a key is.

How many attempts a window allows is a setting (``backend.settings.defaults``, ``limits.*``), read
through the reader the app registers (settings sit above this layer).

While Redis cannot be reached (SPEC §12), the limits that guard something (sign-in, binding, reports,
uploads, failed passwords and API keys, receipts, invites, credit reports) count in the database instead
(``backend.data.counters``: the same keys, the same atomic add), and the limits that only spread the load
of reads (``fail_open``: the public per-IP limit, each API key's, the QR image's) let requests through
uncounted. After a failure this process leaves Redis alone for ``REDIS_REST_SECONDS`` rather than wait
for its timeout on every request, then tries it again: counting returns to Redis by itself. A window that
spans the outage counts partly in each place, so it may allow up to twice its limit once.
"""

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

import redis
from flask import current_app, request

from backend.dates.timeutil import SHANGHAI
from backend.web.errors import RateLimited

log = logging.getLogger(__name__)

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 0  # the calendar day in Asia/Shanghai, not a span of seconds


@dataclass(frozen=True)
class Limit:
    """One limit of SPEC §10: ``setting`` holds how many attempts a window of ``window`` seconds (or the
    calendar ``DAY``) allows each subject."""

    name: str
    setting: str
    window: int
    message: str | None = None
    # A limit on reads only: while Redis is down it lets requests through rather than count elsewhere.
    fail_open: bool = False


# function(setting key) -> int, registered by the app: the settings domain reads the database.
_allowance_reader: list[Callable[[str], int]] = []


def read_allowances_with(reader: Callable[[str], int]) -> None:
    """Register how a limit's allowance is read (``backend.settings.service.get``)."""
    _allowance_reader[:] = [reader]


def allowance(limit: Limit) -> int:
    return int(_allowance_reader[0](limit.setting))


def client_ip() -> str:
    """The caller's address: the socket's, or the one ``TRUSTED_PROXIES`` proxies vouch for."""
    return request.remote_addr or "unknown"


def storage_options(config: dict) -> dict:
    """Flask-Limiter's storage: Redis under ``REDIS_PREFIX`` when ``REDIS_URL`` is set, else memory."""
    if not config["REDIS_URL"]:
        return {"RATELIMIT_STORAGE_URI": "memory://"}
    return {"RATELIMIT_STORAGE_URI": config["REDIS_URL"],
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": config["REDIS_PREFIX"] + "rl",
                                          "socket_timeout": 0.5, "socket_connect_timeout": 0.5}}


def subject_hash(subject) -> str:
    """The keyed hash that names a subject in the store (never the account id or address itself)."""
    key = hmac.digest(current_app.config["LOOKUP_HASH_KEY_BYTES"], b"chengxin rate-limit subjects",
                      hashlib.sha256)
    return hmac.digest(key, str(subject).encode(), hashlib.sha256).hex()[:32]


def _window(limit: Limit, now: float) -> tuple[str, float]:
    """The current window's name and the seconds left in it."""
    if limit.window == DAY:
        local = datetime.fromtimestamp(now, SHANGHAI)
        midnight = datetime(local.year, local.month, local.day, tzinfo=SHANGHAI) + timedelta(days=1)
        return local.date().isoformat(), midnight.timestamp() - now
    index = int(now // limit.window)
    return str(index), (index + 1) * limit.window - now


def _storage():
    return current_app.extensions["chengxin.limiter"].storage


REDIS_REST_SECONDS = 5.0
_redis_resting_until = [0.0]

STORE, DATABASE, UNCOUNTED = "store", "database", "uncounted"


def _in_store(key: str, expires_in: float, amount: int) -> int | None:
    """Add ``amount`` to ``key`` in Flask-Limiter's storage; ``None`` while Redis cannot be reached."""
    if monotonic() < _redis_resting_until[0]:
        return None
    try:
        return _storage().incr(key, max(1, math.ceil(expires_in)), amount=amount)
    except (redis.RedisError, OSError) as exc:
        _redis_resting_until[0] = monotonic() + REDIS_REST_SECONDS
        log.warning("rate-limit store unavailable, counting in the database: %s", type(exc).__name__)
        return None


def _count(limit: Limit, key: str, expires_in: float, amount: int = 1, where: str | None = None
           ) -> tuple[int | None, str]:
    """Add ``amount`` to ``key`` atomically (the key lives ``expires_in``); return the new count and where
    it was counted (``None`` and ``UNCOUNTED`` when a read limit fails open)."""
    if where != DATABASE:
        count = _in_store(key, expires_in, amount)
        if count is not None or where == STORE:
            return count, STORE
        if limit.fail_open:
            return None, UNCOUNTED
    from backend.data import counters

    return counters.increment(key, expires_in, amount), DATABASE


@dataclass(frozen=True)
class Attempt:
    """An attempt counted against a limit; ``give_back`` uncounts it (a success a failure limit
    does not count, or a failure that was not the caller's doing)."""

    limit: Limit
    key: str
    expires_in: float
    where: str = STORE

    def give_back(self) -> None:
        if self.where != UNCOUNTED:
            _count(self.limit, self.key, self.expires_in, -1, where=self.where)


def attempt(limit: Limit, subject) -> Attempt:
    """Count one attempt of ``subject`` against ``limit`` before it is evaluated; 429 once past it."""
    now = time.time()
    window, left = _window(limit, now)
    key = f"{limit.name}:{subject_hash(subject)}:{window}"
    count, where = _count(limit, key, left)
    if count is not None and count > allowance(limit):
        raise RateLimited(limit.message, retry_after=math.ceil(left))
    return Attempt(limit, key, left, where)


PUBLIC = Limit("public", "limits.public_per_minute", MINUTE, fail_open=True)


def public_request() -> None:
    """The per-IP limit every public endpoint shares."""
    attempt(PUBLIC, client_ip())
