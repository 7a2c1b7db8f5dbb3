"""Whether an address can be reached by strangers: Meta's servers fetching a picture, readers following a link.

Why: Instagram's Content Publishing API fetches every picture itself ("We cURL media used in publishing attempts,
so the media must be hosted on a publicly accessible server", developers.facebook.com/docs/instagram-platform/
content-publishing) and refuses anything else with 9004 / 2207052; a Facebook or Telegram post that links to
``http://127.0.0.1:8080/`` links to the reader's own computer. The desk's default website address is that
loopback address (it is right for ``make run``), so the job and the admin page check it before anything goes out.

Only the address itself is judged: no DNS lookup (the job may run where DNS is slow or split, and tests talk to
127.0.0.1 only). A name that resolves to a private address inside the agency's network passes; that is the
agency's DNS, not a typing slip, and Meta's 2207052 then names the problem.

There is deliberately no switch that makes a private address count as public: a test that publishes to a loopback
fake passes its own predicate to the channel's constructor (``is_public=``), which the secrets file cannot reach.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

#: A predicate over a URL: True when strangers can reach it.
IsPublic = Callable[[str], bool]

#: Names that never leave the local network (RFC 6761 special-use names, RFC 8375 home.arpa, mDNS .local, and the
#: de-facto private suffixes routers hand out).
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home", ".home.arpa", ".corp",
                    ".test", ".example", ".invalid", ".localdomain")


def address_problem(url: str) -> str | None:
    """Why ``url`` cannot be reached from the internet, in a few words for a person; None when it can."""
    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not_web"
    host = parts.hostname.rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(PRIVATE_SUFFIXES) or "." not in host:
            return "private_name"
        return None
    if ip.is_loopback:
        return "loopback"
    if not ip.is_global:
        return "private_ip"
    return None


def is_public_url(url: str) -> bool:
    """The production predicate: :func:`address_problem` finds nothing."""
    return address_problem(url) is None
