"""Publishing (SOP step 6): the publish job and what it is built from.

* ``job``: the algorithm (claim / lease / find-before-retry / record) over a Desk and the channels it is given;
  no configuration, no paths, no secrets.
* ``lease``: the claim while a channel is talked to: the heartbeat that renews it, the budget its requests live
  in, and the check that a lease is long enough.
* ``copies``: which of several copies of one post to keep, and what to do with the rest.
* ``media``: the item's pictures per channel, from the media folder (the job's picture source).
* ``wiring``: the channels built from the secrets file by reading the channel registry, each redacted.
* ``credentials``: what an admin must fix before items fall due on a channel.
* ``run``: one run on this host (store, channels, host lock, exit code); ``jobs/publish.py`` is its CLI.

A channel's state on an item is :class:`~sopkit.channels.base.ChannelState` (re-exported here as the job's words).
"""

from ..channels.base import CHANNEL_STATES, FOR_A_PERSON, ChannelState
from .credentials import credential_warnings
from .job import (
    CHECKING,
    CLAIMED,
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    FAILED,
    MANUAL,
    PENDING,
    PUBLISHED,
    UNKNOWN,
    UNKNOWN_TEXT,
    PublishJob,
    Renditions,
    RunReport,
    Say,
    is_due,
    next_action,
    post_key,
    requeue_channel,
    service_user,
)
from .lease import REQUEST_SECONDS, LeaseTooShort, check_lease
from .media import MediaError, MediaFolder, renditions
from .wiring import ChannelSetup, Redacted, build_channels, secret_values, unavailable_reason

__all__ = [
    "CHANNEL_STATES", "CHECKING", "CLAIMED", "DEFAULT_LEASE", "DEFAULT_MAX_ATTEMPTS", "FAILED", "FOR_A_PERSON",
    "MANUAL", "PENDING", "PUBLISHED", "REQUEST_SECONDS", "UNKNOWN", "UNKNOWN_TEXT", "ChannelSetup", "ChannelState",
    "LeaseTooShort", "MediaError", "MediaFolder", "PublishJob", "Redacted", "Renditions", "RunReport", "Say",
    "build_channels", "check_lease", "credential_warnings", "is_due", "next_action", "post_key",
    "renditions", "requeue_channel", "secret_values", "service_user", "unavailable_reason",
]
