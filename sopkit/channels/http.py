"""One place that decides what an HTTP failure means for a publish: retry, give up, or "ask a human".

The three answers matter more than the details. Retrying something that may already be on the page is how peer
schedulers posted duplicates (see docs on "outcome unknown"), so the rule here is strict:

* :class:`~sopkit.retry.TransientError` only when we know nothing was applied: the connection never opened, the
  server said "slow down" (429, Graph rate-limit codes, Telegram ``retry_after``) or failed with a 5xx.
* :class:`~sopkit.channels.base.PermanentError` when a retry cannot help (400/401/403, expired token).
* :class:`~sopkit.channels.base.OutcomeUnknown` when the request went out and no readable answer came back
  (read timeout, connection dropped mid-answer) -- unless the caller says the request is idempotent (a GET, or a
  step with no visible effect), in which case it is merely transient.

Also holds :class:`GraphApi`, the few lines Facebook and Instagram share (token in the body, retry, credential
check), so the two channel modules stay about their own publishing flow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import requests
import urllib3.exceptions

from sopkit.channels.base import CredentialStatus, OutcomeUnknown, PermanentError
from sopkit.redact import errors_within, redact, redact_exception
from sopkit.retry import Backoff, RetriesExhausted, TransientError, call_with_retry, parse_retry_after

Timeout = tuple[float, float]  # (connect, read) seconds, as requests takes them
Sleep = Callable[[float], None]
OnRetry = Callable[[int, float, TransientError], None]
DEFAULT_BACKOFF = Backoff()

# Graph API codes worth waiting out (developers.facebook.com/docs/graph-api/guides/error-handling):
# 1 API unknown / 2 API service (temporary), 4 app rate limit, 17 user rate limit, 32 page rate limit,
# 613 custom rate limit, 80001-80014 business-use-case rate limits.
GRAPH_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
GRAPH_TRANSIENT_CODES = GRAPH_RATE_LIMIT_CODES | {1, 2}
GRAPH_TOKEN_CODES = frozenset({190, 102})  # OAuthException: expired, revoked, password changed, ...
TOKEN_EXPIRED = "token expired, renew it in Settings"


class TokenRejected(PermanentError):
    """The credential itself is bad (expired, revoked): the fix is in Settings, not in the post."""


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
    """Do one request and translate transport failures; ``what`` names the step for people ("Facebook photo")."""
    secrets = tuple(secrets)
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.exceptions.ConnectTimeout as e:
        raise TransientError(f"{what}: could not connect in time") from e
    except requests.exceptions.ReadTimeout as e:
        if idempotent:
            raise TransientError(f"{what}: no answer in time") from e
        raise OutcomeUnknown(
            f"{what}: the request was sent but no answer came within {timeout[1]:g} s; "
            "check the channel before posting again"
        ) from e
    except requests.exceptions.SSLError as e:
        raise TransientError(f"{what}: TLS handshake failed: {redact(str(e), secrets)}") from e
    except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
        if _never_sent(e):
            raise TransientError(f"{what}: could not connect: {redact(str(e), secrets)}") from e
        if idempotent:
            raise TransientError(f"{what}: connection dropped") from e
        raise OutcomeUnknown(
            f"{what}: the connection dropped after the request was sent; check the channel before posting again"
        ) from e


def json_body(resp: requests.Response) -> Any:
    """The parsed body, or None when it is not JSON (proxies answer 502s in HTML)."""
    try:
        return resp.json()
    except ValueError:
        return None


def unreadable_success(what: str, idempotent: bool) -> Exception:
    """A 2xx we cannot read: the write may have happened, so a POST is unknown and only a GET is retryable."""
    if idempotent:
        return TransientError(f"{what}: unreadable answer")
    return OutcomeUnknown(f"{what}: the channel answered but the reply could not be read; check the channel")


def graph_error(resp: requests.Response, what: str) -> Exception:
    """Map a failed Graph API reply ({"error": {"code", "error_subcode", "is_transient", ...}}) to our errors.

    The payload wins over the HTTP status: Graph reports rate limits as 400/403 with a code, which a status-only
    rule would wrongly call permanent.
    """
    body = json_body(resp)
    err = body.get("error") if isinstance(body, dict) else None
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    if isinstance(err, dict):
        code = err.get("code")
        message = str(err.get("error_user_msg") or err.get("message") or "").strip()
        detail = f"{what}: Graph error {code}" + (f"/{err['error_subcode']}" if err.get("error_subcode") else "")
        detail += f": {message}" if message else ""
        if code in GRAPH_TOKEN_CODES:
            return TokenRejected(f"{what}: {TOKEN_EXPIRED} (Graph error {code}: {message})")
        if code in GRAPH_RATE_LIMIT_CODES:
            return TransientError(f"{detail} (rate limited)", retry_after)
        if code in GRAPH_TRANSIENT_CODES or err.get("is_transient") is True or resp.status_code >= 500:
            return TransientError(detail, retry_after)
        if resp.status_code == 429:
            return TransientError(detail, retry_after)
        return PermanentError(detail)
    if resp.status_code == 429 or resp.status_code >= 500:
        return TransientError(f"{what}: HTTP {resp.status_code}", retry_after)
    return PermanentError(f"{what}: HTTP {resp.status_code}")


def telegram_error(resp: requests.Response, what: str) -> Exception:
    """Map a failed Bot API reply ({"ok": false, "error_code", "description", "parameters"}) to our errors."""
    body = json_body(resp)
    body = body if isinstance(body, dict) else {}
    code = body.get("error_code") or resp.status_code
    description = str(body.get("description") or f"HTTP {resp.status_code}")
    params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    if code == 429 or resp.status_code == 429:
        retry_after = params.get("retry_after")
        if not isinstance(retry_after, int | float):
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        return TransientError(f"{what}: {description}", retry_after)
    if resp.status_code >= 500 or (isinstance(code, int) and code >= 500):
        return TransientError(f"{what}: {description}")
    if params.get("migrate_to_chat_id"):
        return PermanentError(
            f"{what}: the group became a supergroup; set chat id {params['migrate_to_chat_id']} in Settings"
        )
    if code == 401:
        return TokenRejected(f"{what}: bot token rejected ({description}), renew it in Settings")
    if code == 403:
        return PermanentError(f"{what}: {description} (is the bot an administrator of the channel?)")
    return PermanentError(f"{what}: {description}")


def from_timestamp(value: Any) -> dt.datetime | None:
    """Graph's epoch seconds, where 0 means "never"."""
    if isinstance(value, int | float) and value > 0:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return None


class GraphApi:
    """Graph API calls with the token sent as ``access_token`` (body for POST, query for GET) and bounded retry."""

    def __init__(
        self,
        graph_url: str,
        token: str,
        *,
        session: requests.Session | None,
        timeout: Timeout,
        backoff: Backoff,
        sleep: Sleep,
        on_retry: OnRetry | None,
    ):
        self.graph_url = graph_url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self.on_retry = on_retry

    def once(
        self,
        method: str,
        path: str,
        *,
        what: str,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One try; raises TransientError / PermanentError / OutcomeUnknown."""
        if method == "GET":
            params = {**(params or {}), "access_token": self.token}
        else:
            data = {**(data or {}), "access_token": self.token}
        with redacting((self.token,)):
            resp = send(
                self.session,
                method,
                f"{self.graph_url}/{path.lstrip('/')}",
                what=what,
                timeout=self.timeout,
                idempotent=idempotent,
                secrets=(self.token,),
                params=params,
                data=data,
                files=files,
            )
            if not resp.ok:
                raise graph_error(resp, what)
            body = json_body(resp)
            if not isinstance(body, dict) or "error" in body:
                raise unreadable_success(what, idempotent)
            return body

    def call(self, method: str, path: str, *, what: str, idempotent: bool, **kwargs: Any) -> dict[str, Any]:
        """``once`` under call_with_retry: only TransientError is retried, OutcomeUnknown never is."""
        return call_with_retry(
            lambda: self.once(method, path, what=what, idempotent=idempotent, **kwargs),
            self.backoff,
            sleep=self.sleep,
            on_retry=self.on_retry,
        )

    def best_effort_field(self, object_id: str, field: str, what: str) -> str:
        """A field read after a successful post (its link): never turns a published post into an error."""
        try:
            body = self.once("GET", object_id, what=what, idempotent=True, params={"fields": field})
        except (TransientError, PermanentError, OutcomeUnknown):
            return ""
        value = body.get(field)
        return value if isinstance(value, str) else ""

    def check(self, probe: str, probe_fields: str, needed_scopes: Iterable[str]) -> CredentialStatus:
        """Validate the token with ``/debug_token`` (expiry, scopes) and that it can read ``probe``."""
        try:
            try:
                debug = self.call(
                    "GET",
                    "debug_token",
                    what="token check",
                    idempotent=True,
                    params={"input_token": self.token},
                )
            except TokenRejected:
                raise
            except PermanentError:
                debug = {}  # only app developers may call /debug_token; the probe below still proves the token
            me = self.call("GET", probe, what="token check", idempotent=True, params={"fields": probe_fields})
        except (TransientError, RetriesExhausted, OutcomeUnknown) as e:
            return CredentialStatus(ok=False, message=f"could not reach Graph API: {e}")
        except PermanentError as e:
            return CredentialStatus(ok=False, message=str(e))
        data = debug.get("data") if isinstance(debug.get("data"), dict) else {}
        expiries = [t for t in (from_timestamp(data.get(k)) for k in ("expires_at", "data_access_expires_at")) if t]
        expires_at = min(expiries) if expiries else None
        if data.get("is_valid") is False:
            reason = (data.get("error") or {}).get("message", "") if isinstance(data.get("error"), dict) else ""
            return CredentialStatus(ok=False, message=f"{TOKEN_EXPIRED} {reason}".strip(), expires_at=expires_at)
        scopes = data.get("scopes")
        missing = [s for s in needed_scopes if isinstance(scopes, list) and s not in scopes]
        if missing:
            return CredentialStatus(
                ok=False, message=f"token lacks permission: {', '.join(missing)}", expires_at=expires_at
            )
        if expires_at and expires_at <= dt.datetime.fromtimestamp(time.time(), dt.UTC):
            return CredentialStatus(ok=False, message=TOKEN_EXPIRED, expires_at=expires_at)
        name = me.get("name") or me.get("username") or me.get("id", "")
        until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ", does not expire"
        return CredentialStatus(ok=True, message=f"token valid for {name}{until}", expires_at=expires_at)
