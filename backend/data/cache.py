"""The shared store: Redis in production, an in-process stand-in (fakeredis) in the embedded mode.

Redis is a fast path and a shared cache, never the record: every read here may miss (or Redis may be
down), and callers then fall back to the database. Errors are logged and treated as misses.
"""

import logging

import fakeredis
import redis
from flask import current_app

log = logging.getLogger(__name__)


class SharedStore:
    def __init__(self, url: str | None, prefix: str):
        self.embedded = not url
        self.client = fakeredis.FakeRedis() if self.embedded else redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix

    def key(self, *parts) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get(key)
        except redis.RedisError as exc:
            log.warning("shared store unavailable on read: %s", type(exc).__name__)
            return None

    def set(self, key: str, value, ttl_seconds: int | None = None) -> None:
        try:
            self.client.set(key, value, ex=ttl_seconds)
        except redis.RedisError as exc:
            log.warning("shared store unavailable on write: %s", type(exc).__name__)

    def delete(self, key: str) -> None:
        try:
            self.client.delete(key)
        except redis.RedisError as exc:
            log.warning("shared store unavailable on delete: %s", type(exc).__name__)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


def init_app(app) -> None:
    app.extensions["chengxin.store"] = SharedStore(app.config["REDIS_URL"], app.config["REDIS_PREFIX"])


def store() -> SharedStore:
    return current_app.extensions["chengxin.store"]
