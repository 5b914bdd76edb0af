"""Does a socket's session still authenticate its user? Django's own rule, asked again later.

The handshake authenticated the socket once (Channels' ``AuthMiddlewareStack``). A socket lives for
hours, so the same question is asked again whenever the answer may have changed: the user was
saved (deactivated, password changed), a session was deleted (logout elsewhere, an admin, a key
rotated), or the session's expiry came. ``session_user_id`` is ``django.contrib.auth.get_user``:
the session must exist and be unexpired, its backend must return the user (``ModelBackend``
refuses inactive users), and its hash must match the user's password (with
``SECRET_KEY_FALLBACKS``). The question changes nothing: where a page request would rotate the
session key (a hash made with a fallback key) or flush it, the socket's check only answers.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase


def _store(session_key: str) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


class _ReadOnlySession(dict):
    """A session's data for ``get_user``: what it would write (a new key, a new hash, a flush) is
    dropped, so asking leaves the browser's session as it was."""

    def __setitem__(self, key: str, value: Any) -> None:
        pass

    def cycle_key(self) -> None:
        pass

    def flush(self) -> None:
        pass


def session_user_id(session_key: str | None) -> int | None:
    """Return the id of the user session ``session_key`` authenticates now, else None."""
    if not session_key:
        return None
    session = _ReadOnlySession(_store(session_key).items())  # loads it: {} if gone or expired
    user = auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    return user.pk if user.is_authenticated else None


def session_expiry(session_key: str | None) -> datetime | None:
    """Return when session ``session_key`` expires as stored (None: unknown, or no such session).

    Database-backed engines keep it in the row (renewed when the session is saved); others only know
    what the session's data says.
    """
    if not session_key:
        return None
    store: Any = _store(session_key)
    if hasattr(store, "get_model_class"):
        row = store.get_model_class().objects.filter(session_key=session_key).values_list("expire_date")
        found = row.first()
        return found[0] if found else None
    if not store.exists(session_key):
        return None
    return store.get_expiry_date()


def session_user_of_row(session: Any) -> int | None:
    """Return the user id stored in a session row (``django.contrib.sessions`` model), if any."""
    try:
        value = session.get_decoded().get(auth.SESSION_KEY)
        return int(value) if value is not None else None
    except (ValueError, TypeError):
        return None
