"""A real SMTP server on 127.0.0.1 for the notification tests (``aiosmtpd``), speaking the real protocol.

STARTTLS with a throwaway certificate made here (a private CA and a server certificate for 127.0.0.1/localhost,
with ``cryptography``), AUTH LOGIN/PLAIN (only over TLS, as real servers insist), and the faults a mail server
really produces: a recipient refused for good (550) or for now (451), and a connection dropped after the message
data arrived but before the server's answer (the client cannot know whether it was delivered).

    with SmtpServer(tmp_path, user="desk", password="pw") as smtp:
        ... [smtp] host = "127.0.0.1", port = smtp.port, ca_file = smtp.ca_file ...
        smtp.messages        # every accepted message: Received(mail_from, rcpt_tos, message)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) as PEM files in ``folder``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sopkit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]


@dataclass
class _Handler:
    server: SmtpServer

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        s = self.server
        with s.lock:
            s.rcpt_attempts.append(address)
            if address in s.refuse:
                return s.refuse[address]
            if s.defer_next.get(address, 0) > 0:
                s.defer_next[address] -= 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)  # a slow server: runs that overlap really overlap
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        s = self.server
        with s.lock:
            s.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            drop = s.drop_after_data > 0
            if drop:
                s.drop_after_data -= 1
        if drop:  # delivered, but the client never hears so
            server.transport.close()
        return "250 2.0.0 Message accepted"


class SmtpServer:
    """``aiosmtpd`` on a free loopback port; STARTTLS (required when ``tls``) and AUTH when ``user`` is set."""

    def __init__(self, folder: Path, *, tls: bool = True, user: str = "", password: str = ""):
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.rcpt_attempts: list[str] = []
        self.refuse: dict[str, str] = {}
        self.defer_next: dict[str, int] = {}
        self.drop_after_data = 0
        self.delay = 0.0
        self.logins: list[tuple[str, bool]] = []
        self.ca_file = ""
        kwargs: dict[str, Any] = {}
        if tls:
            ca, cert, key = make_certificate(folder / "smtp-tls")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            kwargs.update(tls_context=context, require_starttls=True)
            self.ca_file = str(ca)
        if user:
            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and data.login.decode() == user and \
                    data.password.decode() == password
                with self.lock:
                    self.logins.append((data.login.decode() if isinstance(data, LoginPassword) else "?", ok))
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.messages if address in r.rcpt_tos]


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part else ""


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content().replace("\r\n", "\n") if part else ""


__all__ = ["Received", "SmtpServer", "html_part", "make_certificate", "text_part"]
