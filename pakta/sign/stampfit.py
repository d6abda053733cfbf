"""The signature stamp's text fitted into its box from the font's metrics.

The stamp sits in the signature slot, right above the printed name: its text must
never touch the frame, nor spill out of the box onto the name line. The lines are set
as large as fits (at most 7 pt): a line too wide at that size is wrapped at spaces
first, and the size comes down only when the wrapped lines are too many for the
height. Sizes and leadings are whole points, as pyHanko's text box writes them
(`Tf` and `TL` with integers), so what is checked here is what is drawn.

Used by the stamp style (pakta.sign.stamp) for each signature's box.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pakta.errors import SigningError
from pakta.i18n import _

PAD = 4.0  # points between the frame and the text, on every side
LARGEST = 7
SMALLEST = 4  # below this a printed stamp is no longer legible
LEADING = 1.25  # baseline to baseline, in font sizes (rounded up to a whole point)

Measure = Callable[[str, float], float]  # (text, size) -> width in points


class StampOverflow(SigningError):
    """The stamp's text cannot fit its box at a legible size."""


@dataclass(frozen=True)
class StampText:
    size: int
    leading: int
    lines: tuple[str, ...]
    x: float  # left edge of the lines, from the box's left
    top: float  # baseline of the first line, from the box's bottom

    @property
    def bottom(self) -> float:
        """Baseline of the last line, from the box's bottom."""
        return self.top - self.leading * (len(self.lines) - 1)


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
    """The largest whole-point size at which `lines`, wrapped as needed, lie inside the
    box less `pad` on every side. `ascent` and `descent` are the font's, in ems
    (descent negative, as fonts give it). The block is centred vertically."""
    room_x, room_y = width - 2 * pad, height - 2 * pad
    for size in range(LARGEST, SMALLEST - 1, -1):
        wrapped: list[str] = []
        for line in lines:
            parts = wrap(line, room_x, size, measure)
            if parts is None:
                break
            wrapped.extend(parts)
        else:
            leading = math.ceil(LEADING * size)
            above, below = size * ascent, size * -descent
            block = above + leading * (len(wrapped) - 1) + below
            if block <= room_y:
                top = (height + block) / 2 - above
                return StampText(size, leading, tuple(wrapped), pad, top)
    raise StampOverflow(
        _("the signature stamp's text does not fit its box ({width} x {height} pt) at "
          "{size} pt: \"{longest}\"").format(
            width=round(width), height=round(height), size=SMALLEST,
            longest=max(lines, key=lambda line: measure(line, 1), default="")),
        hint=_("give the signature slot a larger box in the template"))
