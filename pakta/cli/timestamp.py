"""pakta timestamp renew: extend the archive timestamps of B-LTA documents."""

from __future__ import annotations

from pathlib import Path

from pakta.cli import batch, main
from pakta.cli.options import default_trust, optional_workspace, trust_option, workspace_option
from pakta.i18n import Np_, _


def words() -> batch.Words:
    return batch.Words(
        label=_("renewing"), done=_("renewed {file}"),
        skipped=_("skipped {file} (already renewed)"),
        totals=_("{done} renewed, {skipped} skipped, {failed} failed"),
        left=Np_("interrupted: {done} renewed, {failed} failed, {count} file not renewed "
                 "yet; run the same command again to renew it",
                 "interrupted: {done} renewed, {failed} failed, {count} files not renewed "
                 "yet; run the same command again to renew them"),
        none_left=_("interrupted after the last file: {done} renewed, {failed} failed; "
                    "no file is left to renew"))


@main.group(help=_("Archive timestamps of B-LTA documents."))
def timestamp() -> None:
    pass


@timestamp.command("renew", help=_(
    "Extend the archive timestamp chain of B-LTA FILES (NAME-renewed.pdf by default).\n\n"
    "The validation data of the last document timestamp is added, then a new document "
    "timestamp covers everything: the earlier signatures stay valid."))
@batch.files_argument
@batch.tsa_option(required=True)
@trust_option
@batch.out_option
@batch.in_place_option
@batch.overwrite_option
@workspace_option
def timestamp_renew(files: tuple[Path, ...], tsa_url: str, trust: tuple[Path, ...],
                    out_dir: Path | None, in_place: bool, overwrite: bool,
                    workspace: Path | None) -> None:
    from pakta.signing import renew_timestamps

    batch.check_outputs(out_dir, in_place)
    roots = default_trust(optional_workspace(workspace), trust)
    batch.check_service(tsa_url)
    batch.run(files, words(), lambda step: renew_timestamps(
        list(files), tsa_url, roots, out_dir=out_dir, in_place=in_place,
        overwrite=overwrite, progress=step))
