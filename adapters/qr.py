"""Ticket QR codes, the one drawing every channel sends: PNG photos, or SVG path data.

Model 2, error correction M, the standard quiet zone of four modules: what gate scanners
read. PNGs are drawn at about :data:`QR_PIXELS` a side in whole modules (never under
:data:`QR_MIN_SCALE` px each), large enough to scan after a chat app recompresses the photo.
The web chat draws the same symbol as inline SVG from :func:`qr_svg_path`: one path of
filled module rectangles that the browser scales to any size without blurring.

Purchase links get poster codes (:func:`poster_png`, :func:`poster_svg`): bigger, and with
error correction Q, since printed codes get scuffed, folded and photographed at an angle.
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
#: Posters: about 2,000 px a side (a 17 cm print at 300 dpi), error correction Q (25 % of the
#: code may be scuffed or covered), the same quiet zone; and an SVG for any size at all.
POSTER_PIXELS = 2000


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
    return _png(value, "m", QR_PIXELS)


def poster_png(value: str) -> bytes:
    """A QR code of ``value`` sized for print (a poster, a flyer): a large PNG."""
    return _png(value, "q", POSTER_PIXELS)


def _png(value: str, error: str, pixels: int) -> bytes:
    """About ``pixels`` a side, in whole modules of at least :data:`QR_MIN_SCALE` px."""
    code = segno.make_qr(value, error=error)
    width, _ = code.symbol_size(scale=1, border=QR_BORDER)
    out = io.BytesIO()
    code.save(out, kind="png", scale=max(QR_MIN_SCALE, pixels // width), border=QR_BORDER)
    return out.getvalue()


def poster_svg(value: str) -> bytes:
    """The same code as an SVG, which prints sharp at any size."""
    out = io.BytesIO()
    segno.make_qr(value, error="q").save(out, kind="svg", scale=10, border=QR_BORDER)
    return out.getvalue()
