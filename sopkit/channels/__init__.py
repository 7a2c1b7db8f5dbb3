"""Publishing channels: one module per channel, each ending with its ``SPEC`` (``spec.ChannelSpec``).

``registry`` finds every module here that exports a ``SPEC``; ``base`` is the interface and the values they trade
in; ``http`` maps HTTP failures to retry / refuse / unknown. A new channel is a new module here (README, Layout).
"""
