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

from pakta.i18n import _

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
                    raise TimestampError(_("the timestamp service {url} answered HTTP "
                                           "{status}").format(url=self.url,
                                                              status=response.status))
                body = bytearray()
                async for chunk in response.content.iter_chunked(16384):
                    body += chunk
                    if len(body) > self.max_reply:
                        raise TimestampError(_("the timestamp service {url} answered more "
                                               "than {limit} bytes").format(
                                                 url=self.url, limit=self.max_reply))
        except TimestampError:
            raise  # (pyHanko's timestamp errors are OSErrors)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise TimestampError(_("cannot reach the timestamp service {url} ({kind})").format(
                                     url=self.url, kind=type(exc).__name__)) from exc
        try:
            reply = tsp.TimeStampResp.load(bytes(body))
            reply["status"].native  # noqa: B018 (decode now: not DER is refused here)
        except Exception as exc:
            raise TimestampError(_("the timestamp service {url}'s answer is not a "
                                   "timestamp ({kind})").format(
                                     url=self.url, kind=type(exc).__name__)) from exc
        return reply
