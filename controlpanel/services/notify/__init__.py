"""Notifications: every write of the pipeline (docs/notifications.md).

- ``outbox``: the hooks that alert ingest and approvals call inside their transaction: one task row
  (the outbox) per transaction, so a notification exists exactly when its cause committed;
- ``routing``: the routing task: labels → the trees → groups; flushing a group writes a
  ``Notification`` and its delivery task in one transaction;
- ``delivery``: sends one notification (same idempotency key on every attempt), logs each attempt;
- ``senders``: webhook (signed), Apprise, email, Web Push;
- ``config``: receivers and routes (owners; audited); ``personal``: a person's settings, browsers;
- ``health``: a gateway that cannot be reached raises ``gateway.down``, recovery resolves it.
"""
