"""The SOP as data: steps, roles, decisions, limits and clocks.

Everything the workflow, the permission table and the compliance report know about the procedure comes from
here (see ``shared/sop/SOP.md``). Limits and rejection targets are defaults; an admin may revise them in the
store's Settings (``sopkit.settings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Clock = Literal["working", "calendar"]

#: Roles of the SOP (Pelaksana) plus the desk's own: ``admin`` runs the system, ``manager`` reads reports.
SOP_ROLES: tuple[str, ...] = ("officer", "creator", "supervisor", "administrator", "publisher")
ROLES: tuple[str, ...] = SOP_ROLES + ("manager", "admin")

ROLE_TITLES: dict[str, tuple[str, str]] = {
    "officer": ("Petugas", "Officer"),
    "creator": ("Pembuat Konten", "Content creator"),
    "supervisor": ("Pejabat Pengawas", "Supervisory official"),
    "administrator": ("Pejabat Administrator", "Administrator official"),
    "publisher": ("Pengelola Website/Medsos", "Website/social-media manager"),
    "manager": ("Pimpinan", "Manager"),
    "admin": ("Admin Sistem", "System admin"),
}


@dataclass(frozen=True)
class Step:
    number: int
    role: str
    holder_column: str  # Register column naming who holds this step for the item
    title_id: str
    title_en: str
    limit_minutes: int
    clock: Clock
    is_gate: bool = False  # approve / reject decision
    reject_to: int | None = None  # where a rejection returns (gates only)


STEPS: dict[int, Step] = {
    1: Step(1, "officer", "officer", "Mengumpulkan informasi", "Collect information", 450, "working"),
    2: Step(2, "creator", "creator", "Mendesain konten", "Design the content", 360, "working"),
    3: Step(3, "supervisor", "verifier", "Verifikasi konten", "Verify the content", 60, "working",
            is_gate=True, reject_to=2),
    4: Step(4, "administrator", "approver", "Persetujuan akhir", "Final approval", 60, "working",
            is_gate=True, reject_to=2),
    5: Step(5, "supervisor", "scheduler", "Menjadwalkan penayangan", "Schedule publication", 15, "working"),
    6: Step(6, "publisher", "publisher", "Menayangkan konten", "Publish on time", 15, "calendar"),
}

FIRST_STEP = 1
LAST_STEP = 6

#: Item status while it waits at each step, and the two terminal ones.
STATUS_BY_STEP: dict[int, str] = {
    1: "collecting",
    2: "designing",
    3: "verifying",
    4: "approving",
    5: "scheduling",
    6: "scheduled",
}
PUBLISHED = "published"
CANCELLED = "cancelled"
STATUSES: tuple[str, ...] = tuple(STATUS_BY_STEP.values()) + (PUBLISHED, CANCELLED)
TERMINAL_STATUSES = frozenset({PUBLISHED, CANCELLED})

#: Every action the Log may hold. The first group moves an item through the SOP and is what compliance
#: measures; the second changes who holds an item or what it says and does not move the clock.
FLOW_ACTIONS: tuple[str, ...] = ("start", "submit", "approve", "reject", "schedule", "publish", "cancel")
OTHER_ACTIONS: tuple[str, ...] = ("edit", "take", "assign", "channel")
ACTIONS: tuple[str, ...] = FLOW_ACTIONS + OTHER_ACTIONS

CATEGORIES: tuple[str, ...] = (
    "Berita", "Pengumuman", "Layanan", "Keselamatan", "Infrastruktur", "Kegiatan", "Regulasi",
)

#: SOP header fields; blank in the signed source, so an admin fills them in.
SOP_TITLE = "Mekanisme Penayangan Konten ke Website dan Media Sosial Dinas Perhubungan Prov. Kalbar"
SOP_HEADER_DEFAULTS: dict[str, str] = {
    "sop_number": "",
    "sop_created": "",
    "sop_revised": "",
    "sop_ratified": "",
    "sop_ratified_by": "Kepala Dinas Perhubungan",
}
