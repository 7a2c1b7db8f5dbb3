"""The one permission table: which roles may do which action at which step, and see which page.

Which roles may act at which step is a column of the SOP's transitions table (``sopkit.sop``); this module reads
it as ``ACTION_ROLES`` (or from a given :class:`~sopkit.sop.Procedure`) and adds the pages. It builds the menu,
guards every page, is checked inside every workflow action, and drives the role × action × page test matrix.
Edit the transitions (or ``PAGE_ROLES``) and all of those follow.
"""

from __future__ import annotations

from .i18n import Message, Term, role_title, t
from .schema import User
from .sop import AGENCY, Procedure

#: (action, step) → roles allowed. ``step`` is the item's step when the action is taken; ``None`` = any step.
#: Derived from the SOP's transitions table (``sop.AGENCY.transitions``): edit that table, not this view.
ACTION_ROLES: dict[tuple[str, int | None], frozenset[str]] = AGENCY.action_roles

#: Pages of the desk → roles that see them. ``None`` = every signed-in user.
PAGE_ROLES: dict[str, frozenset[str] | None] = {
    "home": None,
    "officer": frozenset({"officer"}),
    "creator": frozenset({"creator"}),
    "supervisor": frozenset({"supervisor"}),
    "administrator": frozenset({"administrator"}),
    "publisher": frozenset({"publisher"}),
    "item": None,
    "compliance": frozenset({"supervisor", "administrator", "manager", "admin"}),
    "admin": frozenset({"admin"}),
    "notifications": None,
    "about": None,
}


class Forbidden(Message):
    """The user's roles do not allow this; the message (a catalogue key, :class:`sopkit.i18n.Message`) says
    which role would."""

    key = "error.forbidden"


def roles_for(action: str, step: int | None, procedure: Procedure = AGENCY) -> frozenset[str]:
    """Roles allowed to take ``action`` on an item at ``step`` (empty: nobody, the action is invalid there)."""
    table = procedure.action_roles
    return table.get((action, step), frozenset()) | table.get((action, None), frozenset())


def acting_role(user: User, action: str, step: int | None, procedure: Procedure = AGENCY) -> str:
    """The role under which ``user`` may act, or Forbidden. The step's own role is preferred when held."""
    allowed = roles_for(action, step, procedure)
    if not user.active:
        raise Forbidden("perm.deactivated", name=user.name or user.email)
    if not allowed:
        raise Forbidden("perm.impossible", action=_action(action), step=step)
    held = [r for r in user.roles if r in allowed]
    if not held:
        raise Forbidden("perm.needs_role", name=user.name or user.email, action=_action(action), step=step,
                        roles=lambda lang: t("wf.or", lang).join(role_title(r, lang) for r in sorted(allowed)))
    steps = procedure.by_number
    own = steps[step].role if step in steps else None
    return own if own in held else held[0]


def can(user: User | None, action: str, step: int | None, procedure: Procedure = AGENCY) -> bool:
    if user is None:
        return False
    try:
        acting_role(user, action, step, procedure)
    except Forbidden:
        return False
    return True


def can_see(user: User | None, page: str) -> bool:
    if user is None or not user.active:
        return False
    roles = PAGE_ROLES[page]
    return roles is None or any(r in roles for r in user.roles)


def pages_for(user: User | None) -> list[str]:
    """The pages this user's menu lists, in menu order."""
    return [p for p in PAGE_ROLES if can_see(user, p)]


def _action(action: str) -> Term:
    """An action's word (``action.<code>``: "setujui") in the reader's language; an unknown code as it is."""
    return Term(f"action.{action}")
