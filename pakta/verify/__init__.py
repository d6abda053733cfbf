"""Verification: per signature, per document and per batch, against roster and ledger.

The pipeline, one module per step:

- `settings`: what a batch needs (`VerifySettings`, `make_settings`: trust roots, CRLs,
  the ledger's issued documents, each template's slots) and each process's set-up.
- `documents`: one file (`verify_file`, `verify_data`): which issued document it is,
  one reading of its structure (`ambiguity`), what was signed (`structure`), its
  signatures (`signatures`), slots and signers. Never raises for a bad file.
- `signatures`: one signature's ETSI EN 319 102-1 indication, failing closed on
  revocation that could not be checked.
- `batch`: many files through the executor (pakta.batch), summed up by a `Tally`.
- `limits` and `watchdog`: per-file time and memory limits, set only in worker
  processes, never on a library caller's process.
- `verdicts`: the frozen result dataclasses.

Verification is offline by default: the trust roots given, the revocation data given on
the command line (CRLs) and what the file carries (its DSS) are all that is used;
`online=True` lets the validator fetch CRLs and OCSP responses.
"""

from pakta.verify.batch import IN_FLIGHT_PER_WORKER, Tally, iter_verdicts, summarise, verify_paths
from pakta.verify.documents import verify_data, verify_file
from pakta.verify.settings import (
    MAX_FILE_BYTES,
    TIME_LIMIT_S,
    VerifySettings,
    certification_slot,
    collect_pdfs,
    load_crls,
    load_trust_roots,
    make_settings,
    template_slots,
    workspace_crls,
)
from pakta.verify.verdicts import (
    COMPLETE,
    ERROR,
    FAILED,
    FORM_FILLING,
    INCOMPLETE,
    INDETERMINATE,
    INVALID,
    LATER_SIGNATURES,
    NO_CHANGE,
    OTHER_CHANGE,
    PASSED,
    STATUSES,
    UNKNOWN,
    BatchVerdict,
    DocumentVerdict,
    SignatureVerdict,
)

__all__ = [
    "COMPLETE", "ERROR", "FAILED", "FORM_FILLING", "INCOMPLETE", "INDETERMINATE",
    "IN_FLIGHT_PER_WORKER", "INVALID", "LATER_SIGNATURES", "MAX_FILE_BYTES", "NO_CHANGE",
    "OTHER_CHANGE", "PASSED", "STATUSES", "TIME_LIMIT_S", "UNKNOWN", "BatchVerdict",
    "DocumentVerdict", "SignatureVerdict", "Tally", "VerifySettings", "certification_slot",
    "collect_pdfs", "iter_verdicts", "load_crls", "load_trust_roots", "make_settings",
    "summarise", "template_slots", "verify_data", "verify_file", "verify_paths",
    "workspace_crls",
]
