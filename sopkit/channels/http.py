"""One place that decides what an HTTP failure means for a publish: retry, give up, or "ask a human".

The three answers matter more than the details. Retrying something that may already be on the page is how peer
schedulers posted duplicates, so the rule here is strict:

* :class:`~sopkit.retry.TransientError` only when we know nothing was applied: the connection never opened, the
  server said "slow down" (429, Graph rate-limit codes, Telegram ``retry_after``: throttled requests are refused,
  developers.facebook.com/docs/graph-api/overview/rate-limiting), or a request with no visible effect failed.
* :class:`~sopkit.channels.base.PermanentError` when a retry cannot help (400/401/403, expired token).
* :class:`~sopkit.channels.base.OutcomeUnknown` when a request that creates something went out and no clear "no"
  came back: a read timeout, a connection dropped mid-answer, **and a 5xx or Graph code 1/2**. Graph's
  "An unexpected error has occurred" (code 2, HTTP 500) often comes back after the photo was made: koala #699
  (seven identical photos from a retried upload), php-graph-sdk #1141 and koala #397 report the same. Telegram's
  5xx on sendMessage/sendPhoto is the same case, and the Bot API cannot be searched afterwards. So a create is
  retried only when the channel can look the post up first (WordPress, by slug), never blindly.

``idempotent`` is the caller's word for "this request changes nothing visible" (a GET, an Instagram container,
which stays invisible until ``media_publish``): only then is a 5xx merely transient.

Every text here goes through :mod:`sopkit.i18n` (Indonesian by default): they end in the item's channel result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests
import urllib3.exceptions

from sopkit.channels import deadline
from sopkit.channels.base import OutcomeUnknown, PermanentError, as_dict
from sopkit.i18n import t
from sopkit.redact import errors_within, redact, redact_exception
from sopkit.retry import Backoff, TransientError, parse_retry_after

Timeout = tuple[float, float]  # (connect, read) seconds, as requests takes them
Sleep = Callable[[float], None]
OnRetry = Callable[[int, float, TransientError], None]
DEFAULT_BACKOFF = Backoff()

# Graph API codes (developers.facebook.com/docs/graph-api/guides/error-handling, .../overview/rate-limiting):
# 4 app, 17 user, 32 page, 341 application limit, 613 custom, 80001-80014 business-use-case rate limits.
GRAPH_RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
GRAPH_SERVER_CODES = frozenset({1, 2})  # "API Unknown" / "API Service": "temporary issue due to downtime"
GRAPH_TOKEN_CODES = frozenset({190, 102})  # OAuthException / API Session: see the subcode
GRAPH_PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
#: Authentication subcodes and what actually fixes each ("Authentication Error Subcodes" in the guide above):
#: a checkpointed user (459) needs to log in on facebook.com, not a new token; 492 means the token's user lost
#: their role on the Page, which a new token from the same user does not fix.
GRAPH_TOKEN_ADVICE = {458: "app_removed", 459: "checkpoint", 460: "password_changed", 463: "expired",
                      464: "unconfirmed", 467: "expired", 492: "page_role"}


class TokenRejected(PermanentError):
    """The credential itself is unusable (expired, revoked, its user checkpointed): the fix is not in the post."""


@contextlib.contextmanager
def redacting(secrets: Iterable[str]) -> Iterator[None]:
    """Every error leaving the block has its messages redacted (``sopkit.redact``), whatever raised it: tokens
    travel in URLs (Telegram) and query strings (Graph GETs), and error messages end up in logs and on screen."""
    try:
        yield
    except Exception as e:
        redact_exception(e, secrets)
        raise


def _never_sent(exc: BaseException) -> bool:
    """True when the failure happened while opening the connection, so the server cannot have seen anything."""
    refused = urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    return any(isinstance(e, refused) for e in errors_within(exc))


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    timeout: Timeout,
    idempotent: bool,
    secrets: Iterable[str] = (),
    **kwargs: Any,
) -> requests.Response:
    """Do one request and translate transport failures; ``what`` names the step for people ("posting foto")."""
    secrets = tuple(secrets)
    try:  # bounded by a wall-clock deadline and the publish job's claim (``deadline``): ClaimLost passes through
        return deadline.request(session, method, url, timeout=timeout, idempotent=idempotent, **kwargs)
    except requests.exceptions.ConnectTimeout as e:
        raise TransientError(t("http.connect_timeout", what=what)) from e
    except requests.exceptions.ReadTimeout as e:
        if idempotent:
            raise TransientError(t("http.no_answer", what=what)) from e
        seconds = getattr(e, "seconds", timeout[1])  # the deadline's own when it cut the read short
        raise OutcomeUnknown(t("http.sent_no_answer", what=what, seconds=f"{seconds:g}")) from e
    except requests.exceptions.SSLError as e:
        raise TransientError(t("http.tls", what=what, detail=redact(str(e), secrets))) from e
    except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
        if _never_sent(e):
            raise TransientError(t("http.cannot_connect", what=what, detail=redact(str(e), secrets))) from e
        if idempotent:
            raise TransientError(t("http.dropped", what=what)) from e
        raise OutcomeUnknown(t("http.dropped_after_send", what=what)) from e


def json_body(resp: requests.Response) -> Any:
    """The parsed body, or None when it is not JSON (proxies answer 502s in HTML)."""
    try:
        return resp.json()
    except ValueError:
        return None


def unreadable_success(what: str, idempotent: bool) -> Exception:
    """A 2xx we cannot read: the write may have happened, so a POST is unknown and only a GET is retryable."""
    if idempotent:
        return TransientError(t("http.unreadable", what=what))
    return OutcomeUnknown(t("http.unreadable_after_send", what=what))


def server_failed(what: str, detail: str, idempotent: bool, retry_after: float | None = None) -> Exception:
    """A 5xx (or Graph code 1/2): transient for a request without visible effect, unknown for a create."""
    if idempotent:
        return TransientError(t("http.server_error", what=what, detail=detail), retry_after)
    return OutcomeUnknown(t("http.server_error_after_send", what=what, detail=detail))


def graph_error(resp: requests.Response, what: str, *, idempotent: bool = True) -> Exception:
    """Map a failed Graph API reply ({"error": {"code", "error_subcode", "is_transient", ...}}) to our errors.

    The payload wins over the HTTP status: Graph reports rate limits as 400/403 with a code, which a status-only
    rule would wrongly call permanent. The returned error carries ``graph`` = {"code", "subcode", "message"} so
    a channel can refine it (Instagram's container codes).
    """
    body = json_body(resp)
    err = body.get("error") if isinstance(body, dict) else None
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    if not isinstance(err, dict):
        detail = f"HTTP {resp.status_code}"
        if resp.status_code == 429:
            return TransientError(t("http.rate_limited", what=what, detail=detail), retry_after)
        if resp.status_code >= 500:
            return server_failed(what, detail, idempotent, retry_after)
        return PermanentError(t("http.refused", what=what, detail=detail))
    code, subcode = err.get("code"), err.get("error_subcode")
    message = str(err.get("error_user_msg") or err.get("message") or "").strip()
    detail = f"Graph {code}" + (f"/{subcode}" if subcode else "") + (f": {message}" if message else "")
    error: Exception
    if code in GRAPH_TOKEN_CODES or subcode in GRAPH_TOKEN_ADVICE:
        advice = GRAPH_TOKEN_ADVICE.get(subcode, "expired") if isinstance(subcode, int) else "expired"
        error = TokenRejected(t("graph.token_problem", what=what, advice=t(f"graph.token.{advice}"), detail=detail))
    elif code in GRAPH_RATE_LIMIT_CODES or resp.status_code == 429:
        error = TransientError(t("http.rate_limited", what=what, detail=detail), retry_after)
    elif code in GRAPH_SERVER_CODES or resp.status_code >= 500:
        error = server_failed(what, detail, idempotent, retry_after)
    elif err.get("is_transient") is True:
        error = server_failed(what, detail, idempotent, retry_after)
    elif code in GRAPH_PERMISSION_CODES:
        error = PermanentError(t("graph.permission", what=what, detail=detail))
    else:
        error = PermanentError(t("http.refused", what=what, detail=detail))
    setattr(error, "graph", {"code": code, "subcode": subcode, "message": message})  # read back by graph_codes
    return error


def graph_codes(exc: BaseException) -> tuple[Any, Any]:
    """(code, subcode) of the Graph error behind ``exc``, or (None, None)."""
    for e in errors_within(exc):
        info = getattr(e, "graph", None)
        if isinstance(info, dict):
            return info.get("code"), info.get("subcode")
    return None, None


def telegram_error(resp: requests.Response, what: str, *, idempotent: bool = True) -> Exception:
    """Map a failed Bot API reply ({"ok": false, "error_code", "description", "parameters"}) to our errors.

    A 429 carries ``parameters.retry_after`` (core.telegram.org/bots/api#responseparameters; python-telegram-bot
    raises RetryAfter for it): the message was refused, so waiting and sending again is safe. A 5xx after
    sendMessage/sendPhoto may have delivered the message, and the Bot API cannot read a channel's history to
    check, so it is unknown.
    """
    body = json_body(resp)
    body = body if isinstance(body, dict) else {}
    code = body.get("error_code") or resp.status_code
    description = str(body.get("description") or f"HTTP {resp.status_code}")
    params = as_dict(body.get("parameters"))
    if code == 429 or resp.status_code == 429:
        retry_after = params.get("retry_after")
        if not isinstance(retry_after, int | float):
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        return TransientError(t("http.rate_limited", what=what, detail=description), retry_after)
    if resp.status_code >= 500 or (isinstance(code, int) and code >= 500):
        return server_failed(what, description, idempotent)
    if params.get("migrate_to_chat_id"):
        return PermanentError(t("telegram.migrated", what=what, chat_id=params["migrate_to_chat_id"]))
    if code == 401:
        return TokenRejected(t("telegram.token_rejected", what=what, detail=description))
    if code == 403:
        return PermanentError(t("telegram.forbidden", what=what, detail=description))
    return PermanentError(t("http.refused", what=what, detail=description))


def from_timestamp(value: Any) -> dt.datetime | None:
    """Graph's epoch seconds, where 0 means "never"."""
    if isinstance(value, int | float) and value > 0:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return None
