"""Anything else the agency posts by hand (a notice board, a partner's site): the publisher pastes the URL."""

from __future__ import annotations

from sopkit.channels.spec import ChannelSpec
from sopkit.i18n import t

SPEC = ChannelSpec(name="manual", order=90, hand_posted=t("channel.manual.hand_posted"))
