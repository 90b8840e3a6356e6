"""Codes people copy, save and read back (SPEC §5 anonymous receipts, §7a report verification codes).

A code is 20 characters of Crockford base32 (100 random bits), shown as ``XXXX-XXXX-XXXX-XXXX-XXXX``. It
is read back tolerant of case, spaces and hyphens, and of the look-alikes I/L (read as 1) and O (as 0).
It is stored only as an HMAC-SHA256 under the configured look-up key, separated by purpose: it can be
looked up but not recovered. With 100 random bits a slow hash adds nothing, and on a public endpoint it
would hand attackers the CPU.
"""

import secrets

from backend.privacy.sealing import lookup_hash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O or U
LENGTH = 20
GROUP = 4
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -\t")


def new_code() -> str:
    """A fresh code of 100 random bits, in its canonical form (20 characters, no hyphens)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """The code as people see it: ``XXXX-XXXX-XXXX-XXXX-XXXX``."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str | None:
    """The canonical form of what someone typed or pasted, or None when it cannot be a code."""
    if not isinstance(text, str) or len(text) > 4 * LENGTH:
        return None
    canonical = text.upper().translate(_SEPARATORS).translate(_LOOK_ALIKES)
    if len(canonical) != LENGTH or any(character not in ALPHABET for character in canonical):
        return None
    return canonical


def digest(purpose: str, code: str) -> str:
    """The stored form of a canonical code for ``purpose`` (``receipt``, ``credit-report``…)."""
    return lookup_hash(f"readback:{purpose}", code)
