"""Stores by URL: the URL's scheme picks the backend, the rest of the URL says where its data is.

=====================================================  ============================================
``sqlite:///data/sopkit.db``                           a SQLite file, relative to the project folder
``sqlite:////srv/sopkit/sopkit.db``                    a SQLite file by its absolute path
``gsheets://KEY``                                      a Google Sheet by its key
``https://docs.google.com/spreadsheets/d/KEY/edit``    the same sheet by the address in the browser
=====================================================  ============================================

Why a table of schemes instead of a list of backends: like an HTTP client that picks its transport by the URL
(httpx's mounts), nothing outside this module and the backend itself names a backend. The config reads one
string, the desk caches one store per string, and pages ask the store's :class:`~sopkit.store.base.Capabilities`
what it offers. A new store (PostgreSQL, say) is one module with ``open_url(url, context)`` plus one line in
:data:`SCHEMES` (or :func:`register` at run time), and it must pass ``tests/test_store_contract.py``.

The openers are named as ``"module:function"`` and imported on first use, so a host on SQLite never imports the
Google client libraries.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .base import Store, StoreError


@dataclass(frozen=True)
class StoreContext:
    """What an opener gets besides the URL: the folder relative paths are relative to (the project), and the
    secrets file, for a backend's credentials (the Google service account, say)."""

    root: Path
    secrets: Mapping[str, Any] = field(default_factory=dict, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments for the store's constructor

    def section(self, name: str) -> dict[str, Any]:
        value = self.secrets.get(name, {})
        return dict(value) if isinstance(value, Mapping) else {}


Opener = Callable[[str, StoreContext], Store]

#: scheme → ``"module:function"`` (imported when a URL of that scheme is first opened) or the opener itself.
SCHEMES: dict[str, str | Opener] = {
    "sqlite": "sopkit.store.sqlite:open_url",
    "gsheets": "sopkit.store.gsheets:open_url",
}
#: URL prefixes that mean a scheme: a Google Sheet's address as the browser shows it.
ALIASES: dict[str, str] = {"https://docs.google.com/spreadsheets/": "gsheets"}

_lock = threading.Lock()


class UnknownStore(StoreError):
    """The URL names no store this version knows (or is not a URL at all)."""


def scheme_of(url: str) -> str:
    """The registered scheme that ``url`` means (a prefix of :data:`ALIASES` counts as its scheme)."""
    text = url.strip()
    for prefix, scheme in ALIASES.items():
        if text.startswith(prefix):
            return scheme
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if not scheme:
        raise UnknownStore(f"The store {display(text)!r} is not a URL: write it as sqlite:///data/sopkit.db or "
                           "gsheets://KEY (register.url or SOPKIT_STORE).")
    return scheme


def opener(scheme: str) -> Opener:
    with _lock:
        found = SCHEMES.get(scheme)
    if found is None:
        raise UnknownStore(f"No store for URLs of the scheme {scheme!r} in this version (known: "
                           f"{', '.join(schemes())}); check register.url or SOPKIT_STORE.")
    if isinstance(found, str):
        module, _, name = found.partition(":")
        fn: Opener = getattr(importlib.import_module(module), name)
        return fn
    return found


def exists(url: str, context: StoreContext) -> bool:
    """Whether the store ``url`` names is there already, without making it: the backend module's own
    ``exists(url, context)`` when it has one (a SQLite file not made yet: False), else True (a Google Sheet, a
    server: opening it says)."""
    scheme = scheme_of(url)
    with _lock:
        found = SCHEMES.get(scheme)
    if found is None:
        opener(scheme)  # raises UnknownStore, with what is known
    if isinstance(found, str):
        module = importlib.import_module(found.partition(":")[0])
        check: Callable[[str, StoreContext], bool] | None = getattr(module, "exists", None)
        return check(url.strip(), context) if check is not None else True
    return True


def open_url(url: str, context: StoreContext) -> Store:
    """The store ``url`` names; UnknownStore for a scheme no backend registered, StoreError for a URL its
    backend cannot use."""
    return opener(scheme_of(url))(url.strip(), context)


def schemes() -> tuple[str, ...]:
    with _lock:
        return tuple(sorted(SCHEMES))


def register(scheme: str, fn: str | Opener) -> None:
    """Add (or replace) the opener of ``scheme`` at run time (an add-on, a test)."""
    with _lock:
        SCHEMES[scheme.lower()] = fn


def unregister(scheme: str) -> None:
    with _lock:
        SCHEMES.pop(scheme.lower(), None)


@contextlib.contextmanager
def registered(scheme: str, fn: str | Opener) -> Iterator[None]:
    """``scheme`` opened by ``fn`` for the block: how a test adds a store in one place."""
    with _lock:
        previous = SCHEMES.get(scheme.lower())
    register(scheme, fn)
    try:
        yield
    finally:
        if previous is None:
            unregister(scheme)
        else:
            register(scheme, previous)


def display(url: str) -> str:
    """``url`` fit to print: a password in it (``postgresql://user:secret@host/db``) is replaced by ``***``."""
    parts = urlsplit(url.strip())
    if parts.password is None:
        return url.strip()
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def local_path(url: str, root: Path) -> Path:
    """The file of a ``scheme:///relative`` or ``scheme:////absolute`` URL (SQLAlchemy's convention): three
    slashes and a relative path are relative to ``root``, four slashes are an absolute path."""
    from urllib.parse import unquote

    parts = urlsplit(url.strip())
    if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
        raise StoreError(f"The store URL {display(url)!r} names no file: write {parts.scheme}:///data/sopkit.db "
                         f"(relative to the project) or {parts.scheme}:////srv/sopkit/sopkit.db (absolute).")
    path = Path(unquote(parts.path[1:]))
    return path if path.is_absolute() else root / path
