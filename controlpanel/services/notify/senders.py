"""Sending one notification: signed webhook, Apprise, email, Web Push.

Each sender raises ``Retry`` for a failure worth another attempt (timeouts, 5xx, 429) and
``Permanent`` for one that no retry fixes (a refused destination, 4xx, a subscription gone); it
returns a short note (the HTTP status) on success. Webhook and Apprise destinations go through
``lib.netguard`` first (SSRF: public addresses only unless CP_NOTIFY_ALLOWED_NETWORKS lists them);
the webhook then connects to the address it checked.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from controlpanel.lib import netguard
from controlpanel.notify import payload as payloads
from controlpanel.notify import signing

log = logging.getLogger(__name__)
USER_AGENT = "openclaw-controlpanel-notify/1"

# Apprise services the panel sends to. Self-hosted ones take a host from the URL, which is checked
# like a webhook's; the others talk to their service's fixed public API. Local ones (windows://,
# dbus://, syslog://, ...) and mail (use an email receiver) are refused.
APPRISE_SELF_HOSTED = frozenset(
    {
        "json", "jsons", "xml", "xmls", "form", "forms", "ntfy", "ntfys", "gotify", "gotifys",
        "mmost", "mmosts", "matrix", "matrixs", "rocket", "rockets", "apprise", "apprises",
        "nctalk", "nctalks", "ncloud", "nclouds", "zulip",
    }
)  # fmt: skip
APPRISE_CLOUD = frozenset(
    {
        "slack", "discord", "tgram", "msteams", "pover", "pushover", "pbul", "signal", "signals",
        "opsgenie", "pagerduty", "pagertree", "gchat", "wxteams", "webex", "line", "lark", "feishu",
        "dingtalk", "wecombot", "twist", "flock", "ryver", "guilded", "revolt", "bark", "barks",
        "pushed", "pjet", "pjets", "spush", "prowl", "join", "notica", "office365", "sns", "ses",
        "twilio", "vonage", "nexmo", "clicksend", "bulksms", "d7sms", "msg91", "sinch", "threema",
        "ifttt", "splunk", "victorops", "workflows", "pushplus", "pushdeer",
    }
)  # fmt: skip


class SendError(Exception):
    """A delivery attempt failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Retry(SendError):
    pass


class Permanent(SendError):
    pass


@dataclass(frozen=True)
class Sent:
    note: str
    status: int | None = None


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[netguard.Network, ...]:
    return tuple(netguard.networks(cidrs))


def _allowed() -> tuple[netguard.Network, ...]:
    """The private networks receivers may reach (CP_NOTIFY_ALLOWED_NETWORKS), parsed once per value."""
    return _networks(tuple(settings.CP_NOTIFY_ALLOWED_NETWORKS))


def check_http_url(url: str) -> tuple[str, int, list[str]]:
    """(host, port, checked addresses) of an http(s) URL the panel may send to; raises Permanent."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Permanent("the URL must start with http:// or https://")
    if parts.username or parts.password:
        raise Permanent("the URL must not carry a user name or password")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        return parts.hostname or "", port, netguard.resolve(parts.hostname or "", port, _allowed())
    except netguard.DestinationRefused as exc:
        raise Permanent(str(exc)) from None


@cache
def _pools() -> urllib3.PoolManager:
    """One pool manager per process: connections to receivers are kept alive between deliveries.
    Pools are keyed by the checked address (never the name), so a request goes where it was checked."""
    return urllib3.PoolManager(num_pools=64, maxsize=2, block=False, retries=False, headers={})


def _status_error(status: int, body: bytes) -> SendError:
    text = body[:200].decode("utf-8", "replace").strip()
    message = f"HTTP {status}" + (f": {text}" if text else "")
    if status in (408, 425, 429) or status >= 500:
        return Retry(message, status)
    return Permanent(message, status)


def send_webhook(*, url: str, secret: str, key: str, body: dict[str, Any]) -> Sent:
    """POST the signed JSON body to ``url``, connecting to the address that was checked."""
    parts = urlsplit(url)
    host, port, addresses = check_http_url(url)
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": key,
        **signing.headers(secret, key, int(time.time()), data),
    }
    timeout = urllib3.Timeout(total=settings.CP_NOTIFY_TIMEOUT_SECONDS)
    host_header = host if parts.port is None else f"{host}:{port}"
    headers["Host"] = f"[{host_header}]" if ":" in host and parts.port is None else host_header
    # The pool of the checked address (and, for https, of the name its certificate must carry).
    tls = {"server_hostname": host, "assert_hostname": host, "cert_reqs": "CERT_REQUIRED"}
    pool = _pools().connection_from_host(
        addresses[0], port, parts.scheme, pool_kwargs=tls if parts.scheme == "https" else None
    )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    for again in (True, False):
        try:
            response = pool.urlopen(
                "POST", path, body=data, headers=headers, redirect=False, retries=False, timeout=timeout
            )
            break
        except urllib3.exceptions.ProtocolError as exc:
            # A kept-alive connection the server had closed: once more on a new one (same key).
            if not again:
                raise Retry(f"{host}: {type(exc).__name__}: {exc}") from None
        except urllib3.exceptions.HTTPError as exc:
            raise Retry(f"{host}: {type(exc).__name__}: {exc}") from None
    if not 200 <= response.status < 300:
        raise _status_error(response.status, response.data)
    return Sent(f"HTTP {response.status}", response.status)


def apprise_check(url: str) -> str:
    """Check an Apprise URL against the allowed services and networks; returns its scheme."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in APPRISE_SELF_HOSTED:
        parts = urlsplit(url)
        if scheme.startswith("ntfy") and "." not in (parts.hostname or "") and parts.port is None:
            return scheme  # ntfy://topic: the public ntfy.sh service
        if parts.hostname:
            secure = scheme.endswith("s") and scheme not in ("apprise", "ncloud")
            port = parts.port or (443 if secure else 80)
            try:
                netguard.resolve(parts.hostname, port, _allowed())
            except netguard.DestinationRefused as exc:
                raise Permanent(str(exc)) from None
        return scheme
    if scheme in APPRISE_CLOUD:
        return scheme
    raise Permanent(
        f"{scheme or '(none)'}:// is not a service the panel sends to (see docs/notifications.md)"
    )


def send_apprise(*, url: str, key: str, body: dict[str, Any]) -> Sent:
    import apprise

    scheme = apprise_check(url)
    if scheme in ("json", "jsons", "xml", "xmls", "form", "forms"):
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}+Idempotency-Key={key}"  # a header on Apprise's own request
    title, text, link = payloads.summary(body)
    if link:
        text = f"{text}\n{link}" if link not in text else text
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise Permanent(f"{scheme}://: Apprise cannot read this URL")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(title=title, body=text, body_format=apprise.NotifyFormat.TEXT)
        detail = captured.getvalue().strip().splitlines()
    if not ok:
        raise Retry(f"{scheme}://: " + (detail[-1][:300] if detail else "not delivered"))
    return Sent(f"{scheme}:// accepted")


def send_email(*, to: list[str], key: str, body: dict[str, Any]) -> Sent:
    from django.core.mail import EmailMessage

    title, text, _ = payloads.summary(body)
    message = EmailMessage(
        subject=title.replace("\n", " "),
        body=text + "\n\n-- \nOpenClaw control panel",
        to=to,
        headers={"Message-ID": f"<{key}@openclaw-controlpanel>", "X-Notification-Id": key},
    )
    try:
        message.send(fail_silently=False)
    except (OSError, Exception) as exc:  # smtplib errors are OSError or SMTPException
        raise Retry(f"email: {type(exc).__name__}: {exc}") from None
    return Sent(f"email to {len(to)} recipient(s)")


def send_webpush(
    *, endpoint: str, keys: dict[str, str], private_key_pem: str, key: str, body: dict[str, Any]
) -> Sent:
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    check_http_url(endpoint)
    title, text, link = payloads.summary(body)
    severity = (body.get("commonLabels") or {}).get("severity", "")
    message = json.dumps({"title": title, "body": text[:500], "url": link, "tag": key, "id": key})
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": keys},
            data=message,
            vapid_private_key=Vapid.from_pem(private_key_pem.encode()),
            vapid_claims={"sub": settings.CP_VAPID_CONTACT},
            ttl=24 * 3600,
            headers={"Urgency": "high" if severity == "critical" else "normal"},
            timeout=settings.CP_NOTIFY_TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            raise Permanent(
                "the browser's subscription is gone (it unsubscribed or expired)", status
            ) from None
        if status is not None:
            raise _status_error(status, exc.response.content or b"") from None
        raise Retry(f"push service: {exc}") from None
    except Exception as exc:  # requests' connection errors
        raise Retry(f"push service: {type(exc).__name__}: {exc}") from None
    status = getattr(response, "status_code", 201)
    if not 200 <= status < 300:
        raise _status_error(status, getattr(response, "content", b"") or b"")
    return Sent(f"push service HTTP {status}", status)
