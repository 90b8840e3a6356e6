"""Language (SPEC §10): what people read is Chinese (zh-CN) by default, English on request.

Messages are written in English in the code and marked with ``_()``; gettext catalogues under
``translations/`` give their Chinese. ``_()`` is lazy: a message written at import time (an error class's
default) is translated when it is shown, in the language of the request that shows it. Outside a request
(jobs, notices) the default language applies.
"""

from flask import has_request_context, request
from flask_babel import Babel, LazyString, lazy_gettext

DEFAULT_LOCALE = "zh_CN"
# Accept-Language tags we answer, and the catalogue each one reads.
LOCALES = {"zh-CN": "zh_CN", "zh": "zh_CN", "en": "en"}


def _(message: str, **params) -> LazyString:
    """``message`` (English, with ``%(name)s`` placeholders filled from ``params``) in the reader's language."""
    return lazy_gettext(message, **params)


def select_locale() -> str:
    """The request's language from Accept-Language (zh-CN unless English is preferred); the default
    outside a request."""
    if not has_request_context():
        return DEFAULT_LOCALE
    best = request.accept_languages.best_match(list(LOCALES), default="zh-CN")
    return LOCALES[best]


def init_app(app) -> None:
    from pathlib import Path

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    Babel(app, locale_selector=select_locale)
