"""WeChat platform (微信平台, SPEC §9): sign-in codes, phone numbers, subscribe messages, text screening.

``get_client()`` is the app's one client. It is the development exchanger only in development and
testing without WeChat credentials; everywhere else it is the HTTPS client built from configuration.
"""

from flask import current_app

from backend.config import ConfigError
from backend.data.cache import SharedStore, store
from backend.wechat.client import SendResult, TextVerdict, WeChat, WeChatClient, WeChatSession
from backend.wechat.development import DevelopmentExchanger

__all__ = ["DevelopmentExchanger", "SendResult", "TextVerdict", "WeChat", "WeChatClient", "WeChatSession",
           "build_client", "get_client", "reset_client"]

EXTENSION = "chengxin.wechat"
DEVELOPMENT_ENVIRONMENTS = ("development", "testing")


def build_client(config, shared_store: SharedStore) -> WeChat:
    """A new client for ``config``: the development exchanger or the HTTPS client."""
    if (config.get("USE_DEVELOPMENT_WECHAT") and config.get("CHENGXIN_ENV") in DEVELOPMENT_ENVIRONMENTS
            and not config.get("WECHAT_APPID")):
        return DevelopmentExchanger()
    if not (config.get("WECHAT_APPID") and config.get("WECHAT_SECRET")):
        raise ConfigError("WeChat needs both WECHAT_APPID and WECHAT_SECRET")
    return WeChatClient(config["WECHAT_API_BASE"], config["WECHAT_APPID"], config["WECHAT_SECRET"],
                        shared_store)


def get_client() -> WeChat:
    """The current app's WeChat client, built on first use."""
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        client = current_app.extensions[EXTENSION] = build_client(current_app.config, store())
    return client


def reset_client() -> None:
    """Forget the app's client, so the next ``get_client()`` follows changed configuration."""
    current_app.extensions.pop(EXTENSION, None)
