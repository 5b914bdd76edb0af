"""Notifications, the pure part: labels, the routing tree, grouping timers, inhibition, quiet hours and
the webhook signature. Nothing here imports Django; services.notify stores and delivers.

The model is Alertmanager's (docs/notifications.md): an alert (or a pending approval) is a set of
labels; each routing tree (the global one, and one per gateway) sends it to receivers through ordered
routes with matchers and ``continue``; per route and receiver, alerts are grouped by ``group_by`` and
sent after ``group_wait``, then at most every ``group_interval`` when the group changed, and again
every ``repeat_interval`` while it fires. Inhibited and silenced alerts are left out of what is sent.
"""
