"""Writing outputs: a temporary file beside the target, then a rename, never half a file."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, flush: bool = True) -> None:
    """Write to a temporary file in the same folder, then rename: never half a file,
    even if the process is killed. `flush=False` leaves durability to one flush for the
    whole batch (a flush per small file can cost more than making it)."""
    temp = temp_path_for(path)
    try:
        with open(temp, "wb") as out:
            out.write(data)
            if flush:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        discard(temp)
        raise


def discard(path: Path) -> None:
    """Remove a temporary file if it is there; a read-only folder has none to remove."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def temp_path_for(path: Path, owner: int | None = None) -> Path:
    """`.NAME.PID.TOKEN.part`: hidden; PID is the process that renames or removes it
    (the writer itself, or `owner`: the batch's client, when workers write and it
    renames), and TOKEN keeps apart two writers of one output (a cluster task run twice)."""
    return path.with_name(f".{path.name}.{owner or os.getpid()}.{secrets.token_hex(4)}.part")


def _left_behind(name: str) -> str | None:
    """The output name of a temporary file that no live process will rename or remove
    (its owner is this process, sweeping up after itself, or is gone); None for any
    other file, and for one that another render or signing run still owns."""
    if not (name.startswith(".") and name.endswith(".part")):
        return None
    target, _, owner = name[1:].removesuffix(".part").rpartition(".")[0].rpartition(".")
    if not target or not owner.isdigit():
        return None
    pid = int(owner)
    return target if pid == os.getpid() or not _process_alive(pid) else None


def remove_left_behind(outputs: Iterable[Path]) -> None:
    """Remove the temporary files beside these outputs that no live process will rename
    or remove (a killed run's, or this process's own never-recorded ones). One listing per
    folder: a glob per output would read the whole folder once for every document."""
    wanted: dict[Path, set[str]] = {}
    for path in outputs:
        wanted.setdefault(path.parent, set()).add(path.name)
    for folder, names in wanted.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:  # no folder yet, or one this process cannot read: nothing to sweep
            continue
        for entry in entries:
            if _left_behind(entry.name) in names:
                discard(Path(entry.path))


def _process_alive(pid: int) -> bool:
    """Whether a process of this machine has this PID (another user's included)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # alive, another user's
        pass
    return True


def cut_short(data: bytes) -> str | None:
    """Why a file that parses is still not whole: bytes after its last %%EOF marker.

    A PDF reader finds the last complete revision and ignores what follows, so a signed
    file cut inside its signature revision reads as the earlier, unsigned document."""
    end = data.rfind(b"%%EOF")
    if end < 0:
        return None  # not a PDF at all: verification says so
    tail = data[end + len(b"%%EOF"):]
    if tail.strip(b"\x00\t\n\x0c\r "):
        return (f"cut short or damaged: {len(tail)} bytes after the last %%EOF "
                "(an incomplete revision)")
    return None
