"""Writing outputs: a temporary file beside the target, then a rename, never half a file."""

from __future__ import annotations

import contextlib
import os
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


def temp_path_for(path: Path) -> Path:
    """`.NAME.PID.part`: hidden, and telling which process left it behind."""
    return path.with_name(f".{path.name}.{os.getpid()}.part")
