"""A local HTTP server standing in for WeChat: scripted answers per path, every request recorded.

Unscripted calls get WeChat's ordinary success: ``stable_token`` hands out ``token-1``, ``token-2``, …
(a new one only when forced, as WeChat does), and every other path answers ``errcode 0``, except a
subscribe message whose data breaks WeChat's keyword rules, refused with errcode 47003 as WeChat does.
"""

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from backend.wechat import keywords

SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    body: dict | None


@dataclass
class Answer:
    """One scripted answer: a JSON object, or raw bytes, after an optional delay."""

    json: dict | None = None
    raw: bytes | None = None
    status: int = 200
    delay: float = 0.0


@dataclass
class WeChatStandIn:
    requests: list[Recorded] = field(default_factory=list)
    token_delay: float = 0.0

    def __post_init__(self):
        self._script: dict[str, deque[Answer]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._token_numbers = itertools.count(1)
        self._token = None
        self._server: ThreadingHTTPServer | None = None

    # -- scripting --------------------------------------------------------------------------------

    def script(self, path: str, *answers: dict | Answer) -> None:
        """Queue answers for ``path``, used in order before the default one."""
        with self._lock:
            for answer in answers:
                self._script[path].append(answer if isinstance(answer, Answer) else Answer(json=answer))

    def to(self, path: str) -> list[Recorded]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> "WeChatStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer(None)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                self._answer(json.loads(raw) if raw else None)

            def _answer(self, body):
                url = urlsplit(self.path)
                recorded = Recorded(self.command, url.path, dict(parse_qsl(url.query)), body)
                answer = standin._next(recorded)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.raw if answer.raw is not None else json.dumps(answer.json).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.handle_error = lambda *args: None
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answers ----------------------------------------------------------------------------------

    def _next(self, recorded: Recorded) -> Answer:
        with self._lock:
            self.requests.append(recorded)
            if self._script[recorded.path]:
                return self._script[recorded.path].popleft()
            if recorded.path == "/cgi-bin/stable_token":
                if self._token is None or (recorded.body or {}).get("force_refresh"):
                    self._token = f"token-{next(self._token_numbers)}"
                return Answer(json={"access_token": self._token, "expires_in": 7200}, delay=self.token_delay)
            if recorded.path == SUBSCRIBE_SEND:
                problems = keywords.problems((recorded.body or {}).get("data") or {})
                if problems:
                    # WeChat's answer to data that breaks its keyword rules.
                    return Answer(json={"errcode": keywords.ARGUMENT_INVALID,
                                        "errmsg": "argument invalid! " + "; ".join(problems)})
            return Answer(json={"errcode": 0, "errmsg": "ok"})
