"""Ticket QR codes as PNG images, the one drawing every channel sends.

Model 2, error correction M, the standard quiet zone of four modules: what gate scanners
read. Drawn at about :data:`QR_PIXELS` a side in whole modules (never under
:data:`QR_MIN_SCALE` px each), large enough to scan after a chat app recompresses the photo.
"""

from __future__ import annotations

import functools
import io

import segno

QR_PIXELS = 480
QR_MIN_SCALE = 8
QR_BORDER = 4
#: PNGs kept per process (a few KB each). A fan opens the same tickets again and again on
#: the day (at home, on the way, at the gate), and drawing one takes about 5 ms of CPU.
QR_CACHE_SIZE = 2048


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_png(value: str) -> bytes:
    """The QR code of ``value`` as a PNG."""
    code = segno.make_qr(value, error="m")
    width, _ = code.symbol_size(scale=1, border=QR_BORDER)
    out = io.BytesIO()
    code.save(out, kind="png", scale=max(QR_MIN_SCALE, QR_PIXELS // width), border=QR_BORDER)
    return out.getvalue()
