"""One signature or document timestamp: its ETSI EN 319 102-1 indication and its facts.

TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED with a sub-indication (HASH_FAILURE,
SIG_CRYPTO_FAILURE, REVOKED, REVOKED_NO_POE, EXPIRED, NOT_YET_VALID, OUT_OF_BOUNDS_NO_POE,
NO_CERTIFICATE_CHAIN_FOUND, CHAIN_CONSTRAINTS_FAILURE, TIMESTAMP_NOT_TRUSTED, TRY_LATER,
...), plus the PDF-specific SUSPICIOUS_MODIFICATION for a signed page changed afterwards.
Where pyHanko gives the sub-indication (`pyhanko.sign.validation.ades`, through the
status's `trust_problem_indic`) it is pyHanko's.

Fail closed: a certificate whose revocation status could not be established (no CRL or
OCSP response about it, offline) is INDETERMINATE / TRY_LATER, never TOTAL-PASSED,
unless the auditor accepted unchecked revocation for an offline audit
(`VerifySettings.accept_unchecked_revocation`).

When the certificate is no longer good now (expired, revoked) but a trusted signature
timestamp proves the signature existed before, the chain is validated again at the
timestamp's time (past signature validation, simplified).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pakta.keyusage import SIGNING_KEY_USAGE, key_usage_constraints, key_usage_ok
from pakta.ledger import sha256_hex
from pakta.verify.settings import Context
from pakta.verify.verdicts import (
    FAILED,
    FORM_FILLING,
    INDETERMINATE,
    LATER_SIGNATURES,
    NO_CHANGE,
    OTHER_CHANGE,
    PASSED,
    SignatureVerdict,
)

# Key usage a signer's certificate must allow, the same rule as signing: an approval
# signature (a head's, the witness's) needs nonRepudiation (a commitment, ETSI EN
# 319 412-2); the secretariat's certification signature may be digitalSignature.


MODIFICATIONS = {"NONE": NO_CHANGE, "LTA_UPDATES": LATER_SIGNATURES,
                 "FORM_FILLING": FORM_FILLING, "ANNOTATIONS": OTHER_CHANGE,
                 "OTHER": OTHER_CHANGE}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _modification(sig: Any, status: Any, later_revisions: set[int], total: int) -> str:
    level = status.modification_level
    if level is None:
        return OTHER_CHANGE
    kind = MODIFICATIONS.get(level.name, OTHER_CHANGE)
    if kind == FORM_FILLING and all(
            r in later_revisions for r in range(sig.signed_revision + 1, total)):
        # Our templates have no form fields but the signature slots: every later
        # revision is another signature (or document timestamp).
        kind = LATER_SIGNATURES
    return kind


def _page_of(sig: Any) -> int | None:
    try:  # the widget's /P against the page tree's kids, by object number
        kids = sig.reader.root["/Pages"]["/Kids"]
        ids = [kids.raw_get(i).idnum for i in range(len(kids))]
        return ids.index(sig.sig_field.raw_get("/P").idnum) + 1
    except Exception:
        pass
    try:  # otherwise: the page whose /Annots lists the widget
        ref = sig.sig_field.container_ref
        for number, page in enumerate(sig.reader.root["/Pages"]["/Kids"], 1):
            annots = page.get_object().get("/Annots")
            if annots is not None and any(
                    a.idnum == ref.idnum for a in (annots.raw_get(i)
                                                   for i in range(len(annots)))):
                return number
    except Exception:
        return None
    return None


def _cert_facts(cert: Any) -> dict[str, Any]:
    if cert is None:
        return dict(signer_name="?", signer_serial=None, cert_sha256="", issuer="",
                    key_usage_ok=False)
    subject = cert.subject.native
    return dict(signer_name=str(subject.get("common_name", "?")),
                signer_serial=subject.get("serial_number"),
                cert_sha256=sha256_hex(cert.dump()),
                issuer=str(cert.issuer.native.get("common_name", "")),
                key_usage_ok=key_usage_ok(cert))


def _validate(sig: Any, vc: Any) -> Any:
    """pyHanko's validation with the key usage rule signing applies (pakta.keyusage)."""
    from pyhanko.sign.validation import validate_pdf_signature

    return validate_pdf_signature(sig, vc, key_usage_settings=key_usage_constraints())


def _revinfo_covers(vc: Any, cert: Any) -> bool:
    """Whether the revocation data the validator had (given, from the DSS, or fetched)
    speaks about `cert`: a CRL of its issuer or an OCSP response for its serial."""
    try:
        issuer = cert.issuer.dump()
        if any(c["tbs_cert_list"]["issuer"].dump() == issuer for c in vc.crls):
            return True
        serial = cert.serial_number
        for response in vc.ocsps:
            basic = response["response_bytes"]["response"].parsed
            if any(single["cert_id"]["serial_number"].native == serial
                   for single in basic["tbs_response_data"]["responses"]):
                return True
    except Exception:
        return False
    return False


def signature(sig: Any, ctx: Context, dss: Any, reader: Any, later_revisions: set[int],
               last_doc_ts: int) -> SignatureVerdict:
    vc = ctx.validation_context(dss)
    certification = _docmdp(sig)
    status = _validate(sig, vc)
    revinfo_missing = False
    if not _sound(status) and not ctx.settings.accept_unchecked_revocation:
        # Failed with revocation required: is a missing revocation status the only
        # reason? Then it is INDETERMINATE (TRY_LATER), not a broken chain.
        relaxed = _validate(sig, ctx.validation_context(dss, soft=True))
        if _sound(relaxed):
            status, revinfo_missing = relaxed, True
    cert = status.signing_cert
    facts = _cert_facts(cert)
    total = reader.xrefs.total_revisions
    modification = _modification(sig, status, later_revisions, total)
    ts = status.timestamp_validity
    ts_ok = ts is not None and ts.intact and ts.valid and ts.trusted
    claimed = status.signer_reported_dt
    details: list[str] = []
    validated_at = status.validation_time
    revocation = status.revocation_details
    if not status.trusted and ts_ok and status.intact and status.valid and \
            not (revocation is not None and revocation.revocation_date <= ts.timestamp):
        # Past signature validation: the timestamp proves the signature existed then.
        past = _validate(sig, ctx.validation_context(dss, moment=ts.timestamp))
        if past.trusted:
            details.append(f"certificate not good now ({_problem(status)}); valid at the "
                           f"timestamp {ts.timestamp.isoformat()}")
            status, validated_at = past, past.validation_time
    validity = cert["tbs_certificate"]["validity"] if cert is not None else None
    not_after: Any = validity["not_after"].native if validity is not None else None
    not_before: Any = validity["not_before"].native if validity is not None else None
    problem = _problem(status)
    covered = cert is not None and _revinfo_covers(vc, cert)
    if revocation is not None:
        revocation_fact = "revoked"
    elif covered and not revinfo_missing:
        revocation_fact = "good"
    else:
        revocation_fact = "unknown"
    unchecked = revocation_fact == "unknown" and \
        not ctx.settings.accept_unchecked_revocation
    if not status.intact:
        indication, sub = FAILED, "HASH_FAILURE"
    elif not status.valid:
        indication, sub = FAILED, "SIG_CRYPTO_FAILURE"
    elif modification == OTHER_CHANGE or not status.docmdp_ok:
        indication, sub = FAILED, "SUSPICIOUS_MODIFICATION"
        details.append("the document was changed after this signature"
                       + ("" if status.docmdp_ok else " beyond what its certification "
                          "allows"))
    elif revocation is not None and not status.trusted:
        when = revocation.revocation_date
        proven = ts.timestamp if ts_ok else None
        if (proven or claimed) is not None and when <= (proven or claimed):
            indication, sub = FAILED, "REVOKED"
        else:
            indication, sub = INDETERMINATE, "REVOKED_NO_POE"
        details.append(f"certificate revoked on {when.isoformat()}"
                       + (" (a CA certificate)" if revocation.ca_revoked else ""))
    elif not status.trusted and cert is not None and problem in (
            "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED",
            "NOT_YET_VALID"):
        moment = ts.timestamp if ts_ok else None
        if moment is not None and moment > not_after:
            indication, sub = FAILED, "EXPIRED"
        elif moment is not None and moment < not_before:
            indication, sub = FAILED, "NOT_YET_VALID"
        else:
            indication, sub = INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"
        details.append(f"certificate valid {not_before.isoformat()} to "
                       f"{not_after.isoformat()}")
    elif not status.trusted:
        indication, sub = INDETERMINATE, problem or "NO_CERTIFICATE_CHAIN_FOUND"
        if not facts["key_usage_ok"]:
            sub = "CHAIN_CONSTRAINTS_FAILURE"
            details.append("the certificate is not for signing (key usage "
                           + " or ".join(sorted(SIGNING_KEY_USAGE)) + " missing)")
    elif ts is not None and not ts_ok:
        indication, sub = INDETERMINATE, "TIMESTAMP_NOT_TRUSTED"
    elif not status.bottom_line:
        indication, sub = INDETERMINATE, "GENERIC"
    elif unchecked:  # fail closed: a certificate nobody could check for revocation
        # Data about it that is too old or too new for the validation time: out of
        # bounds; none at all: try later (with a CRL, --online or B-LT).
        indication = INDETERMINATE
        sub = "REVOCATION_OUT_OF_BOUNDS_NO_POE" if covered else "TRY_LATER"
    else:
        indication, sub = PASSED, None
    if unchecked:
        details.append("the certificate's revocation status could not be established")
    has_revinfo = dss is not None and bool(dss.ocsps or dss.crls)
    level = "B-B"
    if ts is not None:
        level = "B-T"
        if has_revinfo:
            level = "B-LT"
            if last_doc_ts > sig.signed_revision:
                level = "B-LTA"
    return SignatureVerdict(
        field=str(sig.field_name), page=_page_of(sig), indication=indication,
        sub_indication=sub, intact=bool(status.intact), valid=bool(status.valid),
        trusted=bool(status.trusted), signing_time=_iso(claimed),
        timestamp=_iso(ts.timestamp) if ts is not None else None,
        timestamp_trusted=bool(ts_ok) if ts is not None else None,
        revoked=revocation is not None, level=level,
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        modification=modification,
        covered_bytes=int(sig.byte_range[-2]) + int(sig.byte_range[-1]),
        revocation=revocation_fact,
        revocation_date=_iso(revocation.revocation_date) if revocation else None,
        validated_at=_iso(validated_at), details=tuple(details),
        certification=certification, **facts)


def _sound(status: Any) -> bool:
    """The chain (and the signature timestamp's, if any) validated."""
    ts = status.timestamp_validity
    return bool(status.trusted) and (ts is None or bool(ts.trusted))


def _docmdp(sig: Any) -> str | None:
    """The DocMDP permission when `sig` is a certification signature (a /Reference with
    the DocMDP transform; field locks of approval signatures do not count)."""
    from pyhanko.sign.fields import MDPPerm

    try:
        for ref in sig.sig_object.get("/Reference", ()):
            ref = ref.get_object()
            if ref.get("/TransformMethod") == "/DocMDP":
                params = ref.get("/TransformParams")
                return MDPPerm(int(params.get("/P", 2) if params else 2)).name
    except Exception:
        return "UNREADABLE"
    return None


def _problem(status: Any) -> str | None:
    problem = status.trust_problem_indic
    return str(getattr(problem, "name", problem)) if problem is not None else None


def doc_timestamp(ts: Any, ctx: Context, dss: Any, reader: Any,
                   later_revisions: set[int]) -> SignatureVerdict:
    from pyhanko.sign.validation import validate_pdf_timestamp

    status = validate_pdf_timestamp(ts, validation_context=ctx.validation_context(dss))
    revinfo_missing = False
    if not status.trusted and not ctx.settings.accept_unchecked_revocation:
        relaxed = validate_pdf_timestamp(
            ts, validation_context=ctx.validation_context(dss, soft=True))
        if relaxed.trusted:
            status, revinfo_missing = relaxed, True
    facts = _cert_facts(status.signing_cert)
    modification = _modification(ts, status, later_revisions,
                                 reader.xrefs.total_revisions)
    if not status.intact:
        indication, sub = FAILED, "HASH_FAILURE"
    elif not status.valid:
        indication, sub = FAILED, "SIG_CRYPTO_FAILURE"
    elif modification == OTHER_CHANGE:
        indication, sub = FAILED, "SUSPICIOUS_MODIFICATION"
    elif not status.trusted:
        indication, sub = INDETERMINATE, _problem(status) or "NO_CERTIFICATE_CHAIN_FOUND"
    elif revinfo_missing:  # fail closed, as for signatures
        indication, sub = INDETERMINATE, "TRY_LATER"
    else:
        indication, sub = PASSED, None
    return SignatureVerdict(
        field=str(ts.field_name), page=None, indication=indication, sub_indication=sub,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        signing_time=None, timestamp=_iso(status.timestamp), timestamp_trusted=None,
        revoked=False, level="B-LTA",
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        modification=modification,
        covered_bytes=int(ts.byte_range[-2]) + int(ts.byte_range[-1]),
        kind="document-timestamp", validated_at=_iso(status.validation_time),
        **{**facts, "key_usage_ok": True})

