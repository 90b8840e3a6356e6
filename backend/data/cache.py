"""The shared store: Redis in production, an in-process stand-in (fakeredis) in the embedded mode.

Redis is a fast path and a shared cache, never the record: every read here may miss (or Redis may be
down), and callers then fall back to the database. Errors are logged and treated as misses, and after
one this process leaves Redis alone for ``REST_SECONDS`` (rather than wait for a timeout on every
request); then it tries again, and the client reconnects by itself: caches recover without a restart.

A write that must not be lost while Redis is away (a revocation, which overrides what the cache may still
say about a sign-in) is kept in the process and written as soon as Redis answers again, before anything
is read from it.
"""

import logging
import threading
import time

import fakeredis
import redis
from flask import current_app

log = logging.getLogger(__name__)

REST_SECONDS = 5.0


class SharedStore:
    def __init__(self, url: str | None, prefix: str):
        self.embedded = not url
        self.client = fakeredis.FakeRedis() if self.embedded else redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix
        self._resting_until = 0.0
        self._pending: dict[str, tuple[bytes, int | None, float]] = {}
        self._lock = threading.Lock()

    def key(self, *parts) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    def available(self) -> bool:
        """Whether to try Redis now: not within ``REST_SECONDS`` of a failure; writes kept during an
        outage go first."""
        if time.monotonic() < self._resting_until:
            return False
        if self._pending:
            self._write_pending()
        return True

    def _failed(self, action: str, exc: Exception) -> None:
        self._resting_until = time.monotonic() + REST_SECONDS
        log.warning("shared store unavailable on %s: %s", action, type(exc).__name__)

    def _write_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        now = time.monotonic()
        try:
            for key, (value, ttl, kept_at) in pending.items():
                left = None if ttl is None else int(ttl - (now - kept_at))
                if left is None or left > 0:
                    self.client.set(key, value, ex=left)
        except redis.RedisError as exc:
            with self._lock:
                self._pending = {**pending, **self._pending}
            self._failed("replay", exc)

    def get(self, key: str) -> bytes | None:
        if not self.available():
            return None
        try:
            return self.client.get(key)
        except redis.RedisError as exc:
            self._failed("read", exc)
            return None

    def set(self, key: str, value, ttl_seconds: int | None = None, *, keep_until_written: bool = False) -> None:
        """Write ``value``; with ``keep_until_written``, one Redis could not take is kept and written when
        it answers again (a revocation)."""
        if self.available():
            try:
                self.client.set(key, value, ex=ttl_seconds)
                return
            except redis.RedisError as exc:
                self._failed("write", exc)
        if keep_until_written:
            with self._lock:
                self._pending[key] = (value if isinstance(value, bytes) else str(value).encode(), ttl_seconds,
                                      time.monotonic())

    def delete(self, key: str) -> None:
        if not self.available():
            return
        try:
            self.client.delete(key)
        except redis.RedisError as exc:
            self._failed("delete", exc)

    def ping(self) -> bool:
        try:
            answered = bool(self.client.ping())
        except redis.RedisError:
            return False
        if answered and self._pending:
            self._write_pending()
        return answered


def init_app(app) -> None:
    app.extensions["chengxin.store"] = SharedStore(app.config["REDIS_URL"], app.config["REDIS_PREFIX"])


def store() -> SharedStore:
    return current_app.extensions["chengxin.store"]
