"""Invitations: one-time links with a role, expiring, single-use, in the activity log."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from controlpanel.models import ActivityEvent, Invitation, Role
from controlpanel.services.invitations import InvitationUnusable, invitation_accept, invitation_create

from .test_two_factor import _logged_in

NEW = {
    "username": "olga",
    "email": "olga@example.com",
    "password1": "a-long-enough-pass",
    "password2": "a-long-enough-pass",
}


def _invite(client: Client, gateway, **data) -> str:
    response = client.post(
        f"/gateways/{gateway.code}/members/invite/", {"role": "admin", "email": "", **data}
    )
    assert response.status_code == 302 and response["Location"] == "/once/"  # shown once (Post/Redirect/Get)
    shown = client.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]
    return shown.context["secret"]["value"]


@pytest.mark.django_db
def test_an_owner_invites_by_link_and_a_new_person_joins_once(alpha, alice):
    link = _invite(_logged_in(alice), alpha)
    path = link.removeprefix("http://testserver")
    invitation = Invitation.objects.get()
    assert path.split("/")[2] not in invitation.token_hash  # only the hash is kept

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200 and b"Join alpha" in page.content and b"admin" in page.content
    joined = visitor.post(path, NEW)
    assert joined.status_code == 302 and joined["Location"] == f"/gateways/{alpha.code}/"
    olga = get_user_model().objects.get(username="olga")
    assert visitor.session["_auth_user_id"] == str(olga.pk)
    assert alpha.memberships.get(user=olga).role == Role.ADMIN

    again = Client().get(path)
    assert again.status_code == 410 and b"already used" in again.content
    second = Client().post(path, {**NEW, "username": "olga2"})
    assert second.status_code == 410 and not get_user_model().objects.filter(username="olga2").exists()
    actions = list(ActivityEvent.objects.filter(gateway=alpha).values_list("action", flat=True))
    assert "invitation.created" in actions and "invitation.accepted" in actions


@pytest.mark.django_db
def test_an_email_invitation_is_sent_when_mail_is_configured(settings, alpha, alice):
    settings.CP_EMAIL_ENABLED = True
    link = _invite(_logged_in(alice), alpha, email="pat@example.com", role="viewer")
    (message,) = mail.outbox
    assert message.to == ["pat@example.com"] and link in message.body and "viewer" in message.body


@pytest.mark.django_db
def test_without_mail_the_owner_is_told_to_send_the_link(alpha, alice):
    client = _logged_in(alice)
    client.post(f"/gateways/{alpha.code}/members/invite/", {"role": "viewer", "email": "pat@example.com"})
    response = client.get("/once/")  # where the link is shown once
    assert b"No mail server is configured" in response.content and not mail.outbox


@pytest.mark.django_db
def test_an_expired_or_withdrawn_invitation_does_not_work(alpha, alice, charlie):
    invitation, token = invitation_create(gateway=alpha, role=Role.OWNER, actor=alice)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(f"/invitations/{token}/", NEW)
    assert response.status_code == 410 and b"expired" in response.content
    assert not alpha.memberships.filter(user__username="olga").exists()

    invitation, token = invitation_create(gateway=alpha, role=Role.OWNER, actor=alice)
    owner = _logged_in(alice)
    owner.post(f"/gateways/{alpha.code}/members/invitations/{invitation.pk}/revoke/", {"confirm": "yes"})
    response = _logged_in(charlie).post(f"/invitations/{token}/")
    assert response.status_code == 410 and b"withdrawn" in response.content
    assert not alpha.memberships.filter(user=charlie).exists()
    assert ActivityEvent.objects.filter(action="invitation.revoked").exists()
    assert Client().get("/invitations/not-a-token/").status_code == 404


@pytest.mark.django_db
def test_a_signed_in_user_accepts_and_keeps_a_higher_role(alpha, alice, bob, charlie):
    _, token = invitation_create(gateway=alpha, role=Role.VIEWER, actor=alice)
    assert _logged_in(bob).post(f"/invitations/{token}/").status_code == 302
    assert alpha.memberships.get(user=bob).role == Role.ADMIN  # the invitation never demotes
    _, token = invitation_create(gateway=alpha, role=Role.ADMIN, actor=alice)
    _logged_in(charlie).post(f"/invitations/{token}/")
    assert alpha.memberships.get(user=charlie).role == Role.ADMIN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_let_exactly_one_through(alpha, alice, bob, charlie, vera):
    _, token = invitation_create(gateway=alpha, role=Role.OWNER, actor=alice)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def accept(user):
        barrier.wait()
        try:
            invitation_accept(token=token, user=user)
            outcomes.append("ok")
        except InvitationUnusable:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (charlie, vera)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert alpha.memberships.filter(role=Role.OWNER).count() == 2  # alice and exactly one of them
