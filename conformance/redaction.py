r"""The one redaction boundary: every text that leaves the process passes through a Redactor.

Secret-ness comes from four places:
- names: a variable, key or flag whose `_`/`-`/`.`/camelCase parts include KEY, TOKEN, SECRET,
  PASS, PASSWORD, PASSWD, AUTH, CREDENTIAL(S) or BEARER (whole parts: `max_tokens`,
  `completion_tokens` and `PASSTHROUGH` are not secrets);
- forms: URL userinfo (`postgres://user:pw@db`), `Authorization:` headers and `Bearer x`,
  `--api-key X` / `--token=X` / `--password X` argv, `sk-...` keys;
- values learned while reading secret keys (env files, router.yaml, unit environments, whatever an
  owner's test reads: `learn_from`): one of 8 characters or more is replaced everywhere, as written
  and in its escaped forms (JSON's `\"`, `\/`, `\u00xx`, URL encoding's `%2F` and `+`, in any mix);
  a shorter one only where its parser knows it sits (`mask_spans`), since replacing `abc`
  everywhere would mangle the report;
- the inventory (`secret: true` entries), which the fact parsers consult before learning.

Text is redacted before it is cut (`Redactor.clip`): a secret cut at the boundary would survive in part.
"""
from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

REDACTED = "<redacted>"
LEARN_EVERYWHERE = 8  # learned values this long or longer are replaced wherever they appear
# Test-only: the twin's leak test first proves its canaries are visible without redaction.
DISABLE_SWITCH = "CONFORMANCE_SELFTEST_LEAK_SECRETS"

SECRET_PARTS = frozenset({"KEY", "APIKEY", "TOKEN", "SECRET", "PASS", "PASSWORD", "PASSWD", "PASSPHRASE",
                          "AUTH", "CREDENTIAL", "CREDENTIALS", "BEARER"})
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_parts(name: str) -> list[str]:
    """`OPENAI_API_KEY` -> [OPENAI, API, KEY]; `apiKey` -> [API, KEY]; `auth-token` -> [AUTH, TOKEN]."""
    return [p.upper() for chunk in re.split(r"[_\-.\s]+", name) for p in _PARTS.findall(chunk)]


@functools.lru_cache(maxsize=4096)  # a run asks about the same few hundred names thousands of times
def is_secret_name(name: str) -> bool:
    return any(part in SECRET_PARTS for part in name_parts(name))


_VALUE = r"""(?P<value>"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s"',;{}\]\[]+)"""
# NAME=VALUE, NAME: VALUE, "NAME": "VALUE", --name=VALUE (the name decides; see is_secret_name)
_ASSIGNMENT = re.compile(r"""(?<![\w.:/])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<sep>["']?[ \t]*[=:][ \t]*)""" + _VALUE)
# --api-key VALUE / --token VALUE (a secret-named long option followed by its value as a separate word)
# "NAME=value" quoted as one word (systemctl show quotes an assignment whose value has a space)
_QUOTED_ASSIGNMENT = re.compile(r"""(?P<q>["'])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>[^"'\n]*)(?P=q)""")
_SECRET_FLAG = re.compile(r"""(?P<name>--?[A-Za-z][A-Za-z0-9_\-]*)(?P<sep>[ \t]+)""" + _VALUE)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^/\s:@'\"]*)(?::(?P<pw>[^/\s@'\"]*))?@")
_AUTH_HEADER = re.compile(r"(?i)(?P<head>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest)\s+)?)(?P<cred>[^\s\"',]+)")
_BEARER = re.compile(r"(?i)(?P<head>\bbearer\s+)(?P<cred>[A-Za-z0-9._~+/=\-]{4,})")
_KEY_LIKE = re.compile(r"\b(?:sk|hf|ghp|gho|glpat|xox[abp])[-_][A-Za-z0-9_\-]{6,}")
_ENV_REFERENCE = "os.environ/"  # LiteLLM's reference to a variable: a name, not a secret
# A switch's words are never a secret, whatever the name (ssh's `-o StrictHostKeyChecking=no`, `auth: false`); masked,
# they would turn a documented ExecStart into a placeholder
_SWITCH_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "ask", "accept-new", "none", "null"})


class Redactor:
    """Removes secret values from any text before it can reach an artifact."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = os.environ.get(DISABLE_SWITCH) != "1" if enabled is None else enabled
        self._known: set[str] = set()
        self._escaped: re.Pattern[str] | None = None  # the escaped forms of every known value, built when first needed
        self._done: dict[str, str] = {}  # text -> redacted, while nothing new is learned (a record is shown many times)

    def learn(self, value: str) -> None:
        """Remember a secret value found while parsing; long ones are replaced wherever they appear."""
        for piece in _pieces(value):
            if len(piece) >= LEARN_EVERYWHERE and piece not in self._known:
                self._known.add(piece)
                self._escaped = None
                self._done.clear()

    def learn_from(self, text: str) -> list[tuple[int, int]]:
        """Learn every secret value a text shows in a form this module knows (a secret-named assignment, key or
        flag, a URL's password, a credential); where each sits, for `mask_spans`."""
        found = secret_spans(text)
        for start, end in found:
            self.learn(text[start:end])
        return found

    def learned(self, text: str) -> str:
        """Only the learned values replaced (for text whose secret-looking names are not secrets, e.g. a schema)."""
        if not text or not self.enabled:
            return text
        for value in sorted(self._known, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return self._escaped_forms(text)

    def __call__(self, text: str) -> str:
        if not text or not self.enabled:
            return text
        if not isinstance(text, str):
            text = str(text)
        done = self._done.get(text)
        if done is None:
            done = self._done[text] = self._redacted(text)
        return done

    def _redacted(self, text: str) -> str:
        text = self.learned(text)
        text = _URL_USERINFO.sub(_url_userinfo, text)
        text = _AUTH_HEADER.sub(lambda m: m["head"] + REDACTED, text)
        text = _BEARER.sub(lambda m: m["head"] + REDACTED, text)
        text = _QUOTED_ASSIGNMENT.sub(_quoted_assignment, text)
        text = _ASSIGNMENT.sub(_assignment, text)
        text = _SECRET_FLAG.sub(_flag, text)
        return _KEY_LIKE.sub(REDACTED, text)

    def _escaped_forms(self, text: str) -> str:
        """Known values written escaped (JSON, URL encoding, in any mix): found through a decoded copy first, so the
        slow per-character pattern only runs on a text that holds one."""
        if not self._known or not _ESCAPES.search(text):
            return text
        decoded = _unescape(_unescape(text))
        if not any(value in decoded for value in self._known):
            return text
        if self._escaped is None:
            self._escaped = re.compile("|".join(_escaped_form(v) for v in sorted(self._known, key=len, reverse=True)))
        return self._escaped.sub(REDACTED, text)

    @property
    def reach(self) -> int:
        """The longest a known value can be as written in a text (each byte URL-encoded twice, `%25XX`)."""
        return max((len(v.encode("utf-8")) for v in self._known), default=0) * 5

    def clip(self, text: str, limit: int | None, *, cut_at_source: bool = False) -> str:
        """The text as it may leave, at most `limit` characters of it (None: all): redacted FIRST, then cut, so no
        secret survives in part. `cut_at_source`: the text is already a prefix of what came (a body past what was
        kept), so its last `reach` characters may hold the start of a known value: they are dropped too."""
        text = self(text)
        if not self.enabled:
            cut_at_source = False
        shown = len(text) - self.reach if cut_at_source else len(text)
        if limit is not None:
            shown = min(shown, limit)
        if shown >= len(text):
            return text
        more = f"{len(text) - max(shown, 0)} more characters" + (" and more not kept" if cut_at_source else "")
        return text[:max(shown, 0)] + f"\n... ({more})"

    def excerpt(self, text: str | bytes, limit: int) -> str:
        """The start of a text for a one-line message: redacted first, then cut (no marker: a message says what
        it quotes)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return self(text.strip())[:limit]

    def data(self, value):
        """The same for JSON-like data: every string in it (keys stay as they are, values are redacted)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


# --- escaped forms of learned values -------------------------------------------------------

_ESCAPES = re.compile(r"\\|%[0-9A-Fa-f]{2}|\+")
_JSON_SHORT = {'"': '"', "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
_JSON_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|(["\\/bfnrt]))')


def _unescape(text: str) -> str:
    """One level of JSON string escapes and URL encoding undone (approximately: for finding values, not showing)."""
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else _JSON_UNSHORT[m[2]], text)
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # \ud83d\ude00 -> one character
    return unquote_plus(text)


_JSON_UNSHORT = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/"}


def _hex(digits: str) -> str:
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in digits)


def _char_forms(ch: str) -> str:
    """A pattern for one character as written, JSON-escaped (once or twice) or URL-encoded (once or twice)."""
    forms = [re.escape(ch)]
    units = ch.encode("utf-16-be")
    forms.append("".join(r"\\{1,2}u" + _hex(units[i:i + 2].hex()) for i in range(0, len(units), 2)))
    forms.append("".join("%(?:25)?" + _hex(f"{b:02x}") for b in ch.encode("utf-8")))
    if ch == "\\":
        forms.append(r"(?:\\\\){1,2}")
    elif ch in _JSON_SHORT:
        forms.append(r"\\{1,3}" + re.escape(_JSON_SHORT[ch]))
    if ch == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def _escaped_form(value: str) -> str:
    return "".join(_char_forms(ch) for ch in value)


# --- where secrets sit in a text (for learning them from text no parser knows) ----------------

def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the values of every secret form sit in a text (the same decisions as the replacements below)."""
    found: list[tuple[int, int]] = []
    for m in _ASSIGNMENT.finditer(text):
        if _is_secret_assignment(m):
            found.append(_unquoted(m, "value"))
    for m in _QUOTED_ASSIGNMENT.finditer(text):
        if is_secret_name(m["name"]) and not m["value"].startswith(_ENV_REFERENCE) and m["value"] \
                and m["value"].lower() not in _SWITCH_WORDS:
            found.append(m.span("value"))
    for m in _SECRET_FLAG.finditer(text):
        if _is_secret_flag(m):
            found.append(_unquoted(m, "value"))
    for m in _URL_USERINFO.finditer(text):
        if m["pw"]:
            found.append(m.span("pw"))
        elif m["pw"] is None and _lone_user_is_token(m):
            found.append(m.span("user"))
    found += [m.span("cred") for pattern in (_AUTH_HEADER, _BEARER) for m in pattern.finditer(text)]
    found += [m.span() for m in _KEY_LIKE.finditer(text)]
    return [(start, end) for start, end in found if end > start]


def _unquoted(m: re.Match, group: str) -> tuple[int, int]:
    start, end = m.span(group)
    value = m[group]
    if value[:1] in "\"'":
        start += 1
        end -= 1 if len(value) > 1 and value[-1] == value[0] else 0
    return start, end


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace exact character ranges (where a parser knows a secret sits, however short it is)."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:  # overlapping spans: extend the previous mask
            start = last
        if start >= end:
            continue
        out += [text[last:start], REDACTED]
        last = end
    return "".join(out) + text[last:]


def _pieces(value: str) -> list[str]:
    """A value and its lines (a continued value appears split in the text it came from), unquoted."""
    value = value.strip()
    pieces = [value] + [line.strip().rstrip("\\").strip() for line in value.splitlines()]
    return [p.strip("\"'") for p in pieces if p]


def _is_secret_assignment(m: re.Match) -> bool:
    value = m["value"].strip("\"'")
    if not is_secret_name(m["name"].lstrip("-")) or value.startswith(_ENV_REFERENCE) or value.lower() in _SWITCH_WORDS:
        return False
    return m["value"] not in ("|", ">", "|-", ">-", "|+", ">+")  # a YAML block scalar: its lines are learned values


def _assignment(m: re.Match) -> str:
    if not _is_secret_assignment(m):
        return m.group(0)
    quote = m["value"][0] if m["value"][:1] in "\"'" else ""
    return f"{m['name']}{m['sep']}{quote}{REDACTED}{quote}"


def _quoted_assignment(m: re.Match) -> str:
    if not is_secret_name(m["name"]) or m["value"].startswith(_ENV_REFERENCE) or m["value"].lower() in _SWITCH_WORDS:
        return m.group(0)
    return f"{m['q']}{m['name']}={REDACTED}{m['q']}"


def _is_secret_flag(m: re.Match) -> bool:
    return m["name"].startswith("--") and is_secret_name(m["name"].lstrip("-")) and not m["value"].startswith("-")


def _flag(m: re.Match) -> str:
    if not _is_secret_flag(m):
        return m.group(0)
    return f"{m['name']}{m['sep']}{REDACTED}"


def _lone_user_is_token(m: re.Match) -> bool:
    """A userinfo without a password in a service URL is a token (a login name in ssh:// is not)."""
    return bool(m["user"]) and m["scheme"].lower().startswith(("http", "postgres", "mysql", "redis", "mongodb", "amqp"))


def _url_userinfo(m: re.Match) -> str:
    if m["pw"] is not None:
        return f"{m['scheme']}{m['user']}:{REDACTED}@"
    if _lone_user_is_token(m):
        return f"{m['scheme']}{REDACTED}@"
    return m.group(0)
