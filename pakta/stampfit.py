"""The signature stamp's text fitted into its box from the font's metrics.

The stamp sits in the signature slot, right above the printed name: its text must
never touch the frame, nor spill out of the box onto the name line. The lines are set
as large as fits (at most 7.5 pt): a line too wide at that size is wrapped at spaces
first, and the size comes down only when the wrapped lines are too many for the
height. Every number is rounded down to what the content stream writes (2 decimals),
so what is checked is what is drawn.

Used by the stamp's drawing (pakta.pades) whichever signer draws it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pakta.errors import SigningError
from pakta.i18n import _

PAD = 4.0  # points between the frame and the text, on every side
LARGEST = 7.5
SMALLEST = 4.0  # below this a printed stamp is no longer legible
STEP = 0.25
LEADING = 1.25  # baseline to baseline, in font sizes

Measure = Callable[[str, float], float]  # (text, size) -> width in points


class StampOverflow(SigningError):
    """The stamp's text cannot fit its box at a legible size."""


@dataclass(frozen=True)
class StampText:
    size: float
    leading: float
    lines: tuple[str, ...]
    x: float  # left edge of the lines, from the box's left
    top: float  # baseline of the first line, from the box's bottom


def _down(value: float) -> float:
    return math.floor(value * 100 + 1e-9) / 100


def wrap(text: str, room: float, size: float, measure: Measure) -> list[str] | None:
    """`text` broken at spaces into lines no wider than `room`; None if a single word
    is wider."""
    lines: list[str] = []
    for word in text.split():
        if measure(word, size) > room:
            return None
        if lines and measure(f"{lines[-1]} {word}", size) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def fit_stamp(lines: Sequence[str], width: float, height: float, measure: Measure,
              ascent: float, descent: float, pad: float = PAD) -> StampText:
    """The largest size (in steps of 0.25 pt) at which `lines`, wrapped as needed, lie
    inside the box less `pad` on every side. `ascent` and `descent` are the font's, in
    ems (descent negative, as fonts give it). The block is centred vertically."""
    room_x, room_y = width - 2 * pad, height - 2 * pad
    size = LARGEST
    while size >= SMALLEST - 1e-9:
        wrapped: list[str] = []
        for line in lines:
            parts = wrap(line, room_x, size, measure)
            if parts is None:
                break
            wrapped.extend(parts)
        else:
            leading = _down(LEADING * size)
            above, below = size * ascent, size * -descent
            block = above + leading * (len(wrapped) - 1) + below
            if block <= room_y:
                top = _down((height + block) / 2 - above)
                return StampText(size, leading, tuple(wrapped), pad, top)
        size -= STEP
    raise StampOverflow(
        _("the signature stamp's text does not fit its box ({width} x {height} pt) at "
          "{size} pt: \"{longest}\"").format(
            width=round(width), height=round(height), size=SMALLEST,
            longest=max(lines, key=lambda line: measure(line, 1), default="")),
        hint=_("give the signature slot a larger box in the template"))
