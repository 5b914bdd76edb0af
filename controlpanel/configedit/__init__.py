"""Changing a config safely: what-if, diffs, merges, redacted secrets, form fields. Pure Python, no Django.

Every text edit goes through ``controlpanel.lib.json5edit`` (comments and layout kept); every rule
question goes to ``controlpanel.policy`` and ``controlpanel.audit``.
"""
