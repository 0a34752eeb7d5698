"""Ticket QR codes, the one drawing every channel sends: PNG photos, or SVG path data.

Model 2, error correction M, the standard quiet zone of four modules: what gate scanners
read. PNGs are drawn at about :data:`QR_PIXELS` a side in whole modules (never under
:data:`QR_MIN_SCALE` px each), large enough to scan after a chat app recompresses the photo.
The web chat draws the same symbol as inline SVG from :func:`qr_svg_path`: one path of
filled module rectangles that the browser scales to any size without blurring.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import segno

QR_PIXELS = 480
QR_MIN_SCALE = 8
QR_BORDER = 4
#: PNGs kept per process (a few KB each). A fan opens the same tickets again and again on
#: the day (at home, on the way, at the gate), and drawing one takes about 5 ms of CPU.
QR_CACHE_SIZE = 2048


@dataclass(frozen=True)
class SvgQr:
    """A QR symbol for an SVG: ``size`` modules a side (quiet zone included), dark modules as
    path data in those units (``M x y h w v 1 h -w z`` per run of dark modules in a row)."""

    size: int
    path: str


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_svg_path(value: str) -> SvgQr:
    """The QR code of ``value`` as SVG path data (same symbol as :func:`qr_png`)."""
    code = segno.make_qr(value, error="m")
    parts: list[str] = []
    size = 0
    for y, row in enumerate(code.matrix_iter(scale=1, border=QR_BORDER)):
        cells = list(row)
        size = len(cells)
        x = 0
        while x < size:
            if not cells[x]:
                x += 1
                continue
            start = x
            while x < size and cells[x]:
                x += 1
            parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return SvgQr(size, "".join(parts))


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_png(value: str) -> bytes:
    """The QR code of ``value`` as a PNG."""
    code = segno.make_qr(value, error="m")
    width, _ = code.symbol_size(scale=1, border=QR_BORDER)
    out = io.BytesIO()
    code.save(out, kind="png", scale=max(QR_MIN_SCALE, QR_PIXELS // width), border=QR_BORDER)
    return out.getvalue()
