"""live.sessions: does a socket's session still authenticate its user (Django's rule, read-only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from controlpanel.live.sessions import session_expiry, session_user_id

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def logged_in(user) -> str:
    client = Client()
    client.force_login(user)
    return client.session.session_key


def test_a_live_session_answers_its_user_and_expiry(alice):
    key = logged_in(alice)
    assert session_user_id(key) == alice.pk
    assert session_expiry(key) == Session.objects.get(pk=key).expire_date
    assert session_user_id(None) is None and session_expiry("no-such-key") is None


def test_a_stale_session_answers_nobody_and_is_left_as_it_was(alice, settings):
    key = logged_in(alice)
    store = SessionStore(session_key=key)
    store[HASH_SESSION_KEY] = "not-the-hash"
    store.save()
    assert session_user_id(key) is None
    assert Session.objects.filter(pk=key).exists()  # asking flushed nothing


def test_a_hash_made_with_a_fallback_key_still_answers_and_keeps_its_session_key(alice, settings):
    key = logged_in(alice)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-newer-secret-key-" + "n" * 40
    assert session_user_id(key) == alice.pk
    assert list(Session.objects.values_list("pk", flat=True)) == [key]  # not rotated under the browser


def test_an_inactive_user_or_an_expired_session_answers_nobody(alice):
    key = logged_in(alice)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert session_user_id(key) is None
    key = logged_in(alice)
    alice.is_active = False
    alice.save()
    assert session_user_id(key) is None
