"""The one permission table: which roles may do which action at which step, and see which page.

It builds the menu (pages), guards every page, is checked inside every workflow action, and drives the role ×
action × page test matrix. Edit it here and all of those follow.
"""

from __future__ import annotations

from .schema import User
from .sop import STEPS

#: (action, step) → roles allowed. ``step`` is the item's step when the action is taken; ``None`` = any step.
ACTION_ROLES: dict[tuple[str, int | None], frozenset[str]] = {
    ("start", 1): frozenset({"officer"}),
    ("edit", 1): frozenset({"officer"}),
    ("submit", 1): frozenset({"officer"}),
    ("take", 2): frozenset({"creator"}),
    ("edit", 2): frozenset({"creator"}),
    ("submit", 2): frozenset({"creator"}),
    ("take", 3): frozenset({"supervisor"}),
    ("approve", 3): frozenset({"supervisor"}),
    ("reject", 3): frozenset({"supervisor"}),
    ("take", 4): frozenset({"administrator"}),
    ("approve", 4): frozenset({"administrator"}),
    ("reject", 4): frozenset({"administrator"}),
    ("take", 5): frozenset({"supervisor"}),
    ("schedule", 5): frozenset({"supervisor"}),
    ("schedule", 6): frozenset({"supervisor"}),  # reschedule before it goes out
    ("take", 6): frozenset({"publisher"}),
    ("channel", 6): frozenset({"publisher"}),  # record one channel's result (the job, or a URL pasted by hand)
    ("publish", 6): frozenset({"publisher"}),
    ("assign", None): frozenset({"supervisor"}),
    ("cancel", None): frozenset({"supervisor", "administrator"}),
}

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
    "about": None,
}


class Forbidden(Exception):
    """The user's roles do not allow this; the message says which role would."""


def roles_for(action: str, step: int | None) -> frozenset[str]:
    """Roles allowed to take ``action`` on an item at ``step`` (empty: nobody, the action is invalid there)."""
    return ACTION_ROLES.get((action, step), frozenset()) | ACTION_ROLES.get((action, None), frozenset())


def acting_role(user: User, action: str, step: int | None) -> str:
    """The role under which ``user`` may act, or Forbidden. The step's own role is preferred when held."""
    allowed = roles_for(action, step)
    if not user.active:
        raise Forbidden(f"{user.email} is deactivated.")
    if not allowed:
        raise Forbidden(f"'{action}' is not possible at step {step}.")
    held = [r for r in user.roles if r in allowed]
    if not held:
        raise Forbidden(
            f"{user.email} may not {action} at step {step}: needs the role {' or '.join(sorted(allowed))}."
        )
    own = STEPS[step].role if step in STEPS else None
    return own if own in held else held[0]


def can(user: User | None, action: str, step: int | None) -> bool:
    if user is None:
        return False
    try:
        acting_role(user, action, step)
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
