"""Config revisions: every write makes one, immutable, guarded by the base hash, rolled back byte for byte."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from controlpanel.models import ActivityEvent, ConfigRevision
from controlpanel.services.activity import activity_verify
from controlpanel.services.config_edits import gateway_channel_allow_from_add
from controlpanel.services.config_revisions import (
    ConfigConflict,
    ConfigEditError,
    NothingToSave,
    config_revision_create,
    config_rollback,
)
from tests.conftest import MINIMAL_CONFIG

# postgres too: the sha256 constraint and the row locks are database features.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

EDITED = MINIMAL_CONFIG.replace(
    'main: { name: "Main" },', 'main: { name: "Main", tools: { deny: ["exec"] } },'
)


def _edit(gateway, text=EDITED, **kw):
    args = {
        "gateway": gateway,
        "text": text,
        "source": ConfigRevision.Source.EDITOR,
        "reason": "deny exec to main",
        "base_hash": gateway.config_hash,
    }
    return config_revision_create(**{**args, **kw})


def test_an_import_is_revision_one_and_an_edit_revision_two(alpha, alice):
    first = alpha.revisions.get()
    assert (first.number, first.source, first.parent) == (1, "import", None)
    saved = _edit(alpha, actor=alice)
    alpha.refresh_from_db()
    rev = saved.revision
    assert (rev.number, rev.parent, rev.author, rev.source) == (2, first, alice, "editor")
    assert alpha.config_text == rev.text == EDITED and alpha.config_hash == rev.sha256
    event = ActivityEvent.objects.order_by("-seq").first()
    assert event.action == "config.revision_created" and event.target == "config:r2"
    assert event.detail["reason"] == "deny exec to main" and event.after["revision"] == 2
    assert activity_verify()[1] is None


def test_revisions_are_immutable(alpha):
    rev = alpha.revisions.get()
    rev.reason = "rewritten history"
    with pytest.raises(TypeError):
        rev.save()
    with pytest.raises(TypeError):
        ConfigRevision.objects.filter(pk=rev.pk).update(reason="x")


def test_the_database_refuses_a_hash_that_is_not_the_texts(alpha):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfigRevision.objects.create(
            gateway=alpha,
            number=2,
            parent=alpha.revisions.get(),
            text="{}",
            sha256="0" * 64,
            author_label="x",
            source="editor",
            reason="lie",
            created_at=alpha.created_at,
        )


def test_an_edit_against_an_older_revision_is_refused_and_nothing_is_written(alpha):
    stale = alpha.config_hash
    _edit(alpha)
    with pytest.raises(ConfigConflict) as info:
        _edit(alpha, text=MINIMAL_CONFIG.replace("Coder", "Coder 2"), base_hash=stale)
    assert info.value.head.number == 2 and info.value.base_hash == stale
    assert alpha.revisions.count() == 2


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"reason": "  "}, "reason"),
        ({"text": "{ gateway: { port: 'x' } }"}, "gateway.port"),
        ({"text": MINIMAL_CONFIG}, "Nothing changed"),
    ],
)
def test_it_refuses_what_cannot_be_saved(alpha, kw, message):
    error = NothingToSave if "Nothing" in message else ConfigEditError
    with pytest.raises(error) as info:
        _edit(alpha, **kw)
    assert message in str(info.value)
    assert alpha.revisions.count() == 1


def test_a_rollback_restores_the_earlier_text_byte_for_byte(alpha, alice):
    _edit(alpha)
    alpha.refresh_from_db()
    first = alpha.revisions.get(number=1)
    saved = config_rollback(
        gateway=alpha, revision=first, reason="undo", actor=alice, base_hash=alpha.config_hash
    )
    alpha.refresh_from_db()
    assert saved.revision.number == 3 and saved.revision.source == "rollback"
    assert saved.revision.text == first.text == alpha.config_text == MINIMAL_CONFIG
    assert saved.revision.detail == {"rolled_back_to": 1}


def test_an_approval_side_effect_is_a_revision_that_keeps_comments(alpha, bob):
    assert gateway_channel_allow_from_add(gateway=alpha, channel="telegram", sender="555", actor=bob)
    rev = alpha.revisions.first()
    assert rev.source == "approval" and rev.author == bob and "555" in rev.reason
    assert rev.text == MINIMAL_CONFIG.replace('allowFrom: ["111"]', 'allowFrom: ["111", "555"]')
