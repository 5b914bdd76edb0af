"""Every check module, imported explicitly so the registry is complete and visible.

Emission order is set per check (`order=`), so this list only has to be complete.
"""

from . import (  # noqa: F401
    approvals,
    exec_runtime,
    exposure,
    gateway,
    gateway_auth,
    hooks,
    http,
    memory,
    models,
    nodes,
    sandbox,
    secrets,
    summary,
    tools,
    workload,
)
