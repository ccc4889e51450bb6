"""A streaming ``multipart/form-data`` reader: the file part goes straight to a spool on disk.

Starlette's ``request.form()`` first copies a file to a temporary file elsewhere; for multi-GB
uploads that is a second full write. Here the single file part is written (and hashed) once,
next to its final place, while the small text fields are kept in memory with a size cap.
"""

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from opencat.domain.errors import PayloadTooLarge, Reason, UploadProblem, UploadRefused
from opencat.domain.numerals import is_digits
from opencat.files.spool import Spool, SpooledFile, TooLarge

if TYPE_CHECKING:  # the callbacks' TypedDict only exists for type checkers
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 64
FILE_FIELD = "file"


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    spool: Spool | None = None
    # A file part that is no file (an empty file input, a second file): its bytes are dropped.
    ignored: bool = False


class _Reader:
    def __init__(self, open_spool: Callable[[], Spool], charset: str) -> None:
        self.open_spool = open_spool
        self.charset = charset
        self.fields: dict[str, str] = {}
        self.file: SpooledFile | None = None
        self.filename: str | None = None
        self.spool: Spool | None = None
        self.part = _Part()
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""

    def on_part_begin(self) -> None:
        self.part = _Part()
        self.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"name" not in options:
            raise UploadRefused(UploadProblem.PART_WITHOUT_NAME)
        self.part.name = options[b"name"].decode(self.charset, "replace")
        extended = _extended_filename(self.disposition)
        if extended is not None or b"filename" in options:
            # RFC 5987's ``filename*`` wins over ``filename``, as werkzeug reads them for udata.
            self.part.filename = extended or options[b"filename"].decode(self.charset, "replace")
            if "\x00" in self.part.filename:  # PostgreSQL refuses it mid-query (a 500)
                raise UploadRefused(UploadProblem.NUL_IN_FORM, field="filename")
            # werkzeug's: a part without a file name is no file (a browser's empty file input),
            # and the first file sent is the one read (udata's reqparse takes the first).
            if self.part.name != FILE_FIELD or not self.part.filename or self.spool is not None:
                self.part.ignored = True
                return
            self.spool = self.part.spool = self.open_spool()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part.ignored:
            return
        if self.part.spool is not None:
            self.part.spool.write(data[start:end])
            return
        self.part.data += data[start:end]
        if len(self.part.data) > MAX_FIELD_BYTES:
            raise UploadRefused(UploadProblem.FIELD_TOO_LARGE, field=self.part.name, limit=MAX_FIELD_BYTES)

    def on_part_end(self) -> None:
        if self.part.spool is not None:
            self.file = self.part.spool.finish()
            self.filename = self.part.filename
        elif self.part.filename is None and not self.part.ignored:
            if len(self.fields) >= MAX_FIELDS:
                raise UploadRefused(UploadProblem.TOO_MANY_FIELDS)
            value = self.part.data.decode(self.charset, "replace")
            if "\x00" in value or "\x00" in self.part.name:
                raise UploadRefused(UploadProblem.NUL_IN_FORM, field=self.part.name.replace("\x00", ""))
            # reqparse reads the first of a repeated field, as of a repeated query argument.
            self.fields.setdefault(self.part.name, value)

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.discard()


@dataclass
class Received:
    fields: dict[str, str]
    file: SpooledFile | None
    filename: str | None

    def discard(self) -> None:
        """Remove the spooled file unless it was already handed over to the store."""
        if self.file is not None:
            self.file.path.unlink(missing_ok=True)


# RFC 2046's longest boundary.
MAX_BOUNDARY = 70


async def receive(request: Request, open_spool: Callable[[], Spool], max_bytes: int) -> Received:
    """Read the whole multipart body; refuse anything else with udata's upload error shape."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"application/x-www-form-urlencoded":
        return await _urlencoded(request)  # the final call of a chunked upload may carry no file
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        return Received({}, None, None)  # like udata: no form, hence "Missing file parameter"
    declared = request.headers.get("content-length", "")
    if is_digits(declared) and int(declared) > max_bytes + MAX_FIELDS * MAX_FIELD_BYTES:
        raise PayloadTooLarge(Reason.FILE_TOO_LARGE)
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = "utf-8"
    boundary = params[b"boundary"]
    if not 1 <= len(boundary) <= MAX_BOUNDARY:  # RFC 2046; python-multipart raises past 256
        raise UploadRefused(UploadProblem.INVALID_MULTIPART)
    reader = _Reader(open_spool, charset)
    parser = MultipartParser(boundary, _callbacks(reader))
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except TooLarge:
        reader.discard()
        raise PayloadTooLarge(Reason.FILE_TOO_LARGE) from None
    except FormParserError:
        reader.discard()
        raise UploadRefused(UploadProblem.INVALID_MULTIPART) from None
    except ClientDisconnect:  # the client went away mid-upload: nothing is kept, not a 500
        reader.discard()
        raise UploadRefused(UploadProblem.CUT_SHORT) from None
    except BaseException:
        reader.discard()
        raise
    if reader.file is None:
        # The body ended inside the file's part (no closing boundary): its bytes are no file,
        # and nothing is kept, as for a client gone mid-upload. The answer stays udata's.
        reader.discard()
    return Received(reader.fields, reader.file, reader.filename)


async def _urlencoded(request: Request) -> Received:
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FIELD_BYTES:
                raise UploadRefused(UploadProblem.FORM_TOO_LARGE, limit=MAX_FIELD_BYTES)
    except ClientDisconnect:
        raise UploadRefused(UploadProblem.CUT_SHORT) from None
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise UploadRefused(UploadProblem.NUL_IN_FORM, field=name.replace("\x00", ""))
    fields: dict[str, str] = {}
    for name, value in pairs[:MAX_FIELDS]:
        fields.setdefault(name, value)  # the first of a repeated field, as reqparse
    return Received(fields, None, None)


def _callbacks(reader: _Reader) -> "MultipartCallbacks":
    return {
        "on_part_begin": reader.on_part_begin,
        "on_part_data": reader.on_part_data,
        "on_part_end": reader.on_part_end,
        "on_header_field": reader.on_header_field,
        "on_header_value": reader.on_header_value,
        "on_header_end": reader.on_header_end,
        "on_headers_finished": reader.on_headers_finished,
    }


_EXTENDED = re.compile(rb"(?:^|;)\s*filename\*\s*=\s*([^;]+)", re.IGNORECASE)


def _extended_filename(disposition: bytes) -> str | None:
    """RFC 5987's ``filename*=charset'language'percent-encoded`` (python-multipart drops it);
    None when absent, or written wrongly (then ``filename`` stands, as werkzeug does)."""
    found = _EXTENDED.search(disposition)
    if found is None:
        return None
    charset, quote, rest = found.group(1).strip().strip(b'"').partition(b"'")
    _language, quote, encoded = rest.partition(b"'")
    if not quote:
        return None
    name = charset.decode("ascii", "replace").lower()
    if name not in _EXTENDED_CHARSETS:  # RFC 5987 asks for these two; others (idna...) are no names
        return None
    try:
        return unquote_to_bytes(encoded).decode(name)
    except UnicodeDecodeError:
        return None


_EXTENDED_CHARSETS = frozenset({"utf-8", "iso-8859-1"})
