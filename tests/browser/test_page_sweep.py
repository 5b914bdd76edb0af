"""Every page, as an owner and as a viewer, on the demo data, at 1366 px and 390 px wide.

The pages are discovered from the URLconf (pages other developers add are swept too): each named
pattern is filled from the demo data (FILL below; a route whose kwargs it cannot fill fails the test
loudly), fetched once with Django's client, and kept if it answers a whole HTML page. Then Chromium
visits each one and checks:

- no horizontal scroll and no visible element reaching past the viewport (scroll containers may hold
  wider content: only the container itself must fit);
- no raw Python values in the text people read (``['``, ``{'``, ``('``, ``None``, ``True``, ``False``
  outside code, pre, inputs);
- no console error (a CSP violation or a failed resource load is one);
- axe-core (vendored under tests/browser/vendor, see tools/vendor/fetch.sh): no serious or critical
  violation.

Screenshots go to var/screenshots/<role>-<width>-<page>.png (CI keeps them as artifacts).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.alerts.servers import Server, manage, server_env, session_for

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
ROLES = ("owner", "viewer")

# Query strings that show a page in another state worth sweeping (by URL name).
VARIANTS: dict[str, list[str]] = {
    "approvals-inbox": ["?view=history"],
    "agent-detail": ["?tool=browser", "?session=group"],
    "alert-list": ["?state=firing"],
    "gateway-memory": ["?plugin=data-processor&operation=execute"],
    "alert-memory": ["?subject=workload:payment-processor"],
    "docs-ingest": ["?gateway={gateway}"],
}
# Pages of one user's own objects (another user, even of the same gateways, gets 404).
OWN_ONLY = {"fleet-change", "fleet-change-previewing"}
# Not swept: logout (a POST); the login page is swept logged out; the global notification pages are
# superusers' only and render the same templates as a gateway's (swept).
NOT_SWEPT = {"logout", "login"} | {
    f"notify-global-{page}" for page in ("home", "receiver-new", "receiver", "route-new", "route")
}

# Demo data plus an owner and a viewer of every demo gateway, made in the server's own database.
PASSWORD = "pw-sweep-long-enough"
SETUP = (
    f"PASSWORD = {PASSWORD!r}\n"
    + """
import json
from django.contrib.auth import get_user_model
from controlpanel.configedit.fleet import Change
from controlpanel.models import Gateway, GatewayMembership, Role
from controlpanel.services.config_fleet import fleet_change_preview, fleet_preview_run
from controlpanel.services.invitations import invitation_create
from controlpanel.services.notify.config import receiver_create, route_create
users = {}
for role in ("owner", "viewer"):
    user = users[role] = get_user_model().objects.create_user(f"sweep-{role}", password=PASSWORD)
    for gateway in Gateway.objects.all():
        GatewayMembership.objects.create(user=user, gateway=gateway, role=role)
gateway = Gateway.objects.get(name="team-prod")
# Two fleet changes: one previewed (its per-gateway results), one still previewing (its progress:
# the sweep's server runs no task worker, so it stays so).
fleets = [
    fleet_change_preview(
        user=users["owner"], change=Change(kind="baseline"), gateways=Gateway.objects.all(), reason="sweep"
    )
    for _ in range(2)
]
fleet, fleet_running = fleets
fleet_preview_run(fleet_id=fleet.pk, target_ids=list(fleet.targets.values_list("pk", flat=True)))
receiver = receiver_create(gateway=gateway, name="ops", kind="email", to="ops@example.com", actor=None)[0]
route = route_create(
    gateway=gateway, actor=None, name="critical to ops", matchers="severity=critical", receiver=receiver,
    parent=None, continue_matching=False, group_by="", group_wait="30s", group_interval="5m",
    repeat_interval="4h",
)
print("DEMO" + json.dumps({
    "gateway": str(gateway.code),
    "run": str(gateway.audit_runs.order_by("-created_at").first().code),
    "pairing": str(gateway.pairing_requests.filter(kind="device", status="pending").first().code),
    "exec": str(gateway.exec_requests.filter(status="pending").first().code),
    "agent": gateway.exec_requests.first().agent_ref,
    "device": str(gateway.devices.first().code),
    "invitation": invitation_create(gateway=gateway, role=Role.VIEWER, actor=None)[1],
    "alert": gateway.alerts.first().pk,
    "receiver": receiver.pk,
    "route": route.pk,
    "fleet": str(fleet.code),
    "fleet_running": str(fleet_running.code),
    "config": gateway.config_text,
}))
"""
)


class UnfillableURL(AssertionError):
    pass


GUESSED = "987654321"  # for a kwarg of POST-only actions (never a real pk); a GET page with it fails loudly


@dataclass
class Demo:
    gateway: str
    run: str
    pairing: str
    exec: str
    agent: str
    device: str
    invitation: str
    alert: int
    receiver: int
    route: int
    fleet: str
    fleet_running: str
    config: str  # the team-prod gateway's openclaw.json (the import flow reviews it as a new gateway)

    def fill(self, name: str, route: str, kwarg: str) -> str:
        """The value of ``kwarg`` in ``route`` from the demo data (fails loudly when unknown)."""
        if kwarg == "code":
            for prefix, value in (
                ("gateways/", self.gateway),
                ("api/v1/gateways/", self.gateway),
                ("audits/", self.run),
                ("api/v1/audits/", self.run),
                ("approvals/pairing/", self.pairing),
                ("approvals/exec/", self.exec),
                ("fleet/changes/", self.fleet),
                ("api/v1/approvals/", self.exec),
            ):
                if route.startswith(prefix):
                    return value
        if kwarg == "agent_id":
            return self.agent
        if kwarg == "device_code":
            return self.device
        if kwarg == "fmt":
            return "json"
        if kwarg == "token" and route.startswith("invitations/"):
            return self.invitation
        if kwarg == "number" and "/config/revisions/" in route:
            return "1"  # the first revision: the demo's import
        if kwarg == "action" and route.endswith("/<str:action>/"):
            return "test"  # a POST-only action (test, up, remove, ...): 405 to the probe
        if kwarg == "pk":
            for part, value in (
                ("/alerts/", self.alert),
                ("/receivers/", self.receiver),
                ("/routes/", self.route),
            ):
                if route.startswith("gateways/") and part in route:
                    return str(value)
            return GUESSED  # fine for a POST-only action (405 to the probe); a page must be taught
        raise UnfillableURL(
            f"{name}: the page sweep does not know how to fill <{kwarg}> in {route!r}; "
            "teach Demo.fill in tests/browser/test_page_sweep.py"
        )


def _patterns(resolvers=None, prefix: str = ""):
    for p in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield p, prefix + str(p.pattern)


def _url(demo: Demo, pattern: URLPattern, route: str) -> str:
    def value(match: re.Match) -> str:
        return demo.fill(pattern.name, route, match.group(1))

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, session: str) -> tuple[int, str, bytes, str]:
    """Status, content type, the body's start and the redirect's target of a GET (redirects not followed)."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read(2000), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), b"", exc.headers.get("Location", "")


def discover_pages(
    demo: Demo, base: str, session: str, behind_reauth: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """(name, path) of every URL that answers a whole HTML page to a GET by its owner. Pages that first
    ask for the password again (recent authentication) go to ``behind_reauth``: the flows visit them."""
    pages = []
    for pattern, route in _patterns():
        if pattern.name in NOT_SWEPT:
            continue
        path = _url(demo, pattern, route)
        status, content_type, body, location = _get(base + path, session)
        if status == 302 and location.startswith("/reauth/") and behind_reauth is not None:
            behind_reauth.append((pattern.name, path))
            continue
        if "<int:pk>" in route and demo.fill(pattern.name, route, "pk") == GUESSED and status != 405:
            raise UnfillableURL(
                f"{pattern.name}: GET {route!r} is a page (answered {status}) but its <pk> was guessed; "
                "teach Demo.fill in tests/browser/test_page_sweep.py a real one"
            )
        if status == 200 and content_type.startswith("text/html") and b"<html" in body:
            pages.append((pattern.name, path))
            pages += [
                (pattern.name, path + q.format(gateway=demo.gateway)) for q in VARIANTS.get(pattern.name, [])
            ]
        elif status not in (200, 301, 302, 400, 404, 405):
            raise AssertionError(f"{pattern.name} {path}: GET answered {status}")
    return pages


LAYOUT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} px > ${vw} px`);
  }
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    // Not rendered (a closed <details>, display: none): nothing to see, nothing to overflow.
    if (!r.width || !r.height || !el.checkVisibility({visibilityProperty: true})) continue;
    if ((r.right > vw + 1 || r.left < -1) && !clipped(el)) {
      const id = el.id ? "#" + el.id : "";
      const cls = typeof el.className === "string" && el.className
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      const where = `${Math.round(r.left)}..${Math.round(r.right)} px`;
      problems.push(`${el.tagName.toLowerCase()}${id}${cls} spans ${where}`);
      if (problems.length > 8) break;
    }
  }
  return problems;
}"""

# Text a person reads: not code, not form values, not hidden.
TEXT_JS = """() => {
  const skip = "code, pre, kbd, samp, textarea, script, style, template, noscript, [hidden], .code";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && !n.parentElement.closest(skip)) out.push(n.textContent);
  }
  for (const el of document.querySelectorAll("[title], [aria-label]")) {
    if (!el.closest(skip)) out.push(el.getAttribute("title") || "", el.getAttribute("aria-label") || "");
  }
  return out.join(" ");
}"""
RAW_VALUE = re.compile(r"\['|\{'|\('|\bNone\b|\bTrue\b|\bFalse\b")

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v =>
    `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""


def _slug(name: str, path: str) -> str:
    """A screenshot's name: the URL name, plus the query string of a variant."""
    query = path.partition("?")[2]
    query = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "", query)  # no UUIDs in file names
    return "-".join(p for p in [name, re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")] if p)


class Visitor:
    """One browser page that collects console errors between visits."""

    def __init__(self, page) -> None:
        self.page, self.errors = page, []
        page.on(
            "console",
            lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"script error: {e}"))

    def check(
        self, url: str, shot: Path, *, axe: bool, forbidden_ok: bool = False, not_found_ok: bool = False
    ) -> list[str]:
        """Visit ``url`` and return what is wrong with it (empty: nothing).

        ``forbidden_ok``: a 403 is the right answer (a viewer on an owner's page); the 403 page itself
        is still checked like any other.
        """
        self.errors.clear()
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        problems = []
        expected = {403} if forbidden_ok else set()
        expected |= {404} if not_found_ok else set()
        if response is None or (response.status >= 400 and response.status not in expected):
            problems.append(f"answered {response.status if response else 'nothing'}")
        problems += self.inspect(shot, axe=axe)
        errors = self.errors
        if response is not None and response.status in expected:
            errors = [e for e in errors if f"status of {response.status}" not in e]
        return [*errors, *problems]

    def inspect(self, shot: Path, *, axe: bool) -> list[str]:
        """Check the page as it is now (layout, text, axe) and take its screenshot."""
        page = self.page
        problems = page.evaluate(LAYOUT_JS)
        text = page.evaluate(TEXT_JS)
        problems += [
            f"raw value in text: {text[max(m.start() - 40, 0) : m.end() + 40]!r}"
            for m in RAW_VALUE.finditer(text)
        ][:5]
        if axe:
            page.evaluate(AXE)
            problems += page.evaluate(AXE_JS)
        page.screenshot(path=str(shot), full_page=True)
        return problems


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """`make run`'s panel: daphne on the real settings (collected static files, the strict CSP,
    WebSockets) with the demo data, an owner and a viewer."""
    env = server_env(tmp_path_factory.mktemp("sweep"))
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    demo = Demo(**json.loads(manage(env, "shell", "-c", SETUP).split("DEMO", 1)[1]))
    server = Server(env).start()
    try:
        yield server, demo, {role: session_for(env, f"sweep-{role}") for role in ROLES}
    finally:
        server.stop()


def _context(browser, server, width_name: str, session: str | None):
    width, height = WIDTHS[width_name]
    context = browser.new_context(viewport={"width": width, "height": height})
    if session:
        context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, Visitor(page)


@pytest.mark.browser
def test_every_page_at_both_widths(browser, demo_server):
    server, demo, sessions = demo_server
    behind_reauth: list[tuple[str, str]] = []
    pages = discover_pages(demo, server.url, sessions["owner"], behind_reauth)
    assert len(pages) >= 25, pages
    # The same page in another state: a fleet change still previewing shows its progress.
    pages.append(("fleet-change-previewing", f"/fleet/changes/{demo.fleet_running}/"))
    assert {"config-edit", "config-form"} <= {name for name, _ in behind_reauth}, behind_reauth
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for width_name in WIDTHS:
        context, visitor = _context(browser, server, width_name, None)
        shot = SCREENSHOTS / f"anonymous-{width_name}-login.png"
        found = visitor.check(f"{server.url}/login/", shot, axe=width_name == "desktop")
        failures += [f"anonymous {width_name} login: {p}" for p in found]
        context.close()
        for role in ROLES:
            context, visitor = _context(browser, server, width_name, sessions[role])
            for name, path in pages:
                shot = SCREENSHOTS / f"{role}-{width_name}-{_slug(name, path)}.png"
                # axe once per page and role (the DOM is the same at both widths; contrast too).
                found = visitor.check(
                    server.url + path,
                    shot,
                    axe=width_name == "desktop",
                    forbidden_ok=role == "viewer",
                    not_found_ok=role == "viewer" and name in OWN_ONLY,
                )
                failures += [f"{role} {width_name} {name} {path}: {p}" for p in found]
            context.close()
    failures += _flows(browser, server, demo, sessions["owner"], behind_reauth)
    assert not failures, "\n".join(failures)


# Pages reached by doing something, not by a link: a new token's one-time page, the pages behind the
# password asked again (the config editor, the settings form), an import's review, an open confirmation
# dialog, and the confirmation page a POST without confirm=yes answers with.
SUBMIT_WITHOUT_CONFIRM = """(action) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode();
  form.appendChild(csrf);
  document.body.appendChild(form);
  form.submit();
}"""


def _flows(browser, server, demo: Demo, session: str, behind_reauth: list[tuple[str, str]]) -> list[str]:
    failures = []
    for width_name in WIDTHS:
        context, visitor = _context(browser, server, width_name, session)
        page = visitor.page
        shot = SCREENSHOTS / f"owner-{width_name}-flow"

        def check(name: str) -> None:
            page.wait_for_load_state("load")
            found = [
                *visitor.errors,
                *visitor.inspect(Path(f"{shot}-{name}.png"), axe=width_name == "desktop"),
            ]
            failures.extend(f"owner {width_name} flow {name}: {p}" for p in found)
            visitor.errors.clear()

        tokens = f"{server.url}/gateways/{demo.gateway}/alerts/tokens/"
        page.goto(tokens)
        page.fill("#token-name", f"sweep {width_name}")
        page.click("#token-form button[type=submit]")
        page.wait_for_load_state("load")
        if "/reauth/" in page.url:  # an owner-only write asks for the password when it is not recent
            check("reauth")
            page.fill("#id_password", PASSWORD)
            page.click("#reauth-password button[type=submit]")
            page.wait_for_url(tokens)
            page.fill("#token-name", f"sweep {width_name}")
            page.click("#token-form button[type=submit]")
        page.wait_for_url(f"{server.url}/once/")
        check("token-shown-once")
        for name, path in behind_reauth:  # the password was just given again: these pages open now
            response = page.goto(server.url + path)
            if response is None or response.status != 200 or "/reauth/" in page.url:
                failures.append(f"owner {width_name} {name} {path}: answered {response and response.status}")
            check(_slug(name, path))
        page.goto(f"{server.url}/import/")  # the review of an import, before Create
        page.fill("#id_name", f"sweep-import-{width_name}")
        page.fill("#id_config_text", demo.config)
        page.click("#review-import")
        page.locator("#save-form").wait_for()
        check("import-review")
        page.goto(f"{server.url}/gateways/{demo.gateway}/devices/")
        page.locator("details.confirm > summary", has_text="Revoke").first.click()
        check("confirm-dialog")
        action = page.locator("details.confirm[open] form").get_attribute("action")
        page.evaluate(SUBMIT_WITHOUT_CONFIRM, action)
        page.wait_for_url(f"{server.url}{action}")
        check("confirm-page")
        context.close()
    return failures
