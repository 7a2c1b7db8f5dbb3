"""E-mail over SMTP (the standard library's ``smtplib``): one connection per run, one recipient per message.

What a failure means decides whether a message may be tried again (the rule of ``sopkit.channels.http``):

* before the message data is handed over (connect, TLS, login, ``MAIL``, ``RCPT``) nothing was delivered: a 4xx
  or a dropped connection is :class:`~sopkit.retry.TransientError`; a 5xx refusal of the recipient is
  :class:`~sopkit.channels.base.PermanentError` for that message only (a bad address never blocks the others);
* a refused login, a refused sender address, or TLS that cannot be set up is :class:`ChannelDown`: no e-mail can
  go until an admin fixes ``[smtp]``, so the run stops trying e-mail and retries later;
* once ``DATA`` has begun, a lost connection may or may not have delivered the message: ``OutcomeUnknown`` (the
  job records ``unknown`` and does not send it again on its own). A 4xx/5xx answer to the data is a clear
  refusal (transient / permanent).

Every message has a ``Message-ID`` made from its Outbox key and, for an item's messages, ``In-Reply-To`` and
``References`` naming one root per item, so a mail client threads an item's messages together. Security:
``starttls`` (STARTTLS required), ``ssl`` (TLS from the first byte, port 465), ``none``; unset: STARTTLS when the
server offers it (opportunistic: without a login the certificate is not checked, as between mail servers), and
always, verified, when a username is set (a password is never sent in clear nor to an unverified server). With
``starttls`` and ``ssl`` certificates are verified (``ca_file`` names a private CA).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime

from ..channels.base import OutcomeUnknown, PermanentError
from ..retry import TransientError
from ..timeutil import Now
from .due import Outgoing
from .messages import Letter

SECURITY = ("starttls", "ssl", "none", "auto")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25, "auto": 25}
DEFAULT_SENDER = "sop-desk@localhost"
SENDER_NAME = "Desk SOP Konten Dishub Kalbar"


class ChannelDown(Exception):
    """The channel can send nothing now (login or sender refused, TLS impossible): fix the configuration."""


class Unreachable(TransientError):
    """The server could not be reached at all (refused, timed out, name unknown)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str = ""
    password: str = field(default="", repr=False)
    security: str = "auto"
    sender: str = DEFAULT_SENDER
    sender_name: str = SENDER_NAME
    timeout: float = 30.0
    ca_file: str = ""

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2] or "localhost"


def _id_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-.") or "x"


def message_id(key: str, domain: str) -> str:
    """Stable per Outbox key: a message sent again by hand is recognisably the same one."""
    return f"<n-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def thread_id(item_id: str, domain: str) -> str:
    """The root every message about one item replies to (it is never sent itself)."""
    return f"<item-{_id_part(item_id)}@{domain}>"


def email_message(out: Outgoing, letter: Letter, settings: SmtpSettings, when: dt.datetime) -> EmailMessage:
    """The e-mail: a plain-text and an HTML part, the person named in ``To``, threaded per item."""
    msg = EmailMessage()
    msg["Subject"] = letter.subject
    msg["From"] = Address(settings.sender_name, addr_spec=settings.sender)
    msg["To"] = Address(out.name, addr_spec=out.address)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id(out.key, settings.domain)
    if out.notice.item_id:
        root = thread_id(out.notice.item_id, settings.domain)
        msg["In-Reply-To"] = root
        msg["References"] = root
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(letter.text())
    msg.add_alternative(letter.html(), subtype="html")
    msg["Content-Language"] = out.lang  # after the parts: set_content clears Content-* headers
    return msg


class SmtpSender:
    """Sends :class:`Outgoing` e-mails; keeps one connection open for the run (``close`` ends it)."""

    channel = "email"

    def __init__(self, settings: SmtpSettings, now: Now) -> None:
        if settings.security not in SECURITY:
            raise ValueError(f"[smtp] security must be one of {', '.join(SECURITY[:3])}, not {settings.security!r}")
        self.settings = settings
        self.now = now
        self._conn: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.settings.ca_file or None)
        if self.settings.security == "auto" and not self.settings.username:
            # opportunistic TLS, as mail servers do among themselves (RFC 7435): encrypted whenever offered, the
            # certificate not checked, since nothing secret is sent; a login always gets a verified certificate
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        where = f"SMTP server {s.host}:{s.port}"
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                conn.ehlo()
                tls = s.security == "starttls" or (s.security == "auto" and (s.username or conn.has_extn("starttls")))
                if tls:
                    if not conn.has_extn("starttls"):
                        raise ChannelDown(f"{where} does not offer STARTTLS ([smtp] security)")
                    conn.starttls(context=self._context())
                    conn.ehlo()
                if s.username:
                    conn.login(s.username, s.password)
            except BaseException:
                _quietly_close(conn)
                raise
        except smtplib.SMTPAuthenticationError as e:
            raise ChannelDown(f"{where} refused the login of {s.username} ({e.smtp_code}); check [smtp] username "
                              "and password") from None
        except smtplib.SMTPNotSupportedError as e:
            raise ChannelDown(f"{where}: {e}") from None
        except ssl.SSLError as e:
            raise ChannelDown(f"{where}: TLS failed ({e.reason or e}); check [smtp] security and ca_file") from None
        except (OSError, smtplib.SMTPException) as e:
            raise Unreachable(f"could not reach the {where}: {type(e).__name__}: {e}") from None
        return conn

    def send(self, out: Outgoing, letter: Letter) -> str:
        """One message; returns its Message-ID."""
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+|[^@\s<>]+@localhost", out.address or ""):
            raise PermanentError(f"not a usable e-mail address: {out.address!r}")
        msg = email_message(out, letter, self.settings, self.now())
        data = msg.as_bytes(policy=SMTP_POLICY)
        conn = self._conn or self._connect()
        self._conn = conn
        try:
            code, reply = conn.mail(self.settings.sender)
            if code != 250:
                conn.rset()
                text = _text(reply)
                if 400 <= code < 500:
                    raise TransientError(f"SMTP server deferred the sender ({code} {text})")
                raise ChannelDown(f"SMTP server refused the sender {self.settings.sender} ({code} {text}); "
                                  "check [smtp] sender")
            code, reply = conn.rcpt(out.address)
            if code not in (250, 251):
                conn.rset()
                text = _text(reply)
                if 400 <= code < 500:
                    raise TransientError(f"SMTP server deferred the recipient ({code} {text})")
                raise PermanentError(f"SMTP server refused the recipient {out.name} ({code} {text})")
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            self._drop()
            raise TransientError(f"SMTP connection lost before sending: {type(e).__name__}") from None
        try:
            code, reply = conn.data(data)
        except smtplib.SMTPDataError as e:
            _quietly(conn.rset)
            if 400 <= e.smtp_code < 500:
                raise TransientError(f"SMTP server deferred the message ({e.smtp_code} {_text(e.smtp_error)})") \
                    from None
            raise PermanentError(f"SMTP server refused the message ({e.smtp_code} {_text(e.smtp_error)})") from None
        except (smtplib.SMTPServerDisconnected, OSError, smtplib.SMTPResponseException) as e:
            self._drop()
            raise OutcomeUnknown(f"the SMTP connection was lost while the message was being handed over "
                                 f"({type(e).__name__}); it may have been delivered") from None
        if code != 250:
            _quietly(conn.rset)
            if 400 <= code < 500:
                raise TransientError(f"SMTP server deferred the message ({code} {_text(reply)})")
            raise PermanentError(f"SMTP server refused the message ({code} {_text(reply)})")
        return str(msg["Message-ID"])

    def _drop(self) -> None:
        if self._conn is not None:
            _quietly_close(self._conn)
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            _quietly(self._conn.quit)
        self._drop()


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).replace("\n", " ")


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except OSError:  # smtplib.SMTPException and timeouts are OSErrors too
        pass


def _quietly_close(conn: smtplib.SMTP) -> None:
    _quietly(conn.close)
