"""One notification run on this host, from the secrets file: the store, the senders, the host lock, the exit code.

Settings (``.streamlit/secrets.toml``; environment variables win, for cron and tests):

* ``[smtp] host, port, username, password, security = "starttls" | "ssl" | "none", sender, ca_file, timeout``
  (``SOPKIT_SMTP_HOST``, ``SOPKIT_SMTP_PORT``). Without a host no e-mail is sent, but every message is still
  recorded in the outbox ("not sent: SMTP not configured"), so the desk shows what would have gone.
* ``[desk] base_url`` (``SOPKIT_BASE_URL``, default ``http://127.0.0.1:8501``): links open ``<base_url>/item?id=…``.
* ``[telegram] bot_token`` (the publish channel's bot; ``api_url`` for a test server): direct messages.
* ``[notify] reminder_share`` (0.75), ``lease_minutes`` (10), ``max_attempts`` (5), ``lock``
  (``data/notify.lock``), ``stuck_minutes`` (30).

Exit codes as the publish job's: 0 = nothing failed (or another run holds the lock); 1 = a message failed, is
unknown or waits for a retry, or the run hit an error; 2 = configuration or store unusable.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..config import ROOT, Config, ConfigError, open_store
from ..i18n import t
from ..publishing.run import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, LockHeld, host_lock, redacting
from ..store.base import StoreError
from ..timeutil import Now, server_now
from .due import DEFAULT_SHARE
from .job import DEFAULT_MAX_ATTEMPTS, NotifyJob, Say, Sender
from .outbox import DEFAULT_LEASE
from .smtp import DEFAULT_PORTS, DEFAULT_SENDER, SECURITY, SmtpSender, SmtpSettings
from .telegram import API_URL, TelegramSender

DEFAULT_BASE_URL = "http://127.0.0.1:8501"
NO_SMTP = "SMTP not configured ([smtp] host or SOPKIT_SMTP_HOST)"
NO_BOT = "no Telegram bot configured ([telegram] bot_token)"


@dataclass(frozen=True)
class NotifySetup:
    base_url: str
    share: float
    lease: dt.timedelta
    max_attempts: int
    lock: Path
    stuck: dt.timedelta
    smtp: SmtpSettings | None
    bot_token: str
    bot_api: str

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in ((self.smtp.password if self.smtp else ""), self.bot_token) if s)


def _number(section: str, key: str, value: object, kind: type, low: float, high: float) -> float:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"[{section}] {key} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"[{section}] {key} must be between {low:g} and {high:g}, not {value!r}")
    return number


def notify_setup(config: Config, env: Mapping[str, str] | None = None) -> NotifySetup:
    """The notification settings from the secrets file and the environment; ConfigError names a bad key."""
    env = os.environ if env is None else env
    smtp = config.section("smtp")
    notify = config.section("notify")
    base_url = str(env.get("SOPKIT_BASE_URL") or config.section("desk").get("base_url") or DEFAULT_BASE_URL)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"[desk] base_url must be the desk's web address like {DEFAULT_BASE_URL}, not {base_url!r}")
    share = notify.get("reminder_share", DEFAULT_SHARE)
    share = _number("notify", "reminder_share", share, float, 0.01, 99.0)
    share = share / 100 if share > 1 else share
    if share >= 1:
        raise ConfigError("[notify] reminder_share must be less than the whole limit (0.75 or 75)")
    settings = None
    host = str(env.get("SOPKIT_SMTP_HOST") or smtp.get("host") or "").strip()
    if host and smtp.get("enabled", True) is not False:
        security = str(smtp.get("security") or "auto").strip().lower()
        if security not in SECURITY:
            raise ConfigError(f"[smtp] security must be starttls, ssl or none, not {security!r}")
        port = env.get("SOPKIT_SMTP_PORT") or smtp.get("port") or DEFAULT_PORTS[security]
        sender = str(smtp.get("sender") or DEFAULT_SENDER).strip()
        if "@" not in sender:
            raise ConfigError(f"[smtp] sender must be an e-mail address, not {sender!r}")
        settings = SmtpSettings(
            host=host, port=int(_number("smtp", "port", port, int, 1, 65535)),
            username=str(smtp.get("username") or ""), password=str(smtp.get("password") or ""),
            security=security, sender=sender, timeout=_number("smtp", "timeout", smtp.get("timeout", 30), float,
                                                              1, 600),
            ca_file=str(smtp.get("ca_file") or ""))
    telegram = config.section("telegram")
    lock = Path(str(notify.get("lock") or ROOT / "data" / "notify.lock"))
    return NotifySetup(
        base_url=base_url.rstrip("/"), share=share,
        lease=dt.timedelta(minutes=_number("notify", "lease_minutes", notify.get(
            "lease_minutes", DEFAULT_LEASE.total_seconds() / 60), float, 3, 120)),
        max_attempts=int(_number("notify", "max_attempts", notify.get("max_attempts", DEFAULT_MAX_ATTEMPTS), int,
                                 1, 50)),
        lock=lock if lock.is_absolute() else ROOT / lock,
        stuck=dt.timedelta(minutes=_number("notify", "stuck_minutes", notify.get("stuck_minutes", 30), float, 1,
                                           1440)),
        smtp=settings, bot_token=str(telegram.get("bot_token") or "").strip(),
        bot_api=str(telegram.get("api_url") or API_URL))


def build_senders(setup: NotifySetup, now: Now = server_now) -> tuple[dict[str, Sender], dict[str, str]]:
    """The senders this host can use, and for each channel it cannot, why (its messages are recorded)."""
    senders: dict[str, Sender] = {}
    unavailable: dict[str, str] = {}
    if setup.smtp is not None:
        senders["email"] = SmtpSender(setup.smtp, now)
    else:
        unavailable["email"] = NO_SMTP
    if setup.bot_token:
        senders["telegram"] = TelegramSender(setup.bot_token, setup.bot_api)
    else:
        unavailable["telegram"] = NO_BOT
    return senders, unavailable


def run_once(config: Config, *, dry_run: bool = False, say: Say = print, now: Now = server_now,
             env: Mapping[str, str] | None = None) -> int:
    """One run under the host lock (a dry run takes none: it writes nothing). Returns the exit code."""
    try:
        setup = notify_setup(config, env)
    except ConfigError as e:
        say(t("run.error", config.language, detail=e))
        return EXIT_CONFIG
    say = redacting(say, setup.secrets)
    lang = config.language
    try:
        store = open_store(config)
    except (StoreError, ConfigError) as e:
        say(t("run.error", lang, detail=e))
        return EXIT_CONFIG
    senders, unavailable = build_senders(setup, now)
    job = NotifyJob(store, None, senders, unavailable, base_url=setup.base_url, share=setup.share, now=now,
                    lease=setup.lease, max_attempts=setup.max_attempts, say=say,
                    default_timezone=config.timezone)  # the SOP settings: from the run's one snapshot read
    for channel, reason in unavailable.items():
        say(t("run.channel_down", lang, channel=channel, reason=reason))
    say(t("run.notify_start", lang, job=job.job_id) + (t("run.dry", lang) if dry_run else ""))
    try:
        if dry_run:
            lines = job.plan()
            for line in lines:
                say(line)
            say(t("run.notify_dry_done", lang, n=sum(line.startswith("would send") for line in lines)))
            return EXIT_OK
        with host_lock(setup.lock, now, what="notify"):
            report = job.run()
    except LockHeld as e:
        if e.since is not None and now() - e.since > setup.stuck:
            say(t("run.stuck", lang, detail=e, minutes=f"{setup.stuck.total_seconds() / 60:g}"))
            return EXIT_FAILED
        say(t("run.not_running", lang, detail=e))
        return EXIT_OK
    except (StoreError, ConfigError) as e:
        say(t("run.error", lang, detail=e))
        return EXIT_CONFIG
    say(report.summary(lang))
    return EXIT_OK if report.ok else EXIT_FAILED
