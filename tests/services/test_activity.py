"""The activity log is append-only and any tampering is found by activity_verify."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from controlpanel.models import ActivityEvent
from controlpanel.services.activity import activity_record, activity_verify


@pytest.fixture
def chain(alice):
    for i in range(5):
        activity_record(action="test.event", actor=alice, target=f"t{i}", before={"n": i}, after={"n": i + 1})
    assert activity_verify() == (5, None)


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper, broken_seq",
    [
        ("UPDATE controlpanel_activityevent SET target = 'evil' WHERE seq = 3", 3),
        ("UPDATE controlpanel_activityevent SET after = '{\"n\": 99}' WHERE seq = 2", 2),
        ("UPDATE controlpanel_activityevent SET actor_label = 'system' WHERE seq = 1", 1),
        ("UPDATE controlpanel_activityevent SET action = 'x' WHERE seq = 5", 5),
        ("DELETE FROM controlpanel_activityevent WHERE seq = 4", 4),
        ("DELETE FROM controlpanel_activityevent WHERE seq = 5", 5),
        ("DELETE FROM controlpanel_activityevent", 1),
    ],
)
def test_tampering_is_detected(chain, tamper, broken_seq):
    _sql(tamper)
    _, broken = activity_verify()
    assert broken is not None
    assert broken.seq == broken_seq


@pytest.mark.django_db
def test_a_recomputed_hash_still_breaks_the_link(chain):
    # Rewriting an event *and* its own hash is caught by the next event's prev_hash.
    _sql("UPDATE controlpanel_activityevent SET target = 'evil', hash = %s WHERE seq = 2", "f" * 64)
    assert activity_verify()[1].seq in (2, 3)


@pytest.mark.django_db
def test_orm_refuses_updates_and_deletes(chain):
    event = ActivityEvent.objects.get(seq=1)
    event.target = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ActivityEvent.objects.filter(seq=1).update(target="x")
    with pytest.raises(TypeError):
        ActivityEvent.objects.all().delete()


@pytest.mark.django_db
def test_verify_command_exit_codes(chain, capsys):
    call_command("activity_verify")
    assert "5 event(s), chain intact" in capsys.readouterr().out
    _sql("UPDATE controlpanel_activityevent SET target = 'evil' WHERE seq = 3")
    with pytest.raises(SystemExit) as exc:
        call_command("activity_verify")
    assert exc.value.code == 1
    assert "BROKEN at event #3" in capsys.readouterr().err
