"""The interactive API docs page at ``/api/1/``: Swagger UI from the swagger-ui-py package's own
files, served by us (nothing from another host), under a CSP that refuses inline scripts."""

import importlib.util
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from opencat.domain.errors import NotFound

# Swagger UI styles elements inline and draws icons as data: images; scripts come only from us.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>opencat API</title>
<link rel="stylesheet" href="/api/1/docs/swagger-ui.css">
<link rel="icon" href="/api/1/docs/favicon-32x32.png">
</head>
<body style="margin: 0">
<header style="padding: 0.75rem 1.25rem; border-bottom: 1px solid #d5d9dd; font-family: sans-serif">
<h1 style="position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0)">The opencat API's documentation</h1>
<a href="/" style="color: #0b5d3b; margin-right: 1.5rem">Back to the catalog</a>
<a href="/api/1/swagger.json" type="application/json" style="color: #0b5d3b">The OpenAPI document (JSON)</a>
</header>
<main>
<noscript><p style="padding: 0 1.25rem; font-family: sans-serif">The interactive documentation needs
JavaScript. The API is described whole by its <a href="/api/1/swagger.json">OpenAPI document</a>,
which any OpenAPI tool reads.</p></noscript>
<div id="swagger-ui"></div>
</main>
<script src="/api/1/docs/swagger-ui-bundle.js"></script>
<script src="/api/1/docs/init.js"></script>
</body>
</html>
"""
# No validator badge: it would send the document to another host.
INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/1/swagger.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""


@cache
def assets_dir() -> Path:
    """The package's static folder, found without importing it (its __init__ loads jinja2)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing")
    return Path(spec.submodule_search_locations[0]) / "static"


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP}


async def docs_page(_request: Request) -> Response:
    return Response(PAGE, media_type="text/html", headers=_headers())


async def docs_init(_request: Request) -> Response:
    return Response(INIT, media_type="text/javascript", headers=_headers())


async def docs_asset(request: Request) -> Response:
    name = str(request.path_params["name"])
    if name not in ASSETS:
        raise NotFound()
    return FileResponse(assets_dir() / name, headers={**_headers(), "Cache-Control": "public, max-age=86400"})
