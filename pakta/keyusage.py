"""The key usage a signer's certificate needs, the same rule when signing and verifying.

ETSI EN 319 142-1 / EN 319 412-2: a certificate for signatures that commit its holder
(an approval, a certification) carries nonRepudiation (contentCommitment). A certificate
with digitalSignature only is for authentication, not for signing a pact. A certificate
without a keyUsage extension is not restricted (RFC 5280 4.2.1.3), as pyHanko's
`KeyUsageConstraints` reads it.
"""

from __future__ import annotations

from typing import Any

SIGNING_KEY_USAGE = frozenset({"non_repudiation"})


def key_usage_ok(cert: Any) -> bool:
    """Whether an asn1crypto certificate may make a committing signature."""
    usage = cert.key_usage_value
    return usage is None or bool(set(usage.native) & SIGNING_KEY_USAGE)


def key_usage_constraints() -> Any:
    """The same rule for pyHanko's signer and validator."""
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    return KeyUsageConstraints(key_usage=set(SIGNING_KEY_USAGE))
