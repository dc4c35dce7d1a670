"""Small text helpers shared by the log modules."""

from __future__ import annotations

import re

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def replace_astral(text: str) -> str:
    """Replace characters outside the Basic Multilingual Plane by ``<U+XXXXXX>``.

    Upstream does this before storing text log errors (and on retry for failure lines),
    because MySQL's ``utf8`` could not store 4-byte UTF-8.
    """
    if text.isascii():
        return text
    return _ASTRAL.sub(lambda m: f"<U+{ord(m.group()):06X}>", text)
