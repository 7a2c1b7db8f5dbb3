"""``python -m jobs.notify`` as cron runs it: the issue's own check on a fresh demo store with a real SMTP server,
the dry run, the exit codes, the host lock, the loop, and secrets kept out of the output."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.smtp import SmtpServer, text_part
from sopkit import demo
from sopkit.notify.outbox import Status, fold
from sopkit.publishing.run import host_lock
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ
from sopkit.workflow import Desk, waiting_on

ROOT = Path(__file__).resolve().parents[1]
MANAGER = f"pimpinan@{demo.DOMAIN}"


def notify(tmp_path: Path, *args: str, smtp: SmtpServer | None = None, secrets: str = "",
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "secrets.toml"
    path.write_text(f'[register]\nurl = "sqlite:///{tmp_path / "sop.db"}"\n'
                    f'[notify]\nlock = "{tmp_path / "notify.lock"}"\n' + secrets, encoding="utf-8")
    full = {k: v for k, v in os.environ.items() if k not in ("SOPKIT_DB", "SOPKIT_STORE", "SOPKIT_BACKEND")}
    full.update({"SOPKIT_SECRETS": str(path), **(env or {})})
    if smtp is not None:
        full.update(SOPKIT_SMTP_HOST="127.0.0.1", SOPKIT_SMTP_PORT=str(smtp.port),
                    SOPKIT_BASE_URL="http://127.0.0.1:8501")
    return subprocess.run([sys.executable, "-m", "jobs.notify", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=180)


@pytest.fixture
def demo_store(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "sop.db")
    store.init()
    demo.seed(store, 60)
    return store


def test_the_issue_check_on_a_fresh_demo_store(tmp_path: Path, demo_store: SQLiteStore) -> None:
    """Every user with waiting work gets a work-arrived message naming the item and linking to it; overdue items
    escalate to pimpinan@; a second run sends nothing new; one more action gives the next actor one message."""
    with SmtpServer(tmp_path, tls=False) as smtp:
        first = notify(tmp_path, "--once", smtp=smtp)
        assert first.returncode == 0, first.stdout + first.stderr
        items = demo_store.read_register().items
        users, _ = demo_store.read_users()
        checked = 0
        for user in users:
            for item in waiting_on(items, user):
                mine = [m for m in smtp.to(user.email) if f"item?id={item.id}" in text_part(m)]
                subjects = [m["Subject"] for m in mine]
                assert any(s.startswith(("Tugas baru:", "Dikembalikan")) and item.title[:40] in s for s in subjects), \
                    (user.email, item.id, subjects)
                assert f"http://127.0.0.1:8501/item?id={item.id}" in text_part(mine[0])
                checked += 1
        assert checked >= 8
        escalations = [m for m in smtp.to(MANAGER) if m["Subject"].startswith("Lewat batas waktu:")]
        assert escalations, [m["Subject"] for m in smtp.to(MANAGER)]
        assert all("Yth. Kepala Dinas," in text_part(m) for m in escalations)
        assert not any(u.email in text_part(m) for m in smtp.to(MANAGER) for u in users)  # names, not addresses
        count = len(smtp.messages)
        assert f"{count} terkirim" in first.stdout

        second = notify(tmp_path, "--once", smtp=smtp)
        assert second.returncode == 0 and len(smtp.messages) == count, second.stdout
        assert "putaran selesai: 0 terkirim" in second.stdout

        desk = Desk(demo_store)
        step3 = next(i for i in items if i.step == 3 and not i.verifier)
        supervisor = next(u for u in users if u.has("supervisor"))
        desk.approve(supervisor, desk.take(supervisor, step3))
        third = notify(tmp_path, "--once", smtp=smtp)
        assert third.returncode == 0, third.stdout
        new = smtp.messages[count:]
        admin = f"administrator@{demo.DOMAIN}"
        to_admin = [r for r in new if r.to == admin]
        assert len(to_admin) == 1 and to_admin[0].message["Subject"].startswith("Tugas baru: Persetujuan akhir")
        assert step3.id in text_part(to_admin[0].message)


def test_dry_run_says_what_would_go_and_sends_and_writes_nothing(tmp_path: Path, demo_store: SQLiteStore) -> None:
    with SmtpServer(tmp_path, tls=False) as smtp:
        dry = notify(tmp_path, "--once", "--dry-run", smtp=smtp)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert smtp.messages == [] and demo_store.read_outbox() == []
        would = [line for line in dry.stdout.splitlines() if "would send: arrived to " in line]
        assert would and "(uji coba: tidak ada yang dikirim)" in dry.stdout
        assert not (tmp_path / "notify.lock").exists()


def test_without_smtp_the_demo_still_records_what_would_have_gone(tmp_path: Path,
                                                                   demo_store: SQLiteStore) -> None:
    result = notify(tmp_path, "--once", env={"SOPKIT_SMTP_HOST": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "peringatan: email: SMTP not configured" in result.stdout
    states = fold(demo_store.read_outbox()).values()
    assert states and {s.status for s in states} == {Status.RECORDED}
    assert any(s.meta.subject.startswith("Tugas baru:") for s in states)


def test_exit_codes(tmp_path: Path, demo_store: SQLiteStore) -> None:
    bad = notify(tmp_path, "--once", secrets='[smtp]\nhost = "127.0.0.1"\nsecurity = "tls-please"\n')
    assert bad.returncode == 2 and "[smtp] security must be starttls, ssl or none" in bad.stdout
    url = notify(tmp_path, "--once", env={"SOPKIT_BASE_URL": "desk.local"})
    assert url.returncode == 2 and "[desk] base_url" in url.stdout
    (tmp_path / "other").mkdir()
    empty = notify(tmp_path / "other", "--once")
    assert empty.returncode == 2 and "not initialised" in empty.stdout
    with SmtpServer(tmp_path, tls=False) as smtp:
        smtp.refuse[MANAGER] = "550 5.1.1 mailbox unavailable"
        refused = notify(tmp_path, "--once", smtp=smtp)
        assert refused.returncode == 1 and "failed: " in refused.stdout
        assert {r.to for r in smtp.messages} and MANAGER not in {r.to for r in smtp.messages}
    assert notify(tmp_path, "--secrets").returncode == 2  # argparse: the value is missing


def test_a_held_lock_and_a_secret_that_never_shows(tmp_path: Path, demo_store: SQLiteStore) -> None:
    with SmtpServer(tmp_path, user="desk", password="kata-sandi-smtp-99") as smtp:
        secrets = (f'[smtp]\nusername = "desk"\npassword = "kata-sandi-smtp-X"\nsecurity = "starttls"\n'
                   f'ca_file = "{smtp.ca_file}"\n')
        with host_lock(tmp_path / "notify.lock"):
            held = notify(tmp_path, "--once", smtp=smtp, secrets=secrets)
        assert held.returncode == 0 and "another notify run holds the lock" in held.stdout
        wrong = notify(tmp_path, "--once", smtp=smtp, secrets=secrets)
        assert wrong.returncode == 1 and "refused the login of desk" in wrong.stdout
        assert "kata-sandi-smtp-X" not in wrong.stdout + wrong.stderr
        assert "kata-sandi-smtp-X" not in str(demo_store.read_outbox())
        waiting = notify(tmp_path, "--once", smtp=smtp, secrets=secrets.replace("smtp-X", "smtp-99"))
        assert waiting.returncode == 1 and "0 terkirim" in waiting.stdout and smtp.messages == []  # next try in 1 min
        retries = {s.status for s in fold(demo_store.read_outbox()).values()}
        assert retries == {Status.RETRY}


def test_loop_runs_on_schedule_and_stops_on_sigterm(tmp_path: Path, demo_store: SQLiteStore) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(f'[register]\nurl = "sqlite:///{tmp_path / "sop.db"}"\n[notify]\nlock = "{tmp_path / "n.lock"}"\n',
                    encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPKIT_")}
    env["SOPKIT_SECRETS"] = str(path)
    proc = subprocess.Popen([sys.executable, "-m", "jobs.notify", "--loop", "--every", "1m"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        lines = []
        while not any("putaran selesai:" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "stopping after the current run" in rest
    assert dt.datetime.fromisoformat(lines[-1].split()[0]).tzinfo is not None
    assert AGENCY_TZ
