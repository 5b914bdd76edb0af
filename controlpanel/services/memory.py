"""Memory policy inputs (manifests, sandbox policy, workloads): edits by owners, audited."""

from __future__ import annotations

from django.db import transaction

from controlpanel.audit.schema import MemorySandbox, Workload
from controlpanel.audit.schema import PluginManifest as ManifestModel
from controlpanel.lib import jsonlimits
from controlpanel.models import Gateway, GatewayMemoryPolicy, PluginManifest, WorkloadSpec
from controlpanel.policy.memory import sandbox_memory
from controlpanel.policy.workload import parse_quantity
from controlpanel.selectors import workload_samples

from .activity import activity_record


class MemoryInputError(ValueError):
    """Bad manifest / policy / size input; the message names the field."""


def _json_object(text: str, what: str) -> dict:
    try:
        value = jsonlimits.loads(text)
    except jsonlimits.JsonTooDeep as exc:
        raise MemoryInputError(f"{what}: {exc}") from exc
    except ValueError as exc:
        raise MemoryInputError(f"{what}: not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise MemoryInputError(f"{what}: expected a JSON object")
    return value


def plugin_manifest_set(*, gateway: Gateway, text: str, requires_execute: bool, actor) -> PluginManifest:
    data = _json_object(text, "manifest")
    try:
        parsed = ManifestModel.model_validate({**data, "requires_execute": requires_execute})
    except ValueError as exc:
        first = exc.errors()[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
        path = ".".join(str(p) for p in first["loc"]) or "manifest"
        raise MemoryInputError(f"{path}: {first['msg']}") from exc
    with transaction.atomic():
        manifest, _ = PluginManifest.objects.update_or_create(
            gateway=gateway,
            plugin=parsed.plugin,
            defaults={"manifest": data, "requires_execute": requires_execute, "updated_by": actor},
        )
        activity_record(
            action="memory.manifest_set",
            actor=actor,
            gateway=gateway,
            target=f"plugin:{parsed.plugin}",
            after={"memory_policy": data.get("memory_policy")},
        )
    return manifest


def memory_policy_set(*, gateway: Gateway, text: str, production: bool, actor) -> GatewayMemoryPolicy:
    data = _json_object(text, "sandbox policy")
    with transaction.atomic():
        policy, _ = GatewayMemoryPolicy.objects.get_or_create(gateway=gateway)
        before = policy.policy
        policy.policy, policy.production, policy.updated_by = data, production, actor
        policy.save()
        activity_record(
            action="memory.sandbox_policy_set",
            actor=actor,
            gateway=gateway,
            target="sandbox.memory",
            before=before,
            after=data,
        )
    return policy


MAX_STORED_BYTES = 2**63 - 1  # the byte columns are signed 64-bit integers (BigIntegerField)


def workload_set(
    *, gateway: Gateway, name: str, agent_id: str, request: str, limit: str, actor
) -> WorkloadSpec:
    sizes = {}
    for field, value in (("request", request), ("limit", limit)):
        try:
            sizes[field] = parse_quantity(value) if value.strip() else None
        except ValueError as exc:
            raise MemoryInputError(f"{field}: {exc}") from exc
        if sizes[field] is not None and sizes[field] > MAX_STORED_BYTES:
            too_big = f"{value.strip()!r} is more memory than the panel stores (at most 8Ei)"
            raise MemoryInputError(f"{field}: {too_big}")
    with transaction.atomic():
        workload, _ = WorkloadSpec.objects.update_or_create(
            gateway=gateway,
            name=name,
            defaults={"agent_id": agent_id, "request_bytes": sizes["request"], "limit_bytes": sizes["limit"]},
        )
        activity_record(
            action="memory.workload_set",
            actor=actor,
            gateway=gateway,
            target=f"workload:{name}",
            after={"request": request, "limit": limit, "agent": agent_id},
        )
    return workload


def audit_memory_inputs(*, gateway: Gateway) -> dict:
    """The panel-only audit inputs of a gateway, as plain JSON for the audit process."""
    policy = GatewayMemoryPolicy.objects.filter(gateway=gateway).first()
    sandbox = None
    if policy and policy.policy:
        # One reading of the sandbox policy (mode defaults included) for the page and the audit alike.
        resolved = sandbox_memory(policy.policy)
        sandbox = MemorySandbox(
            mode=resolved.mode,
            restrict_regions=resolved.restrict_regions,
            max_regions=resolved.max_regions,
            permissions=list(resolved.permissions),
        ).model_dump()
    return {
        "manifests": [
            {**m.manifest, "requires_execute": m.requires_execute} for m in gateway.plugin_manifests.all()
        ],
        "memory_sandbox": sandbox,
        "production": policy.production if policy else True,
        "workloads": [
            Workload(
                name=w.name,
                request_bytes=w.request_bytes,
                limit_bytes=w.limit_bytes,
                usage_samples=workload_samples(gateway=gateway, name=w.name),
            ).model_dump()
            for w in gateway.workloads.all()
        ],
    }
