"""The site's root ``/``: a minimal page linking to the API and its documents, until a real home
page replaces it."""

from starlette.requests import Request
from starlette.responses import Response

from opencat.api.docs_page import CSP

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>opencat</title>
<link rel="icon" href="/api/1/docs/favicon-32x32.png">
</head>
<body>
<h1>opencat</h1>
<p>An open-data catalog speaking udata's API.</p>
<ul>
<li><a href="/api/1/">API documentation</a></li>
<li><a href="/api/1/swagger.json">OpenAPI document</a> (<code>/api/1/swagger.json</code>)</li>
<li><a href="/api/1/site/catalog">DCAT catalog</a> (<code>/api/1/site/catalog</code>)</li>
</ul>
</body>
</html>
"""


async def home(_request: Request) -> Response:
    return Response(PAGE, media_type="text/html", headers={"Content-Security-Policy": CSP})
