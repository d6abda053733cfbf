"""pakta.toml -> a typed, frozen Workspace. Unknown keys are rejected, not ignored."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pakta.errors import ConfigError
from pakta.i18n import _

CONFIG_NAME = "pakta.toml"


@dataclass(frozen=True)
class Event:
    name: str
    place: str
    date: date


@dataclass(frozen=True)
class Witness:
    """The co-signer of every pact: the chair of Bawaslu."""

    name: str
    title: str


@dataclass(frozen=True)
class Workspace:
    root: Path
    event: Event
    witness: Witness
    templates: tuple[str, ...]
    roster: Path
    out: Path
    ledger: Path
    # The provinces (codes) this batch is for; empty: the whole country.
    provinces: tuple[str, ...] = ()
    # Where `pakta serve` is reached from outside: the QR code on every document opens
    # {base_url}/d/{id}.
    base_url: str = "http://127.0.0.1:8080"
    executor: str | None = None  # [executor] address: "local" or "dask://host:8786"

    @property
    def template_dir(self) -> Path:
        """Workspace templates override or add to the built-in ones."""
        return self.root / "templates"

    @property
    def pki_dir(self) -> Path:
        return self.root / "pki"

    @property
    def signed_dir(self) -> Path:
        return self.root / "signed"

    @property
    def collected_dir(self) -> Path:
        """Returned files, filed by `pakta collect` under their canonical names."""
        return self.root / "collected"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"


SCHEMA: dict[str, set[str]] = {
    "event": {"name", "place", "date"},
    "witness": {"name", "title"},
    "render": {"templates", "out"},
    "roster": {"path", "provinces"},
    "ledger": {"path"},
    "serve": {"base_url"},
    "executor": {"address"},  # where batches run: "local" (default) or "dask://host:8786"
}


def find_workspace(start: Path | None = None) -> Path:
    """The nearest folder holding pakta.toml, from `start` upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        _("no {CONFIG_NAME} in {here} or any folder above it").format(
            CONFIG_NAME=CONFIG_NAME, here=here),
        hint=_("run 'pakta init DIR' to create a workspace, or pass --workspace DIR"),
    )


def load_workspace(root: Path | None = None) -> Workspace:
    folder = find_workspace(root)
    path = folder / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(_("{path}: not valid TOML ({exc})").format(path=path, exc=exc)) from exc
    return parse_config(folder, data, path.name)


def parse_config(root: Path, data: dict[str, Any], source: str = CONFIG_NAME) -> Workspace:
    for section, value in data.items():
        if section not in SCHEMA:
            raise ConfigError(_("{source}: unknown section [{section}]").format(
                                  source=source, section=section),
                              hint=_("known sections: {items}").format(
                                       items=', '.join(sorted(SCHEMA))))
        if not isinstance(value, dict):
            raise ConfigError(_("{source}: [{section}] must be a table").format(
                                  source=source, section=section))
        unknown = set(value) - SCHEMA[section]
        if unknown:
            raise ConfigError(_("{source}: unknown key '{item}' in [{section}]").format(
                                  source=source, item=sorted(unknown)[0], section=section),
                              hint=_("known keys: {items}").format(
                                       items=', '.join(sorted(SCHEMA[section]))))

    def get(section: str, key: str, default: Any) -> Any:
        return data.get(section, {}).get(key, default)

    raw_date = get("event", "date", date(2024, 9, 17))
    if isinstance(raw_date, str):
        try:
            raw_date = date.fromisoformat(raw_date)
        except ValueError as exc:
            raise ConfigError(_("{source}: [event] date '{raw_date}' is not YYYY-MM-DD").format(
                                  source=source, raw_date=raw_date)) from exc
    if not isinstance(raw_date, date):
        raise ConfigError(_("{source}: [event] date must be a date such as 2024-09-17").format(
                              source=source))
    templates = get("render", "templates", ["pakta-integritas", "deklarasi-netralitas"])
    if not isinstance(templates, list) or not all(isinstance(t, str) for t in templates):
        raise ConfigError(_("{source}: [render] templates must be a list of template names").format(
                              source=source))
    return Workspace(
        root=root,
        event=Event(
            name=str(get("event", "name", "Rapat Koordinasi Nasional Netralitas ASN")),
            place=str(get("event", "place", "Jakarta")),
            date=raw_date,
        ),
        witness=Witness(
            name=str(get("witness", "name", "Rahmat Bagja")),
            title=str(get("witness", "title",
                          "Ketua Badan Pengawas Pemilihan Umum Republik Indonesia")),
        ),
        templates=tuple(templates),
        roster=root / str(get("roster", "path", "roster.csv")),
        out=root / str(get("render", "out", "out")),
        ledger=root / str(get("ledger", "path", "pakta.db")),
        provinces=_provinces(get("roster", "provinces", []), source),
        base_url=_base_url(get("serve", "base_url", "http://127.0.0.1:8080"), source),
        executor=_executor_address(get("executor", "address", None), source),
    )


def _provinces(value: Any, source: str) -> tuple[str, ...]:
    """[roster] provinces: codes or names of the register's provinces -> codes."""
    from pakta.i18n import _
    from pakta.register import load_register

    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ConfigError(_("{source}: [roster] provinces must be a list of province codes "
                            "or names, e.g. [\"75\", \"Sulawesi Utara\"]").format(source=source))
    register = load_register()
    codes = []
    for item in value:
        code = register.province_code_of(str(item))
        if code is None:
            raise ConfigError(
                _("{source}: [roster] provinces: '{item}' is not a province of the register")
                .format(source=source, item=item),
                hint=_("use a code such as \"75\" or a name such as \"Gorontalo\""))
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _base_url(value: Any, source: str) -> str:
    """An http(s) URL with a host, without a trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        from pakta.i18n import _

        raise ConfigError(_("{source}: [serve] base_url '{value}' is not an http(s) URL")
                          .format(source=source, value=value),
                          hint=_("e.g. base_url = \"https://pakta.bawaslu.go.id\""))
    return str(value).rstrip("/")


def _executor_address(value: Any, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not (value == "local" or value.startswith("dask://")):
        from pakta.i18n import _

        raise ConfigError(_("{source}: [executor] address must be \"local\" or "
                            "\"dask://host:port\"").format(source=source))
    return value


DEFAULT_CONFIG = """\
# pakta workspace: the event, the witness, and where things go.
[event]
name = "Rapat Koordinasi Nasional Kesiapan Kepala Daerah Menjaga Netralitas ASN"
place = "Jakarta"
date = 2024-09-17

[witness]
name = "Rahmat Bagja"
title = "Ketua Badan Pengawas Pemilihan Umum Republik Indonesia"

[roster]
path = "roster.csv"
# The provinces this batch is for (codes or names); coverage is measured against them.
# Leave it out for the whole country.
# provinces = ["75", "Sulawesi Utara"]

[render]
templates = ["pakta-integritas", "deklarasi-netralitas"]
out = "out"

[ledger]
path = "pakta.db"

[serve]
# The address the public reaches `pakta serve` at (behind the reverse proxy): the QR code
# on every document opens {base_url}/d/{document id}.
base_url = "http://127.0.0.1:8080"
"""

GITIGNORE = """\
# Keys, passphrases and generated documents stay out of version control.
pki/
*.p12
*.pfx
*.key
*.pem
passphrase*
out/
signed/
collected/
reports/
evidence*.zip
*.db
*.db-wal
*.db-shm
"""

TEMPLATES_README = """\
Workspace templates. A file here named like a built-in one (pakta-integritas.html.j2,
deklarasi-netralitas.html.j2, _base.html.j2, _base.css) overrides it; any other
<name>.html.j2 adds a template. Mark each signature slot with an element whose id is
"slot-<name>" (e.g. <div class="slot" id="slot-kepala_daerah"></div>).
"""


SAMPLES = ("quick", "national")


def init_workspace(folder: Path, overwrite: bool = False, sample: str = "quick") -> list[Path]:
    """Write a new workspace; refuse to touch an existing pakta.toml unless overwrite.

    sample: "quick" (72 heads: every province and a few regencies/cities) or "national"
    (a head for each of the register's 552 regions)."""
    from importlib import resources

    from pakta.errors import OutputExistsError

    config = folder / CONFIG_NAME
    if config.exists() and not overwrite:
        raise OutputExistsError(_("{config} already exists").format(config=config),
                                hint=_("nothing was written; pass --overwrite to replace it"))
    folder.mkdir(parents=True, exist_ok=True)
    if sample == "national":
        from pakta.samples import national_csv

        roster = national_csv().encode()
    else:
        roster = (resources.files("pakta") / "data" / "sample-roster.csv").read_bytes()
    files = {
        config: DEFAULT_CONFIG.encode(),
        folder / "roster.csv": roster,
        folder / ".gitignore": GITIGNORE.encode(),
        folder / "templates" / "README.txt": TEMPLATES_README.encode(),
    }
    written = []
    for path, data in files.items():
        if path.exists() and not overwrite and path != config:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
