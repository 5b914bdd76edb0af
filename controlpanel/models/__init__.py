"""The panel's models, one module per area; import them from here."""

from .accounts import ApiToken, ExternalIdentity, Invitation
from .activity import ActivityChainHead, ActivityEvent
from .agents import Agent, ChannelAccount
from .alerts import Alert, AlertEvent, DenialWindow, GatewayAlertState, MemorySample, Silence
from .approvals import ExecApprovalRequest
from .audits import AuditFinding, AuditRun, AuditSuppression, FleetAudit
from .base import Role
from .configs import ConfigRevision, FleetChange, FleetChangeTarget
from .devices import Device
from .gateways import Gateway, GatewayMembership
from .ingest import IngestToken
from .leases import GatewayLease, GatewayWorkerProcess
from .links import GatewayConfigPush, GatewayLink
from .memory import GatewayMemoryPolicy, PluginManifest, WorkloadSpec
from .notify import (
    DeliveryAttempt,
    GroupItem,
    Notification,
    NotificationGroup,
    NotifyProfile,
    NotifySubscription,
    PushKeys,
    PushSubscription,
    Receiver,
    Route,
)
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
    "DeliveryAttempt",
    "DenialWindow",
    "Device",
    "ExecApprovalRequest",
    "ExternalIdentity",
    "FleetAudit",
    "FleetChange",
    "FleetChangeTarget",
    "Gateway",
    "GatewayAlertState",
    "GatewayConfigPush",
    "GatewayLease",
    "GatewayLink",
    "GatewayMembership",
    "GatewayMemoryPolicy",
    "GatewayWorkerProcess",
    "GroupItem",
    "IngestToken",
    "Invitation",
    "MemorySample",
    "Notification",
    "NotificationGroup",
    "NotifyProfile",
    "NotifySubscription",
    "PairingRequest",
    "PluginManifest",
    "PushKeys",
    "PushSubscription",
    "Receiver",
    "Role",
    "Route",
    "Silence",
    "TaskSchedule",
    "TaskWorker",
    "WorkloadSpec",
]
