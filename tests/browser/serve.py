"""Serve the app for the browser tests: the embedded default (SQLite, in-process stand-ins) with the demo
data in a fresh instance folder, on a port the system picks. Prints ``serving <port>`` when it is ready.

    python -m tests.browser.serve INSTANCE_DIR
"""

import base64
import secrets
import sys
from pathlib import Path

from werkzeug.serving import make_server

from backend import create_app


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def build(instance: Path):
    from flask_migrate import upgrade

    from backend.demo import load as demo
    from backend.settings import service as settings
    from backend.web.access import ADMIN, Principal

    instance.mkdir(parents=True, exist_ok=True)
    app = create_app({
        "CHENGXIN_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{instance / 'console.db'}",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'console.db'}",
        "REDIS_URL": None,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": _key(),
        "LOOKUP_HASH_KEY": _key(),
        "INSTANCE_PATH": str(instance),
        "WECHAT_APPID": None,
        "WECHAT_SECRET": None,
    })
    with app.app_context():
        upgrade()
        demo.load_if_empty()
        # Every test signs in and opens screens from the same address within a minute or two.
        settings.update(Principal(kind="system", id=0, roles=frozenset({ADMIN}), name="tests"),
                        {"limits.public_per_minute": 2000})
    return app


def main(instance: str) -> None:
    app = build(Path(instance))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"serving {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
