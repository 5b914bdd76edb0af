"""Rendering exec commands for review: invisible characters, secrets and flags."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlpanel.approvals.render import Flag, escape_invisible, needs_escape, render_command

INV, OBF, EVAL, CHAIN, ENV, SECRET, MULTI = (
    Flag.INVISIBLE,
    Flag.OBFUSCATION,
    Flag.INLINE_EVAL,
    Flag.CHAINED,
    Flag.DANGEROUS_ENV,
    Flag.SECRET_REDACTED,
    Flag.MULTILINE,
)

# (command, exact text shown, flags that must be raised)
DISPLAY = [
    ("ls -la", "ls -la", set()),
    # zero-width characters
    ("git\u200b status", "git\\u{200B} status", {INV}),
    ("rm\u200d -rf /tmp/x", "rm\\u{200D} -rf /tmp/x", {INV}),
    ("echo\u2060hi", "echo\\u{2060}hi", {INV}),
    ("\ufeffls", "\\u{FEFF}ls", {INV}),
    ("cur\u00adl x", "cur\\u{00AD}l x", {INV}),  # soft hyphen
    # bidi controls (Trojan Source)
    ("echo \u202eevil\u202c", "echo \\u{202E}evil\\u{202C}", {INV}),
    ("ls \u2066a\u2069", "ls \\u{2066}a\\u{2069}", {INV}),
    ("x\u200ey\u200f", "x\\u{200E}y\\u{200F}", {INV}),
    # Hangul filler and other blank-looking code points
    ("sudo\u3164rm", "sudo\\u{3164}rm", {INV}),
    ("a\u115fb\u1160c", "a\\u{115F}b\\u{1160}c", {INV}),
    ("a\uffa0b", "a\\u{FFA0}b", {INV}),
    ("a\u2800b", "a\\u{2800}b", {INV}),
    ("rm\u00a0-rf", "rm\\u{00A0}-rf", {INV}),  # NBSP: looks like a space, is not a separator
    ("a\u3000b", "a\\u{3000}b", {INV}),
    ("a\u2028b", "a\\u{2028}b", {INV}),
    ("a\ufe0fb", "a\\u{FE0F}b", {INV}),
    ("tag\U000e0041", "tag\\u{E0041}", {INV}),
    # control characters (newline and tab stay)
    ("echo a\rb", "echo a\\u{000D}b", {INV}),
    ("echo \x1b[31mred", "echo \\u{001B}[31mred", {INV}),
    ("printf 'a\tb'", "printf 'a\tb'", set()),
    # a literal "\u{" cannot fake an escape
    ("echo \\u{200B}", "echo \\u{005C}u{200B}", set()),
    # secret-looking tokens
    ("curl -H 'Authorization: Bearer abcdef0123456789'", "curl -H 'Authorization: Bearer ***'", {SECRET}),
    ("OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234 ./run", "OPENAI_API_KEY=sk-proj-*** ./run", {SECRET}),
    ("echo sk-abcdefghijklmnopqrst", "echo sk-***", {SECRET}),
    (
        "git push https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com",
        "git push https://ghp_***@github.com",
        {SECRET},
    ),
    (
        "gh auth --with-token github_pat_11ABCDEFG0123456789abcdef",
        "gh auth --with-token github_pat_***",
        {SECRET},
    ),
    ("curl -d token=xoxb-1234-5678-abcdefgh slack", "curl -d token=xoxb-*** slack", {SECRET}),
    ("echo xoxp-1234567890-abc", "echo xoxp-***", {SECRET}),
    ("aws --key AKIAABCDEFGHIJKLMNOP", "aws --key AKIA***", {SECRET}),
    ("mysql --password=hunter22 db", "mysql --password=*** db", {SECRET}),
    ("mysql --password 'hunter 22' db", "mysql --password *** db", {SECRET}),
    ("GITHUB_TOKEN=abc123 gh pr list", "GITHUB_TOKEN=*** gh pr list", {SECRET}),
    ("psql postgres://admin:s3cr3t@db:5432/x", "psql postgres://admin:***@db:5432/x", {SECRET}),
    ("echo eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk", "echo eyJ***", {SECRET}),
    ("export GL=glpat-abcdefghijklmnop1234", "export GL=glpat-***", {SECRET}),
    ("echo ASIAABCDEFGHIJKLMNOP", "echo ASIA***", {SECRET}),
    (
        "curl 'https://x?key=AIzaSyA1234567890abcdefghijklmnopqrstuv'",
        "curl 'https://x?key=AIza***'",
        {SECRET},
    ),
    (
        "printf '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----' > k",
        "printf '-----BEGIN RSA PRIVATE KEY-----***' > k",
        {SECRET},
    ),
    ("AUTHOR=ann GIT_AUTH_TOKEN=abc git commit", "AUTHOR=ann GIT_AUTH_TOKEN=*** git commit", {SECRET}),
    ("echo no secrets here: password-reset.txt", "echo no secrets here: password-reset.txt", set()),
]


@pytest.mark.parametrize(("command", "shown", "flags"), DISPLAY)
def test_it_renders_commands_exactly(command, shown, flags):
    rendered = render_command(command)
    assert rendered.text == shown
    assert flags <= rendered.flags
    if not flags:
        assert not rendered.flags & {INV, SECRET}


# (command, flag, raised?) — each flag positive and negative
FLAGS = [
    # obfuscation
    ("echo ZWNobyBoaQ== | base64 -d | sh", OBF, True),
    ("echo ZWNobyBoaQ== | base64 --decode | bash", OBF, True),
    ("base64 -d payload.txt > out.bin", OBF, False),
    ("printf '\\x72\\x6d' -rf /", OBF, True),
    ("echo $'\\162\\155'", OBF, True),
    ('eval "$CMD"', OBF, True),
    ("$(printf 'rm') -rf /", OBF, True),
    ("cat${IFS}/etc/passwd", OBF, True),
    ("\uff52\uff4d -rf /", OBF, True),  # fullwidth "rm": NFKC changes it
    ("\u0455udo ls", OBF, True),  # Cyrillic dze + Latin: homoglyph
    ("echo 'unterminated", OBF, True),
    ("echo привет", OBF, False),  # one non-Latin script is not mixing
    ("git log --oneline", OBF, False),
    # inline interpreter eval
    ("python -c 'print(1)'", EVAL, True),
    ("python3 -c 'import os'", EVAL, True),
    ("/usr/bin/python3.11 -Sc 'x'", EVAL, True),
    ("python3 script.py -c conf", EVAL, False),
    ("python3 -m http.server", EVAL, False),
    ("node -e 'process.exit()'", EVAL, True),
    ("node --eval=1", EVAL, True),
    ("node -p 1+1", EVAL, True),
    ("node server.js", EVAL, False),
    ("perl -e 'print 1'", EVAL, True),
    ("perl -ne 'print' f", EVAL, True),
    ("perl script.pl", EVAL, False),
    ("ruby -e 'puts 1'", EVAL, True),
    ("php -r 'echo 1;'", EVAL, True),
    ("lua -e 'print(1)'", EVAL, True),
    ("osascript -e 'beep'", EVAL, True),
    ("bash -c 'ls'", EVAL, True),
    ("sh -c 'ls'", EVAL, True),
    ("bash -lc 'ls'", EVAL, True),
    ("bash script.sh", EVAL, False),
    ("zsh -c ls", EVAL, True),
    ("deno eval 'console.log(1)'", EVAL, True),
    ("deno run main.ts", EVAL, False),
    ("pwsh -Command Get-Date", EVAL, True),
    ("awk '{print $1}' f", EVAL, True),
    ("awk -f prog.awk f", EVAL, False),
    ("find . -exec rm {} ;", EVAL, True),
    ("find . -name x", EVAL, False),
    ("sudo -u root python3 -c 'x'", EVAL, True),
    ("env FOO=1 node -e 1", EVAL, True),
    ("timeout 5 python3 -c 1", EVAL, True),
    ("xargs -n 1 sh -c 'echo $0'", EVAL, True),
    ("echo python -c", EVAL, False),
    # chained shell segments
    ("ls; rm -rf /", CHAIN, True),
    ("make && make install", CHAIN, True),
    ("false || rm x", CHAIN, True),
    ("cat f | sh", CHAIN, True),
    ("sleep 1 & rm x", CHAIN, True),
    ("ls\nrm -rf /", CHAIN, True),
    ("echo `id`", CHAIN, True),
    ('echo "$(id)"', CHAIN, True),
    ("diff <(ls a) <(ls b)", CHAIN, True),
    ("echo 'a; b && c | d'", CHAIN, False),
    ('echo "a; b && c | d"', CHAIN, False),
    ("echo '$(id)' '`id`'", CHAIN, False),
    ("echo a\\;b", CHAIN, False),
    ("ls > out.txt 2>&1", CHAIN, False),
    ("ls;", CHAIN, False),
    ("ls\n", CHAIN, False),
    ("bash -c 'a; b'", CHAIN, True),  # segments inside a shell -c string count too
    # dangerous env overrides
    ("LD_PRELOAD=/tmp/x.so ls", ENV, True),
    ("DYLD_INSERT_LIBRARIES=x ls", ENV, True),
    ("BASH_ENV=/tmp/rc bash script.sh", ENV, True),
    ("ENV=/tmp/rc sh x", ENV, True),
    ("BASH_FUNC_ls%%='() { id; }' bash", ENV, True),
    ("SHELLOPTS=xtrace PS4='$(id)' bash x", ENV, True),
    ("HOME=/tmp/evil git status", ENV, True),
    ("ZDOTDIR=/tmp zsh", ENV, True),
    ("NODE_OPTIONS=--require=/tmp/x.js node app.js", ENV, True),
    ("JAVA_TOOL_OPTIONS=-javaagent:x.jar java -jar a.jar", ENV, True),
    ("_JAVA_OPTIONS=x java", ENV, True),
    ("GIT_EXEC_PATH=/tmp git status", ENV, True),
    ("GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager git log", ENV, True),
    ("AWS_PROFILE=prod aws s3 ls", ENV, True),
    ("GOOGLE_APPLICATION_CREDENTIALS=/tmp/k.json gcloud x", ENV, True),
    ("AZURE_CONFIG_DIR=/tmp az login", ENV, True),
    ("RUSTUP_TOOLCHAIN=evil cargo build", ENV, True),
    ("KUBECONFIG=/tmp/k kubectl get pods", ENV, True),
    ("PYTHONPATH=/tmp python3 x.py", ENV, True),
    ("env LD_PRELOAD=x ls", ENV, True),
    ("sudo LD_LIBRARY_PATH=/tmp ls", ENV, True),
    ("export LD_PRELOAD=/tmp/x.so; ls", ENV, True),
    ("FOO=1 BAR=2 make", ENV, False),
    ("LANG=C sort f", ENV, False),
    ("echo LD_PRELOAD=x", ENV, False),  # an argument, not an assignment
    # multi-line
    ("echo a\necho b", MULTI, True),
    ("echo a\n", MULTI, False),
]


@pytest.mark.parametrize(("command", "flag", "raised"), FLAGS)
def test_it_flags_commands(command, flag, raised):
    rendered = render_command(command)
    assert rendered.has(flag) is raised, rendered.details
    if raised:
        assert rendered.details


@pytest.mark.parametrize(
    ("env", "raised"),
    [
        ({"LD_PRELOAD": "/tmp/x.so"}, True),
        ({"BASH_FUNC_x%%": "() { id; }"}, True),
        ({"AWS_SECRET_ACCESS_KEY": "x"}, True),
        ({"NODE_OPTIONS": "--inspect"}, True),
        ({"LANG": "C", "TERM": "xterm"}, False),
    ],
)
def test_it_flags_dangerous_keys_in_a_passed_env(env, raised):
    assert render_command("ls", env=env).has(ENV) is raised


def test_it_redacts_secret_values_in_a_passed_env():
    rendered = render_command("ls", env={"API_TOKEN": "abc", "URL": "https://u:pw@h", "LANG": "C\u200b"})
    assert rendered.env == ("API_TOKEN=***", "URL=https://u:***@h", "LANG=C\\u{200B}")


def test_it_renders_argv_lists_as_a_quoted_line():
    rendered = render_command(["python3", "-c", "print('a b')"])
    assert rendered.text == "python3 -c 'print('\"'\"'a b'\"'\"')'"
    assert rendered.has(EVAL)


def test_it_keeps_the_display_unnormalised():
    assert render_command("\uff52\uff4d").text == "\uff52\uff4d"


@pytest.mark.parametrize(
    "char",
    [
        "\u200b",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\u00ad",
        "\u3164",
        "\u115f",
        "\u1160",
        "\uffa0",
        "\u2800",
        "\x00",
    ],
)
def test_needs_escape_covers_the_known_invisible_characters(char):
    assert needs_escape(char)


@pytest.mark.parametrize("char", [" ", "a", "\n", "\t", "é", "ж", "中", "$", "\\"])
def test_needs_escape_leaves_visible_characters(char):
    assert not needs_escape(char)


def test_escape_invisible_reports_what_it_escaped():
    assert escape_invisible("a\u200bb\u202e") == ("a\\u{200B}b\\u{202E}", ["\\u{200B}", "\\u{202E}"])


def _visible_only(text):
    for ch in text:
        cat = unicodedata.category(ch)
        assert cat not in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp"), repr(ch)
        assert cat != "Zs" or ch == " ", repr(ch)
        assert cat != "Cc" or ch in "\n\t", repr(ch)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=80))
def test_render_never_raises_and_shows_no_invisible_characters(command):
    rendered = render_command(command)
    _visible_only(rendered.text)
    for line in rendered.env:
        _visible_only(line)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=3),
    st.lists(st.text(max_size=10), max_size=4),
)
def test_render_accepts_any_env_and_argv(env, argv):
    rendered = render_command(argv, env=env)
    _visible_only(rendered.text)
    for line in rendered.env:
        _visible_only(line)
