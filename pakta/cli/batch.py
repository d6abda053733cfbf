"""What pakta sign, certify and timestamp renew share: their files and outputs, the
timestamp service checked before any key is loaded, the batch with its progress, and
its report.

Outputs go to stdout ("signed FILE"), failures and totals to stderr; a failure names its
file; an interruption says truthfully what is left.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from pakta.cli.runtime import progress
from pakta.errors import BatchFailed, EnvironmentProblem, Interrupted, UsageError
from pakta.i18n import _, ngettext

if TYPE_CHECKING:
    from pakta.signing import SignOutcome, SignSummary

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Words:
    """A command's own sentences (whole sentences translate; a verb spliced in does not)."""

    label: str  # beside the progress bar
    done: str  # "signed {file}"
    skipped: str  # "skipped {file} (already signed)"
    totals: str  # "{done} signed, {skipped} skipped, {failed} failed"
    left: tuple[str, str]  # interrupted with files left: singular, plural ({count}, ...)
    none_left: str  # interrupted after the last file


files_argument = click.argument("files", nargs=-1, required=True,
                                type=click.Path(dir_okay=False, path_type=Path))
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          help=_("Write the outputs here (default: beside each input)."))
in_place_option = click.option("--in-place", is_flag=True,
                               help=_("Replace each input (atomically)."))
overwrite_option = click.option("--overwrite", is_flag=True,
                                help=_("Replace an existing output."))


def _tsa_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A URL the timestamp client can use, or a usage error before anything is loaded."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            _("'{url}' is not an http:// or https:// URL, e.g. "
              "http://127.0.0.1:8765/tsa").format(url=value), ctx=ctx, param=param)
    return value


def tsa_option(required: bool = False) -> Callable[..., Any]:
    return click.option("--tsa", "tsa_url", required=required, callback=_tsa_url,
                        help=_("RFC 3161 timestamp service URL (B-T and up)."))


def check_service(url: str, timeout: float = 5.0) -> None:
    """The timestamp service accepts connections: checked once before the batch starts
    (and before the key is loaded), not found out file by file."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        hint = (_("is `pakta pki serve` running?") if host in LOOPBACK
                else _("check the URL and the network connection"))
        raise EnvironmentProblem(
            _("{url}: cannot reach the timestamp service ({reason})").format(
                url=url, reason=reason), hint=hint) from exc


def check_outputs(out_dir: Path | None, in_place: bool) -> None:
    if in_place and out_dir:
        raise UsageError(_("--in-place and --out exclude each other"))


def run(files: tuple[Path, ...], words: Words,
        batch: Callable[[Callable[[SignOutcome], None]], SignSummary]) -> None:
    """Run `batch` (given the per-file progress callback) under a progress bar, then
    report; on Ctrl-C, name the files that failed and say what is left."""
    from pakta.signing import SignSummary

    so_far = SignSummary()
    try:
        with progress(len(files), words.label) as step:
            def one(outcome: SignOutcome) -> None:
                so_far.outcomes.append(outcome)
                step()

            summary = batch(one)
    except KeyboardInterrupt:
        # Every output written so far is whole and recorded; a rerun skips them.
        for outcome in so_far.failed:
            click.echo(_("error: {message}").format(message=outcome.error), err=True)
        done = len(so_far.outcomes) - len(so_far.failed)
        left = len(files) - len(so_far.outcomes)
        counts = {"count": left, "done": done, "failed": len(so_far.failed)}
        if left:
            message = ngettext(*words.left, left).format(**counts)
        else:
            message = words.none_left.format(**counts)
        raise Interrupted(message) from None
    report(summary, words)


def report(summary: SignSummary, words: Words) -> None:
    """Outputs on stdout; failures and the totals on stderr; the worst exit code if any
    failed."""
    for outcome in summary.outcomes:
        if outcome.skipped:
            click.echo(words.skipped.format(file=outcome.output))
        elif outcome.ok:
            click.echo(words.done.format(file=outcome.output))
    for outcome in summary.failed:
        click.echo(_("error: {message}").format(message=outcome.error), err=True)
    failed = len(summary.failed)
    done = len(summary.outcomes) - failed - len(summary.skipped)
    click.echo(words.totals.format(done=done, skipped=len(summary.skipped), failed=failed),
               err=True)
    if failed:
        total = len(summary.outcomes)
        raise BatchFailed(ngettext("{count} of {total} file failed",
                                   "{count} of {total} files failed", total).format(
                                       count=failed, total=total),
                          max(o.exit_code for o in summary.failed))
