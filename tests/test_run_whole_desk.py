"""``make run`` as one command (``python -m jobs.run``): on free ports and a temporary demo store it starts the desk,
the publish loop and the website; a demo item scheduled in the past gets published and its page answers on the
website port; output is prefixed per process; one SIGINT to the foreground group (Ctrl-C) stops everything and
leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jobs import run
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import server_now

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def descendants(pid: int) -> set[int]:
    """Every live process whose parent chain reaches ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_processes_are_one_line_each_and_use_the_ports() -> None:
    procs = run.processes(8601, 8181, 60)
    assert list(procs) == ["desk", "publish", "notify", "site"]
    assert "8601" in procs["desk"] and procs["site"][-1] == "8181"
    assert procs["publish"][1:] == ["-m", "jobs.publish", "--loop", "--every", "60s"]
    assert procs["notify"][1:] == ["-m", "jobs.notify", "--loop", "--every", "60s"]


def test_make_run_publishes_due_items_serves_the_site_and_stops_on_one_ctrl_c(tmp_path: Path) -> None:
    desk_port, site_port = free_port(), free_port()
    db, site_root = tmp_path / "sopkit.db", tmp_path / "site"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[site]\nroot = "{site_root}"\nbase_url = "http://127.0.0.1:{site_port}/"\nport = {site_port}\n'
                       f'[publish]\nlock = "{tmp_path / "publish.lock"}"\n'
                       f'[notify]\nlock = "{tmp_path / "notify.lock"}"\n', encoding="utf-8")
    env = {**os.environ, "SOPKIT_STORE": f"sqlite:///{db}", "SOPKIT_MEDIA": str(tmp_path / "media"),
           "SOPKIT_SECRETS": str(secrets)}
    subprocess.run([sys.executable, "-m", "sopkit", "demo", "--items", "40", "--if-empty"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    store = SQLiteStore(db)
    now = server_now()
    due = [i for i in store.read_register().items
           if i.step == 6 and i.is_open and "site" in i.channels and i.publish_at is not None
           and i.publish_at <= now and not i.channel_results.get("site")]
    assert due, "the demo must leave items scheduled in the past for the website"

    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "jobs.run", "--port", str(desk_port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # its own "terminal"
    try:
        deadline = time.monotonic() + 120
        published: dict[str, str] = {}
        while time.monotonic() < deadline and len(published) < len(due):
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            for item in due:
                result = store.get_item(item.id).channel_results.get("site") or {}
                if result.get("status") == "published":
                    published[item.id] = str(result["url"])
            time.sleep(1)
        assert len(published) == len(due), (tmp_path / "run.log").read_text()
        for item_id, url in published.items():
            assert url.startswith(f"http://127.0.0.1:{site_port}/"), url
            status, body = get(url)
            assert status == 200, (item_id, url)
            assert b"<html" in body.lower()
        status, index = get(f"http://127.0.0.1:{site_port}/")
        assert status == 200
        assert all(urlsplit(u).path.strip("/").encode() in index for u in published.values())  # linked from home
        assert get(f"http://127.0.0.1:{site_port}/berita/")[0] == 404  # no directory listings
        manifest = json.loads(get(f"http://127.0.0.1:{site_port}/posts.json")[1])
        assert len(manifest) >= len(published)
        while get(f"http://127.0.0.1:{desk_port}/_stcore/health") != (200, b"ok"):
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        while not store.read_outbox():  # no [smtp]: the notify loop records what it would have sent
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        assert {r["event"] for r in store.read_outbox()} >= {"claim", "recorded"}
        tree = descendants(proc.pid)
        assert len(tree) >= 4, tree

        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        assert proc.wait(timeout=30) in (0, 130)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [p for p in tree if alive(p)] == [], "orphans left behind"
        for port in (desk_port, site_port):
            with socket.socket() as s, pytest.raises(OSError):
                s.connect(("127.0.0.1", port))
    finally:
        if proc.poll() is None:  # a failed check above: stop it the same way, then make sure nothing is left
            leftovers = descendants(proc.pid)
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            for pid in leftovers:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
        log.close()
    out = (tmp_path / "run.log").read_text()
    for name in ("desk", "publish", "notify", "site"):
        assert f" {name} " in out and f"{name} started" in out, out  # each line says which process printed it
    assert "published" in out or "site" in out
