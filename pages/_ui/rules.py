"""Display of the rules compliance judged by: Settings revisions and the why-late breakdown of an attempt."""

from __future__ import annotations

import pandas as pd

from sopkit.clock import Breakdown
from sopkit.i18n import has
from sopkit.settings import Revision

from . import session, widgets
from .session import t

who = widgets.who  # the one name lookup (kept here under its old name for this module's callers)


def source(revision: Revision) -> str:
    if revision.at is None:
        return t("hist.source.none")
    name = f"hist.source.{revision.source.replace('-', '_')}"
    return t(name) if has(name) else revision.source or "—"


def since(revision: Revision) -> str:
    return session.local(revision.at) if revision.at else t("hist.always")


def revisions_table(revisions: tuple[Revision, ...]) -> pd.DataFrame:
    """Newest first, as an admin reads a history."""
    rows = [{t("hist.rev"): r.rev, t("hist.at"): since(r), t("hist.actor"): who(r.actor), t("hist.source"): source(r),
             t("hist.changes"): r.changes or "—"} for r in reversed(revisions)]
    return pd.DataFrame(rows)


def revision_line(revision: Revision) -> str:
    return t("item.revision", rev=revision.rev, at=since(revision), who=who(revision.actor) if revision.actor else
             source(revision), changes=revision.changes or "—")


def breakdown_table(breakdown: Breakdown) -> pd.DataFrame:
    """One row per span: from, to, what it was (a holiday by its name), working minutes counted."""
    rows = [{t("why.from"): session.local(s.start), t("why.to"): session.local(s.end),
             t("why.kind"): t(f"why.kind.{s.kind}"), t("why.name"): s.name or "—",
             t("why.minutes"): round(s.minutes, 1)} for s in breakdown.spans]
    return pd.DataFrame(rows)
