"""Approval rules of the control panel, pure Python (no Django).

Request-independent rules that the Django services call before and after their compare-and-set
transitions:

* ``contract``: answers after a lost compare-and-set, self-approval, which states grant;
* ``dm``: DM pairing codes, inbound DM decisions per dmPolicy, allowFrom updates;
* ``scopes``: operator scopes, device/node pairing approval rules;
* ``decisions``: which exec decision may be recorded; when an approval flow fails closed (the exec
  policy itself is OpenClaw's rule: ``controlpanel.policy.exec_policy``);
* ``render`` (with ``redact``, ``shell``, ``env_policy``): exec commands shown exactly, with flags;
* ``expiry``: lifetimes on an injected clock.
"""
