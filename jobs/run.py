"""``make run``: the whole desk on one machine, started and stopped as one.

    python -m jobs.run [--port 8501] [--site-port 8080] [--every 1m]

Runs, each as its own process with its output prefixed by its name (honcho, a Python Foreman):

* ``desk``    the Streamlit desk on http://127.0.0.1:8501
* ``publish`` the publish loop (``python -m jobs.publish --loop``): due items go out on time
* ``notify``  the notification loop (``python -m jobs.notify --loop``): nobody misses their turn; without
  ``[smtp]`` its messages are recorded in the outbox (the admin page), not sent
* ``site``    the embedded website (the site channel's static files) read-only on http://127.0.0.1:8080

One Ctrl-C (or SIGTERM) stops them all: honcho puts each in its own process group and signals the group, then
kills what is left after 5 s. If one of them dies, the others are stopped too, so nothing half-runs unseen.
In production run the same commands as separate services (README, "Production").
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from honcho.manager import Manager

from jobs.publish import parse_every
from jobs.site import site_port
from sopkit.config import ROOT, ConfigError, load


def processes(port: int, site: int, every: int) -> dict[str, list[str]]:
    """Name → command. Adding a loop is one more line here."""
    py = sys.executable
    return {
        "desk": [py, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
                 "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        "publish": [py, "-m", "jobs.publish", "--loop", "--every", f"{every}s"],
        "notify": [py, "-m", "jobs.notify", "--loop", "--every", f"{every}s"],
        "site": [py, "-m", "jobs.site", "--port", str(site)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.run", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8501, help="desk port (default 8501)")
    parser.add_argument("--site-port", type=int, help="website port (default [site] port or 8080)")
    parser.add_argument("--every", type=parse_every, default=60, help="publish and notify loop interval (default 1m)")
    args = parser.parse_args(argv)
    try:
        site = args.site_port or site_port(load().section("site"))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # lines appear as they are printed, not when a buffer fills
    manager = Manager()
    for name, cmd in processes(args.port, site, args.every).items():
        # honcho runs a shell line; exec makes the shell become the program, so signals reach it directly
        manager.add_process(name, "exec " + shlex.join(cmd), env=env, cwd=str(ROOT))
    manager.loop()
    return int(manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
