"""Runtime event parsing and alert rules for issue 6 (pure Python: no Django imports).

Entry points: ``parse.parse_lines``, ``parse.parse_json_event``, ``parse.parse_json_batch`` and the
state machines in ``rules``. Models live in ``models``.
"""
