"""pakta sign: sign files in one slot with one key, the signer checked against the
slot's person."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pakta.cli import batch, main
from pakta.cli.keys import key_options, open_signer
from pakta.cli.options import (
    default_trust,
    executor_address,
    executor_option,
    open_batch_executor,
    optional_workspace,
    trust_option,
    workspace_option,
)
from pakta.i18n import Np_, _

if TYPE_CHECKING:
    from pakta.config import Workspace
    from pakta.identity import IdentityCheck


def words() -> batch.Words:
    return batch.Words(
        label=_("signing"), done=_("signed {file}"),
        skipped=_("skipped {file} (already signed)"),
        totals=_("{done} signed, {skipped} skipped, {failed} failed"),
        left=Np_("interrupted: {done} signed, {failed} failed, {count} file not signed "
                 "yet; run the same command again to sign it",
                 "interrupted: {done} signed, {failed} failed, {count} files not signed "
                 "yet; run the same command again to sign them"),
        none_left=_("interrupted after the last file: {done} signed, {failed} failed; "
                    "no file is left to sign"))


def identity_check(ws: Workspace | None, signer: Any, delegated: bool) -> IdentityCheck:
    """The signer's certificate subject, the roster's heads (names with NIK / NIP) and
    the configured witness, for pakta.identity to match each slot against."""
    from pakta.errors import InputError
    from pakta.identity import IdentityCheck, certificate_subject, person
    from pakta.roster import load_roster

    heads = {}
    if ws is not None and ws.roster.exists():
        try:
            heads = {h.code: person(h.full_name, h.nik, h.nip) for h in load_roster(ws.roster)}
        except InputError:
            heads = {}  # the ledger's names are still checked; the roster is not ours here
    return IdentityCheck(signer=certificate_subject(signer.signing_cert), heads=heads,
                         witness=person(ws.witness.name) if ws else None,
                         delegated=delegated)


@main.command(help=_(
    "Sign FILES in SLOT with one key: PAdES, visible stamp, optional timestamp.\n\n"
    "Outputs are NAME-signed.pdf beside each input, or in --out DIR, or the input itself "
    "with --in-place; always written atomically, never over an existing file unless "
    "--overwrite. A file that fails is reported at the end; the others are signed. The "
    "certificate must be the slot's person (the head on the roster, or the witness in "
    "pakta.toml) unless --delegated-signer."))
@batch.files_argument
@click.option("--slot", required=True,
              help=_("Signature slot, e.g. kepala_daerah or saksi."))
@key_options
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]),
              help=_("PAdES baseline level (default: the profile's level when --tsa is "
                     "given, else B-B)."))
@batch.tsa_option()
@trust_option
@batch.out_option
@batch.in_place_option
@batch.overwrite_option
@click.option("--any-pdf", is_flag=True, help=_("Sign PDFs that pakta did not render."))
@click.option("--title", help=_("Signer's title for the stamp (default: from the ledger)."))
@click.option("--delegated-signer", is_flag=True,
              help=_("Sign although the certificate is not the slot's person: a delegate "
                     "signing on their behalf (the stamp says 'a.n.' and the ledger "
                     "records for whom)."))
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help=_("Worker processes for a key file [default: one per core]. A token "
                     "signs in one process; timestamp requests overlap either way."))
@executor_option
@click.option("--ship-key-to-workers", is_flag=True,
              help=_("With a Dask executor: send the key file and its passphrase to every "
                     "Dask worker, over the network and into each worker's memory. Only "
                     "on a cluster you trust as much as this machine."))
@workspace_option
def sign(files: tuple[Path, ...], slot: str, level: str | None, tsa_url: str | None,
         trust: tuple[Path, ...], out_dir: Path | None, in_place: bool, overwrite: bool,
         any_pdf: bool, title: str | None, delegated_signer: bool, jobs: int | None,
         executor: str | None, ship_key_to_workers: bool, workspace: Path | None,
         **key: Any) -> None:
    from pakta.ledger import Ledger
    from pakta.signing import SignSettings, sign_files

    batch.check_outputs(out_dir, in_place)
    ws = optional_workspace(workspace)
    address = executor_address(ws, executor)
    remote = address not in (None, "local")
    if remote:  # before any key or passphrase is read
        check_remote_signing(address, key, ship_key_to_workers)
    settings = SignSettings(slot=slot, level=level, tsa_url=tsa_url,
                            place=ws.event.place if ws else "Jakarta", signer_title=title,
                            any_pdf=any_pdf, overwrite=overwrite,
                            trust=default_trust(ws, trust))
    if tsa_url is not None:
        batch.check_service(tsa_url)
    elif level is None:
        click.echo(_("note: no --tsa, signing at PAdES B-B (no trusted time)"), err=True)
    if ws is None and not any_pdf:
        click.echo(_("warning: no workspace, so no ledger to check the documents against"),
                   err=True)
    with open_signer(**key) as (signer, key_source):
        settings = dataclasses.replace(
            settings, identity=identity_check(ws, signer, delegated_signer))
        ledger = Ledger(ws.ledger) if ws else None
        try:
            if remote:
                with open_batch_executor(ws, address, jobs) as pool:
                    batch.run(files, words(), lambda step: sign_remotely(
                        files, key_source, settings, ledger, out_dir, in_place,
                        ws.witness.title if ws else None, pool, step))
            else:
                batch.run(files, words(), lambda step: sign_files(
                    list(files), signer, settings, ledger=ledger, out_dir=out_dir,
                    in_place=in_place, witness_title=ws.witness.title if ws else None,
                    progress=step, jobs=jobs or os.cpu_count() or 1,
                    key_source=key_source))
        finally:
            if ledger is not None:
                ledger.close()


def check_remote_signing(address: str | None, key: dict[str, Any], ship: bool) -> None:
    """Signing on Dask sends the key to every worker: only when the user says so, and
    only a key file (a token's session stays on this machine)."""
    from pakta.errors import UsageError

    if key.get("pkcs11_module") is not None:
        raise UsageError(_("{address}: signing with a PKCS#11 token runs on this machine "
                           "only; leave out --executor (or pass --executor local)").format(
                               address=address))
    if not ship:
        raise UsageError(
            _("{address}: refusing to sign on Dask workers with a key file: the key and "
              "its passphrase would be sent to every worker. Sign on this machine "
              "(--executor local), or pass --ship-key-to-workers if the cluster is as "
              "trusted as this machine").format(address=address))


def sign_remotely(files: tuple[Path, ...], key_source: Any, settings: Any, ledger: Any,
                  out_dir: Path | None, in_place: bool, witness_title: str | None,
                  pool: Any, step: Any) -> Any:
    from pakta.sign.batch import BatchPlan, flush_to_disk
    from pakta.sign.remote import ShippedKey, sign_on_executor

    plan = BatchPlan(settings, ledger.path if ledger else None, out_dir, in_place,
                     witness_title)
    record = ledger.record_signatures if ledger is not None else (lambda rows: None)
    try:
        return sign_on_executor(list(files), plan, ShippedKey.of(key_source), pool,
                                record, step)
    finally:
        flush_to_disk()  # this machine's view of the shared folder
