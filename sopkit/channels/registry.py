"""The channels this desk knows: every module of ``sopkit.channels`` that exports a ``SPEC``, plus any registered.

Why discovery instead of a list: a list here would be one more place to edit for a new channel. A channel module
declares its :class:`~sopkit.channels.spec.ChannelSpec` as ``SPEC`` and is found; tests (and any add-on) call
:func:`register` / :func:`registered`. Everything that enumerates channels reads :func:`names` or :func:`specs`:
the workflow's validation, the pages' menus, the creator's checks, the picture sizes, the wiring of the publish
job from the secrets file, the admin's warnings and the demo.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading
from collections.abc import Iterator

from .spec import ChannelSpec

_lock = threading.Lock()
_found: dict[str, ChannelSpec] | None = None
_added: dict[str, ChannelSpec] = {}


def _discover() -> dict[str, ChannelSpec]:
    global _found
    with _lock:
        if _found is None:
            from sopkit import channels

            found: dict[str, ChannelSpec] = {}
            for module in pkgutil.iter_modules(channels.__path__):
                spec = getattr(importlib.import_module(f"{channels.__name__}.{module.name}"), "SPEC", None)
                if isinstance(spec, ChannelSpec):
                    if spec.name in found:
                        raise RuntimeError(f"two channel modules declare the channel {spec.name!r}")
                    found[spec.name] = spec
            _found = found
        return _found


def specs() -> tuple[ChannelSpec, ...]:
    """Every channel, in menu and publish order."""
    every = {**_discover(), **_added}
    return tuple(sorted(every.values(), key=lambda s: (s.order, s.name)))


def names() -> tuple[str, ...]:
    """The channel names an item may target, in order."""
    return tuple(s.name for s in specs())


def get(name: str) -> ChannelSpec | None:
    """The spec of ``name``, or None for a name no channel declares (a hand-edited Register, say)."""
    return _added.get(name) or _discover().get(name)


def rank(name: str) -> int:
    """Position of ``name`` in the publish order; unknown names go last."""
    order = names()
    return order.index(name) if name in order else len(order)


def register(spec: ChannelSpec) -> None:
    """Add (or replace) a channel at run time; a module in ``sopkit/channels/`` needs no call."""
    with _lock:
        _added[spec.name] = spec


def unregister(name: str) -> None:
    with _lock:
        _added.pop(name, None)


@contextlib.contextmanager
def registered(spec: ChannelSpec) -> Iterator[ChannelSpec]:
    """``spec`` registered for the block: how a test adds a channel in one place."""
    previous = _added.get(spec.name)
    register(spec)
    try:
        yield spec
    finally:
        if previous is None:
            unregister(spec.name)
        else:
            register(previous)
