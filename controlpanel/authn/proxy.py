"""Trusted-proxy sign-in (oauth2-proxy, Tailscale Serve, Cloudflare Access): the proxy authenticates
people and passes the user in a header. The header is believed only from CP_TRUSTED_PROXIES; from any
other peer it is ignored and a warning is logged (someone is trying to be someone else).

The session it creates lasts while the proxy keeps sending the same user: a request from the proxy
without the header, or with another user, ends it. The peer is REMOTE_ADDR: run the panel so that it
is the proxy's address (daphne without --proxy-headers, or behind that one proxy only).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend

from controlpanel.identity.group_roles import split_groups
from controlpanel.identity.proxies import is_trusted
from controlpanel.services.identities import PROXY_ISSUER, identity_sign_in

from . import SESSION_AUTH_SOURCE

logger = logging.getLogger("controlpanel.security")
SESSION_PROXY_USER = "cp_proxy_user"


def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class TrustedProxyBackend(ModelBackend):
    """Authenticates only the calls TrustedProxyMiddleware makes (``proxy_user=``)."""

    def authenticate(self, request, proxy_user=None, proxy_groups=(), **kwargs):
        if request is None or not proxy_user:
            return None
        return identity_sign_in(
            issuer=PROXY_ISSUER,
            subject=proxy_user,
            email=proxy_user if "@" in proxy_user else "",
            email_verified=True,  # the proxy vouches for the address it sends
            username_hint=proxy_user.split("@")[0],
            groups=list(proxy_groups),
            create_users=settings.CP_PROXY_CREATE_USERS,
        )


class TrustedProxyMiddleware:
    """After AuthenticationMiddleware: signs the header's user in when the peer is a trusted proxy."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if settings.CP_PROXY_USER_HEADER:
            self.process_request(request)
        return self.get_response(request)

    def process_request(self, request) -> None:
        value = request.META.get(_meta_key(settings.CP_PROXY_USER_HEADER), "").strip()
        peer = request.META.get("REMOTE_ADDR")
        from_proxy = is_trusted(peer, settings.CP_TRUSTED_PROXIES)
        by_proxy = request.user.is_authenticated and request.session.get(SESSION_AUTH_SOURCE) == "proxy"
        if value and not from_proxy:
            logger.warning(
                "trusted-proxy header %s (user %r) from untrusted address %s ignored",
                settings.CP_PROXY_USER_HEADER,
                value,
                peer,
            )
            return
        if not from_proxy:
            return
        if not value:
            if by_proxy:  # the proxy no longer vouches for this session's user
                auth.logout(request)
            return
        if by_proxy and request.session.get(SESSION_PROXY_USER) == value:
            return
        groups = ()
        if settings.CP_PROXY_GROUPS_HEADER:
            groups = split_groups(request.META.get(_meta_key(settings.CP_PROXY_GROUPS_HEADER), ""))
        user = auth.authenticate(request, proxy_user=value, proxy_groups=groups)
        if user is None:
            if request.user.is_authenticated:
                auth.logout(request)
            return
        auth.login(request, user, backend="controlpanel.authn.proxy.TrustedProxyBackend")
        request.session[SESSION_PROXY_USER] = value
