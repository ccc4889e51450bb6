"""What each handler tells the OpenAPI document about itself (``describe``); the document is
assembled from these and the route table by ``api/openapi_document.py``."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from opencat.api.params import Argument

F = TypeVar("F", bound=Callable[..., Any])
Auth = Literal["none", "optional", "required"]
JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    summary: str
    operation_id: str
    status: int = 200
    returns: str | None = None  # a component schema name; None for no JSON body
    media: str = JSON  # of the success answer
    body: type[BaseModel] | str | None = None  # a pydantic model, or a component schema name
    form: bool = False  # a multipart upload rather than JSON
    query: tuple[Argument, ...] = ()
    headers: tuple[str, ...] = ()  # request headers read, from api/openapi_document.HEADERS
    auth: Auth = "optional"
    errors: tuple[int, ...] = ()  # statuses beyond those every operation of its kind may answer
    also: tuple[int, ...] = ()  # other success statuses (200 when 201 creates, 304...)
    masked: bool = True  # the answer goes through the X-Fields mask
    creates: bool = False  # new content, refused under OPENCAT_READ_ONLY but to sysadmins (423)


def describe(
    summary: str,
    operation_id: str,
    *,
    status: int = 200,
    returns: str | None = None,
    **details: Any,
) -> Callable[[F], F]:
    """Attach what the OpenAPI document says about a handler."""
    operation = Operation(summary, operation_id, status, returns, **details)

    def attach(handler: F) -> F:
        handler.openapi = operation  # type: ignore[attr-defined]
        return handler

    return attach


def operation_of(handler: object) -> Operation | None:
    found = getattr(handler, "openapi", None)
    return found if isinstance(found, Operation) else None
