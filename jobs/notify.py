"""The notification job for cron or a systemd timer; the logic is ``sopkit.notify``.

    python -m jobs.notify --once              # one run: send every message that is due, then exit
    python -m jobs.notify --once --dry-run    # say what would be sent; send and write nothing
    python -m jobs.notify --loop --every 1m   # keep running (the ``schedule`` package), e.g. under systemd

Work arrived, returned to you, reminders before a step's limit, escalations after it, the managers' daily digest
and publishing problems, by e-mail (``[smtp]``) and Telegram (``[telegram] bot_token``), each exactly once (the
Outbox in the store). One readable line per message on stdout (secrets never appear). Exit code: 0 = nothing
failed; 1 = a message failed, is unknown or waits for a retry, or the run hit an error; 2 = configuration or
store unusable. A run that finds another one holding the host lock says so and exits 0.

Settings: see ``sopkit/notify/run.py`` (``[smtp]``, ``[desk] base_url``, ``[notify]``; ``SOPKIT_SMTP_HOST``,
``SOPKIT_SMTP_PORT`` and ``SOPKIT_BASE_URL`` override the file).
"""

from __future__ import annotations

import argparse
import sys

from jobs.publish import loop_until_signalled, parse_every, stamped
from sopkit.config import ConfigError, load
from sopkit.notify.run import run_once
from sopkit.publishing.run import EXIT_CONFIG

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.notify", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="one run, then exit (for cron)")
    mode.add_argument("--loop", action="store_true", help="run forever, every --every")
    parser.add_argument("--every", type=parse_every, default=60, help="interval for --loop: 30s, 1m, 5m (default 1m)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send and write nothing")
    parser.add_argument("--secrets", help="secrets file (default .streamlit/secrets.toml or $SOPKIT_SECRETS)")
    args = parser.parse_args(argv)
    say = stamped()

    def tick() -> int:
        try:
            config = load(args.secrets)  # read on every run, so a changed setting needs no restart
        except ConfigError as e:
            say(f"error: {e}")
            return EXIT_CONFIG
        return run_once(config, dry_run=args.dry_run, say=say)

    return tick() if args.once else loop_until_signalled(args.every, tick, say)


if __name__ == "__main__":
    sys.exit(main())
