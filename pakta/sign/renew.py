"""Renewing the archive timestamp chain of B-LTA files: validation data for the last
document timestamp goes into the DSS, then a new document timestamp (in a new field with
an appearance, `add_timestamp_field`) covers it all. The steps of pyHanko's
`async_update_archival_timestamp_chain`, through its public API, with Info and XMP kept
in step (`align_metadata`).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from pakta.errors import SigningRefused
from pakta.i18n import _
from pakta.sign.backends import load_certificates
from pakta.sign.batch import flush_to_disk, run_batch, write_atomically
from pakta.sign.engine import (
    TIMESTAMP_RESERVED,
    add_timestamp_field,
    align_metadata,
)
from pakta.sign.model import SignOutcome, SignSummary
from pakta.sign.prepare import output_path, read_pdf
from pakta.sign.services import Services


async def renew_one(source: Path, data: bytes, reader: object, services: Services) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.validation import DocumentSecurityStore, async_validate_pdf_timestamp

    last = reader.embedded_timestamp_signatures[-1]  # type: ignore[attr-defined]
    context = services.validation_context
    status = await async_validate_pdf_timestamp(last, validation_context=context)
    if not (status.intact and status.valid and status.trusted):
        raise SigningRefused(_("{source}: the last archive timestamp does not validate "
                               "({summary})").format(source=source, summary=status.summary()))
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    DocumentSecurityStore.supply_dss_in_writer(
        writer, last.pkcs7_content, paths=(status.validation_path,),
        validation_context=context)
    name = add_timestamp_field(writer, reader)
    align_metadata(writer)
    out = io.BytesIO()
    await PdfTimeStamper(services.timestamper, field_name=name).async_timestamp_pdf(
        writer, status.md_algorithm, context, bytes_reserved=TIMESTAMP_RESERVED,
        output=out)
    return out.getvalue()


def renew_timestamps(
    sources: Sequence[Path], tsa_url: str, trust: Sequence[Path], *,
    out_dir: Path | None = None, in_place: bool = False, overwrite: bool = False,
    progress: Callable[[SignOutcome], None] | None = None,
) -> SignSummary:
    """Extend the archive timestamp chain of B-LTA files."""
    roots = load_certificates(trust)
    if not roots:
        raise SigningRefused(_("renewing a timestamp needs the trust root (--trust ROOT.pem)"))

    async def job(source: Path, services: Services) -> SignOutcome:
        output = output_path(source, out_dir, in_place, "-renewed")
        data, reader = read_pdf(source)
        if not reader.embedded_timestamp_signatures:
            raise SigningRefused(_("{source}: no archive timestamp to renew (sign at B-LTA "
                                   "first)").format(source=source))
        if output.exists() and output != source and not overwrite:
            raise SigningRefused(_("{output}: exists; pass --overwrite to replace it").format(
                                     output=output))
        write_atomically(output, await renew_one(source, data, reader, services))
        return SignOutcome(source, output)

    try:
        async def run() -> SignSummary:
            return await run_batch(sources, Services(tsa_url, roots), job, progress)

        return asyncio.run(run())
    finally:
        flush_to_disk()
