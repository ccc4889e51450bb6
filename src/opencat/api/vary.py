"""``Vary``: what, beside the URL, an API answer depends on, so that a shared cache in front of
the API never gives one caller's answer to another."""

from starlette.responses import Response


def with_vary(vary: str | None, name: str) -> str:
    """A ``Vary`` value that names ``name`` too."""
    if not vary:
        return name
    if name.lower() in (part.strip().lower() for part in vary.split(",")):
        return vary
    return f"{vary}, {name}"


def varying_by_caller(response: Response) -> Response:
    """Any API answer may depend on who asks (a private dataset's 200, 404 or redirect, a
    member's permissions): the key it was asked with is part of what it is."""
    vary = response.headers.get("vary")
    named = with_vary(vary, "X-API-KEY")
    if named != vary:
        response.headers["vary"] = named
    return response
