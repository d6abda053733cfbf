"""The RFC 3161 client: pyHanko's HTTPTimeStamper (aiohttp) on the batch's session, with
the reply size capped and failures named after the service.

The session comes from the batch (`Services.session`): proxies from the environment
(HTTP_PROXY / HTTPS_PROXY, `trust_env`), and authentication headers or basic auth as
pyHanko's timestamper takes them.
"""

from __future__ import annotations

from typing import Any

from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

# A timestamp reply is a few kilobytes (the token and the TSA's chain); a service that
# sends more is not answering a timestamp request.
MAX_REPLY = 256 * 1024


class TimestampError(TimestampRequestError):
    """The service could not be reached, refused, or answered something else."""


class CappedTimeStamper(HTTPTimeStamper):
    """pyHanko's HTTP timestamper reading at most `max_reply` bytes of an answer."""

    def __init__(self, url: str, session: Any, *, timeout: float = 30,
                 headers: dict[str, str] | None = None, auth: Any = None,
                 max_reply: int = MAX_REPLY) -> None:
        super().__init__(url, timeout=timeout, headers=headers, auth=auth, session=session)
        self.http = session
        self.max_reply = max_reply

    async def async_request_tsa_response(self, req: Any) -> Any:
        import aiohttp
        from asn1crypto import tsp

        headers = await self.async_request_headers()
        try:
            async with self.http.post(
                    self.url, headers=headers, data=req.dump(), auth=self.auth,
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status != 200:
                    raise TimestampError(f"the timestamp service {self.url} answered "
                                         f"HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(16384):
                    body += chunk
                    if len(body) > self.max_reply:
                        raise TimestampError(f"the timestamp service {self.url} answered "
                                             f"more than {self.max_reply} bytes")
        except TimestampError:
            raise  # (pyHanko's timestamp errors are OSErrors)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise TimestampError(f"cannot reach the timestamp service {self.url} "
                                 f"({type(exc).__name__})") from exc
        try:
            reply = tsp.TimeStampResp.load(bytes(body))
            reply["status"].native  # noqa: B018 (decode now: not DER is refused here)
        except Exception as exc:
            raise TimestampError(f"the timestamp service {self.url}'s answer is not a "
                                 f"timestamp ({type(exc).__name__})") from exc
        return reply
