"""Publish job runs as real, separate processes that a test can kill with SIGKILL mid-request, started in ms.

Why a fork server: a fresh interpreter needs one to three seconds to import the job (pandas) on a loaded CI
machine, and a chaos run needs dozens of runs. This process imports everything once and then forks one child per
run: each child is its own process (its own pid, store connection, sockets and threads), is killed by the test
with a real SIGKILL, and is reaped here.

Protocol, one JSON object per line on stdin / stdout:

* ``{"cmd": "run", "run": {...}}`` → ``{"pid": N}``: a job run over the given store and channels (see
  :func:`run_job` for the keys); its output goes to ``run["log"]``;
* ``{"cmd": "poll"}`` → ``{"exited": {"<pid>": <wait status>, ...}}``: the runs that ended since the last poll;
* ``{"cmd": "quit"}``.

Each run sends ``X-Sopkit-Process: <its pid>`` with every request, so a test can tell whose request a server is
holding (``services/wordpress/hold-posts.php``) and kill exactly that process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from sopkit.channels.facebook import FacebookChannel  # noqa: E402
from sopkit.channels.telegram import TelegramChannel  # noqa: E402
from sopkit.channels.wordpress import WordPressChannel  # noqa: E402
from sopkit.publishing import PublishJob  # noqa: E402
from sopkit.retry import Backoff  # noqa: E402
from sopkit.store.sqlite import SQLiteStore  # noqa: E402
from sopkit.workflow import Desk  # noqa: E402


def run_job(run: dict[str, Any]) -> int:
    """One publish run. Keys: ``db``, ``lease_seconds``, ``request_seconds``, ``wordpress`` (``base_url``,
    ``username``, ``app_password``) and optionally ``telegram`` (``api_url``, ``bot_token``, ``chat_id``) and
    ``facebook`` (``graph_url``, ``page_id``, ``page_token``)."""
    quick = Backoff(tries=2, base=0.1, cap=0.2, max_retry_after=0.5)
    timeout = (2.0, float(run["request_seconds"]))

    def session() -> requests.Session:
        s = requests.Session()
        s.headers["X-Sopkit-Process"] = str(os.getpid())
        return s

    wp = run["wordpress"]
    channels: dict[str, Any] = {"wordpress": WordPressChannel(
        wp["base_url"], wp["username"], wp["app_password"], session=session(), backoff=quick, timeout=timeout)}
    if fb := run.get("facebook"):
        channels["facebook"] = FacebookChannel(fb["page_id"], fb["page_token"], fb["graph_url"], session=session(),
                                               backoff=quick, timeout=timeout)
    if tg := run.get("telegram"):
        channels["telegram"] = TelegramChannel(tg["bot_token"], tg["chat_id"], api_url=tg["api_url"],
                                               session=session(), backoff=quick, timeout=timeout)
    job = PublishJob(Desk(SQLiteStore(run["db"])), channels, lease=dt.timedelta(seconds=run["lease_seconds"]),
                     request_seconds=float(run["request_seconds"]), backoff=quick, max_attempts=50,
                     job_id=f"chaos:{os.getpid()}", say=lambda line: print(line, flush=True))
    report = job.run()
    print(report.summary(), flush=True)
    return 0 if report.ok else 1


def serve() -> None:
    exited: dict[str, int] = {}
    for line in sys.stdin:
        msg = json.loads(line)
        while True:  # reap whatever ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            exited[str(pid)] = status
        if msg["cmd"] == "quit":
            return
        if msg["cmd"] == "poll":
            print(json.dumps({"exited": exited}), flush=True)
            exited = {}
        elif msg["cmd"] == "run":
            pid = os.fork()
            if pid == 0:  # the job process
                code = 70
                try:
                    log = os.open(msg["run"]["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                    os.dup2(log, 1)
                    os.dup2(log, 2)
                    os.close(0)
                    sys.stdout = os.fdopen(1, "w", buffering=1)
                    sys.stderr = sys.stdout
                    code = run_job(msg["run"])
                except BaseException as e:  # the exit code and the log say what happened
                    print(f"run crashed: {type(e).__name__}: {e}", flush=True)
                finally:
                    os._exit(code)
            print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    serve()
