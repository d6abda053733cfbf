"""What a verification needs, built once per batch (`VerifySettings`, picklable) and once
per process (`Context`: the trust manager and revocation data)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pakta.errors import InputError
from pakta.ledger import Ledger
from pakta.roster import RegionHead
from pakta.verify.issued import Identity, Key, LedgerIndex

MAX_FILE_BYTES = 50 * 2**20  # a pact is ~100 KB; anything this large is not one
TIME_LIMIT_S = 30.0  # per file; a pact takes tens of milliseconds


@dataclass(frozen=True)
class VerifySettings:
    """Everything a worker needs, picklable: built once per batch."""

    trust_roots: tuple[bytes, ...]  # DER certificates
    # The ledger of issued documents. Only the batch's client reads it (workers are sent
    # each file's claim: pakta.verify.issued), and a verification in one process.
    ledger: Path | None = None
    heads: tuple[RegionHead, ...] = ()
    witness_name: str | None = None
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)  # template -> slots
    crls: tuple[bytes, ...] = ()  # revocation lists given on the command line (DER)
    # template -> the field of the secretariat's certification signature, if any
    certification_slots: dict[str, str] = field(default_factory=dict)
    online: bool = False  # let the validator fetch CRLs / OCSP responses
    # An offline audit without revocation data: a signature whose certificate's
    # revocation status is not established passes all the same (the report says so).
    # Otherwise it is INDETERMINATE (fail closed).
    accept_unchecked_revocation: bool = False
    time_limit: float = TIME_LIMIT_S
    max_bytes: int = MAX_FILE_BYTES
    # No ledger (an auditor with only the files): a file's verdict is its signatures'.
    signatures_only: bool = False
    # A folder was verified, not files one by one: issued documents not among the files
    # are reported missing.
    whole_batch: bool = True


def template_slots(template: str, template_dir: Path | None = None) -> tuple[str, ...]:
    """The signature slots a template requires (its signature fields), in the signing
    order of its signature profile (head first, then the witness).

    A template that cannot be read is an error (raised), never a default set of slots.
    """
    from pakta.profiles import load_profile
    from pakta.render.templating import template_slots as declared_slots

    slots = tuple(declared_slots(template, template_dir))
    order = load_profile(template).slot_order
    rank = {slot: i for i, slot in enumerate(order)}
    return tuple(sorted(slots, key=lambda s: rank.get(s, len(rank))))


def certification_slot(template: str) -> str | None:
    """The field of the secretariat's certification signature in the template's signing
    profile (signed first, before every slot), if the profile has one."""
    from pakta.profiles import load_profile

    certification = load_profile(template).certification
    return certification.slot if certification is not None else None


def load_trust_roots(paths: Sequence[Path]) -> tuple[bytes, ...]:
    from asn1crypto import pem

    roots = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read the trust root ({exc.strerror})",
                             hint="give the root certificate with --trust ROOT.pem"
                             ) from exc
        blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        if not blocks:
            raise InputError(f"{path}: no certificate in the trust root file")
        roots.extend(blocks)
    from asn1crypto import x509

    for der in roots:
        try:
            x509.Certificate.load(der).native  # noqa: B018 (parse it all now)
        except Exception as exc:
            raise InputError("a trust root is not an X.509 certificate (PEM or DER)") \
                from exc
    return tuple(roots)


def load_crls(paths: Sequence[Path]) -> tuple[bytes, ...]:
    from asn1crypto import crl, pem

    out = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read the CRL ({exc.strerror})") from exc
        blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        for der in blocks:
            try:
                crl.CertificateList.load(der).native  # noqa: B018
            except Exception as exc:
                raise InputError(f"{path}: not a certificate revocation list") from exc
            out.append(der)
    return tuple(out)



@dataclass
class Context:
    settings: VerifySettings
    roots: list[Any]
    crls: list[Any]
    trust_manager: Any
    heads: dict[str, RegionHead]
    _index: LedgerIndex | None = None

    def identity(self, path: Path, key: Key) -> Identity:
        """Which issued document the file is, asked of the ledger (read-only, opened on
        first use): for a verification in this process, not a batch's worker."""
        if self.settings.ledger is None:
            return Identity(None, None)
        if self._index is None:
            self._index = LedgerIndex(self.settings.ledger)
        return self._index.identity(path, key)

    def validation_context(self, dss: Any = None, moment: datetime | None = None, *,
                           soft: bool = False) -> Any:
        """`soft`: revocation checked where data is found, not required (the second
        look that tells a missing revocation status from other failures)."""
        from pyhanko_certvalidator import ValidationContext

        kwargs: dict[str, Any] = dict(
            trust_manager=self.trust_manager, crls=list(self.crls),
            allow_fetching=self.settings.online,
            # hard-fail: a certificate whose revocation status cannot be established
            # does not validate; soft-fail only when the auditor accepted that.
            revocation_mode="soft-fail" if soft or self.settings.accept_unchecked_revocation
            else "hard-fail")
        if moment is not None:
            kwargs.update(moment=moment, retroactive_revinfo=True)
        if dss is not None:
            return dss.as_validation_context(kwargs)
        return ValidationContext(**kwargs)


_current: Context | None = None


def context_for(settings: VerifySettings | None) -> Context:
    """This process's set-up for `settings`: built on first use and again when other
    settings are given; `None` means the one already built."""
    global _current
    if settings is not None and (_current is None or _current.settings is not settings):
        _current = setup(settings)
    if _current is None:
        raise RuntimeError("the first verification in a process needs its settings")
    return _current


def use_context(ctx: Context) -> None:
    """Make `ctx` the set-up later calls without settings use (a batch's workers)."""
    global _current
    _current = ctx


def setup(settings: VerifySettings) -> Context:
    """Per process: the trust manager, revocation data and lookup tables, built once."""
    from asn1crypto import crl, x509
    from pyhanko_certvalidator.registry import SimpleTrustManager

    roots = [x509.Certificate.load(der) for der in settings.trust_roots]
    crls = [crl.CertificateList.load(der) for der in settings.crls]
    return Context(
        settings=settings, roots=roots, crls=crls,
        trust_manager=SimpleTrustManager.build(trust_roots=roots),
        heads={h.code: h for h in settings.heads})



def collect_pdfs(paths: Iterable[Path]) -> list[Path]:
    """Files as given and every *.pdf under the folders given, each once, in order.
    No file at all is bad input: "0 PDF files found (N other files skipped)"."""
    from pakta.i18n import _, ngettext

    files: list[Path] = []
    seen: set[Path] = set()
    skipped = 0
    paths = list(paths)
    for path in paths:
        if path.is_dir():
            everything = [p for p in path.rglob("*") if p.is_file()]
            found = sorted(p for p in everything if p.suffix.lower() == ".pdf")
            skipped += len(everything) - len(found)
        elif path.exists():
            found = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                files.append(item)
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise InputError(ngettext("{where}: 0 PDF files found ({count} other file skipped)",
                                  "{where}: 0 PDF files found ({count} other files skipped)",
                                  skipped).format(where=where, count=skipped),
                         hint=_("give a folder of signed PDFs, or the PDF files themselves"))
    return files


def workspace_crls(pki_dir: Path) -> list[Path]:
    """The revocation lists kept in a workspace (pki/crls/*.crl: the CAs' CRLs as
    downloaded before an offline audit), used by default as pki/root.pem is."""
    return sorted((pki_dir / "crls").glob("*.crl"))


def make_settings(trust: Sequence[Path], ledger: Ledger | None,
                  heads: Sequence[RegionHead], witness_name: str | None,
                  template_dir: Path | None = None,
                  crls: Sequence[Path] = (), *, online: bool = False,
                  time_limit: float = TIME_LIMIT_S,
                  accept_unchecked_revocation: bool = False,
                  paths: Sequence[Path] | None = None) -> VerifySettings:
    """Load everything a batch needs once: trust roots, CRLs, issued documents, slots.

    Without a ledger each file is judged by its signatures alone (the roster has nothing
    to match). Issued documents missing from the files are reported only when a folder
    is among `paths` (a whole batch), not for files named one by one."""
    if ledger is None:
        heads = ()
    templates = ledger.templates() if ledger else []
    slots = {t: template_slots(t, template_dir) for t in templates}
    certification = {t: c for t in templates if (c := certification_slot(t))}
    return VerifySettings(load_trust_roots(trust), ledger.path if ledger else None,
                          tuple(heads), witness_name, slots,
                          load_crls(crls), certification_slots=certification,
                          online=online, time_limit=time_limit,
                          accept_unchecked_revocation=accept_unchecked_revocation,
                          signatures_only=ledger is None,
                          whole_batch=paths is None or any(p.is_dir() for p in paths))

