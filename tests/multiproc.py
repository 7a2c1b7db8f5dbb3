"""Real, separate OS processes for the concurrency tests, each as if on its own host.

Every worker gets its own copy of the project (``sopkit/`` and the loopback fakes, copied into a temporary
directory, and imported from there: the worker checks), its own ``HOME`` and ``TMPDIR``, and shares nothing with
the others but the store: the SQLite file, or the spreadsheet on the loopback Sheets fake. The test drives the
workers over their stdin/stdout, one JSON object a line (see ``multiproc_worker.py`` for the commands), so it
can line them up (every worker reads, then every worker acts at once) without sleeping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("multiproc_worker.py")


@dataclass
class Worker:
    name: str
    home: Path
    proc: subprocess.Popen[str]

    def send(self, **command: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def recv(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"worker {self.name} died: {err[-3000:]}")
        answer = json.loads(line)
        if answer.get("crash"):
            raise RuntimeError(f"worker {self.name} failed: {answer['crash']}")
        return answer

    def ask(self, **command: Any) -> dict[str, Any]:
        self.send(**command)
        return self.recv()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(op="quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def spawn(tmp: Path, name: str) -> Worker:
    """A worker process with its own copy of the project, HOME and TMPDIR under ``tmp/name``."""
    base = tmp / name
    project = base / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "sopkit", project / "sopkit", ignore=ignore)
    shutil.copytree(ROOT / "tests" / "fakes", project / "fakes", ignore=ignore)
    shutil.copy(WORKER, project / "worker.py")
    home, tmpdir = base / "home", base / "tmp"
    home.mkdir(parents=True)
    tmpdir.mkdir(parents=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TMPDIR": str(tmpdir),
           "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "SOPKIT_SECRETS": str(home / "none.toml")}
    proc = subprocess.Popen([sys.executable, "-u", str(project / "worker.py")], cwd=project, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    worker = Worker(name, home, proc)
    hello = worker.recv()
    assert Path(hello["sopkit"]).resolve().is_relative_to(project.resolve()), hello  # its own copy, not ours
    assert hello["home"] == str(home) and hello["tmp"].startswith(str(tmpdir))
    return worker


@contextmanager
def workers(tmp: Path, count: int) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        for n in range(count):
            started.append(spawn(tmp, f"host{n + 1}"))
        yield started
    finally:
        for w in started:
            w.stop()


def all_at_once(group: list[Worker], commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each worker its command back to back (they act at the same instant), then collect the answers."""
    for w, command in zip(group, commands, strict=True):
        w.send(**command)
    return [w.recv() for w in group]
