"""Tasks that need a live gateway connection (queue "gateways"): the gateway worker holding the
gateway's connection claims them (``claim_next`` matching ``gateway_id``) and calls them with a
``GatewayContext`` (the connection, and ``db`` to run ORM code on its database thread). They wait
in the queue while the gateway is not connected; a worker that dies mid-task has them taken back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from controlpanel.background import TaskResult, last_error, task
from controlpanel.background.worker import GATEWAY_QUEUE

if TYPE_CHECKING:
    from controlpanel.gatewayworker import GatewayContext


def _push_gave_up(result: TaskResult) -> None:
    from controlpanel.services.gateway_links import config_push_abandon

    config_push_abandon(
        push_id=result.kwargs["push_id"],
        error=f"Not sent after {result.attempts} attempt(s): {last_error(result)}",
    )


@task(queue_name=GATEWAY_QUEUE, max_attempts=5, retry_delay=5, on_give_up=_push_gave_up)
async def config_push_send(gw: GatewayContext, *, gateway_id: int, push_id: int) -> str:
    """Send a queued push with its base hash: a concurrent edit makes the gateway refuse.

    A merge patch goes as ``config.patch``, a whole revision as ``config.apply``. A refusal is the
    push's outcome (recorded with the gateway's words per path); a transient error (the gateway
    restarting) raises, so the task is retried with the same base hash. When the gateway restarts to
    apply it, the worker reconnects and reads the running config again (``config_live``).
    """
    from controlpanel.gatewayclient import GatewayError
    from controlpanel.services import gateway_links as links

    pending = await gw.db(links.config_push_pending, push_id)
    if pending is None:
        return "already answered"
    patch, base_hash, mode = pending
    method = "config.apply" if mode == "apply" else "config.patch"
    try:
        result = await gw.conn.call(method, {"raw": patch, "baseHash": base_hash})
    except GatewayError as exc:
        if exc.transient:
            raise
        issues = exc.details.get("issues") if isinstance(exc.details.get("issues"), list) else []
        await gw.db(links.config_push_record, push_id=push_id, ok=False, error=exc.message, issues=issues)
        return "refused"
    result = result if isinstance(result, dict) else {}
    stats = ((result.get("sentinel") or {}).get("payload") or {}).get("stats") or {}
    restart_required = bool(stats.get("requiresRestart") or result.get("requiresRestart"))
    if restart_required:
        gw.restart_expected()  # the gateway restarts soon: its refusals are that restart
    await gw.db(
        links.config_push_record,
        push_id=push_id,
        ok=True,
        result_hash=str(result.get("hash") or ""),
        restart_required=restart_required,
    )
    return "applied"
