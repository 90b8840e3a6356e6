"""The one module that talks to WeChat over HTTPS (SPEC §9).

What passes through here and must not leak: the AppSecret and the access token (each lets anyone act
as the mini-program), login and phone codes, and the ``session_key`` (it decrypts the user's WeChat
data). None of them is logged, put in an exception message or shown by ``repr``. URLs carry the secret
or the token in their query string, so only their path is ever logged, and WeChat's ``errmsg`` is
logged with this call's secrets struck out.
"""

import http.client
import json
import logging
import math
import secrets
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlencode, urlsplit

import redis

from backend.data.cache import SharedStore
from backend.wechat.errors import (
    PhoneCodeInvalid,
    WeChatBusy,
    WeChatCodeInvalid,
    WeChatError,
    WeChatHighRiskUser,
    WeChatRateLimited,
    WeChatUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0
# A cached token is dropped this long before WeChat expires it, so no call carries a dying token.
TOKEN_EXPIRY_MARGIN_SECONDS = 300
# How often a worker waiting for another one's token refresh looks at the shared cache again.
TOKEN_WAIT_POLL_SECONDS = 0.05
MAX_RESPONSE_BYTES = 1024 * 1024

TOKEN_REJECTED = frozenset({40001, 40014, 42001})
# 40029 invalid, 40163 already used, 41008 missing: to the user they all mean "get a new code".
CODE_INVALID = frozenset({40029, 40163, 41008})
NO_SUBSCRIPTION = 43101
TEXT_RISKY = 87014
ERRORS_BY_CODE = {-1: WeChatBusy, 45011: WeChatRateLimited, 40226: WeChatHighRiskUser}

SendStatus = Literal["sent", "no_subscription", "failed"]
TextVerdict = Literal["pass", "review", "risky", "unavailable"]
TEXT_SUGGESTIONS = ("pass", "review", "risky")


@dataclass(frozen=True)
class WeChatSession:
    """Who signed in with a ``wx.login`` code; ``session_key`` stays on the server and out of ``repr``."""

    openid: str
    unionid: str | None
    session_key: str = field(repr=False)


@dataclass(frozen=True)
class SendResult:
    """The outcome of one subscribe message, for the notice record."""

    status: SendStatus
    errcode: int | None = None
    errmsg: str | None = None


class WeChat(Protocol):
    """What the rest of the service may ask of WeChat; the real client and the development exchanger."""

    def code_to_session(self, code: str) -> WeChatSession: ...

    def access_token(self) -> str: ...

    def phone_number(self, phone_code: str) -> str: ...

    def send_subscribe_message(self, openid: str, template_id: str, data: Mapping,
                               page: str | None = None) -> SendResult: ...

    def check_text(self, openid: str, content: str, scene: int = 1) -> TextVerdict: ...


class WeChatClient:
    """Calls WeChat with the mini-program's credentials; the access token is shared through ``store``."""

    def __init__(self, base_url: str, appid: str, secret: str, store: SharedStore, *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS):
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("the WeChat API base must be an http or https URL")
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._base_path = parts.path.rstrip("/")
        self.appid = appid
        self._secret = secret
        self.store = store
        self.timeout = timeout
        self._token_key = store.key("wechat", "access_token", appid)
        self._lock_key = store.key("wechat", "access_token_refresh", appid)
        # Long enough for one stable_token call; a refresher that dies frees the lock by expiry.
        self._lock_seconds = 2 * timeout + 1

    def __repr__(self) -> str:
        return f"WeChatClient(base_url={self.base_url!r}, appid={self.appid!r})"

    # -- calls ------------------------------------------------------------------------------------

    def code_to_session(self, code: str) -> WeChatSession:
        """Exchange a ``wx.login`` code for the user's openid (``jscode2session``)."""
        if not code:
            raise WeChatCodeInvalid(errcode=41008)
        path = "/sns/jscode2session"
        query = {"appid": self.appid, "secret": self._secret, "js_code": code,
                 "grant_type": "authorization_code"}
        payload = self._request("GET", path, query=query)
        self._raise_for(payload, path, code_error=WeChatCodeInvalid, sensitive=(code,))
        openid, session_key = payload.get("openid"), payload.get("session_key")
        if not (isinstance(openid, str) and openid and isinstance(session_key, str) and session_key):
            log.warning("WeChat %s answered without openid or session_key", path)
            raise WeChatError()
        unionid = payload.get("unionid")
        return WeChatSession(openid=openid, unionid=unionid if isinstance(unionid, str) else None,
                             session_key=session_key)

    def phone_number(self, phone_code: str) -> str:
        """The phone number behind a ``getPhoneNumber`` code, without country code."""
        if not phone_code:
            raise PhoneCodeInvalid(errcode=41008)
        path = "/wxa/business/getuserphonenumber"
        payload = self._call_with_token(path, {"code": phone_code})
        self._raise_for(payload, path, code_error=PhoneCodeInvalid, sensitive=(phone_code,))
        phone = _member(payload, "phone_info").get("purePhoneNumber")
        if not (isinstance(phone, str) and phone):
            log.warning("WeChat %s answered without a phone number", path)
            raise WeChatError()
        return phone

    def send_subscribe_message(self, openid: str, template_id: str, data: Mapping,
                               page: str | None = None) -> SendResult:
        """Send one subscribe message; never raises for WeChat's failures, the result says what happened."""
        path = "/cgi-bin/message/subscribe/send"
        body = {"touser": openid, "template_id": template_id, "data": _message_data(data)}
        if page:
            body["page"] = page
        try:
            payload = self._call_with_token(path, body)
        except WeChatError as exc:
            log.warning("subscribe message %s not sent: %s", template_id, exc.reason)
            return SendResult("failed", exc.errcode, exc.reason)
        errcode = payload["errcode"]
        errmsg = self._redact(str(payload.get("errmsg") or ""))[:200] or None
        if errcode == 0:
            return SendResult("sent", 0, errmsg)
        if errcode == NO_SUBSCRIPTION:
            # The user has used up their consent; sending again cannot succeed until they grant more.
            log.info("subscribe message %s: no subscription left", template_id)
            return SendResult("no_subscription", errcode, errmsg)
        log.warning("subscribe message %s refused: errcode %s: %s", template_id, errcode, errmsg)
        return SendResult("failed", errcode, errmsg)

    def check_text(self, openid: str, content: str, scene: int = 1) -> TextVerdict:
        """WeChat's verdict on user text (``msg_sec_check`` v2); ``unavailable`` when it cannot say."""
        path = "/wxa/msg_sec_check"
        body = {"openid": openid, "scene": scene, "version": 2, "content": content}
        try:
            payload = self._call_with_token(path, body)
            if payload["errcode"] == TEXT_RISKY:
                return "risky"
            self._raise_for(payload, path)
        except WeChatError as exc:
            # The caller keeps the text and flags it: screening failing must never lose a report.
            log.warning("text check unavailable: %s", exc.reason)
            return "unavailable"
        suggest = _member(payload, "result").get("suggest")
        if suggest in TEXT_SUGGESTIONS:
            return suggest
        log.warning("WeChat %s answered an unknown suggestion; sending the text to review", path)
        return "review"

    # -- access token -----------------------------------------------------------------------------

    def access_token(self) -> str:
        """The mini-program's access token: from the shared cache, or fetched by one worker at a time."""
        return self._cached_token() or self._refresh_token(force=False)

    def _call_with_token(self, path: str, body: dict) -> dict:
        token = self.access_token()
        payload = self._request("POST", path, query={"access_token": token}, body=body)
        if payload["errcode"] in TOKEN_REJECTED:
            log.info("WeChat rejected the access token on %s (errcode %s); refreshing once",
                     path, payload["errcode"])
            self._forget_token(token)
            token = self._refresh_token(force=True, stale=token)
            payload = self._request("POST", path, query={"access_token": token}, body=body)
        return payload

    def _refresh_token(self, *, force: bool, stale: str | None = None) -> str:
        deadline = time.monotonic() + self._lock_seconds
        while True:
            cached = self._cached_token()
            if cached and cached != stale:
                return cached
            holder = self._try_lock()
            if holder:
                try:
                    # Another worker may have refreshed between our read and taking the lock.
                    cached = self._cached_token()
                    if cached and cached != stale:
                        return cached
                    return self._fetch_token(force=force)
                finally:
                    self._unlock(holder)
            if time.monotonic() >= deadline:
                # The refresher elsewhere outlived its lock. stable_token's normal mode gives every
                # caller the same token, so fetching without the lock is harmless.
                return self._fetch_token(force=False)
            time.sleep(TOKEN_WAIT_POLL_SECONDS)

    def _fetch_token(self, *, force: bool) -> str:
        path = "/cgi-bin/stable_token"
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret,
                "force_refresh": force}
        payload = self._request("POST", path, body=body)
        self._raise_for(payload, path)
        token, expires_in = payload.get("access_token"), payload.get("expires_in")
        if not (isinstance(token, str) and token and isinstance(expires_in, int) and expires_in > 0):
            log.warning("WeChat %s answered without a usable token", path)
            raise WeChatError()
        ttl = max(expires_in - TOKEN_EXPIRY_MARGIN_SECONDS, expires_in // 2, 1)
        self.store.set(self._token_key, token, ttl)
        log.info("WeChat access token refreshed%s; cached for %s s", " (forced)" if force else "", ttl)
        return token

    def _cached_token(self) -> str | None:
        value = self.store.get(self._token_key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def _forget_token(self, stale: str) -> None:
        # Not atomic: at worst a token another worker has just stored is dropped, and the next call
        # fetches it again in normal mode, which returns that same token.
        if self._cached_token() == stale:
            self.store.delete(self._token_key)

    def _try_lock(self) -> str | None:
        """A holder id when this worker may refresh; None while another worker holds the lock."""
        holder = secrets.token_hex(16)
        try:
            acquired = self.store.client.set(self._lock_key, holder, nx=True,
                                             px=math.ceil(self._lock_seconds * 1000))
        except redis.RedisError as exc:
            # Without the shared store there is nothing to coordinate with; go ahead alone.
            log.warning("shared store unavailable for the token lock: %s", type(exc).__name__)
            return holder
        return holder if acquired else None

    def _unlock(self, holder: str) -> None:
        # Compare-and-delete in a WATCH transaction rather than a Lua script, so the embedded store
        # (fakeredis without a Lua runtime) behaves like Redis.
        try:
            with self.store.client.pipeline() as pipe:
                pipe.watch(self._lock_key)
                current = pipe.get(self._lock_key)
                if current in (holder, holder.encode()):
                    pipe.multi()
                    pipe.delete(self._lock_key)
                    pipe.execute()
        except redis.WatchError:
            pass  # the lock expired and someone else took it: it is theirs to release
        except redis.RedisError as exc:
            log.warning("shared store unavailable releasing the token lock: %s", type(exc).__name__)

    # -- HTTP -------------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        # http.client's debug output prints the request line, credentials and all; keep it off here
        # even when someone switches it on for the whole process.
        connection.set_debuglevel(0)
        return connection

    def _request(self, method: str, path: str, *, query: dict | None = None,
                 body: dict | None = None) -> dict:
        """WeChat's JSON answer with ``errcode`` (0 when absent); WeChatUnavailable when there is none."""
        target = self._base_path + path + ("?" + urlencode(query) if query else "")
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        connection = self._connection()
        try:
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
            status = response.status
            raw = response.read(MAX_RESPONSE_BYTES + 1)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # Only the exception's type: its text may quote the URL, which carries credentials.
            log.warning("WeChat %s unreachable: %s", path, type(exc).__name__)
            raise WeChatUnavailable() from None
        finally:
            connection.close()
        if status != 200 or len(raw) > MAX_RESPONSE_BYTES:
            log.warning("WeChat %s answered HTTP %s with %s bytes", path, status, len(raw))
            raise WeChatUnavailable()
        try:
            payload = json.loads(raw)
        except ValueError:
            log.warning("WeChat %s answered something that is not JSON", path)
            raise WeChatUnavailable() from None
        if not isinstance(payload, dict):
            log.warning("WeChat %s answered JSON that is not an object", path)
            raise WeChatUnavailable()
        errcode = payload.get("errcode") or 0
        if not isinstance(errcode, int):
            log.warning("WeChat %s answered an errcode that is not a number", path)
            raise WeChatUnavailable()
        payload["errcode"] = errcode
        log.debug("WeChat %s %s answered errcode %s", method, path, errcode)
        return payload

    def _raise_for(self, payload: dict, path: str, *, code_error: type[WeChatError] | None = None,
                   sensitive: tuple[str, ...] = ()) -> None:
        errcode = payload["errcode"]
        if errcode == 0:
            return
        errmsg = self._redact(str(payload.get("errmsg") or ""), sensitive)[:200]
        log.warning("WeChat %s answered errcode %s: %s", path, errcode, errmsg)
        if code_error is not None and errcode in CODE_INVALID:
            raise code_error(errcode=errcode)
        raise ERRORS_BY_CODE.get(errcode, WeChatError)(errcode=errcode)

    def _redact(self, text: str, sensitive: tuple[str, ...] = ()) -> str:
        for value in (self._secret, self._cached_token(), *sensitive):
            if value:
                text = text.replace(value, "[redacted]")
        return text


def _member(payload: dict, name: str) -> dict:
    value = payload.get(name)
    return value if isinstance(value, dict) else {}


def _message_data(data: Mapping) -> dict:
    # WeChat wants {"thing1": {"value": "..."}}; callers may pass plain values.
    return {key: value if isinstance(value, Mapping) else {"value": str(value)}
            for key, value in data.items()}
