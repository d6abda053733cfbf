"""HTML is a sandbox: templates and roster values load nothing outside the template
folders and pakta's assets, and never touch the network."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROSTER_HEADER, run_pakta
from tests.test_render import text_of


@pytest.fixture
def http_spy() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that records every request it gets."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def hostile_template(folder: Path, body: str) -> None:
    (folder / "templates" / "jahat.html.j2").write_text(
        "<html><head>" + body + "</head><body><p>{{ head.full_name }}</p>"
        '<div id="slot-kepala_daerah" style="height:2cm;width:5cm"></div></body></html>')


@pytest.mark.parametrize("reference", [
    '<link rel="stylesheet" href="/etc/passwd">',
    '<link rel="stylesheet" href="file:///etc/passwd">',
    '<style>@import url("file:///etc/hostname");</style>',
    '<link rel="stylesheet" href="../../../../../../etc/passwd">',
])
def test_files_outside_the_template_folders_are_blocked(
        make_workspace: Callable[..., Path], reference: str) -> None:
    folder = make_workspace()
    hostile_template(folder, reference)
    result = run_pakta("render", "-t", "jahat", "--only", "75", cwd=folder)
    assert result.returncode == 3
    assert "only files in the template folders and pakta's assets may be loaded" \
        in result.stderr
    assert not list((folder / "out").glob("*.pdf"))


def test_network_is_blocked_and_the_server_sees_nothing(
        make_workspace: Callable[..., Path], http_spy: tuple[str, list[str]]) -> None:
    url, seen = http_spy
    folder = make_workspace()
    hostile_template(folder, f'<link rel="stylesheet" href="{url}/x.css">'
                             f'<img src="{url}/pixel.png">')
    result = run_pakta("render", "-t", "jahat", "--only", "75", cwd=folder)
    assert result.returncode == 3
    assert "templates may not load anything from the network" in result.stderr
    assert seen == []


def test_roster_markup_is_rendered_literally(
        make_workspace: Callable[..., Path], http_spy: tuple[str, list[str]]) -> None:
    url, seen = http_spy
    name = f'<img src="{url}/a.png"><link rel=stylesheet href="file:///etc/passwd">Budi'
    quoted = name.replace('"', '""')  # CSV escaping
    folder = make_workspace(ROSTER_HEADER + f'75,provinsi,Gorontalo,,"{quoted}",,,\n')
    result = run_pakta("render", "-t", "deklarasi-netralitas", cwd=folder)
    assert result.returncode == 0, result.stderr
    text = text_of(folder / "out" / "75-gorontalo-deklarasi-netralitas.pdf")
    assert f'<img src="{url}/a.png"><link rel=stylesheet' in text and "Budi" in text
    assert seen == []


def test_shipped_fonts_and_template_css_still_load(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    (folder / "templates" / "extra.css").write_text("p { color: #333 }")
    hostile_template(folder, '<link rel="stylesheet" href="extra.css">')
    result = run_pakta("render", "-t", "jahat", "--only", "75", cwd=folder)
    assert result.returncode == 0, result.stderr
