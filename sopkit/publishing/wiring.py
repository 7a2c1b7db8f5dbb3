"""The publish job's channels, built from the secrets file by reading the channel registry.

A channel whose module declares a factory, whose ``[name]`` section has every credential key and is not switched
off (``enabled = false``) is built; every other one is listed with the reason a person posts it by hand. So is a
channel that needs a public home address (``public_images``, ``links_home``) while the website's is loopback or
private (:func:`address_reason`): that check lives here, on the configuration, with no switch to turn it off. Each
built channel is wrapped in :class:`Redacted`, so whatever it raises or reports passes ``sopkit.redact`` with
every secret of the file: a new channel cannot leak its token into ``data/publish.log`` or the Register.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..channels import registry
from ..channels.addresses import address_problem
from ..channels.base import Channel, CredentialStatus, Post, Result
from ..channels.spec import ChannelContext, ChannelSpec
from ..config import ROOT, Config
from ..i18n import DEFAULT_LANG, channel_title, t
from ..redact import mask, redact, redact_exception
from ..retry import TransientError


def _off(section: Mapping[str, Any]) -> bool:
    return section.get("enabled", True) in (False, "false", "False", "no", "0", 0)


def unavailable_reason(config: Config, channel: str, lang: str = DEFAULT_LANG) -> str | None:
    """Why the job cannot post on ``channel`` with this configuration (None: it can), in words for a person."""
    spec = registry.get(channel)
    if spec is None:
        return t("wiring.no_poster", lang, channel=channel)
    if not spec.automatic:
        return spec.hand_posted or t("wiring.hand_posted", lang, channel=channel_title(channel, lang))
    section = config.section(channel)
    if _off(section):
        return t("wiring.switched_off", lang, section=channel)
    missing = [k for k in spec.credentials if not str(section.get(k, "") or "").strip()]
    if missing:
        return t("wiring.no_credentials", lang, section=channel, keys=", ".join(missing))
    return address_reason(config, spec, lang)


def home_address(config: Config) -> tuple[str, str] | None:
    """(channel, address) of the switched-on home channel's pages, e.g. ("site", "https://dishub.../"); None when
    no home channel is switched on (then posts carry no link and pictures have no host)."""
    for spec in registry.specs():
        if spec.home and spec.automatic and spec.address and not _off(config.section(spec.name)):
            key, default = spec.address
            return spec.name, str(config.section(spec.name).get(key) or default).strip()
    return None


def address_reason(config: Config, spec: ChannelSpec, lang: str = DEFAULT_LANG) -> str | None:
    """Why ``spec`` must wait for a public home address: Meta fetches Instagram's pictures from the website
    itself (9004 / 2207052 otherwise), and Facebook and Telegram posts would link readers to a private address.
    Decided from the configuration alone, so the admin page says it before anything falls due."""
    if not (spec.public_images or spec.links_home):
        return None
    home = home_address(config)
    if home is None:
        return t("wiring.no_image_host", lang, channel=channel_title(spec.name, lang)) if spec.public_images else None
    problem = address_problem(home[1])
    if problem is None:
        return None
    key = "wiring.images_need_public" if spec.public_images else "wiring.links_need_public"
    return t(key, lang, channel=channel_title(spec.name, lang), home=home[0], url=home[1],
             why=t(f"addr.{problem}", lang))


def secret_values(config: Config) -> tuple[str, ...]:
    """Every value of the secrets file that a channel declares secret: what no message may contain."""
    out = []
    for spec in registry.specs():
        section = config.section(spec.name)
        out += [str(section[k]) for k in spec.secrets if str(section.get(k, "") or "")]
    return tuple(out)


class Redacted:
    """A channel whose errors, results and credential messages pass ``sopkit.redact``; anything else (the site's
    ``host_images``, ``base_url``) is the channel's own."""

    def __init__(self, channel: Channel, secrets: Iterable[str]):
        self.channel = channel
        self.secrets = tuple(secrets)
        self.name = channel.name

    def find(self, post: Post) -> Result | None:
        found = self._call(self.channel.find, post)
        return None if found is None else self._result(found)

    def publish(self, post: Post) -> Result:
        return self._result(self._call(self.channel.publish, post))

    def check_credentials(self) -> CredentialStatus:
        status = self._call(self.channel.check_credentials)
        return replace(status, message=redact(status.message, self.secrets))

    def where_to_look(self, post: Post) -> str:
        """The channel's own hint for a person (redacted too), or a general one."""
        where = getattr(self.channel, "where_to_look", None)
        return redact(str(where(post)), self.secrets) if callable(where) else t("job.look_generic", channel=self.name)

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            redact_exception(e, self.secrets)
            raise

    def _result(self, result: Result) -> Result:
        return replace(result, url=mask(result.url, self.secrets), error=redact(result.error, self.secrets))

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):  # manage_url: an address kept usable, without any secret in it
            return mask(value, self.secrets)
        if isinstance(value, Result):
            return self._result(value)
        if isinstance(value, tuple) and all(isinstance(v, Result) for v in value):
            return tuple(self._result(v) for v in value)
        return value

    def __getattr__(self, name: str) -> Any:
        """The channel's other capabilities (``find_copies``, ``host_images``…), their errors and results
        redacted too; a capability the channel lacks stays missing (AttributeError)."""
        value = getattr(self.channel, name)
        if not callable(value):
            return value
        return lambda *args, **kwargs: self._clean(self._call(value, *args, **kwargs))


@dataclass(frozen=True)
class ChannelSetup:
    channels: dict[str, Channel]
    unavailable: dict[str, str]  # channel -> reason it is posted by hand
    secrets: tuple[str, ...] = ()  # what every message the job prints must not contain


def context(config: Config, spec: ChannelSpec, *, sleep: Callable[[float], None] = time.sleep,
            on_retry: Callable[[int, float, TransientError], None] | None = None) -> ChannelContext:
    return ChannelContext(config.section(spec.name), ROOT, config.timezone, sleep, on_retry)


def build_channels(config: Config, *, sleep: Callable[[float], None] = time.sleep,
                   on_retry: Callable[[int, float, TransientError], None] | None = None) -> ChannelSetup:
    """Every registered channel either built from the secrets file or listed with the reason it is not."""
    channels: dict[str, Channel] = {}
    unavailable: dict[str, str] = {}
    secrets = secret_values(config)
    for spec in registry.specs():
        reason = unavailable_reason(config, spec.name)
        if reason or spec.factory is None:
            unavailable[spec.name] = reason or spec.hand_posted
            continue
        built = spec.factory(context(config, spec, sleep=sleep, on_retry=on_retry))
        channels[spec.name] = Redacted(built, secrets)
    return ChannelSetup(channels, unavailable, secrets)
