"""The visible stamp: pyHanko's TextStampStyle drawing pakta's lines in the stamp font.

The font is Liberation Sans cut to Latin and rescaled to 1000 units per em (`stamp_font`,
made once and cached on disk), embedded whole in each file through a pyHanko FontEngine
prepared once per process (pakta.sign.stamp_font), so the signed file stays PDF/A and
the stamp's text extracts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pakta.dates import BULAN, HARI
from pakta.files import temp_path_for

# fontTools warns about tables it drops while subsetting the stamp font: not news.
logging.getLogger("fontTools").setLevel(logging.ERROR)
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
STAMP_HEADING = "Ditandatangani secara elektronik oleh"


def stamp_font() -> Path:
    """The stamp's font: Liberation Sans, Latin only, 1000 units per em, made once and
    cached."""
    from importlib import resources

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pakta"
    target = cache / "LiberationSans-Regular-1000upem-latin.ttf"
    if not target.is_file():
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(str(resources.files("pakta") / "assets" / "fonts" /
                          "LiberationSans-Regular.ttf"))
        scale_upem(font, 1000)
        # Latin only (Indonesian names and titles), no layout tables: each stamp's
        # subset is then made from a small font.
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[*range(0x20, 0x7F), *range(0xA0, 0x180)])
        subsetter.subset(font)
        cache.mkdir(parents=True, exist_ok=True)
        temp = temp_path_for(target)
        font.save(temp)
        os.replace(temp, target)
    return target


def waktu(moment: dt.datetime) -> str:
    """'Selasa, 17 September 2024 10:31 WIB'."""
    local = moment.astimezone(WIB)
    return (f"{HARI[local.weekday()]}, {local.day} {BULAN[local.month - 1]} {local.year} "
            f"{local:%H:%M} WIB")


def stamp_lines(name: str, title: str, reason: str, place: str, when: str) -> tuple[str, ...]:
    lines = (STAMP_HEADING, name, title, reason, f"{place}, {when}")
    return tuple(line for line in lines if line)


def stamp_text_params(name: str, title: str, reason: str, place: str,
                      moment: dt.datetime) -> dict[str, str]:
    """The text parameters of one stamp (`stamp_style`'s one parameter, `baris`)."""
    return {"baris": "\n".join(stamp_lines(name, title, reason, place, waktu(moment)))}


@lru_cache(maxsize=1)
def stamp_style() -> Any:
    """pakta's stamp as a pyHanko TextStampStyle: a thin frame, the lines left-aligned
    and shrunk to fit the slot, no pyHanko background. Made once per process."""
    from pyhanko.pdf_utils import layout, text
    from pyhanko.stamp import TextStampStyle

    from pakta.sign.stamp_font import stamp_font_factory

    box = text.TextBoxStyle(font=stamp_font_factory(stamp_font()), font_size=7,
                            leading=9)
    inner = layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins.uniform(4),
        inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT)
    return TextStampStyle(stamp_text="%(baris)s", text_box_style=box, border_width=1,
                          border_color=(0.1, 0.2, 0.45), background=None,
                          inner_content_layout=inner)
