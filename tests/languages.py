"""Running a test once in each language (SPEC §10): Chinese by default, English with Accept-Language."""

import re

import pytest

# Each language a client may ask for, and the Accept-Language it sends (none: the default, Chinese).
LANGUAGES = {"zh": None, "en": "en"}
CHINESE = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(params=list(LANGUAGES))
def language_client(app, request):
    """A test client whose every request asks for one language; ``client.language`` says which."""
    client = app.test_client()
    if LANGUAGES[request.param]:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LANGUAGES[request.param]
    client.language = request.param
    return client


def wrong_language(message, language: str) -> str | None:
    """What is wrong with ``message`` as a message in ``language``, or None: under the default every
    message is Chinese (English text of ASCII letters alone gives it away), under ``en`` none is."""
    if not isinstance(message, str) or not message:
        return f"no message: {message!r}"
    if language == "zh" and not CHINESE.search(message):
        return f"English under the default language: {message!r}"
    if language == "en" and CHINESE.search(message):
        return f"Chinese where English was asked for: {message!r}"
    return None


def field_messages(errors) -> list[str]:
    """Every message in a field-error structure."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in field_messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in field_messages(value)]
    return [errors]
