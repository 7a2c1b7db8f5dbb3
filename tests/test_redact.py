"""Secrets never reach a message (issue 9): every encoding of every token is masked, query strings are dropped,
and the job's channels and its log lines are redacted however a message came about.

Tokens carry ``| + / =`` on purpose: a Graph app token is ``app_id|app_secret``, and those four characters are the
ones percent-encoding changes (``%7C %2B %2F %3D``), which is how a token slipped past the old literal match.
"""

from __future__ import annotations

import socket
from urllib.parse import quote, quote_plus

import pytest

from fakes import Fault
from fakes import graph_api as g
from fakes.graph_api import FakeGraph
from fakes.telegram_api import FakeTelegram
from sopkit.channels.base import Post
from sopkit.channels.facebook import FacebookChannel
from sopkit.channels.telegram import TelegramChannel
from sopkit.config import Config
from sopkit.publishing import build_channels
from sopkit.redact import redact
from sopkit.retry import Backoff, RetriesExhausted

TOKENS = ["EAAGm0PX4ZCps|x+y/z=", "123456:AA+bc/de=fg|hi", "abcd efgh+ijkl/mnop=|qrst"]
ONE_TRY = Backoff(tries=1)


def forms(token: str) -> list[str]:
    """Every way the token has been seen in a message: as typed, as requests/urllib3 encode it, twice encoded."""
    once = [token, quote(token), quote(token, safe=""), quote_plus(token), quote(token, safe="/:+=")]
    return once + [quote(f, safe="") for f in once] + [quote(token, safe="").lower(), token.replace("/", "\\/")]


def leaked(text: str, token: str) -> list[str]:
    return [f for f in forms(token) if f in text]


@pytest.mark.parametrize("token", TOKENS)
def test_every_encoding_of_a_token_is_masked(token: str) -> None:
    for form in forms(token):
        out = redact(f"failed: {form} (x)", [token])
        assert leaked(out, token) == [] and "***" in out, (form, out)
        assert out.startswith("failed: ") and out.endswith(" (x)")


def test_query_strings_are_dropped_and_ordinary_questions_kept() -> None:
    message = ("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
               "/v21.0/debug_token?input_token=EAA%7Cx&access_token=EAA%7Cx (Caused by NewConnectionError())")
    out = redact(message)
    assert "input_token" not in out and "access_token" not in out and "EAA" not in out
    assert out.endswith("/v21.0/debug_token?… (Caused by NewConnectionError())")
    assert redact("is this a WordPress site? check https://x.example/a?b") == \
        "is this a WordPress site? check https://x.example/a?b"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("token", TOKENS)
def test_graph_credential_check_never_shows_the_token(token: str) -> None:
    """The reported leak: ``input_token=EAA…%7Cx%2By`` in ``--check-credentials`` output."""
    ch = FacebookChannel("1", token, graph_url=f"http://127.0.0.1:{closed_port()}", backoff=ONE_TRY,
                         sleep=lambda s: None)
    status = ch.check_credentials()
    assert not status.ok and "tidak bisa tersambung" in status.message
    assert leaked(status.message, token) == [] and "input_token" not in status.message


@pytest.mark.parametrize("token", TOKENS)
def test_telegram_never_shows_the_token_in_its_path(token: str) -> None:
    ch = TelegramChannel(token, "@x", api_url=f"http://127.0.0.1:{closed_port()}", backoff=ONE_TRY,
                         sleep=lambda s: None)
    with pytest.raises(RetriesExhausted) as info:
        ch.publish(Post("sop-1", "1", "Judul", "", "Keterangan"))
    assert "tidak bisa tersambung" in str(info.value)
    assert leaked(str(info.value), token) == [] and leaked(str(info.value.last), token) == []


def test_a_server_echoing_the_token_is_redacted_by_the_wiring_for_every_channel(tmp_path) -> None:  # noqa: ANN001
    """Whatever a channel raises passes the redaction with every secret of the file (here Graph quoting the token
    back in its error text, the way some proxies and older API versions do)."""
    token = TOKENS[0]
    with FakeGraph(token=token) as graph, FakeTelegram() as tg:
        graph.inject(Fault("respond", "/feed", status=400,
                           body=g.graph_error(100, f"Invalid parameter access_token={quote_plus(token)} / {token}")))
        config = Config(secrets={"site": {"root": str(tmp_path / "site"), "base_url": "https://dishub.kalbarprov.go.id/"},
                                 "facebook": {"page_id": graph.page_id, "page_token": token,
                                              "graph_url": graph.graph_url},
                                 "telegram": {"bot_token": tg.token, "chat_id": "@dishubkalbar",
                                              "api_url": tg.base_url}})
        setup = build_channels(config)
        assert token in setup.secrets and tg.token in setup.secrets
        with pytest.raises(Exception) as info:
            setup.channels["facebook"].publish(Post("sop-1", "1", "Judul", "", "Keterangan"))
        assert "Invalid parameter" in str(info.value) and leaked(str(info.value), token) == []
        assert setup.channels["telegram"].check_credentials().ok  # the wrapper changes words, not behaviour


@pytest.mark.parametrize("secret", ["s3cr+t/app=|x", "abcdef0123456789"])
def test_the_meta_app_secret_is_redacted_everywhere_it_travels(tmp_path, secret: str) -> None:  # noqa: ANN001
    """Issue 15 puts ``app_id|app_secret`` into ``/debug_token``'s query string: a server echoing it, or a
    connection error naming the URL, must not bring it into a message."""
    with FakeGraph(app_secret=secret) as graph:
        graph.inject(Fault("respond", "/debug_token", status=400,
                           body=g.graph_error(100, f"Invalid parameter access_token={quote_plus(graph.app_token)} "
                                                   f"/ {graph.app_token} / {secret}")))
        config = Config(secrets={"site": {"root": str(tmp_path / "site"), "base_url": "https://dishub.kalbarprov.go.id/"},
                                 "facebook": {"page_id": graph.page_id, "page_token": graph.token,
                                              "graph_url": graph.graph_url, "app_id": graph.app_id,
                                              "app_secret": secret}})
        setup = build_channels(config)
        assert secret in setup.secrets
        status = setup.channels["facebook"].check_credentials()
        assert not status.ok and "Invalid parameter" in status.message
        assert leaked(status.message, secret) == [] and leaked(status.message, graph.app_token) == []
