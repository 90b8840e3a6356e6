"""Configuration: read from the environment, checked before the app starts.

Secrets never have defaults outside development and testing. In development they are generated once
into ``instance/secrets.json`` (ignored by git); production refuses to start without explicit values.
"""

import base64
import json
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENTS = ("production", "development", "testing")
SECRET_NAMES = ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY")
DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"

# Every variable the app reads, with its default; the README table is checked against this list.
VARIABLES: dict[str, tuple[str, str]] = {
    "CHENGXIN_ENV": ("production", "production, development or testing; `make run` sets development"),
    "DATABASE_URL": ("sqlite:///instance/chengxin.db (development only)", "SQLAlchemy database URL"),
    "DATABASE_READ_URL": ("none: the primary serves every read",
                          "a PostgreSQL read replica for the public read-only endpoints"),
    "REDIS_URL": ("none: in-process stand-in (single process only)", "Redis for caches and rate limits"),
    "REDIS_PREFIX": ("chengxin:", "prefix of every Redis key the app writes"),
    "SECRET_KEY": ("generated in development", "signs access tokens"),
    "DATA_ENCRYPTION_KEY": ("generated in development", "32 bytes, urlsafe base64: encrypts personal data"),
    "LOOKUP_HASH_KEY": ("generated in development", "32 bytes, urlsafe base64: keyed hashes for look-ups"),
    "WECHAT_APPID": ("none", "mini-program AppID; without it the development exchanger is used"),
    "WECHAT_SECRET": ("none", "mini-program AppSecret"),
    "WECHAT_API_BASE": (DEFAULT_WECHAT_API_BASE, "base URL of the WeChat API"),
    "WECHAT_TEMPLATE_IDS": ("{}", "JSON object: notice kind -> subscribe-message template id"),
    "TRUSTED_PROXIES": ("0", "how many proxies in front of the app append to X-Forwarded-For; 0: the socket "
                              "address is the client"),
    "PUBLIC_BASE_URL": ("none: the address each request came to",
                        "public address of the service, printed on credit reports (`https://…`, no path)"),
    "LOG_LEVEL": ("INFO", "Python logging level"),
    "CHENGXIN_METRICS_TOKEN": ("none: `/metrics` answers 404",
                               "bearer token that opens the Prometheus metrics at `/metrics`"),
    "PROMETHEUS_MULTIPROC_DIR": ("none: one process's metrics",
                                 "an empty directory where gunicorn's workers share their metrics"),
    "PORT": ("5000", "port of `make run`"),
}


# Variables of earlier versions whose values are now settings admins change at /api/v1/admin/settings.
REPLACED_BY_SETTINGS = {
    "RATELIMIT_PUBLIC": "limits.public_per_minute",
    "RATELIMIT_STAFF_LOGIN_FAILURES": "limits.staff_login_failures_per_15_minutes",
    "RATELIMIT_API_KEY": "limits.api_key_per_minute",
}


class ConfigError(RuntimeError):
    """The configuration cannot run the app; the message says what is missing."""




# Defaults for variables the process environment leaves unset, kept in the Python environment itself.
# `make` writes CHENGXIN_ENV=development into the virtualenv it creates for local runs, so the documented
# `.venv/bin/flask ...` commands work in a checkout. Production installs into an environment of its own
# (from the lock file, never through `make`), which holds no such file: there, unset means production.
ENVIRONMENT_DEFAULTS = Path(sys.prefix) / "chengxin.env"


def environment_defaults(path: Path | None = None) -> dict:
    """The ``NAME=value`` lines of ``path`` (``ENVIRONMENT_DEFAULTS``; none when it does not exist)."""
    path = path or ENVIRONMENT_DEFAULTS
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, separator, value = line.partition("=")
        if separator and name.strip() and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def development_secrets(instance_path: Path) -> dict:
    """Load the development secrets, creating them once on first run."""
    path = instance_path / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance_path.mkdir(parents=True, exist_ok=True)
    values = {name: _new_key() for name in SECRET_NAMES}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle, indent=2)
    return values


def decode_key(name: str, value: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} must be 32 bytes in urlsafe base64") from exc
    if len(raw) != 32:
        raise ConfigError(f"{name} must be 32 bytes in urlsafe base64")
    return raw


def build_config(environ: dict | None = None, overrides: dict | None = None,
                 instance_path: Path | None = None) -> dict:
    """Assemble the Flask config from the environment and explicit overrides, then check it."""
    environ = {**environment_defaults(), **os.environ} if environ is None else dict(environ)
    overrides = dict(overrides or {})
    instance_path = instance_path or project_root() / "instance"

    def get(name, default=None):
        if name in overrides:
            return overrides[name]
        value = environ.get(name)
        return default if value in (None, "") else value

    env = get("CHENGXIN_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CHENGXIN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    for name, setting in REPLACED_BY_SETTINGS.items():
        if get(name) is not None:
            raise ConfigError(f"{name} is no longer read: the limit is the setting {setting}, "
                              "changed at /api/v1/admin/settings; unset the variable")

    config = {
        "CHENGXIN_ENV": env,
        "TESTING": env == "testing",
        "INSTANCE_PATH": str(instance_path),
        "REDIS_URL": get("REDIS_URL"),
        "REDIS_PREFIX": get("REDIS_PREFIX", "chengxin:"),
        "WECHAT_APPID": get("WECHAT_APPID"),
        "WECHAT_SECRET": get("WECHAT_SECRET"),
        "WECHAT_API_BASE": get("WECHAT_API_BASE", DEFAULT_WECHAT_API_BASE).rstrip("/"),
        "WECHAT_TEMPLATE_IDS": _template_ids(get("WECHAT_TEMPLATE_IDS", "{}")),
        "TRUSTED_PROXIES": _trusted_proxies(get("TRUSTED_PROXIES", "0")),
        "LOG_LEVEL": get("LOG_LEVEL", "INFO"),
        "CHENGXIN_METRICS_TOKEN": get("CHENGXIN_METRICS_TOKEN"),
        "PUBLIC_BASE_URL": (get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
    }

    database_url = get("DATABASE_URL")
    if database_url is None and env == "development":
        database_url = f"sqlite:///{instance_path / 'chengxin.db'}"
    config["SQLALCHEMY_DATABASE_URI"] = database_url

    generated = development_secrets(instance_path) if env == "development" else {}
    for name in SECRET_NAMES:
        config[name] = get(name, generated.get(name))

    _check(config)
    config["DATA_ENCRYPTION_KEY_BYTES"] = decode_key("DATA_ENCRYPTION_KEY", config["DATA_ENCRYPTION_KEY"])
    config["LOOKUP_HASH_KEY_BYTES"] = decode_key("LOOKUP_HASH_KEY", config["LOOKUP_HASH_KEY"])
    if config["DATA_ENCRYPTION_KEY_BYTES"] == config["LOOKUP_HASH_KEY_BYTES"]:
        raise ConfigError("LOOKUP_HASH_KEY must differ from DATA_ENCRYPTION_KEY: look-up hashes are never made "
                          "with the key that encrypts")
    config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    read_url = get("DATABASE_READ_URL")
    config["DATABASE_READ_URL"] = _normalise_database_url(read_url) if read_url else None
    config["USE_DEVELOPMENT_WECHAT"] = env in ("development", "testing") and not config["WECHAT_APPID"]
    for key, value in overrides.items():
        config.setdefault(key, value)
    return config


def _trusted_proxies(value) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if isinstance(value, bool) or count < 0 or count > 10:
        raise ConfigError("TRUSTED_PROXIES must be a whole number from 0 to 10")
    return count


def _template_ids(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError("WECHAT_TEMPLATE_IDS must be a JSON object") from exc
    if not isinstance(parsed, dict):
        raise ConfigError("WECHAT_TEMPLATE_IDS must be a JSON object")
    return parsed


def _normalise_database_url(url: str) -> str:
    # psycopg 3 is the driver we ship; accept the plain scheme operators usually write.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _check(config: dict) -> None:
    missing = [name for name in SECRET_NAMES if not config.get(name)]
    if missing:
        raise ConfigError(f"missing secrets: {', '.join(missing)} (set them in the environment)")
    if not config["SQLALCHEMY_DATABASE_URI"]:
        raise ConfigError("DATABASE_URL is required")
    if config["CHENGXIN_ENV"] != "production":
        return
    base = urlsplit(config["WECHAT_API_BASE"])
    if base.scheme != "https" or not base.hostname:
        raise ConfigError("WECHAT_API_BASE must be an https:// URL in production: the session keys and the "
                          "access token travel over it")
    url = config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith(("postgresql", "postgres://")):
        raise ConfigError("production needs PostgreSQL: DATABASE_URL must be a postgresql:// URL")
    if not config["REDIS_URL"]:
        raise ConfigError("production needs Redis: set REDIS_URL")
    if not (config["WECHAT_APPID"] and config["WECHAT_SECRET"]):
        raise ConfigError("production needs WeChat credentials: set WECHAT_APPID and WECHAT_SECRET")
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters")
