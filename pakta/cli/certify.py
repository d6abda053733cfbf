"""pakta certify: the secretariat's certification signature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pakta.cli import batch, main
from pakta.cli.keys import key_options, open_signer
from pakta.cli.options import default_trust, optional_workspace, trust_option, workspace_option
from pakta.i18n import Np_, _


def words() -> batch.Words:
    return batch.Words(
        label=_("certifying"), done=_("certified {file}"),
        skipped=_("skipped {file} (already certified)"),
        totals=_("{done} certified, {skipped} skipped, {failed} failed"),
        left=Np_("interrupted: {done} certified, {failed} failed, {count} file not "
                 "certified yet; run the same command again to certify it",
                 "interrupted: {done} certified, {failed} failed, {count} files not "
                 "certified yet; run the same command again to certify them"),
        none_left=_("interrupted after the last file: {done} certified, {failed} failed; "
                    "no file is left to certify"))


@main.command(help=_(
    "The secretariat's certification signature on FILES (before anyone signs).\n\n"
    "Afterwards only form filling and signing are allowed (DocMDP level 2). Outputs are "
    "NAME-certified.pdf unless --out or --in-place."))
@batch.files_argument
@key_options
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), default=None,
              help=_("PAdES level (default: B-T with --tsa, else B-B)."))
@batch.tsa_option()
@trust_option
@batch.out_option
@batch.in_place_option
@batch.overwrite_option
@click.option("--any-pdf", is_flag=True, help=_("Certify PDFs that pakta did not render."))
@workspace_option
def certify(files: tuple[Path, ...], level: str | None, tsa_url: str | None,
            trust: tuple[Path, ...], out_dir: Path | None, in_place: bool, overwrite: bool,
            any_pdf: bool, workspace: Path | None, **key: Any) -> None:
    from pakta.ledger import Ledger
    from pakta.signing import SignSettings, sign_files

    batch.check_outputs(out_dir, in_place)
    ws = optional_workspace(workspace)
    settings = SignSettings(slot="", level=level or ("B-T" if tsa_url else "B-B"),
                            tsa_url=tsa_url, place=ws.event.place if ws else "Jakarta",
                            any_pdf=any_pdf, overwrite=overwrite,
                            trust=default_trust(ws, trust), certify=True)
    if tsa_url is not None:
        batch.check_service(tsa_url)
    with open_signer(**key) as (signer, _key_source):
        ledger = Ledger(ws.ledger) if ws else None
        try:
            batch.run(files, words(), lambda step: sign_files(
                list(files), signer, settings, ledger=ledger, out_dir=out_dir,
                in_place=in_place, progress=step))
        finally:
            if ledger is not None:
                ledger.close()
