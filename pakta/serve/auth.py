"""The admin password (a scrypt hash in the ledger), the session key, CSRF tokens and
the heads' invitation tokens (only their SHA-256 is kept)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from pakta.ledger import Ledger

PASSWORD_KEY = "admin_password"
SESSION_KEY = "session_key"
# scrypt with 64 MiB of memory: about 0.1 s a try.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 1
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, maxmem=128 * 2**20)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), maxmem=128 * 2**20,
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def session_key(ledger: Ledger) -> str:
    """The key signing session cookies: made once, kept in the ledger, so sessions
    outlive a restart."""
    key = ledger.setting(SESSION_KEY)
    if key is None:
        key = secrets.token_urlsafe(32)
        ledger.set_setting(SESSION_KEY, key)
    return key


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_invite(ledger: Ledger, region_code: str) -> str:
    """A new personal link token for a head; the head's earlier links stop working."""
    token = secrets.token_urlsafe(32)
    ledger.revoke_invites(region_code)
    ledger.add_invite(region_code, token_hash(token))
    return token


def csrf_token(session: dict[str, object]) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: dict[str, object], submitted: object) -> bool:
    expected = session.get("csrf")
    return (isinstance(expected, str) and isinstance(submitted, str)
            and hmac.compare_digest(expected, submitted))
