"""Draws the app icons (PNG, no image library needed): two linked circles on the brand colour.
Run once after changing the design: python scripts/make_icons.py"""
import struct
import zlib
from pathlib import Path

BRAND = (11, 93, 87)
WHITE = (255, 255, 255)


def png(size: int, padding: float) -> bytes:
    rows = []
    r = size * (0.5 - padding) * 0.42
    c1 = (size * 0.5 - r * 0.6, size * 0.5)
    c2 = (size * 0.5 + r * 0.6, size * 0.5)
    ring = max(2.0, size * 0.045)
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            px = BRAND
            for cx, cy in (c1, c2):
                d = ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2) ** 0.5
                if r - ring <= d <= r:
                    px = WHITE
            row.extend(px)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


out = Path(__file__).resolve().parent.parent / "client" / "icons"
out.mkdir(parents=True, exist_ok=True)
for size in (192, 512):
    (out / f"icon-{size}.png").write_bytes(png(size, 0.05))
    (out / f"maskable-{size}.png").write_bytes(png(size, 0.2))
