"""Language (SPEC §10): what people read is Chinese (zh-CN) by default, English on request.

Messages are written in English in the code and marked with ``_()``; gettext catalogues under
``translations/`` give their Chinese. ``_()`` is lazy: a message written at import time (an error class's
default) is translated when it is shown, in the language of the request that shows it. Outside a request
(jobs, notices) the default language applies.

The catalogues are read from their ``.po`` files and compiled in memory once per process: the ``.po`` is
the one file a contributor edits and a reviewer reads, there is no compiled ``.mo`` to forget to rebuild or
to conflict in a merge, and nothing is written into the installed package at start. ``make translations``
extracts new messages into the ``.po``; tests/test_i18n.py fails while any of them lacks its Chinese.
"""

from functools import cache, cached_property
from io import BytesIO
from pathlib import Path

from babel import Locale, support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import has_request_context, request
from flask_babel import Babel, Domain, LazyString, lazy_gettext, refresh

DEFAULT_LOCALE = "zh_CN"
# Accept-Language tags we answer, and the catalogue each one reads.
LOCALES = {"zh-CN": "zh_CN", "zh": "zh_CN", "en": "en"}
TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "messages"


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


def catalogue_path(locale: str = DEFAULT_LOCALE) -> Path:
    """The ``.po`` file holding ``locale``'s translations."""
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _compiled_catalogues() -> dict:
    """Every ``.po`` catalogue compiled in memory, keyed as Flask-Babel caches translations."""
    compiled = {}
    for po in sorted(TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po.parent.parent.name
        with po.open("rb") as file:
            catalogue = read_po(file, locale=locale, domain=DOMAIN)
        mo = BytesIO()
        write_mo(mo, catalogue)
        mo.seek(0)
        compiled[(str(Locale.parse(locale)), DOMAIN)] = support.Translations(mo, domain=DOMAIN)
    return compiled


class _CatalogueDomain(Domain):
    """Flask-Babel's message domain, with the catalogues compiled from the ``.po`` files."""

    def get_translations_cache(self, ctx):
        return _compiled_catalogues()


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _CatalogueDomain(domain=self.domain)


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    _Babel(app, locale_selector=select_locale)
    # Flask-Babel keeps the chosen language on ``g``, which belongs to the app context; a request inside an
    # app context already pushed (a job, a test) shares it, so each request chooses afresh and leaves the
    # default behind it.
    app.before_request(refresh)
    app.teardown_request(lambda _exc: refresh())
