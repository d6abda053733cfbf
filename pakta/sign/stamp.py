"""The visible stamp: pyHanko's TextStampStyle drawing pakta's lines in the stamp font.

The font is Liberation Sans cut to Latin and rescaled to 1000 units per em (`stamp_font`,
made once and cached on disk), embedded whole in each file through a pyHanko FontEngine
prepared once per process (pakta.sign.stamp_font), so the signed file stays PDF/A and
the stamp's text extracts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import layout, text
from pyhanko.stamp import TextStamp, TextStampStyle

from pakta.dates import BULAN, HARI
from pakta.files import temp_path_for
from pakta.sign.stamp_font import WholeFontFactory, stamp_font_factory
from pakta.sign.stampfit import fit_stamp

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


@dataclasses.dataclass(frozen=True)
class FittedStampStyle(TextStampStyle):
    """pyHanko's TextStampStyle with the text fitted to each signature's box: the lines
    wrapped and sized from the font's metrics (pakta.sign.stampfit), then placed
    unscaled from the box's lower left corner, so the text keeps `PAD` points from every
    edge of the box. The stamp text parameter `baris` holds the lines."""

    def create_stamp(self, writer: Any, box: layout.BoxConstraints,
                     text_params: dict[str, Any]) -> TextStamp:
        factory = self.text_box_style.font
        assert isinstance(factory, WholeFontFactory)  # the stamp font's metrics
        font = factory.font
        fit = fit_stamp(text_params["baris"].split("\n"), box.width, box.height,
                        font.width, font.ascent / 1000, font.descent / 1000)
        text_box = dataclasses.replace(self.text_box_style, font_size=fit.size,
                                       leading=fit.leading)
        place = layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
            # pyHanko annotates margins as int but writes them with %g
            margins=layout.Margins(left=fit.x, bottom=fit.bottom),  # type: ignore[arg-type]
            inner_content_scaling=layout.InnerScaling.NO_SCALING)
        style = dataclasses.replace(self, text_box_style=text_box, inner_content_layout=place)
        return TextStamp(writer=writer, style=style, box=box,
                         text_params={**text_params, "baris": "\n".join(fit.lines)})


@lru_cache(maxsize=1)
def stamp_style() -> Any:
    """pakta's stamp as a pyHanko TextStampStyle: a thin frame, the lines left-aligned,
    wrapped and sized to fit the slot's box (`FittedStampStyle`), no pyHanko
    background. Made once per process."""
    # The text box adds no margin of its own: the text's place is the fit's.
    box = text.TextBoxStyle(font=stamp_font_factory(stamp_font()), font_size=7, leading=9,
                            box_layout_rule=layout.SimpleBoxLayoutRule(
                                x_align=layout.AxisAlignment.ALIGN_MIN,
                                y_align=layout.AxisAlignment.ALIGN_MIN))
    return FittedStampStyle(stamp_text="%(baris)s", text_box_style=box, border_width=1,
                            border_color=(0.1, 0.2, 0.45), background=None)
