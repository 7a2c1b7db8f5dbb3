"""Keep secrets out of every message a person or a log file can read.

Why more than ``text.replace(token, "***")``: a token rarely shows up as typed. requests puts Graph's
``access_token``/``input_token`` into a query string with ``quote_plus`` (``|`` → ``%7C``, ``+`` → ``%2B``,
``/`` → ``%2F``), urllib3 repeats that URL in its connection errors, Telegram's bot token sits in the path, and a
JSON body escapes ``/`` as ``\\/``. Under cron those messages land in ``data/publish.log``. So :func:`redact`
removes every encoding of every secret it is given, and drops the query string of any URL in the text (query
strings are where tokens travel, and nothing a person needs is in them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from urllib.parse import quote, quote_plus

MASK = "***"
#: What ``requests.utils.requote_uri`` leaves unescaped in a path (Telegram's ``/bot<token>/``).
_REQUOTE_SAFE = "!#$%&'()*+,/:;=?@[]~"
#: ``?name=value...`` right after a non-space character: the query of a URL or of urllib3's "with url: /path?...".
_QUERY = re.compile(r"(?<=\S)\?[^\s=&?#'\"<>()]+=[^\s'\"<>()]*")


@lru_cache(maxsize=256)
def _forms(secret: str) -> tuple[str, ...]:
    """The secret as typed, percent-encoded the ways HTTP libraries do it (once and twice), and JSON-escaped."""
    once = {secret, quote(secret), quote(secret, safe=""), quote(secret, safe=_REQUOTE_SAFE), quote_plus(secret),
            quote_plus(secret, safe=":"), secret.replace("/", "\\/")}
    twice = {quote(form, safe="") for form in once} | {quote_plus(form) for form in once}
    return tuple(sorted(once | twice, key=len, reverse=True))  # longest first: no form is left half-masked


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without query strings and without any encoding of ``secrets``: for messages."""
    return mask(_QUERY.sub("?…", str(text)), secrets)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any encoding of ``secrets`` (percent escapes matched in either case), its URLs otherwise
    whole: for values that must stay usable, like a published post's URL. Empty secrets are ignored."""
    for secret in {s for s in secrets if s}:
        for form in _forms(secret):
            text = re.sub(re.escape(form), MASK, text, flags=re.IGNORECASE) if "%" in form else \
                text.replace(form, MASK)
    return text


def errors_within(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every error it carries: its cause and context, errors among its args, and the ``last`` /
    ``reason`` attributes retry and urllib3 keep (each once, cycles allowed)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend([e.__cause__, e.__context__, getattr(e, "last", None), getattr(e, "reason", None), *e.args])


def redact_exception(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """Redact the messages of ``exc`` and of the errors it carries in place, so the exception keeps its type (the
    job decides by type) and only its words change."""
    secrets = tuple(secrets)
    for e in list(errors_within(exc)):
        e.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in e.args)
    return exc
