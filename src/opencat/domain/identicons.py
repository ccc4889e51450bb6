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
    digest = hashlib.sha1(identifier.encode("utf-8", "surrogatepass")).digest()
    bits = int.from_bytes(digest[1:], "big")
    half = (BLOCKS + 1) // 2
    rows = []
    for row in range(BLOCKS):
        left = [bool(bits >> (row * half + column) & 1) for column in range(half)]
        rows.append((*left, *reversed(left[: BLOCKS - half])))
    return tuple(rows)


@lru_cache(maxsize=512)  # a page shows the same few accounts again and again
def identicon_png(identifier: str, size: int) -> bytes:
    """The identicon of ``identifier``, ``size`` pixels square (1 to ``MAX_SIZE``)."""
    if not 1 <= size <= MAX_SIZE:
        raise ValueError(f"size must be 1 to {MAX_SIZE}")
    digest = hashlib.sha1(identifier.encode("utf-8", "surrogatepass")).digest()
    foreground = bytes(FOREGROUNDS[digest[0] % len(FOREGROUNDS)])
    background = bytes(BACKGROUND)
    grid = cells(identifier)
    padding = round(PADDING_PERCENT * size / 100)
    inner = max(size - 2 * padding, 1)
    rows = []
    for y in range(size):
        line = bytearray(b"\x00")  # PNG filter: none
        inside_y = padding <= y < padding + inner
        row = grid[min((y - padding) * BLOCKS // inner, BLOCKS - 1)] if inside_y else None
        for x in range(size):
            coloured = (
                row is not None
                and padding <= x < padding + inner
                and row[min((x - padding) * BLOCKS // inner, BLOCKS - 1)]
            )
            line += foreground if coloured else background
        rows.append(bytes(line))
    return _png(size, size, b"".join(rows))


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
