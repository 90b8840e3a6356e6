"""The development exchanger (SPEC §9): WeChat's interface without WeChat, for local runs, demos and tests.

It answers only in the development and testing environments (``backend.wechat.get_client`` decides).
A login code ``dev-<name>`` signs in as the test user ``<name>``, a phone code ``dev-phone-<digits>``
yields that phone, and markers in a text choose the screening verdict.
"""

import logging
import re
import secrets
from collections import deque
from collections.abc import Mapping

from backend.wechat import keywords
from backend.wechat.client import SendResult, TextVerdict, WeChatSession
from backend.wechat.errors import PhoneCodeInvalid, WeChatCodeInvalid

log = logging.getLogger(__name__)

LOGIN_CODE = re.compile(r"dev-([\w.-]{1,64})")
PHONE_CODE = re.compile(r"dev-phone-(\d{1,20})")
OPENID_PREFIX = "dev-openid-"
# Put one of these in a text to get that verdict from check_text.
TEXT_MARKERS: dict[str, TextVerdict] = {"[risky]": "risky", "[review]": "review",
                                        "[unavailable]": "unavailable"}
# Sent messages kept for inspection; old ones fall off so a long-running demo does not grow.
SENT_KEPT = 200


class DevelopmentExchanger:
    """Stands in for ``WeChatClient`` with predictable answers and no network."""

    def __init__(self):
        self.sent: deque[dict] = deque(maxlen=SENT_KEPT)

    def __repr__(self) -> str:
        return "DevelopmentExchanger()"

    @staticmethod
    def openid_for(name: str) -> str:
        """The openid the code ``dev-<name>`` signs in as."""
        return OPENID_PREFIX + name

    def code_to_session(self, code: str) -> WeChatSession:
        """``dev-<name>`` signs in as ``<name>``; any other code is invalid, as WeChat's 40029."""
        code = code or ""
        # A phone code is not a login code, as with WeChat; keeping them apart catches mixed-up calls.
        match = None if PHONE_CODE.fullmatch(code) else LOGIN_CODE.fullmatch(code)
        if not match:
            raise WeChatCodeInvalid(errcode=40029)
        return WeChatSession(openid=self.openid_for(match.group(1)), unionid=None,
                             session_key=secrets.token_urlsafe(16))

    def access_token(self) -> str:
        """A fixed token; nothing checks it."""
        return "development-access-token"

    def phone_number(self, phone_code: str) -> str:
        """``dev-phone-<digits>`` yields ``<digits>``; anything else is an invalid phone code."""
        match = PHONE_CODE.fullmatch(phone_code or "")
        if not match:
            raise PhoneCodeInvalid(errcode=40029)
        return match.group(1)

    def send_subscribe_message(self, openid: str, template_id: str, data: Mapping,
                               page: str | None = None) -> SendResult:
        """Keep the message in ``sent`` instead of sending it: ``sent``, unless its data breaks WeChat's
        keyword rules, refused then as WeChat does (47003)."""
        problems = keywords.problems(data)
        if problems:
            log.warning("development exchanger: subscribe message %s refused: %s", template_id, "; ".join(problems))
            return SendResult("failed", keywords.ARGUMENT_INVALID, "argument invalid! " + "; ".join(problems))
        self.sent.append({"openid": openid, "template_id": template_id, "data": dict(data), "page": page})
        log.info("development exchanger: subscribe message %s kept, not sent", template_id)
        return SendResult("sent", 0, "ok")

    def check_text(self, openid: str, content: str, scene: int = 1) -> TextVerdict:
        """``pass``, unless the text carries one of ``TEXT_MARKERS``."""
        for marker, verdict in TEXT_MARKERS.items():
            if marker in content:
                return verdict
        return "pass"
