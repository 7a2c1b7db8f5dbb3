"""What Facebook and Instagram share: Meta's Graph API, its versions, its usage headers and its token check.

Kept apart from the two channel modules so each of them stays about its own publishing flow, and apart from
``http`` (which only says what a failure means).

* **Versions** are a setting (``[facebook] graph_version``, ``[instagram] graph_version``) with a current
  default. Meta's changelog (developers.facebook.com/docs/graph-api/changelog/versions, read 2026-12) lists each
  version's end: v21.0 ends 21 Jan 2027, v25.0 on 29 Jul 2028; v26.0 (29 Jul 2026) has no end date yet, so the
  default is v25.0, the newest whose end is known and can be warned about. The admin page warns within
  :data:`VERSION_WARNING` of the end (``config_warnings``).
* **Usage headers.** Graph reports how much of a rate limit is used in ``X-App-Usage`` (percentages of the app's
  rolling hour) and ``X-Business-Use-Case-Usage`` (Page and Instagram tokens, with
  ``estimated_time_to_regain_access`` in minutes); once a limit is reached every call fails until the window
  frees (developers.facebook.com/docs/graph-api/overview/rate-limiting). Like Mixpost's ``ManagesRateLimit``
  (inovector/mixpost, src/SocialProviders/Meta/Concerns/ManagesRateLimit.php) we stop calling above 90 % and wait
  the time Meta gives, or an hour when it gives none; the wait surfaces as :class:`~sopkit.retry.Throttled`.
* **Token check.** ``/debug_token`` answers only to "an app access token or an app developer's user access token"
  (developers.facebook.com/docs/graph-api/reference/debug_token); called with the Page token itself it answers
  #100 "You must provide an app access token..." (nyaruka/rapidpro #3734 shows the same fix). So the check uses
  ``app_id|app_secret`` from the secrets file, and without them says plainly that the expiry and the scopes could
  not be checked instead of reporting "does not expire".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests

from sopkit.channels.base import CredentialStatus, OutcomeUnknown, PermanentError, as_dict, as_list
from sopkit.channels.http import (
    GRAPH_RATE_LIMIT_CODES,
    GRAPH_TOKEN_ADVICE,
    OnRetry,
    Sleep,
    Timeout,
    from_timestamp,
    graph_codes,
    graph_error,
    json_body,
    redacting,
    send,
    unreadable_success,
)
from sopkit.i18n import channel_title, format_time, t
from sopkit.retry import Backoff, RetriesExhausted, Throttled, TransientError, call_with_retry
from sopkit.timeutil import zone

GRAPH_HOST = "https://graph.facebook.com"
#: Each version's last day, from Meta's changelog (None: not announced yet). Keep the newest last.
VERSION_ENDS: dict[str, dt.date | None] = {
    "v18.0": dt.date(2026, 1, 26), "v19.0": dt.date(2026, 5, 21), "v20.0": dt.date(2026, 9, 24),
    "v21.0": dt.date(2027, 1, 21), "v22.0": dt.date(2027, 5, 20), "v23.0": dt.date(2027, 10, 8),
    "v24.0": dt.date(2028, 2, 18), "v25.0": dt.date(2028, 7, 29), "v26.0": None,
}
DEFAULT_VERSION = "v25.0"
VERSION_WARNING = dt.timedelta(days=90)
_VERSION = re.compile(r"^v\d+\.\d+$")

#: Mixpost's threshold: above this percentage of any usage figure, stop until the window frees.
USAGE_LIMIT = 90
#: Graph's platform (app) rate limit is a rolling hour; Mixpost waits that long when Meta names no time.
DEFAULT_USAGE_WAIT = 3600.0


def usage_wait(headers: Mapping[str, str]) -> tuple[float, str] | None:
    """(seconds to wait, which header said so) from Graph's usage headers, or None while below the limit."""
    app = _json_header(headers.get("X-App-Usage"))
    if isinstance(app, dict) and _max_usage(app) > USAGE_LIMIT:
        return DEFAULT_USAGE_WAIT, "X-App-Usage"
    buc = _json_header(headers.get("X-Business-Use-Case-Usage"))
    worst: float | None = None
    for entries in buc.values() if isinstance(buc, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict):
                continue
            regain = entry.get("estimated_time_to_regain_access")
            minutes = float(regain) if isinstance(regain, int | float) else 0.0
            if minutes > 0:
                worst = max(worst or 0.0, minutes * 60)
            elif _max_usage(entry) > USAGE_LIMIT:
                worst = max(worst or 0.0, DEFAULT_USAGE_WAIT)
    return (worst, "X-Business-Use-Case-Usage") if worst else None


def _json_header(value: str | None) -> Any:
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def _max_usage(figures: Mapping[str, Any]) -> float:
    values = [figures.get(k) for k in ("call_count", "total_cputime", "total_time")]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)


def version_end(version: str) -> dt.date | None:
    return VERSION_ENDS.get(version)


def config_warnings(channel: str, section: Mapping[str, Any], now: dt.datetime, lang: str) -> list[str]:
    """What the admin should fix in a Meta channel's section before it bites: an old Graph version, no app
    token (so nobody can see when the token expires)."""
    out: list[str] = []
    names = {"channel": channel_title(channel, lang), "section": channel}  # "[section]" is the secrets file's
    version = str(section.get("graph_version") or DEFAULT_VERSION).strip()
    end = version_end(version)
    if not _VERSION.match(version):
        out.append(t("graph.version_bad", lang, **names, version=version, default=DEFAULT_VERSION))
    elif end is not None:
        tz = zone()
        ends = format_time(dt.datetime.combine(end, dt.time(), tz), lang, tz).rsplit(" ", 2)[0]
        if end <= now.astimezone(tz).date():
            out.append(t("graph.version_ended", lang, **names, version=version, date=ends,
                         default=DEFAULT_VERSION))
        elif dt.datetime.combine(end, dt.time(), tz) - now <= VERSION_WARNING:
            out.append(t("graph.version_ending", lang, **names, version=version, date=ends,
                         default=DEFAULT_VERSION))
    if not (str(section.get("app_id") or "").strip() and str(section.get("app_secret") or "").strip()):
        out.append(t("graph.no_app_token", lang, **names))
    return out


class GraphApi:
    """Graph API calls with the token sent as ``access_token`` (body for POST, query for GET), bounded retry,
    and a pause while Graph's usage headers say a rate limit is (nearly) reached."""

    def __init__(
        self,
        host: str,
        version: str,
        token: str,
        *,
        app_id: str = "",
        app_secret: str = "",
        session: requests.Session | None,
        timeout: Timeout,
        backoff: Backoff,
        sleep: Sleep,
        on_retry: OnRetry | None,
        clock: Callable[[], float] = time.time,
    ):
        self.graph_url = f"{host.rstrip('/')}/{version.strip('/')}"
        self.token = token
        self.app_token = f"{app_id}|{app_secret}" if app_id and app_secret else ""
        self.secrets = tuple(s for s in (token, self.app_token, app_secret) if s)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self.on_retry = on_retry
        self.clock = clock
        self.paused_until = 0.0
        self.paused_by = ""

    # -- one request ------------------------------------------------------------------------------------------

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
        token: str | None = None,
    ) -> dict[str, Any]:
        """One try; raises Throttled / TransientError / PermanentError / OutcomeUnknown."""
        self._refuse_while_paused(what)
        if method == "GET":
            params = {**(params or {}), "access_token": token or self.token}
        else:
            data = {**(data or {}), "access_token": token or self.token}
        with redacting(self.secrets):
            resp = send(self.session, method, f"{self.graph_url}/{path.lstrip('/')}", what=what,
                        timeout=self.timeout, idempotent=idempotent, secrets=self.secrets, params=params, data=data,
                        files=files)  # fmt: skip
            wait = usage_wait(resp.headers)
            if wait is not None:
                self.paused_until = max(self.paused_until, self.clock() + wait[0])
                self.paused_by = wait[1]
            if not resp.ok:
                error = graph_error(resp, what, idempotent=idempotent)
                code, _ = graph_codes(error)
                if code in GRAPH_RATE_LIMIT_CODES and wait is not None:
                    raise Throttled(str(error), wait[0]) from error
                raise error
            body = json_body(resp)
            if not isinstance(body, dict) or "error" in body:
                raise unreadable_success(what, idempotent)
            return body

    def _refuse_while_paused(self, what: str) -> None:
        left = self.paused_until - self.clock()
        if left > 0:
            raise Throttled(t("graph.usage_pause", what=what, header=self.paused_by, minutes=f"{left / 60:.0f}"),
                            left)

    def call(self, method: str, path: str, *, what: str, idempotent: bool, **kwargs: Any) -> dict[str, Any]:
        """``once`` under call_with_retry: only TransientError is retried, OutcomeUnknown never is."""
        return call_with_retry(lambda: self.once(method, path, what=what, idempotent=idempotent, **kwargs),
                               self.backoff, sleep=self.sleep, on_retry=self.on_retry)  # fmt: skip

    def best_effort_field(self, object_id: str, field: str, what: str) -> str:
        """A field read after a successful post (its link): never turns a published post into an error."""
        try:
            body = self.once("GET", object_id, what=what, idempotent=True, params={"fields": field})
        except (TransientError, PermanentError, OutcomeUnknown):
            return ""
        value = body.get(field)
        return value if isinstance(value, str) else ""

    # -- credentials ------------------------------------------------------------------------------------------

    def check(self, probe: str, probe_fields: str, *, scopes: Iterable[str], token_types: Iterable[str],
              profile_id: str = "") -> CredentialStatus:
        """Prove the token reads ``probe``, then (with an app token) ask ``/debug_token`` for its type, scopes
        and expiry; without one, say that those could not be checked."""
        what = t("graph.what.token_check")
        try:
            me = self.call("GET", probe, what=what, idempotent=True, params={"fields": probe_fields})
            if not self.app_token:
                name = me.get("name") or me.get("username") or me.get("id", "")
                return CredentialStatus(ok=True, message=t("graph.token_unchecked", name=name))
            debug = self.call("GET", "debug_token", what=what, idempotent=True, token=self.app_token,
                              params={"input_token": self.token})  # fmt: skip
        except (TransientError, RetriesExhausted, OutcomeUnknown) as e:
            return CredentialStatus(ok=False, message=t("graph.unreachable", detail=str(e)))
        except PermanentError as e:
            return CredentialStatus(ok=False, message=str(e))
        return self._judge(me, as_dict(debug.get("data")), tuple(scopes),
                           tuple(token_types), profile_id)  # fmt: skip

    def _judge(self, me: Mapping[str, Any], data: Mapping[str, Any], scopes: tuple[str, ...],
               token_types: tuple[str, ...], profile_id: str) -> CredentialStatus:
        expiries = [x for x in (from_timestamp(data.get(k)) for k in ("expires_at", "data_access_expires_at")) if x]
        expires_at = min(expiries) if expiries else None
        if data.get("is_valid") is not True:
            error = as_dict(data.get("error"))
            subcode = error.get("subcode")
            advice = GRAPH_TOKEN_ADVICE.get(subcode, "expired") if isinstance(subcode, int) else "expired"
            return CredentialStatus(ok=False, expires_at=expires_at, message=t(
                "graph.token_invalid", advice=t(f"graph.token.{advice}"), detail=str(error.get("message", ""))))
        kind = str(data.get("type") or "")
        if kind not in token_types:
            return CredentialStatus(ok=False, expires_at=expires_at,
                                    message=t("graph.token_type", kind=kind or "?", wanted="/".join(token_types)))
        if profile_id and kind == "PAGE" and str(data.get("profile_id") or profile_id) != profile_id:
            return CredentialStatus(ok=False, expires_at=expires_at,
                                    message=t("graph.token_other_page", page=str(data.get("profile_id"))))
        granted = as_list(data.get("scopes"))
        missing = [s for s in scopes if s not in granted]
        if missing:
            return CredentialStatus(ok=False, expires_at=expires_at,
                                    message=t("graph.token_scopes", missing=", ".join(missing)))
        if expires_at and expires_at <= dt.datetime.fromtimestamp(self.clock(), dt.UTC):
            return CredentialStatus(ok=False, expires_at=expires_at,
                                    message=t("graph.token_invalid", advice=t("graph.token.expired"), detail=""))
        name = me.get("name") or me.get("username") or me.get("id", "")
        until = (t("graph.expires", at=format_time(expires_at, "id", zone())) if expires_at
                 else t("graph.never_expires"))
        return CredentialStatus(ok=True, expires_at=expires_at, message=t("graph.token_ok", name=name, kind=kind,
                                                                            until=until))

