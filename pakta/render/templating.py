"""Jinja environment, the template catalogue and Indonesian filters.

Templates are `<name>.html.j2` files with a `<name>.css` beside them (optional). The
built-in ones ship inside the package; a workspace's `templates/` folder overrides or
adds to them. Roster values are always escaped (autoescape), and a missing variable is
an error naming the template, the line and the variable (StrictUndefined).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from pakta.dates import BULAN, HARI
from pakta.errors import TemplateError
from pakta.i18n import _
from pakta.render.stencil import stencil_call
from pakta.render.wording import FILTERS as WORDING_FILTERS

TEMPLATE_SUFFIX = ".html.j2"
# A template declares a signature slot with an element whose id is "slot-<name>".
SLOT_ID = re.compile(r"""id\s*=\s*["']slot-([A-Za-z0-9_]+)["']""")
SET_NAME = re.compile(r"{%-?\s*set\s+([A-Za-z_][A-Za-z0-9_]*)")


def tanggal(value: date | datetime, with_day: bool = False) -> str:
    """'17 September 2024', or with_day 'Selasa, 17 September 2024'."""
    text = f"{value.day} {BULAN[value.month - 1]} {value.year}"
    return f"{HARI[value.weekday()]}, {text}" if with_day else text


def hari(value: date | datetime) -> str:
    return HARI[value.weekday()]


def builtin_template_dir() -> Path:
    """The built-in templates: `templates/` in a checkout, shipped in the wheel."""
    return Path(str(resources.files("pakta._templates")))


def assets_dir() -> Path:
    return Path(str(resources.files("pakta") / "assets"))


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    path: Path
    slots: tuple[str, ...]  # in document order
    variables: tuple[str, ...]  # what the template needs from its context
    builtin: bool


class Catalogue:
    """Where templates are found: the workspace folder first, then the built-ins."""

    def __init__(self, workspace_templates: Path | None = None) -> None:
        self.folders: list[Path] = []
        if workspace_templates is not None and workspace_templates.is_dir():
            self.folders.append(workspace_templates.resolve())
        self.folders.append(builtin_template_dir().resolve())
        self._infos: dict[str, TemplateInfo] = {}

    @cached_property
    def environment(self) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(f) for f in self.folders]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["tanggal"] = tanggal
        env.filters["hari"] = hari
        env.filters.update(WORDING_FILTERS)  # the capacity a head signs in, the NIP line
        env.globals["stencil"] = stencil_call
        return env

    def names(self) -> list[str]:
        found: set[str] = set()
        for folder in self.folders:
            for path in folder.glob(f"*{TEMPLATE_SUFFIX}"):
                name = path.name[: -len(TEMPLATE_SUFFIX)]
                if not name.startswith("_"):  # _base and other partials
                    found.add(name)
        return sorted(found)

    def path_of(self, name: str) -> Path:
        for folder in self.folders:
            candidate = folder / f"{name}{TEMPLATE_SUFFIX}"
            if candidate.is_file():
                return candidate
        known = ", ".join(self.names()) or "none"
        raise TemplateError(_("unknown template '{name}'").format(name=name),
                            hint=_("known templates: {known}").format(known=known))

    def stylesheet_of(self, name: str) -> Path | None:
        """`<name>.css` or, failing that, the shared `_base.css`."""
        for stem in (name, "_base"):
            for folder in self.folders:
                candidate = folder / f"{stem}.css"
                if candidate.is_file():
                    return candidate
        return None

    def info(self, name: str) -> TemplateInfo:
        """Slots and variables of a template, parsed once per catalogue."""
        if name not in self._infos:
            self._infos[name] = self._parse_info(name)
        return self._infos[name]

    def _parse_info(self, name: str) -> TemplateInfo:
        path = self.path_of(name)
        env = self.environment
        sources: list[str] = []
        variables: set[str] = set()
        pending = [f"{name}{TEMPLATE_SUFFIX}"]
        seen: set[str] = set()
        while pending:  # follow {% extends %} and {% include %} to the whole source
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            source = env.loader.get_source(env, current)[0]  # type: ignore[union-attr]
            sources.append(source)
            try:
                ast = env.parse(source)
            except jinja2.TemplateSyntaxError as exc:
                raise _template_error(exc, name) from exc
            variables |= jinja2.meta.find_undeclared_variables(ast)
            pending.extend(t for t in jinja2.meta.find_referenced_templates(ast) if t)
        slots = tuple(dict.fromkeys(m for s in sources for m in SLOT_ID.findall(s)))
        # A variable one template of the chain sets is not one the context must give.
        variables -= {m for s in sources for m in SET_NAME.findall(s)}
        variables -= set(env.globals)
        return TemplateInfo(
            name=name,
            path=path,
            slots=slots,
            variables=tuple(sorted(variables)),
            builtin=path.is_relative_to(builtin_template_dir().resolve()),
        )

    def render(self, name: str, context: dict[str, Any]) -> str:
        try:
            template = self.environment.get_template(f"{name}{TEMPLATE_SUFFIX}")
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(exc, name) from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                _("template '{name}'{value}: {message}").format(
                    name=name, value=_line_of(exc), message=exc.message),
                hint=_("add the variable to the roster (extra columns reach templates as "
                       "head.extra.<column>) or fix the template"),
            ) from exc


def template_slots(name: str, workspace_templates: Path | None = None) -> tuple[str, ...]:
    """The signature slots a template declares."""
    return Catalogue(workspace_templates).info(name).slots


def _template_error(exc: jinja2.TemplateSyntaxError, name: str) -> TemplateError:
    where = exc.filename or exc.name or name
    return TemplateError(_("template '{name}', line {lineno}: {message}").format(
                             name=Path(where).name, lineno=exc.lineno, message=exc.message))


def _line_of(exc: BaseException) -> str:
    """The template line an error was raised from, found in the traceback."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(TEMPLATE_SUFFIX):
            line = f" ({Path(filename).name}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return line or ""
