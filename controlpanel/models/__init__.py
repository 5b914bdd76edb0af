"""The panel's models, one module per area; import them from here."""

from .activity import ActivityChainHead, ActivityEvent
from .agents import Agent, ChannelAccount
from .alerts import Alert
from .approvals import ExecApprovalRequest
from .audits import AuditFinding, AuditRun
from .base import Role
from .devices import Device
from .gateways import Gateway, GatewayMembership
from .pairing import PairingRequest

__all__ = [
    "ActivityChainHead",
    "ActivityEvent",
    "Agent",
    "Alert",
    "AuditFinding",
    "AuditRun",
    "ChannelAccount",
    "Device",
    "ExecApprovalRequest",
    "Gateway",
    "GatewayMembership",
    "PairingRequest",
    "Role",
]
