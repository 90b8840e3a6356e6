"""The app as gunicorn serves it in production (``wsgi:app``), with one header added to every answer:
``X-Bench-Server``, the nonce the benchmark gave this server in ``BENCH_SERVER_NONCE``. A benchmark checks
it before and after every measurement, so it can never time another server that holds the port."""

import os

from wsgi import app as _app

NONCE = os.environ["BENCH_SERVER_NONCE"].encode("latin-1")


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Bench-Server", NONCE.decode("latin-1"))], exc_info)

    return _app(environ, start)
