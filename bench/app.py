"""The server the read benchmarks run: the real application plus one baseline route.

`/bench-static/{name}` answers with bytes precomputed from the real endpoint's response, through the same process,
middleware and HTTP stack. Comparing the two isolates what the API itself costs (queries and serialisation).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

from treeherder.api.app import create_app


def create_bench_app() -> FastAPI:
    app = create_app()
    folder = Path(os.environ["BENCH_STATIC_DIR"])
    cache: dict[str, bytes] = {}

    @app.get("/bench-static/{name}", include_in_schema=False)
    def static_response(name: str) -> Response:
        body = cache.get(name)
        if body is None:
            body = cache[name] = (folder / name).read_bytes()
        return Response(body, media_type="application/json")

    return app
