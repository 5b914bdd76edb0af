from __future__ import annotations

import pytest

from controlpanel.models import ActivityEvent, GatewayMembership, Role
from controlpanel.services.memberships import (
    LastOwnerError,
    UnknownUserError,
    membership_remove,
    membership_set,
)


@pytest.mark.django_db
def test_adding_and_changing_roles_is_logged(alpha, alice, charlie):
    membership_set(gateway=alpha, username="charlie", role=Role.VIEWER, actor=alice)
    membership_set(gateway=alpha, username="charlie", role=Role.ADMIN, actor=alice)
    assert GatewayMembership.objects.get(gateway=alpha, user=charlie).role == Role.ADMIN
    events = list(ActivityEvent.objects.filter(gateway=alpha).order_by("seq").values_list("action", "after"))
    assert events[-2:] == [
        ("membership.added", {"role": "viewer"}),
        ("membership.changed", {"role": "admin"}),
    ]


@pytest.mark.django_db
def test_the_last_owner_cannot_be_demoted_or_removed(alpha, alice):
    with pytest.raises(LastOwnerError):
        membership_set(gateway=alpha, username="alice", role=Role.ADMIN, actor=alice)
    with pytest.raises(LastOwnerError):
        membership_remove(membership=alpha.memberships.get(user=alice), actor=alice)
    assert alpha.memberships.get(user=alice).role == Role.OWNER


@pytest.mark.django_db
def test_a_second_owner_makes_demotion_possible(alpha, alice, bob):
    membership_set(gateway=alpha, username="bob", role=Role.OWNER, actor=alice)
    membership_set(gateway=alpha, username="alice", role=Role.VIEWER, actor=bob)
    assert alpha.memberships.get(user=alice).role == Role.VIEWER


@pytest.mark.django_db
def test_unknown_user(alpha, alice):
    with pytest.raises(UnknownUserError):
        membership_set(gateway=alpha, username="nobody", role=Role.VIEWER, actor=alice)
