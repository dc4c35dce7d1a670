"""JSON responses serialised with orjson (fast, and the datetime format upstream uses)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class ORJSONResponse(JSONResponse):
    """A JSONResponse (so the OpenAPI schema documents a JSON body, not a string) rendered by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return self.dump(content)

    @staticmethod
    def dump(content: Any) -> bytes:
        """The bytes this response would send for `content`."""
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
