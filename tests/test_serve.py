"""pakta serve, end to end: a real server (uvicorn, worker processes) on loopback, real
signed pacts, Debian's Chromium through Playwright, the QR code decoded by zbarimg and
the API checked by schemathesis."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SMALL_ROSTER, run_pakta
from tests.fixtures_pki import PASSPHRASE, pakta_env, sign

pytestmark = pytest.mark.xdist_group("serve")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--no-first-run", "--disable-dev-shm-usage"]
PASSWORD = "sandi-sekretariat-2024"


@dataclass
class Server:
    ws: Path
    url: str
    process: subprocess.Popen[bytes]


def start_server(ws: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pakta", "serve", "-w", str(ws), "--port", str(port),
         *extra], env=pakta_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    process.kill()
    raise AssertionError(process.stderr.read().decode() if process.stderr else "")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def tamper(data: bytes) -> bytes:
    """The signed file with one more revision that draws on the page: a change after
    signing, as an editor would save it."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    extra = writer.add_object(generic.StreamObject(
        stream_data=b"q 1 0 0 rg 100 100 200 40 re f Q"))
    contents = page["/Contents"]
    page["/Contents"] = generic.ArrayObject(
        [*(contents if isinstance(contents, generic.ArrayObject) else [page.raw_get(
            "/Contents")]), extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def served(demo_pki_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A workspace whose base_url is this test server's, rendered, one pact signed by the
    head and the witness, the admin password set; and the server running."""
    from pakta.demo import free_port

    port = free_port()
    ws = tmp_path_factory.mktemp("serve") / "ws"
    assert run_pakta("init", str(ws)).returncode == 0
    (ws / "roster.csv").write_text(SMALL_ROSTER, encoding="utf-8")
    config = ws / "pakta.toml"
    config.write_text(config.read_text().replace(
        'base_url = "http://127.0.0.1:8080"', f'base_url = "http://127.0.0.1:{port}"'))
    assert run_pakta("render", cwd=ws).returncode == 0
    shutil.copytree(demo_pki_dir, ws / "pki")
    sign(ws, ["out/75-gorontalo-pakta-integritas.pdf"], "kepala_daerah",
         "pki/signers/75.p12", "--out", "signed")
    sign(ws, ["signed/75-gorontalo-pakta-integritas-signed.pdf"], "saksi",
         "pki/witness.p12", "--in-place")
    signed = ws / "signed" / "75-gorontalo-pakta-integritas-signed.pdf"
    (ws / "tampered.pdf").write_bytes(tamper(signed.read_bytes()))
    # A PDF the secretariat never issued: a page of its own.
    subprocess.run(["qpdf", "--empty", "--pages", str(ws / "out" /
                    "71-sulawesi-utara-deklarasi-netralitas.pdf"), "--", str(ws / "foreign.pdf")],
                   check=True)
    result = run_pakta("admin-password", "-w", str(ws), input=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    process = start_server(ws, port)
    try:
        yield Server(ws, f"http://127.0.0.1:{port}", process)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def upload(page: Any, url: str, path: Path) -> str:
    page.goto(url)
    page.set_input_files("#file", str(path))
    page.click("#check")
    return str(page.inner_text("main"))


def test_verdicts_of_an_intact_a_tampered_and_a_foreign_pdf_in_chromium(
        served: Server, browser: Any) -> None:
    page = browser.new_page()
    intact = upload(page, served.url + "/",
                    served.ws / "signed" / "75-gorontalo-pakta-integritas-signed.pdf")
    assert "Sah: ini dokumen yang diterbitkan sekretariat" in intact
    assert "Pj. Gubernur Gorontalo" in intact  # the head's office title
    assert "Ketua Badan Pengawas Pemilihan Umum Republik Indonesia" in intact  # the witness
    assert intact.count("Tanda tangan sah") == 2
    assert "ETSI EN 319 102-1: TOTAL-PASSED" in intact
    assert "Ini adalah dokumen yang diterbitkan sekretariat." in intact
    assert "Tidak ada perubahan setelah penandatanganan." in intact
    assert "Langkah selanjutnya" in intact
    assert page.locator("#verdict").get_attribute("class") == "verdict status-complete"

    tampered = upload(page, served.url + "/", served.ws / "tampered.pdf")
    assert "Tidak sah: jangan gunakan berkas ini sebagai pegangan." in tampered
    assert "Dokumen diubah setelah ditandatangani." in tampered
    assert "Dokumen diubah setelah tanda tangan ini." in tampered
    assert "Mintalah dokumen asli kepada sekretariat (Bawaslu)" in tampered
    assert "Hasil pemeriksaan" in tampered  # what verify found, as the reports say it

    foreign = upload(page, served.url + "/", served.ws / "foreign.pdf")
    assert "Berkas ini bukan dokumen yang diterbitkan sekretariat." in foreign
    assert "Ini bukan dokumen yang diterbitkan sekretariat." in foreign

    # English on request, remembered.
    page.click("#lang-switch")
    assert "Is this pact genuine?" in page.inner_text("h1")
    english = upload(page, served.url + "/", served.ws / "tampered.pdf")
    assert "Not valid: do not rely on this file." in english
    assert "What was found" in english and "Hasil pemeriksaan" not in english
    page.close()


def test_the_qr_code_decodes_to_the_document_page(served: Server, browser: Any,
                                                  tmp_path: Path) -> None:
    pdf = served.ws / "out" / "71.11-bolaang-mongondow-selatan-pakta-integritas.pdf"
    # 300 dpi, as a page is printed: at 150 dpi a 1.5 cm code has under 3 pixels a
    # module and zbar misses about one code in twenty.
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded.startswith(served.url + "/d/") and len(decoded.rsplit("/", 1)[1]) == 26
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Dokumen ini ditandatangani secara elektronik. Periksa keasliannya di " \
        f"{decoded}" in text
    code = decoded.rsplit("/", 1)[1][:12].upper()
    assert f"Kode verifikasi: {code[:4]}-{code[4:8]}-{code[8:]}" in text
    # No raster image: the QR code is vector.
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    assert len(images) == 2  # the header lines only
    page = browser.new_page()
    page.goto(decoded)
    record = page.inner_text("#record")
    assert "Hi. Iskandar Kamaru, S.Pt, M.Si, Bupati Bolaang Mongondow Selatan" in record
    assert "Menunggu tanda tangan kepala daerah" in record
    html = page.content()
    # Never a NIK, an e-mail address or a server path.
    assert "7111000000000001" not in html and "bupati@bolsel.go.id" not in html
    assert str(served.ws) not in html
    # The short code opens the same record; an upload compares a file with it.
    page.goto(f"{served.url}/d/{code[:4]}-{code[4:8]}-{code[8:]}")
    assert "Hi. Iskandar Kamaru" in page.inner_text("#record")
    compared = upload(page, decoded, served.ws / "signed" /
                      "75-gorontalo-pakta-integritas-signed.pdf")
    assert "Berkas ini BUKAN dokumen dari catatan ini." in compared
    page.close()


def test_admin_login_and_a_heads_return_by_link(served: Server, browser: Any,
                                                tmp_path: Path) -> None:
    result = run_pakta("invite", "-w", str(served.ws), "--only", "33.76")
    assert result.returncode == 0, result.stderr
    code, title, _email, link = result.stdout.strip().split("\t")
    assert (code, title) == ("33.76", "Pj. Wali Kota Tegal")
    link = link.replace("http://127.0.0.1:8080", served.url)  # not the base URL here
    page = browser.new_page()
    page.goto(served.url + "/admin")
    page.fill("#password", "salah-sekali-123")
    page.click("#sign-in")
    assert "Kata sandi salah." in page.inner_text("#error")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    assert page.url == served.url + "/admin"
    missing = page.inner_text("#missing")
    assert "Pj. Wali Kota Tegal: Dadang Somantri" in missing
    assert "Kepala daerah, Saksi" in missing and "kepala_daerah" not in missing

    # The head opens the link, downloads the pact, signs it, and uploads it back.
    head = browser.new_page()
    head.goto(link)
    assert "Pj. Wali Kota Tegal" in head.inner_text("#head")
    with head.expect_download() as download_info:
        head.click("text=PDF >> nth=1")
    downloaded = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(downloaded)
    assert downloaded.read_bytes().startswith(b"%PDF-")
    # Someone else's pact is refused, in Indonesian.
    refused = upload(head, link, served.ws / "signed" /
                     "75-gorontalo-pakta-integritas-signed.pdf")
    assert "Berkas ini bukan salah satu dokumen yang diterbitkan untuk Anda" in refused
    sign(served.ws, [str(downloaded)], "kepala_daerah", "pki/signers/33.76.p12",
         "--out", str(tmp_path / "signed"))
    signed = next((tmp_path / "signed").glob("*.pdf"))
    accepted = upload(head, link, signed)
    assert "Diterima: berkas yang telah ditandatangani tercatat di sekretariat." in accepted
    filed = served.ws / "collected" / f"{downloaded.stem}.pdf"
    assert filed.read_bytes() == signed.read_bytes()
    # The secretariat's status shows it at once: now only the witness is missing.
    page.reload()
    row = page.locator(f'#missing tr[data-doc="{downloaded.stem}"] td')
    assert row.nth(3).inner_text() == "Saksi"  # the person, not the slot's name
    # A link that was never issued opens nothing.
    head.goto(served.url + "/i/bukan-tautan-yang-sah")
    assert "Tidak ditemukan." in head.inner_text("#error")
    page.click("#sign-out")
    page.goto(served.url + "/admin")
    assert page.url == served.url + "/admin/login"
    page.close()
    head.close()


def test_csrf_headers_and_errors_without_detail(served: Server) -> None:
    import httpx

    with httpx.Client(base_url=served.url) as client:
        # A login without the session's CSRF token is refused.
        response = client.post("/admin/login", data={"password": PASSWORD,
                                                      "csrf": "forged"})
        assert response.status_code == 403
        home = client.get("/")
        csp = home.headers["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp
        assert home.headers["x-frame-options"] == "DENY"
        assert home.headers["referrer-policy"] == "no-referrer"
        assert "server" not in home.headers
        assert "<script" not in home.text
        big = client.post("/api/verify", content=b"%PDF-" + b"0" * (11 * 2**20),
                          headers={"content-type": "application/pdf"})
        assert big.status_code == 413 and big.json() == {"error": "TOO_LARGE"}
        # A file that is no PDF: its verdict with the finding's code and sentence, the
        # page's language in `problems`, English in `findings` (never a 500).
        png = client.post("/api/verify", files={"file": ("file.png", b"\x89PNG\r\n\x1a\n",
                                                         "image/png")})
        assert png.status_code == 200 and png.json()["status"] == "ERROR"
        assert png.json()["problems"] == ["Berkas ini bukan PDF."]
        assert png.json()["findings"] == [{"code": "NOT_PDF", "params": {},
                                           "message": "The file is not a PDF."}]
        junk = client.post("/api/verify", content=b"not a multipart body",
                           headers={"content-type": "multipart/form-data; boundary=x"})
        assert junk.status_code == 400
        for response in (big, junk, client.get("/d/../../etc/passwd"),
                         client.get("/api/documents/x"), client.delete("/")):
            assert response.status_code < 500
            assert "Traceback" not in response.text and str(served.ws) not in response.text
        record = client.get("/api/documents/" + _public_id(served.ws, "75-gorontalo-"
                                                                    "pakta-integritas"))
        body = record.json()
        assert body["issued_to"] == "Dr. Ir. Hamka Hendra Noer, M.Si"
        assert body["state"] == "complete"  # pakta sign recorded both signatures
        assert not any(key in json.dumps(body) for key in ("path", "nik", "email", str(
            served.ws)))
        spec = client.get("/api/openapi.json").json()
        assert {"/api/verify", "/api/documents/{public_id}"} <= set(spec["paths"])


def _public_id(ws: Path, doc_id: str) -> str:
    from pakta.ledger import Ledger

    with Ledger(ws / "pakta.db") as ledger:
        return ledger.public_ids([doc_id])[doc_id]


def test_schemathesis_finds_no_server_error(served: Server, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run",
         served.url + "/api/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", "25", "--no-color", "--suppress-health-check", "all"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Selected: 2/2" in result.stdout and "Tested: 2" in result.stdout


def test_a_full_queue_answers_busy_not_an_error(served: Server) -> None:
    """One verifying process and no queue: of uploads sent at once, some are verified
    and the rest told to come back (503 with Retry-After); none fails."""
    import httpx

    from pakta.demo import free_port

    port = free_port()
    process = start_server(served.ws, port, "--workers", "1", "--queue", "0")
    data = (served.ws / "signed" / "75-gorontalo-pakta-integritas-signed.pdf").read_bytes()

    def post(_: int) -> httpx.Response:
        return httpx.post(f"http://127.0.0.1:{port}/api/verify", files={
            "file": ("pakta.pdf", data, "application/pdf")}, timeout=120)

    try:
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(post, range(8)))
    finally:
        stop(process)
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 503} and 200 in codes and 503 in codes, codes
    assert all(r.json()["status"] == "COMPLETE" for r in responses if r.status_code == 200)
    assert all(r.headers["retry-after"] == "10" for r in responses if r.status_code == 503)


def test_the_verifying_processes_leave_with_a_killed_server(served: Server) -> None:
    """A server killed outright (SIGKILL, the OOM killer) leaves no verifying process
    behind: each one watches for its server and leaves with it."""
    import httpx

    from pakta.demo import free_port

    port = free_port()
    process = start_server(served.ws, port, "--workers", "2")
    try:
        data = (served.ws / "foreign.pdf").read_bytes()
        response = httpx.post(f"http://127.0.0.1:{port}/api/verify", files={
            "file": ("pakta.pdf", data, "application/pdf")}, timeout=120)
        assert response.status_code == 200, response.text
        # (started from any of the server's threads)
        pool = [int(pid) for task in Path(f"/proc/{process.pid}/task").iterdir()
                for pid in (task / "children").read_text().split()]
        pool = [pid for pid in pool
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert pool, "the server has no verifying process"
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while running := [pid for pid in pool if _running(pid)]:
        assert time.monotonic() < deadline, f"still running after the server: {running}"
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_admin_password_is_read_from_stdin_and_checked(make_workspace: Any) -> None:
    ws = make_workspace()
    short = run_pakta("--lang", "id", "admin-password", "-w", str(ws), input="pendek\n")
    assert short.returncode == 2
    assert "kata sandi harus terdiri atas sekurang-kurangnya 10 karakter" in short.stderr
    from pakta.ledger import Ledger
    from pakta.serve.auth import PASSWORD_KEY, check_password

    assert run_pakta("admin-password", "-w", str(ws), input=PASSWORD + "\n").returncode == 0
    with Ledger(ws / "pakta.db") as ledger:
        stored = ledger.setting(PASSWORD_KEY)
    assert stored is not None and PASSWORD not in stored and stored.startswith("scrypt$")
    assert check_password(PASSWORD, stored) and not check_password("lain-lain-123", stored)
    assert PASSPHRASE  # the PKI's passphrase is never the admin password


def test_base_url_is_checked(make_workspace: Any) -> None:
    ws = make_workspace()
    config = ws / "pakta.toml"
    config.write_text(config.read_text().replace('base_url = "http://127.0.0.1:8080"',
                                                 'base_url = "ftp://contoh"'))
    result = run_pakta("render", cwd=ws)
    assert result.returncode == 3
    assert "[serve] base_url 'ftp://contoh' is not an http(s) URL" in result.stderr
