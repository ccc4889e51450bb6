"""Identicons: the picture udata gives an account without one (``/api/1/avatars/{id}/{size}/``),
drawn from a digest of its identifier: a 7x7 grid mirrored left to right, one of udata's seven
colours on its grey, a tenth of the size as margin. Written as PNG by hand (zlib is all it needs)."""

import hashlib
import struct
import zlib
from functools import lru_cache

BLOCKS = 7
# udata's AVATAR_INTERNAL_FOREGROUND and AVATAR_INTERNAL_BACKGROUND.
FOREGROUNDS = (
    (45, 79, 255),
    (254, 180, 44),
    (226, 121, 234),
    (30, 179, 253),
    (232, 77, 65),
    (49, 203, 115),
    (141, 69, 170),
)
BACKGROUND = (224, 224, 224)
PADDING_PERCENT = 10
MAX_SIZE = 512  # pixels a side: a picture, not a way to make the server fill memory (udata has no bound)


def cells(identifier: str) -> tuple[tuple[bool, ...], ...]:
    """Which blocks are coloured, row by row: the left half and middle from the digest's bits,
    the right half their mirror."""
    return _cells(_digest(identifier))


def identicon_png(identifier: str, size: int) -> bytes:
    """The identicon of ``identifier``, ``size`` pixels square (1 to ``MAX_SIZE``)."""
    if not 1 <= size <= MAX_SIZE:
        raise ValueError(f"size must be 1 to {MAX_SIZE}")
    return _drawn(_digest(identifier), size)


def _digest(identifier: str) -> bytes:
    return hashlib.sha1(identifier.encode("utf-8", "surrogatepass")).digest()


def _cells(digest: bytes) -> tuple[tuple[bool, ...], ...]:
    bits = int.from_bytes(digest[1:], "big")
    half = (BLOCKS + 1) // 2
    rows = []
    for row in range(BLOCKS):
        left = [bool(bits >> (row * half + column) & 1) for column in range(half)]
        rows.append((*left, *reversed(left[: BLOCKS - half])))
    return tuple(rows)


# Keyed by the 20-byte digest, not the identifier a client sent (of any length); a page shows the
# same few accounts again and again.
@lru_cache(maxsize=512)
def _drawn(digest: bytes, size: int) -> bytes:
    foreground = bytes(FOREGROUNDS[digest[0] % len(FOREGROUNDS)])
    background = bytes(BACKGROUND)
    padding = round(PADDING_PERCENT * size / 100)
    inner = max(size - 2 * padding, 1)
    blocks = [min((at - padding) * BLOCKS // inner, BLOCKS - 1) for at in range(size)]
    inside = [padding <= at < padding + inner for at in range(size)]
    # One scanline per row of blocks (PNG filter byte first), each used for every pixel row it spans.
    lines = [
        b"\x00" + b"".join(foreground if inside[x] and row[blocks[x]] else background for x in range(size))
        for row in _cells(digest)
    ]
    blank = b"\x00" + background * size
    return _png(size, size, b"".join(lines[blocks[y]] if inside[y] else blank for y in range(size)))


def _png(width: int, height: int, scanlines: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines, 6))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
