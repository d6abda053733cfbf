"""No key material is ever tracked by git; the package ships what it needs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_no_key_material_is_tracked() -> None:
    files = tracked_files()
    assert "pyproject.toml" in files  # we are looking at the real repository
    key_files = [f for f in files if re.search(r"\.(p12|pfx|key|jks|p8)$", f, re.I)]
    assert key_files == []
    private = re.compile(rb"-----BEGIN (RSA |EC |ENCRYPTED |OPENSSH )?PRIVATE KEY-----")
    offenders = [f for f in files if (ROOT / f).is_file()
                 and private.search((ROOT / f).read_bytes())
                 and not f.startswith("tests/test_repository.py")]
    assert offenders == []


def test_workspace_gitignore_keeps_keys_and_outputs_out(tmp_path: Path) -> None:
    from pakta.config import init_workspace

    init_workspace(tmp_path / "ws")
    ignore = (tmp_path / "ws" / ".gitignore").read_text()
    for pattern in ("pki/", "*.p12", "*.key", "passphrase*", "out/", "signed/", "*.db"):
        assert pattern in ignore.splitlines()
