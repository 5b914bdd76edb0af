"""Alerts from runtime events: every write, by concern.

- ``ingest``: ``ingest_events`` (a parsed batch) and ``alerts_tick`` / ``alerts_tick_all`` (time-based
  rules) under the gateway's rule-state lock;
- ``batch``: what one ingest or tick does to the gateway's alerts, in memory, written back once;
- ``lifecycle``: acknowledge, resolve, silence (by people, audited);
- ``raised``: alerts the panel's own rules raise and clear (posture alerts);
- ``publish``: after commit, the doorbells that tell the workers' hubs.

Persist first, then push: every change to an alert writes an ``AlertEvent`` row (a monotonic id) in
the same transaction, and only after commit is a doorbell sent to the channel layer. A socket that
missed one catches up from the table (``selectors.alert_backfill``). Group names are
``live.groups``'; the hand-written statements ``services.rawsql``'.
"""

from .batch import IngestResult
from .ingest import alerts_tick, alerts_tick_all, ingest_events
from .lifecycle import AlertStateError, alert_acknowledge, alert_resolve, silence_create
from .raised import alert_clear, alert_raise

__all__ = [
    "AlertStateError",
    "IngestResult",
    "alert_acknowledge",
    "alert_clear",
    "alert_raise",
    "alert_resolve",
    "alerts_tick",
    "alerts_tick_all",
    "ingest_events",
    "silence_create",
]
