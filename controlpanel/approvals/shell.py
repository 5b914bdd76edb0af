"""Shell-level analysis of an exec command: segments, env prefixes, inline eval, obfuscation.

The command is tokenised with ``shlex`` (POSIX mode, punctuation characters on) so that quoted text is
never mistaken for an operator: ``echo 'a;b'`` is one segment, ``echo a; b`` two. This is a reviewer's
aid, deliberately conservative (it may over-report), never an executor or a sandbox.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field

from controlpanel.approvals.env_policy import is_dangerous_env

_PUNCT = ";&|()<>\n"
# Loose on purpose: `BASH_FUNC_x%%=...` is not a shell assignment but is one for `env`; flag both.
_ASSIGN = re.compile(r"[A-Za-z_][^=\s/'\"]*=")
# Wrappers that run the rest of their argv as the real command (value-taking options listed).
_WRAPPERS = {
    "sudo": {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"},
    "doas": {"-u", "-C"},
    "env": {"-u", "-C", "-S", "--unset", "--chdir"},
    "nice": {"-n"},
    "nohup": set(),
    "time": set(),
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "command": set(),
    "exec": {"-a"},
    "builtin": set(),
    "stdbuf": {"-i", "-o", "-e"},
    "xargs": {"-I", "-d", "-n", "-P", "-L", "-s", "-E", "-a"},
    "chroot": set(),
    "setsid": set(),
    "ionice": {"-c", "-n"},
}
_INTERPRETER = re.compile(
    r"(python|pypy|node|nodejs|bun|deno|perl|ruby|php|lua|luajit|osascript|bash|sh|zsh|dash|ksh|mksh|"
    r"fish|pwsh|powershell|awk|gawk|mawk|nawk|find|make|gmake)(\d+(\.\d+)*)?(\.exe)?"
)
_SHELLS = {"bash", "sh", "zsh", "dash", "ksh", "mksh"}
# interpreter -> regex an option must match to be an inline-eval flag
_EVAL_OPTS = {
    "python": r"-[A-Za-z]*c.*",
    "pypy": r"-[A-Za-z]*c.*",
    "node": r"-e|--eval(=.*)?|-p|--print(=.*)?|-pe|-ep",
    "nodejs": r"-e|--eval(=.*)?|-p|--print(=.*)?",
    "bun": r"-e|--eval(=.*)?|-p|--print(=.*)?",
    "perl": r"-[A-Za-z]*[eE].*",
    "ruby": r"-[A-Za-z]*e.*",
    "php": r"-r.*",
    "lua": r"-e.*",
    "luajit": r"-e.*",
    "osascript": r"-e",
    "fish": r"-c|--command(=.*)?",
    "pwsh": r"(?i)-(c|command|e|ec|enc|encodedcommand)",
    "powershell": r"(?i)-(c|command|e|ec|enc|encodedcommand)",
    "make": r"--eval(=.*)?",
    "gmake": r"--eval(=.*)?",
    **{shell: r"-[A-Za-z]*c[A-Za-z]*" for shell in _SHELLS},
}


@dataclass
class Analysis:
    """What :func:`analyse` found; every list holds human-readable items."""

    segments: list[list[str]] = field(default_factory=list)
    chained: list[str] = field(default_factory=list)
    inline_eval: list[str] = field(default_factory=list)
    env_assignments: list[str] = field(default_factory=list)
    obfuscation: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=_PUNCT)
    lexer.whitespace = " \t\r"  # newline is an operator (a new command), not a blank
    lexer.commenters = ""  # keep everything: "# ; rm" is shown and flagged rather than dropped
    lexer.whitespace_split = True
    return list(lexer)


def _is_operator(token: str) -> bool:
    return bool(token) and all(c in _PUNCT for c in token)


def substitutions(text: str) -> list[str]:
    """Return the command substitutions in ``text`` that a shell would run (not in single quotes)."""
    found, quote, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and quote != "'":
            i += 2
            continue
        if quote == "'":
            quote = "" if c == "'" else quote
        elif c == "'" and not quote:
            quote = "'"
        elif c == '"':
            quote = "" if quote == '"' else '"'
        elif c == "`":
            found.append("backticks")
        elif c == "$" and text[i + 1 : i + 2] == "(" and text[i + 2 : i + 3] != "(":
            found.append("$(...)")
        elif c in "<>" and text[i + 1 : i + 2] == "(" and not quote:
            found.append(f"{c}(...)")
        i += 1
    return found


def _strip_prefix(argv: list[str], out: Analysis) -> list[str]:
    """Drop env assignments and wrappers in front of the real command, recording the assignments."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if _ASSIGN.match(word):
            out.env_assignments.append(word.split("=", 1)[0])
            i += 1
            continue
        name = word.rsplit("/", 1)[-1]
        if name in _WRAPPERS:
            i += 1
            if name == "timeout" and i < len(argv) and not argv[i].startswith("-"):
                i += 1  # the duration
            while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
                i += 2 if argv[i] in _WRAPPERS[name] else 1
            continue
        break
    return argv[i:]


def _inline_eval(argv: list[str]) -> str | None:
    if not argv:
        return None
    m = _INTERPRETER.fullmatch(argv[0].rsplit("/", 1)[-1].lower())
    if not m:
        return None
    name, rest = m.group(1), argv[1:]
    if name == "deno":
        return "deno eval" if rest[:1] == ["eval"] else None
    if name == "find":
        hit = next((a for a in rest if a in ("-exec", "-execdir", "-ok", "-okdir")), None)
        return f"find {hit}" if hit else None
    if name.endswith("awk"):
        return None if "-f" in rest else f"{name} program"
    pattern = re.compile(_EVAL_OPTS[name])
    for arg in rest:
        if not arg.startswith("-"):
            return None  # a script file: later flags belong to the script
        if pattern.fullmatch(arg):
            return f"{argv[0].rsplit('/', 1)[-1]} {arg.split('=', 1)[0][:16]}"
    return None


def _shell_script(argv: list[str]) -> str | None:
    """Return the command string of ``sh -c STRING`` (the first operand after the option cluster)."""
    m = _INTERPRETER.fullmatch(argv[0].rsplit("/", 1)[-1].lower())
    if not m or m.group(1) not in _SHELLS:
        return None
    operands = [a for a in argv[1:] if not a.startswith("-")]
    return operands[0] if operands else None


def _scripts(word: str) -> set[str]:
    return {
        unicodedata.name(c, "UNKNOWN").split(" ")[0]
        for c in word
        if c.isalpha() and unicodedata.name(c, "").split(" ")[0] not in ("", "MODIFIER")
    }


_DECODE = re.compile(r"\b(base64\s+(-d|--decode|-D)\b|xxd\s+-r|openssl\s+(base64|enc)\b.*-d\b)")
_TO_SHELL = re.compile(r"\|\s*(sudo\s+)?(/\S*/)?(ba|z|da|k|mk|fi)?sh\b|\beval\b|\bsource\b|\.\s+/dev/stdin")


def _obfuscation(text: str, segments: list[list[str]]) -> list[str]:
    """Return obfuscation findings, computed on the NFKC form of ``text`` (not on the display)."""
    found = []
    nfkc = unicodedata.normalize("NFKC", text)
    if nfkc != text:
        found.append("compatibility characters (NFKC changes the command)")
    if _DECODE.search(nfkc) and _TO_SHELL.search(nfkc):
        found.append("decoded payload run by a shell")
    if re.search(r"\\(x[0-9A-Fa-f]{2}|[0-7]{3}|u[0-9A-Fa-f]{4})", nfkc):
        found.append("hex/octal/unicode escapes")
    if re.search(r"\$\(\s*printf\b|`\s*printf\b", nfkc):
        found.append("$(printf ...) builds the command")
    if re.search(r"\$\{?IFS\}?", nfkc):
        found.append("$IFS used as a separator")
    if any(seg and seg[0].rsplit("/", 1)[-1] == "eval" for seg in segments):
        found.append("eval")
    for word in re.split(r"[\s;&|()<>'\"`$=/]+", nfkc):
        if len(_scripts(word)) > 1:
            found.append(f"mixed scripts in {word!r} (possible homoglyphs)")
            break
    return found


def analyse(text: str) -> Analysis:
    """Return the shell analysis of ``text``; unbalanced quotes are reported as obfuscation."""
    out = Analysis()
    try:
        tokens = _tokens(text)
    except ValueError as exc:  # e.g. "No closing quotation": a shell would not run what we show
        out.obfuscation.append(f"unparseable shell text ({exc})")
        tokens = text.split()
    current: list[str] = []
    for tok in tokens:
        if _is_operator(tok):
            if any(c in tok for c in "<>"):
                continue  # a redirection, not a new command
            if current:
                out.segments.append(current)
            current = []
            if tok.strip(" \t") and tok not in ("(", ")"):
                out.chained.append("newline" if tok == "\n" else tok)
            continue
        current.append(tok)
    if current:
        out.segments.append(current)
    if len(out.segments) < 2:
        out.chained.clear()  # a trailing ";" or newline joins nothing
    out.chained.extend(substitutions(text))
    for seg in out.segments:
        argv = _strip_prefix(seg, out)
        if argv and argv[0] == "export":
            out.env_assignments.extend(a.split("=", 1)[0] for a in argv[1:] if _ASSIGN.match(a))
        hit = _inline_eval(argv)
        if hit:
            out.inline_eval.append(hit)
        # A shell's -c string is itself a command line: analyse it too (one level deep is enough
        # for a flag; the reviewer sees the full text anyway).
        script = _shell_script(argv) if hit else None
        if script is not None:
            inner = analyse(script)
            out.chained.extend(inner.chained)
            out.inline_eval.extend(inner.inline_eval)
            out.env_assignments.extend(inner.env_assignments)
    out.obfuscation.extend(_obfuscation(text, out.segments))
    return out


def dangerous_env(names: list[str]) -> list[str]:
    """Return the names (deduplicated, in order) that are dangerous env overrides."""
    seen: list[str] = []
    for name in names:
        if is_dangerous_env(name) and name not in seen:
            seen.append(name)
    return seen
