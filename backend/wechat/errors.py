"""What a failed WeChat call means to the person waiting on it (SPEC §9, §10).

Messages are fixed sentences: WeChat's own ``errmsg`` and anything from the request (code, secret,
token) stay out of them, because the message is sent to the client. ``errcode`` is kept for logs.
"""

from backend.i18n import _
from backend.web.errors import DomainError


class WeChatError(DomainError):
    """WeChat answered with an error this service has no better word for."""

    status = 502
    reason = "wechat_error"
    message = _("WeChat refused the request; please try again later.")

    def __init__(self, message: str | None = None, *, errcode: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.errcode = errcode


class WeChatCodeInvalid(WeChatError):
    """The ``wx.login`` code is unknown, expired or already used (errcode 40029, 40163)."""

    status = 401
    reason = "wechat_code_invalid"
    message = _("The WeChat login code is invalid or expired; call wx.login again.")


class WeChatRateLimited(WeChatError):
    """WeChat's per-user minute quota is spent (errcode 45011)."""

    status = 429
    reason = "wechat_rate_limited"
    message = _("Too many WeChat sign-ins in a short time; try again in a minute.")

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs):
        kwargs.setdefault("headers", {"Retry-After": str(max(1, int(retry_after)))})
        super().__init__(message, **kwargs)


class WeChatHighRiskUser(WeChatError):
    """WeChat flags the account as high-risk and refuses to sign it in (errcode 40226)."""

    status = 403
    reason = "wechat_high_risk_user"
    message = _("WeChat does not allow this account to sign in at present.")


class WeChatBusy(WeChatError):
    """WeChat reports itself busy (errcode -1)."""

    status = 503
    reason = "wechat_busy"
    message = _("WeChat is busy; try again shortly.")


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out, or answered something that is not its JSON."""

    status = 503
    reason = "wechat_unavailable"
    message = _("WeChat cannot be reached at the moment; try again shortly.")


class PhoneCodeInvalid(WeChatError):
    """The ``getPhoneNumber`` code is unknown, expired or already used."""

    status = 422
    reason = "phone_code_invalid"
    message = _("The phone number code is invalid or expired; ask for the phone number again.")
