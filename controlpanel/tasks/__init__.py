"""The panel's background tasks, one module per area; each task is thin and calls one service.

Imported by the app's ``ready()`` so that every process knows the periodic schedule. Services import
their tasks at module level; a task imports its service inside the function (no import cycle).
"""

from . import alerts, approvals, audits, configs, gateways, maintenance, notify

__all__ = ["alerts", "approvals", "audits", "configs", "gateways", "maintenance", "notify"]
