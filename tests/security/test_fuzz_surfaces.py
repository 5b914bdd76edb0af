"""Fuzzing every body the panel accepts (issue 19): the ingest API, the config API and every form.

Hostile text (NUL, lone surrogates, CR/LF, markup, ``${VAR}``, long and deep values) must never
answer 500, and a refusal (4xx) writes nothing: every table's row count is unchanged. Bounded for the
suite; run it once with a large budget: ``CP_FUZZ_EXAMPLES=2000 pytest tests/security/test_fuzz_surfaces.py``
(and the same with ``-m postgres`` and DATABASE_URL, where NUL used to fail).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlpanel.models import Role
from controlpanel.services.api_tokens import api_token_create
from controlpanel.services.ingest_tokens import ingest_token_create
from tests.conftest import MINIMAL_CONFIG, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BUDGET = int(os.environ.get("CP_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=BUDGET, deadline=None, suppress_health_check=list(HealthCheck))
SEEN = {"cases": 0}

HOSTILE = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\r\nSet-Cookie: y=1",
    '"><script>alert(1)</script>',
    "${GW_TOKEN}",
    '=HYPERLINK("http://x")',
    "x" * 5000,
    "[" * 2000 + "]" * 2000,
    "{" + '"a":' * 300 + "1" + "}" * 300,
    "-1",
    "99999999999999999999",
    "",
    " ",
]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def row_counts() -> dict[str, int]:
    skip = {"Session", "AccessAttempt", "AccessLog", "AccessFailureLog", "DBTaskResult"}
    return {m.__name__: m.objects.count() for m in apps.get_models() if m.__name__ not in skip}


def checked(response, before: dict[str, int], label: str) -> None:
    SEEN["cases"] += 1
    assert response.status_code < 500, (label, response.status_code, response.content[:500])
    if 400 <= response.status_code < 500:
        assert row_counts() == before, (label, response.status_code, "a refusal wrote rows")


def config_texts() -> st.SearchStrategy[str]:
    """Configs: the valid one with hostile text spliced in somewhere, or anything at all."""
    spliced = st.builds(
        lambda at, piece, escape: (
            MINIMAL_CONFIG[:at] + (json.dumps(piece)[1:-1] if escape else piece) + MINIMAL_CONFIG[at:]
        ),
        st.integers(0, len(MINIMAL_CONFIG)),
        text,
        st.booleans(),
    )
    return st.one_of(spliced, text)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(oracle_parity_paused):
    """Fresh rate limits; generated configs are not for the real validator's comparison."""
    cache.clear()


# --- the ingest API ------------------------------------------------------------------------------


@FUZZ
@given(
    body=st.one_of(
        st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["exec.denied", "clw-sandbox-escape", "x"])},
                optional={"agent": text, "command": text, "extra": json_values},
            ),
            max_size=5,
        ).map(json.dumps),
        json_values.map(json.dumps),
        text,
    ),
    plain=st.booleans(),
)
def test_the_ingest_api_never_answers_500_and_a_refusal_writes_nothing(alpha, alice, body, plain):
    cache.clear()
    token = ingest_token_create(gateway=alpha, name="fuzz", actor=alice)[1]
    before = row_counts()
    response = Client().post(
        reverse("api-ingest-events", kwargs={"code": alpha.code}),
        data=body.encode("utf-8", "surrogatepass"),
        content_type="text/plain" if plain else "application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    checked(response, before, "ingest")


# --- the config API ------------------------------------------------------------------------------


@FUZZ
@given(
    endpoint=st.sampled_from(["validate", "create", "replace", "revision", "rollback"]),
    body=st.fixed_dictionaries(
        {},
        optional={
            "config": config_texts() | json_values,
            "env": st.dictionaries(text, text, max_size=3) | json_values,
            "name": text,
            "baseHash": text,
            "reason": text,
            "dryRun": scalars,
        },
    ),
)
def test_the_config_api_never_answers_500_and_a_refusal_writes_nothing(alpha, alice, endpoint, body):
    cache.clear()
    token = api_token_create(user=alice, name="fuzz")[1]
    code = alpha.code
    method, url = {
        "validate": ("post", reverse("api-config-validate")),
        "create": ("post", reverse("api-gateway-create")),
        "replace": ("put", reverse("api-gateway-config", kwargs={"code": code})),
        "revision": ("post", reverse("api-config-revisions", kwargs={"code": code})),
        "rollback": ("post", reverse("api-config-rollback", kwargs={"code": code, "number": 1})),
    }[endpoint]
    if "baseHash" in body and body["baseHash"] == "":
        body["baseHash"] = alpha.config_hash  # sometimes a right one, so the save itself is reached
    before = row_counts()
    response = getattr(Client(), method)(
        url,
        data=json.dumps(body).encode(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    checked(response, before, endpoint)


# --- every form ----------------------------------------------------------------------------------

# Forms that end the session or the gateway, or a second factor: covered by their own tests.
SKIPPED = ("logout", "/delete/", "password", "two-factor", "webauthn", "oidc", "reauth")


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values seen (options)


class _Forms(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.forms, self.current = page, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            action = urlsplit(a.get("action") or self.page).path or self.page
            self.current = Form(action)
            self.forms.append(self.current)
        elif self.current is not None and tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("type") in ("submit", "button", "file") or a["name"] == "csrfmiddlewaretoken":
                return
            self.current.fields.setdefault(a["name"], []).append(a.get("value") or "")
        elif self.current is not None and tag == "option" and self.current.fields:
            last = list(self.current.fields)[-1]
            self.current.fields[last].append(a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def _pages(gateway) -> list[str]:
    code = {"code": gateway.code}
    names = [
        "gateway-detail",
        "gateway-connection",
        "gateway-reimport",
        "config-edit",
        "config-form",
        "config-history",
        "config-live",
        "member-list",
        "gateway-tags",
        "ingest-tokens",
        "alert-list",
        "approvals-inbox",
        "account-tokens",
        "account-people",
        "gateway-import",
        "fleet-change-new",
        "audit-fleet",
    ]
    from controlpanel.views import gateways

    pages = [reverse(f"gateway-{tab}", kwargs=code) for tab in gateways.TABS if tab != "overview"]
    for name in names:
        try:
            pages.append(reverse(name, kwargs=code))
        except Exception:
            pages.append(reverse(name))
    return pages


@pytest.fixture
def forms(alpha, alice) -> list[Form]:
    make_pairing(alpha)
    client = Client()
    client.force_login(alice)
    found: dict[str, Form] = {}
    for page in _pages(alpha):
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms(page)
        parser.feed(response.content.decode())
        for form in parser.forms:
            if not any(s in form.action for s in SKIPPED):
                found.setdefault(form.action, form)
    assert len(found) >= 15, sorted(found)  # the scrape found the panel's forms
    return [found[k] for k in sorted(found)]


def test_the_scrape_finds_the_config_and_membership_forms(forms, alpha):
    actions = {f.action for f in forms}
    for name in ("gateway-reimport", "config-review", "member-invite", "suppression-add", "alert-silence"):
        assert reverse(name, kwargs={"code": alpha.code}) in actions, name


@FUZZ
@given(data=st.data())
def test_every_form_never_answers_500_and_a_refusal_writes_nothing(alpha, alice, bob, forms, data):
    form = data.draw(st.sampled_from(forms), label="form")
    values = {
        name: data.draw(st.sampled_from(seen) | text if any(seen) else text, label=name)
        for name, seen in form.fields.items()
        if data.draw(st.integers(0, 9), label=f"send {name}")  # mostly sent
    }
    values = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in values.items()}
    user = data.draw(st.sampled_from([alice, bob]), label="who")  # owner, admin
    client = Client()
    client.force_login(user)
    before = row_counts()
    response = client.post(form.action, values)
    checked(response, before, form.action)
    assert alpha.memberships.filter(role=Role.OWNER).exists()


def test_report_the_number_of_cases(request):
    """Prints how many requests the fuzz tests above made (the large-budget run's figure)."""
    print(f"fuzz: {SEEN['cases']} requests, budget {BUDGET} per test, 0 answered 500")
