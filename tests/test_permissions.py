"""The full role × action × step table, and the page table, read back through the public checks."""

from __future__ import annotations

import itertools

import pytest

from sopkit import sop
from sopkit.permissions import ACTION_ROLES, PAGE_ROLES, Forbidden, acting_role, can, can_see, pages_for
from sopkit.schema import User

# What the SOP says, written out independently of the table: (action, step) → roles.
EXPECTED = {
    ("start", 1): {"officer"}, ("edit", 1): {"officer"}, ("submit", 1): {"officer"},
    ("take", 2): {"creator"}, ("edit", 2): {"creator"}, ("submit", 2): {"creator"},
    ("take", 3): {"supervisor"}, ("approve", 3): {"supervisor"}, ("reject", 3): {"supervisor"},
    ("take", 4): {"administrator"}, ("approve", 4): {"administrator"}, ("reject", 4): {"administrator"},
    ("take", 5): {"supervisor"}, ("schedule", 5): {"supervisor"}, ("schedule", 6): {"supervisor"},
    ("take", 6): {"publisher"}, ("channel", 6): {"publisher"}, ("publish", 6): {"publisher"},
}
ANY_STEP = {"assign": {"supervisor"}, "cancel": {"supervisor", "administrator"}}

MATRIX = [
    (role, action, step)
    for role, action, step in itertools.product(sop.ROLES, sop.ACTIONS, list(sop.STEPS))
    if action != "start" or step == 1
]


@pytest.mark.parametrize("role,action,step", MATRIX)
def test_role_action_matrix(role: str, action: str, step: int) -> None:
    user = User(f"{role}@x.go.id", roles=(role,))
    allowed = role in EXPECTED.get((action, step), set()) | ANY_STEP.get(action, set())
    assert can(user, action, step) is allowed
    if not allowed:
        with pytest.raises(Forbidden):
            acting_role(user, action, step)


def test_table_matches_the_sop_roles() -> None:
    for (action, step), roles in ACTION_ROLES.items():
        if step is not None and (action, step) != ("schedule", 6):  # rescheduling stays the supervisor's
            assert sop.STEPS[step].role in roles, (action, step)


def test_inactive_user_can_do_nothing() -> None:
    user = User("x@x.go.id", roles=("officer",), active=False)
    assert not can(user, "start", 1)
    assert pages_for(user) == []


def test_several_roles_act_in_the_steps_own_role() -> None:
    user = User("x@x.go.id", roles=("administrator", "supervisor"))
    assert acting_role(user, "cancel", 3) == "supervisor"
    assert acting_role(user, "cancel", 4) == "administrator"


PAGES = [(role, page) for role in sop.ROLES for page in PAGE_ROLES]


@pytest.mark.parametrize("role,page", PAGES)
def test_page_matrix(role: str, page: str) -> None:
    user = User(f"{role}@x.go.id", roles=(role,))
    roles = PAGE_ROLES[page]
    assert can_see(user, page) is (roles is None or role in roles)


def test_nobody_signed_in_sees_nothing() -> None:
    assert pages_for(None) == []
    assert not can(None, "start", 1)
