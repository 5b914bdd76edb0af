"""Pull ``Label: value`` fields and small patterns out of the text of one grouped log event.

The seeds print the same fields either one per line (``Category: memory``) or run together on one
line (``... Operation: read Required permission: clw_mem_read ...``), so values are cut at the next
*known* label rather than at line ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .quantities import QuantityError, parse_bytes

# Longest first so "Required permission" wins over "Required".
LABELS: tuple[str, ...] = tuple(
    sorted(
        (
            "Operation",
            "Required permission",
            "Current session permissions",
            "Sandbox policy",
            "Process",
            "Category",
            "Subtype",
            "Details",
            "Signal",
            "Fault address",
            "Access type",
            "Attempted",
            "Plugin",
            "Action",
            "Region",
            "Reason",
            "Hint",
            "Subject",
            "Object",
            "Required",
            "Available",
            "Workload",
            "Resource",
            "Limit",
            "Usage",
            "Current usage",
            "Memory stats",
            "Container",
            "Exit code",
            "Exit Code",
            "Name",
            "Namespace",
            "Status",
            "Memory",
            "Last State",
        ),
        key=len,
        reverse=True,
    )
)
_LABEL_RE = re.compile(r"(?:^|(?<=[\s,]))(" + "|".join(re.escape(label) for label in LABELS) + r"):(?=\s|$)")
_HEX_AT_RE = re.compile(r"\bat (0x[0-9a-fA-F]{1,16})\b")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]{1,16}$")
_REGION_RE = re.compile(r"\bregion (0x[0-9a-fA-F]{1,16}\s*-\s*0x[0-9a-fA-F]{1,16})\b")
# Straight, curly (\u2018 \u2019: seed 000 prints 'net-scanner' with them) and back quotes.
_QUOTES = "'\"`\u2018\u2019"
_PLUGIN_QUOTED_RE = re.compile(rf"\bplugin\s+[{_QUOTES}]([^{_QUOTES}]{{1,200}})[{_QUOTES}]")
_PID_RE = re.compile(r"\(PID (\d{1,10})\)|\bterminated process (\d{1,10})\b")
# Anchored at the end and searched, not matched with a lazy prefix: ".*?\s*" backtracks
# quadratically on long runs of spaces.
_TRAILING_PID_RE = re.compile(r"\(PID (\d{1,10})\)$")
_VERSION_RE = re.compile(r"v\d[\w.+-]*")
_SIGNAL_RE = re.compile(r"\b(SIG[A-Z0-9]{2,10})\b(?:\s*\((\d{1,3})\))?")
_EXIT_CODE_RE = re.compile(r"\bexit code (-?\d{1,10})\b", re.IGNORECASE)
_PERCENT_RE = re.compile(r"(\d{1,6}(?:\.\d{1,6})?)\s*%")
_KV_STAT_RE = re.compile(r"\b(used|limit)=([^,]+)")


@dataclass
class Fields:
    """The labelled values of one event, the unlabelled summary before them and any problems."""

    values: dict[str, str]
    summary: str
    text: str
    line: int
    problems: list[str] = field(default_factory=list)

    def get(self, label: str) -> str | None:
        """Return the value for ``label`` (case-insensitive label match), or None."""
        for key, value in self.values.items():
            if key.lower() == label.lower():
                return value or None
        return None

    def problem(self, label: str, reason: str) -> None:
        """Record that ``label`` could not be read; the event keeps that field empty."""
        self.problems.append(f"line {self.line}: {label}: {reason}")

    def bytes_of(self, label: str, raw: str | None) -> int | None:
        """Return ``raw`` as bytes, recording a problem (and returning None) if it is not a quantity."""
        if raw is None:
            return None
        try:
            return parse_bytes(raw)
        except QuantityError as exc:
            self.problem(label, str(exc))
            return None

    def hex_of(self, label: str) -> str | None:
        """Return the labelled value if it is a hex address, recording a problem otherwise."""
        raw = self.get(label)
        if raw is None:
            return None
        token = raw.split()[0]
        if _HEX_RE.match(token):
            return token.lower()
        self.problem(label, f"not a hex address: {raw[:40]!r}")
        return None


def extract(body: str, line: int) -> Fields:
    """Return the labelled fields of ``body``; text before the first label becomes the summary."""
    matches = list(_LABEL_RE.finditer(body))
    summary_end = matches[0].start() if matches else len(body)
    values: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        # A value never spans lines: the next line is another record's free text.
        value = body[match.end() : end].strip().split("\n", 1)[0]
        # Keep the first occurrence: later ones are usually inside free text.
        values.setdefault(match[1], value.rstrip().rstrip(",").strip())
    return Fields(values=values, summary=body[:summary_end].strip(), text=body, line=line)


def hex_address_in(text: str) -> str | None:
    """Return the address in ``... at 0x7fff5a3c0000``, lower-cased, or None."""
    match = _HEX_AT_RE.search(text)
    return match[1].lower() if match else None


def region_in(text: str) -> str | None:
    """Return a ``0xSTART-0xEND`` range mentioned as ``region ...``, or None."""
    match = _REGION_RE.search(text)
    return re.sub(r"\s+", "", match[1]).lower() if match else None


def quoted_plugin_in(text: str) -> str | None:
    """Return the plugin named in ``plugin 'net-scanner'`` (straight or curly quotes), or None."""
    match = _PLUGIN_QUOTED_RE.search(text)
    return match[1] if match else None


def pid_in(text: str) -> int | None:
    """Return the PID in ``(PID 12847)`` or ``terminated process 12847``, or None."""
    match = _PID_RE.search(text)
    return int(match[1] or match[2]) if match else None


def name_and_pid(value: str | None) -> tuple[str | None, int | None]:
    """Split ``plugin-fetcher (PID 12847)`` into its name and PID."""
    if value is None:
        return None, None
    match = _TRAILING_PID_RE.search(value.rstrip())
    if match is None:
        return value, None
    return value[: match.start()].strip() or None, int(match[1])


def name_and_version(value: str | None) -> tuple[str | None, str | None]:
    """Split ``suspicious-plugin v0.9.1`` into its name and version."""
    if value is None:
        return None, None
    parts = value.rsplit(None, 1)
    if len(parts) == 2 and _VERSION_RE.fullmatch(parts[1]):
        return parts[0], parts[1][1:]
    return value, None


def signal_in(text: str | None) -> tuple[str | None, int | None]:
    """Return the signal name and number in ``SIGSEGV (11)`` or ``SIGKILL received``."""
    match = _SIGNAL_RE.search(text or "")
    if not match:
        return None, None
    return match[1], int(match[2]) if match[2] else None


def exit_code_in(text: str | None) -> int | None:
    """Return the number in ``(Exit code 137)``, or None."""
    match = _EXIT_CODE_RE.search(text or "")
    return int(match[1]) if match else None


def percent_in(text: str) -> float | None:
    """Return the first ``NN%`` figure in ``text``, or None."""
    match = _PERCENT_RE.search(text)
    return float(match[1]) if match else None


def usage_and_limit(fields: Fields, label: str) -> tuple[int | None, int | None]:
    """Read ``1740Mi / 2048Mi`` (usage / limit) from ``label``; a trailing ``# comment`` is ignored."""
    raw = fields.get(label)
    if raw is None:
        return None, None
    raw = raw.split("#", 1)[0]
    if "/" not in raw:
        return fields.bytes_of(label, raw.strip()), None
    usage, limit = raw.split("/", 1)
    return fields.bytes_of(label, usage.strip()), fields.bytes_of(label, limit.strip())


def memory_stats(fields: Fields) -> tuple[int | None, int | None]:
    """Read ``Memory stats: used=2147483648 bytes, limit=2147483648 bytes``."""
    raw = fields.get("Memory stats")
    if raw is None:
        return None, None
    stats = {key: value.strip() for key, value in _KV_STAT_RE.findall(raw)}
    return (
        fields.bytes_of("Memory stats used", stats.get("used")),
        fields.bytes_of("Memory stats limit", stats.get("limit")),
    )
