"""Taskcluster slugids: 22-character URL-safe, unpadded base64 forms of a UUID."""

from __future__ import annotations

import base64
import binascii
import uuid


def uuid_to_slug(value: str | uuid.UUID) -> str:
    """Return the slugid of a UUID (``008dcdae-...`` -> ``AI3Nrr3gSDSpZ9E9aBA3rg``)."""
    raw = value.bytes if isinstance(value, uuid.UUID) else uuid.UUID(value).bytes
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def slug_to_uuid(slug: str) -> str:
    """Return the canonical UUID text of a 22-character slugid.

    Raises ``ValueError`` when ``slug`` is not a slugid.
    """
    if len(slug) != 22:
        raise ValueError(f"not a slugid: {slug!r}")
    try:
        raw = base64.urlsafe_b64decode(slug + "==")
    except binascii.Error as exc:
        raise ValueError(f"not a slugid: {slug!r}") from exc
    return str(uuid.UUID(bytes=raw))
