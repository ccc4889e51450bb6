"""udata's identicons, ``/api/1/avatars/{identifier}/{size}/``: a PNG of the size asked, the same
for the same identifier, another for another."""

import struct
import zlib

from starlette.testclient import TestClient

from opencat.domain.identicons import cells


def _png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", body[8:16])
    header = body[16 : 16 + length]
    assert (kind, zlib.crc32(kind + header)) == (
        b"IHDR",
        struct.unpack(">I", body[16 + length : 20 + length])[0],
    )
    width, height = struct.unpack(">II", header[:8])
    return width, height


def test_an_identicon_is_a_png_of_the_size_asked_and_stable(client: TestClient) -> None:
    first = client.get("/api/1/avatars/5f0c9b1e0a/40/")
    assert (first.status_code, first.headers["content-type"]) == (200, "image/png")
    assert _png_size(first.content) == (40, 40)
    assert first.headers["cache-control"] == "public, max-age=86400"
    assert client.get("/api/1/avatars/5f0c9b1e0a/40/").content == first.content
    assert client.get("/api/1/avatars/another/40/").content != first.content
    assert _png_size(client.get("/api/1/avatars/5f0c9b1e0a/512/").content) == (512, 512)
    again = client.get("/api/1/avatars/5f0c9b1e0a/40/", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_sizes_udata_would_not_route_or_too_large_are_404(client: TestClient) -> None:
    for size in ("0", "513", "-1", "abc", "1e3", "99999999999999999999"):
        answer = client.get(f"/api/1/avatars/x/{size}/")
        assert answer.status_code == 404, size
        assert answer.json() == {"message": client.get("/api/1/nope/").json()["message"]}


def test_the_pattern_is_mirrored() -> None:
    for identifier in ("a", "b", "5f0c9b1e0a"):
        grid = cells(identifier)
        assert len(grid) == 7
        assert all(row == tuple(reversed(row)) for row in grid)
    assert cells("a") != cells("b")
