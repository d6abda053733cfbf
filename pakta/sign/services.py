"""What a signing batch shares, each made when first needed: one aiohttp session (proxies
from the environment), the timestamper on it, and one validation context, so revocation
data is fetched once per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Per process: files between reading and writing, each with at most one request out to
# the services. The event loop reads a reply only between two files' CPU work, so the
# window must hold what a worker does while a reply waits its turn.
FILES_IN_FLIGHT = 256


class Services:
    def __init__(self, tsa_url: str | None, roots: Sequence[Any] = (),
                 others: Sequence[Any] = ()) -> None:
        self.tsa_url = tsa_url
        self.roots = list(roots)
        self.others = list(others)
        self._session: Any = None
        self._timestamper: Any = None
        self._validation_context: Any = None

    @property
    def session(self) -> Any:
        if self._session is None:
            import aiohttp

            # No file waits for a connection (aiohttp's default is 100).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=FILES_IN_FLIGHT), trust_env=True)
        return self._session

    @property
    def timestamper(self) -> Any:
        if self._timestamper is None and self.tsa_url:
            from pakta.sign.timestamper import CappedTimeStamper

            self._timestamper = CappedTimeStamper(self.tsa_url, self.session, timeout=30)
        return self._timestamper

    @property
    def validation_context(self) -> Any:
        if self._validation_context is None and self.roots:
            self._validation_context = long_term_context(self.roots, self.session,
                                                         self.others)
        return self._validation_context

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def long_term_context(roots: Sequence[Any], session: Any, others: Sequence[Any] = ()) -> Any:
    """Validation for B-LT / B-LTA: fetch OCSP / CRLs over the batch's session, and
    require them (a signature that cannot be validated later is not B-LT). `others`
    (the signer's chain) lets the validator check who issued a CRL."""
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    return ValidationContext(trust_roots=list(roots), other_certs=list(others),
                             allow_fetching=True, revocation_mode="require",
                             fetcher_backend=AIOHttpFetcherBackend(session,
                                                                   per_request_timeout=30))
