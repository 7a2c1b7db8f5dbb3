"""Demo data: realistic items driven through the real workflow engine with a simulated clock.

Every demo row is made by the same ``Desk`` actions staff use, so the demo Register and Log obey every rule
(maker-checker, rejections with notes, rev bumps). Some steps run late, some items are reworked, cancelled, or
still open, and items go to several channels.

So that every role finds work waiting after ``python -m sopkit demo``, the newest items stop early at the steps
of :data:`OPEN_STEPS` (two each at steps 2–6, and one officer still collecting): their timeline is planned
backwards from ``until`` so that each has just reached its step, some within the step's limit and some over it.
Of each pair the first waits in the queue and the second is already taken by the step's holder; of the two at
step 6 the first is due and the second upcoming. (At most a third of the items is used this way.)
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import sop
from .channels import registry
from .channels.base import ChannelState
from .clock import WorkCalendar
from .schema import User
from .settings import Settings
from .store.base import Store
from .timeutil import AGENCY_TZ
from .workflow import Desk

DOMAIN = "dishub.kalbarprov.go.id"

#: One demo account per role (README lists them); the password of each is ``demo-<role>``.
DEMO_USERS: tuple[User, ...] = (
    User(f"petugas@{DOMAIN}", "Rina Petugas", ("officer",)),
    User(f"petugas2@{DOMAIN}", "Agus Petugas", ("officer",)),
    User(f"konten@{DOMAIN}", "Dewi Pembuat Konten", ("creator",)),
    User(f"konten2@{DOMAIN}", "Hendra Pembuat Konten", ("creator",)),
    User(f"pengawas@{DOMAIN}", "Budi Pejabat Pengawas", ("supervisor",)),
    User(f"pengawas2@{DOMAIN}", "Sari Pejabat Pengawas", ("supervisor",)),
    User(f"administrator@{DOMAIN}", "Yusuf Pejabat Administrator", ("administrator",)),
    User(f"medsos@{DOMAIN}", "Tono Pengelola Medsos", ("publisher",)),
    User(f"pimpinan@{DOMAIN}", "Kepala Dinas", ("manager",)),
    User(f"admin@{DOMAIN}", "Admin Sistem", ("admin",)),
)
DEMO_PASSWORDS: dict[str, str] = {u.email: f"demo-{u.email.split('@')[0].rstrip('2')}" for u in DEMO_USERS}

_SUBJECTS = (
    "Uji KIR gratis di UPT Pengujian Kendaraan Bermotor Pontianak",
    "Jadwal kapal feri Rasau Jaya–Teluk Batang selama libur akhir tahun",
    "Sosialisasi keselamatan jalan di SMA Negeri 1 Sungai Raya",
    "Penutupan sementara Jembatan Kapuas I untuk perawatan",
    "Pemeriksaan kelaikan bus angkutan Natal di Terminal Ambawang",
    "Rekayasa lalu lintas Jalan Ahmad Yani saat car free day",
    "Layanan bus Trans Kalbar rute Pontianak–Sungai Durian",
    "Pelabuhan Seng Hie: penyesuaian jadwal speedboat ke Kubu Raya",
    "Pengumuman seleksi petugas pemandu moda tahun 2026",
    "Peringatan cuaca ekstrem untuk pelayaran di Selat Karimata",
    "Penertiban parkir liar di kawasan Pasar Flamboyan",
    "Peluncuran aplikasi informasi angkutan umum Kalbar",
    "Hasil rapat koordinasi angkutan Lebaran bersama Polda Kalbar",
    "Perbaikan rambu dan marka di ruas Jalan Trans Kalimantan",
    "Pelatihan pengemudi angkutan sekolah yang aman",
    "Sidak tarif angkutan penyeberangan menjelang hari raya",
)
_PLACES = ("Pontianak", "Singkawang", "Ketapang", "Sintang", "Sanggau", "Kubu Raya", "Mempawah", "Sambas")
_REJECT_NOTES = (
    "Tanggal kegiatan tidak sesuai surat undangan, mohon dicek ulang.",
    "Foto kurang jelas; ganti dengan foto lain dari dokumentasi.",
    "Nama jabatan narasumber keliru.",
    "Judul terlalu panjang untuk Instagram.",
    "Tambahkan sumber data jumlah penumpang.",
)


def channel_sets() -> tuple[tuple[str, ...], ...]:
    """The channel choices demo items draw from, read from the registry: the home page (the website) alone, with
    each channel that takes a caption, with neighbouring pairs of them, and three of them without the website."""
    specs = registry.specs()
    home = tuple(s.name for s in specs if s.home)
    social = [s.name for s in specs if s.takes_caption]
    sets = [home, *(home + (s,) for s in social), *(home + pair for pair in zip(social, social[1:], strict=False))]
    if len(social) >= 3:
        sets.append(tuple(social[:3]))
    return tuple(dict.fromkeys(s for s in sets if s))


#: The steps at which the newest items are left open on purpose, newest last (at most a third of the items).
_LATER = ("design", "verification", "approval", "scheduling", "publication")
OPEN_STEPS: tuple[int, ...] = tuple(sop.number(name) for name in (*_LATER, *_LATER, "collection"))


@dataclass
class _Clock:
    t: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.t


def seed(store: Store, items: int = 200, *, seed: int = 7, until: dt.datetime | None = None,
         months: int = 5, settings: Settings | None = None, passwords: dict[str, str] | None = None) -> int:
    """Create the demo users and ``items`` items spread over ``months`` months before ``until``; returns the
    number of items created. ``passwords`` maps email → password hash for the demo accounts."""
    rng = random.Random(seed)
    settings = settings or Settings()
    cal = WorkCalendar(settings)
    until = (until or dt.datetime.now(AGENCY_TZ)).astimezone(AGENCY_TZ).replace(microsecond=0)
    for user in DEMO_USERS:
        hashed = (passwords or {}).get(user.email, "")
        store.save_user(User(user.email, user.name, user.roles, True, hashed))
    by_role = {r: [u for u in DEMO_USERS if r in u.roles] for r in sop.ROLES}
    clock = _Clock(until)
    desk = Desk(store, settings, now=clock)
    span = months * 30 * 24 * 60
    starts = sorted(until - dt.timedelta(minutes=rng.uniform(0, span)) for _ in range(items))
    n_open = min(len(OPEN_STEPS), items // 3)
    for n, start in enumerate(starts[:items - n_open]):
        _one_item(desk, clock, cal, rng, start, until, by_role, n)
    for k in range(n_open):
        _open_item(desk, clock, cal, random.Random(seed * 1009 + k), until, by_role, k)
    return items


def _open_item(desk: Desk, clock: _Clock, cal: WorkCalendar, rng: random.Random, until: dt.datetime,
               by_role: dict[str, list[User]], k: int) -> None:
    """One of the newest items, left open at ``OPEN_STEPS[k]``: the time spent on each earlier step is drawn
    first, then the start is the latest one (on a 5-minute grid) from which the item reaches its step, and has
    waited there a while, by ``until``. Deterministic for a given ``seed`` and ``until``."""
    stop = OPEN_STEPS[k]
    second_round = stop in OPEN_STEPS[:k]
    limits = {n: s.limit_minutes for n, s in sop.STEPS.items()}
    # working minutes: 1 (to the first working minute), then each step before ``stop``, then the wait at ``stop``
    spent = [1.0] + [rng.uniform(0.2, 0.9) * limits[n] for n in range(1, stop)]
    on_working_time = sop.STEPS[stop].clock == "working"
    share = 0.8 if stop <= sop.number("verification") else 2.5
    waited = rng.uniform(0.2, share) * limits[stop] if on_working_time else 60.0
    chain = [*spent, max(waited, 1.0)]
    candidates = pd.date_range(end=until - dt.timedelta(minutes=1), periods=30 * 24 * 12, freq="5min")
    ends = candidates
    for minutes in chain:
        ends = cal.add_working_minutes(ends, np.full(len(ends), minutes))
    fits = np.flatnonzero(ends <= pd.Timestamp(until))
    start = candidates[fits[-1]].to_pydatetime() if len(fits) else until - dt.timedelta(days=30)
    times = []
    t = start
    for minutes in spent:
        t = cal.deadline(t, minutes)
        times.append(t)

    officer = by_role["officer"][k % len(by_role["officer"])]
    creator = by_role["creator"][k % len(by_role["creator"])]
    verifier = by_role["supervisor"][k % len(by_role["supervisor"])]
    scheduler = by_role["supervisor"][(k + 1) % len(by_role["supervisor"])]
    approver = by_role["administrator"][0]
    subject = _SUBJECTS[(k * 5) % len(_SUBJECTS)]
    place = _PLACES[k % len(_PLACES)]
    sets = channel_sets()
    chans = sets[k % len(sets)]
    clock.t = times[0]
    item = desk.start(officer, title=f"{subject} ({place})", category=sop.CATEGORIES[k % len(sop.CATEGORIES)],
                      summary=f"Informasi dari Dinas Perhubungan Prov. Kalbar tentang {_inline(subject)}.",
                      channels=chans, sources="https://dishub.kalbarprov.go.id/ (demo)")
    if stop > sop.number("collection"):
        clock.t = times[1]
        item = desk.submit(officer, item)
    if stop > sop.number("design"):
        clock.t = times[2]
        item = desk.take(creator, item)
        caption = f"{subject} di {place}. Info lengkap: dishub.kalbarprov.go.id #DishubKalbar"
        item = desk.edit(creator, item, body=_body(subject, place, 0), captions={c: caption for c in chans})
        item = desk.submit(creator, item)
    if stop > sop.number("verification"):
        clock.t = times[3]
        item = desk.approve(verifier, item)
    if stop > sop.number("approval"):
        clock.t = times[4]
        item = desk.approve(approver, item)
    if stop > sop.number("scheduling"):
        clock.t = times[5]
        due = not second_round
        publish_at = (times[5] + dt.timedelta(minutes=30) if due else until + dt.timedelta(hours=20)).replace(
            second=0, microsecond=0)
        item = desk.schedule(scheduler, item, publish_at)
        return
    if second_round and stop > sop.FIRST_STEP:  # taken by whoever holds the step; the first of each pair waits
        holder = {"design": creator, "verification": verifier, "approval": approver,
                  "scheduling": scheduler}[sop.STEPS[stop].name]
        clock.t = min(until, times[-1] + dt.timedelta(minutes=1))
        desk.take(holder, item)


def _one_item(desk: Desk, clock: _Clock, cal: WorkCalendar, rng: random.Random, start: dt.datetime,
              until: dt.datetime, by_role: dict[str, list[User]], n: int) -> None:
    officer = rng.choice(by_role["officer"])
    creator = rng.choice(by_role["creator"])
    verifier, scheduler = rng.sample(by_role["supervisor"], 2) if rng.random() < 0.5 else (
        by_role["supervisor"][0], by_role["supervisor"][0])
    approver = by_role["administrator"][0]
    publisher = by_role["publisher"][0]
    subject = rng.choice(_SUBJECTS)
    place = rng.choice(_PLACES)
    chans = rng.choice(channel_sets())
    t = cal.deadline(start, 1)  # the first working minute after the random start

    def at(minutes_mean: float, limit: float, late_p: float) -> dt.datetime | None:
        nonlocal t
        work = rng.uniform(limit * 1.1, limit * 3) if rng.random() < late_p else rng.uniform(
            min(5, limit * 0.2), min(limit, minutes_mean * 2))
        t = cal.deadline(t, work)
        return t if t <= until else None

    def act(when: dt.datetime | None) -> bool:
        if when is None:
            return False
        clock.t = when
        return True

    clock.t = t
    item = desk.start(officer, title=f"{subject} ({place})", category=rng.choice(sop.CATEGORIES),
                      summary=f"Informasi dari Dinas Perhubungan Prov. Kalbar tentang {_inline(subject)}.",
                      channels=chans, sources="https://dishub.kalbarprov.go.id/ (demo)")
    if not act(at(180, 450, 0.1)):
        return
    item = desk.submit(officer, item)
    rework = 0
    while True:
        if not act(at(150, 360, 0.12)):
            return
        if item.creator == "":
            item = desk.take(creator, item)
        caption = f"{subject} di {place}. Info lengkap: dishub.kalbarprov.go.id #DishubKalbar"
        item = desk.edit(creator, item, body=_body(subject, place, rework),
                         captions={c: caption for c in chans})
        item = desk.submit(creator, item)
        if not act(at(30, 60, 0.15)):
            return
        if rework < 2 and rng.random() < 0.2:
            item = desk.reject(verifier, item, rng.choice(_REJECT_NOTES))
            rework += 1
            continue
        item = desk.approve(verifier, item)
        if not act(at(30, 60, 0.15)):
            return
        if rework < 2 and rng.random() < 0.1:
            item = desk.reject(approver, item, rng.choice(_REJECT_NOTES))
            rework += 1
            continue
        item = desk.approve(approver, item)
        break
    if rng.random() < 0.03:
        clock.t = t + dt.timedelta(minutes=20)
        if clock.t <= until:
            desk.cancel(scheduler, item, "Kegiatan dibatalkan oleh penyelenggara.")
        return
    if not act(at(8, 15, 0.1)):
        return
    publish_at = (t + dt.timedelta(hours=rng.choice((0.5, 1, 2, 20)))).replace(second=0)
    item = desk.schedule(scheduler, item, publish_at)
    delay = rng.uniform(16, 240) if rng.random() < 0.1 else rng.uniform(0.5, 12)
    done = publish_at + dt.timedelta(minutes=delay)
    if done > until:
        return
    clock.t = done
    for c in chans:
        url = f"https://example.invalid/{c}/{item.id}"
        item = desk.record_channel(publisher, item, c, {"status": ChannelState.PUBLISHED, "url": url})


def _body(subject: str, place: str, rework: int) -> str:
    fix = "\n\n_Revisi: data diperbarui sesuai catatan verifikator._" if rework else ""
    return (f"## {subject}\n\nDinas Perhubungan Provinsi Kalimantan Barat menyampaikan informasi "
            f"tentang {_inline(subject)} di {place}. Masyarakat dihimbau memperhatikan jadwal dan "
            f"ketentuan yang berlaku.\n\n- Lokasi: {place}\n- Informasi: (0561) 000000{fix}")


def _inline(subject: str) -> str:
    """A title inside a sentence: only its first letter lowered, so names (Terminal Ambawang, Natal) keep capitals."""
    return subject[:1].lower() + subject[1:]
