"""Marshmallow's and webargs' own field messages ("Missing data for required field.", "Not a valid
integer.", length and range messages), translated in one place: the API's error handler passes every
field error through ``translated_errors``, so no schema names a message of its own for a library check.

The libraries write their messages in English with the values filled in ("Longer than maximum length
20."); each template below, written as a gettext message with ``%(name)s`` placeholders, is matched against
the English text, its values taken back out, and the message rebuilt in the reader's language. A message
that matches no template is looked up as it is (ours, already translated, pass through unchanged).
tests/test_i18n.py fails when the installed marshmallow has a message this list does not know.
"""

import re
from functools import cache

from flask_babel import LazyString, gettext


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    return message


# Every message marshmallow (fields, validators, schema) and webargs write, as gettext templates.
TEMPLATES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Unknown field."),
    N_("Invalid JSON body."),
    N_("Not a valid list."),
    N_("Not a valid delimited list."),
    N_("Not a valid tuple."),
    N_("Not a valid delimited tuple."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid UUID."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive time."),
    N_("Not a valid aware time."),
    N_("Not a valid period of time."),
    N_("Not a valid mapping type."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("String does not match expected pattern."),
    N_('"%(input)s" cannot be formatted as a datetime.'),
    N_('"%(input)s" cannot be formatted as a date.'),
    N_('"%(input)s" cannot be formatted as a time.'),
    N_("%(input)s cannot be formatted as a timedelta."),
    N_("Must be one of: %(choices)s."),
    N_("One or more of the choices you made was in: %(values)s."),
    N_("One or more of the choices you made was not in: %(choices)s."),
    N_("Must be equal to %(other)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be less than %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than %(max)s."),
    N_("Must be greater than %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than %(min)s and less than %(max)s."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """The templates with placeholders, as patterns over the English text, most literal text first."""
    patterns = []
    for template in TEMPLATES:
        if not _PLACEHOLDER.search(template):
            continue
        parts = _PLACEHOLDER.split(template)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*)" for i, part in enumerate(parts))
        patterns.append((re.compile(regex, re.DOTALL), template))
    patterns.sort(key=lambda item: -len(_PLACEHOLDER.sub("", item[1])))
    return tuple(patterns)


def translated(message: str) -> str:
    """One English message of the libraries (or ours) in the reader's language."""
    text = str(message)
    if text in _PLAIN:
        return gettext(text)
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match:
            return gettext(template, **match.groupdict())
    return text


_PLAIN = frozenset(template for template in TEMPLATES if not _PLACEHOLDER.search(template))


def translated_errors(errors):
    """A marshmallow/webargs error structure (dicts and lists of messages) with every message translated."""
    if isinstance(errors, dict):
        return {key: translated_errors(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translated_errors(item) for item in errors]
    if isinstance(errors, str | LazyString):
        return translated(errors)
    return errors
