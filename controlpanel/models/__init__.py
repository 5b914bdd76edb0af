"""The panel's models, one module per area; import them from here."""

from .accounts import ApiToken, ExternalIdentity, Invitation
from .activity import ActivityChainHead, ActivityEvent
from .agents import Agent, ChannelAccount
from .alerts import Alert, AlertEvent, DenialWindow, GatewayAlertState, MemorySample, Silence
from .approvals import ExecApprovalRequest
from .audits import AuditFinding, AuditRun, AuditSuppression, FleetAudit
from .base import Role
from .configs import ConfigRevision, FleetChange
from .devices import Device
from .gateways import Gateway, GatewayMembership
from .ingest import IngestToken
from .links import GatewayConfigPush, GatewayLink
from .memory import GatewayMemoryPolicy, PluginManifest, WorkloadSpec
from .pairing import PairingRequest
from .tasks import TaskSchedule, TaskWorker

__all__ = [
    "ActivityChainHead",
    "ActivityEvent",
    "Agent",
    "Alert",
    "AlertEvent",
    "ApiToken",
    "AuditFinding",
    "AuditRun",
    "AuditSuppression",
    "ChannelAccount",
    "ConfigRevision",
    "DenialWindow",
    "Device",
    "ExecApprovalRequest",
    "ExternalIdentity",
    "FleetAudit",
    "FleetChange",
    "Gateway",
    "GatewayAlertState",
    "GatewayConfigPush",
    "GatewayLink",
    "GatewayMembership",
    "GatewayMemoryPolicy",
    "IngestToken",
    "Invitation",
    "MemorySample",
    "PairingRequest",
    "PluginManifest",
    "Role",
    "Silence",
    "TaskSchedule",
    "TaskWorker",
    "WorkloadSpec",
]
