"""``manage.py explain --config PATH``: what an agent can really do, like `openclaw sandbox explain`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from controlpanel.lib.envfile import EnvFileError, parse_env_text
from controlpanel.openclaw import load_config
from controlpanel.openclaw.ids import normalize_agent_id
from controlpanel.policy import AgentSelectionRequired, agent_entries, explain_json, resolve_agent

CLASS_LABELS = {"plugin": "plugin tools", "bundleMcp": "bundled MCP tools"}


class Command(BaseCommand):
    help = (
        "Resolve an agent's effective policy from an openclaw.json: sandbox, tools (allowed and denied "
        "partition the whole built-in catalogue, with the rule and config key behind each; `classes` "
        "gives the verdict on plugin tools and bundled MCP tools), elevated, exec."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--config", required=True, help="the openclaw.json (JSON5)")
        parser.add_argument("--env-file", help="KEY=VALUE lines used to resolve ${VAR} references")
        parser.add_argument(
            "--agent", help="agent id (default: the legacy default agent or the only one, as the CLI picks)"
        )
        parser.add_argument(
            "--session", help="session key, e.g. agent:main:telegram:group:123 (default: main)"
        )
        parser.add_argument(
            "--json", action="store_true", help="print JSON (the default output is a summary)"
        )

    def handle(self, *args, **opts) -> None:
        try:
            text = Path(opts["config"]).read_text(encoding="utf-8")
            env = parse_env_text(Path(opts["env_file"]).read_text()) if opts["env_file"] else {}
        except (OSError, UnicodeDecodeError, EnvFileError) as exc:
            raise CommandError(str(exc)) from exc
        result = load_config(text, env=env)
        if not result.valid:
            for issue in result.issues:
                self.stderr.write(f"{issue.path or '(root)'}: {issue.message}")
            sys.exit(1)
        agents = list(agent_entries(result.resolved))
        # Agent ids are case-insensitive, as in OpenClaw: --agent Research names the entry "research".
        wanted = normalize_agent_id(opts["agent"]) if opts["agent"] else None
        if wanted and agents and wanted not in {normalize_agent_id(a) for a in agents}:
            raise CommandError(f"--agent: no agent {opts['agent']!r} (agents: {', '.join(agents)})")
        try:
            policy = resolve_agent(result.resolved, wanted, session_key=opts["session"])
        except AgentSelectionRequired as exc:
            raise CommandError(f"--agent: {exc}") from exc
        doc = explain_json(policy)
        if opts["json"]:
            self.stdout.write(json.dumps(doc, indent=2, sort_keys=False))
            return
        sandbox = doc["sandbox"]
        self.stdout.write(f"agent {doc['agentId']}  session {doc['sessionKey']}")
        self.stdout.write(
            f"sandbox mode {sandbox['mode']}, this session sandboxed: {sandbox['sessionIsSandboxed']}"
        )
        self.stdout.write(f"allowed ({len(doc['tools']['allowed'])}): {', '.join(doc['tools']['allowed'])}")
        for tool in doc["tools"]["denied"]:
            source = doc["tools"]["sources"][tool]
            self.stdout.write(f"denied {tool}: {source['source']} {source['key']}")
        for name, verdict in doc["tools"]["classes"].items():
            word = "allowed" if verdict["allowed"] else "denied"
            self.stdout.write(f"{CLASS_LABELS[name]} {word}: {verdict['source']} {verdict['key']}")
