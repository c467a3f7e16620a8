"""The one redaction boundary: every text that leaves the process passes through a Redactor.

Secret-ness comes from four places:
- names: a variable, key or flag whose `_`/`-`/`.`/camelCase parts include KEY, TOKEN, SECRET,
  PASS, PASSWORD, PASSWD, AUTH, CREDENTIAL(S) or BEARER (whole parts: `max_tokens`,
  `completion_tokens` and `PASSTHROUGH` are not secrets);
- forms: URL userinfo (`postgres://user:pw@db`), `Authorization:` headers and `Bearer x`,
  `--api-key X` / `--token=X` / `--password X` argv, `sk-...` keys;
- values learned while reading secret keys (env files, router.yaml, unit environments): one of
  8 characters or more is replaced everywhere; a shorter one only where its parser knows it
  sits (`mask_spans`), since replacing `abc` everywhere would mangle the report;
- the inventory (`secret: true` entries), which the fact parsers consult before learning.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable

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


class Redactor:
    """Removes secret values from any text before it can reach an artifact."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = os.environ.get(DISABLE_SWITCH) != "1" if enabled is None else enabled
        self._known: set[str] = set()

    def learn(self, value: str) -> None:
        """Remember a secret value found while parsing; long ones are replaced wherever they appear."""
        for piece in _pieces(value):
            if len(piece) >= LEARN_EVERYWHERE:
                self._known.add(piece)

    def learned(self, text: str) -> str:
        """Only the learned values replaced (for text whose secret-looking names are not secrets, e.g. a schema)."""
        if not text or not self.enabled:
            return text
        for value in sorted(self._known, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text

    def __call__(self, text: str) -> str:
        if not text or not self.enabled:
            return text
        if not isinstance(text, str):
            text = str(text)
        text = self.learned(text)
        text = _URL_USERINFO.sub(_url_userinfo, text)
        text = _AUTH_HEADER.sub(lambda m: m["head"] + REDACTED, text)
        text = _BEARER.sub(lambda m: m["head"] + REDACTED, text)
        text = _QUOTED_ASSIGNMENT.sub(_quoted_assignment, text)
        text = _ASSIGNMENT.sub(_assignment, text)
        text = _SECRET_FLAG.sub(_flag, text)
        return _KEY_LIKE.sub(REDACTED, text)

    def data(self, value):
        """The same for JSON-like data: every string in it (keys stay as they are, values are redacted)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


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


def _assignment(m: re.Match) -> str:
    if not is_secret_name(m["name"].lstrip("-")) or m["value"].strip("\"'").startswith(_ENV_REFERENCE):
        return m.group(0)
    if m["value"] in ("|", ">", "|-", ">-", "|+", ">+"):  # a YAML block scalar: its lines are learned values
        return m.group(0)
    quote = m["value"][0] if m["value"][:1] in "\"'" else ""
    return f"{m['name']}{m['sep']}{quote}{REDACTED}{quote}"


def _quoted_assignment(m: re.Match) -> str:
    if not is_secret_name(m["name"]) or m["value"].startswith(_ENV_REFERENCE):
        return m.group(0)
    return f"{m['q']}{m['name']}={REDACTED}{m['q']}"


def _flag(m: re.Match) -> str:
    name = m["name"].lstrip("-")
    if not m["name"].startswith("--") or not is_secret_name(name) or m["value"].startswith("-"):
        return m.group(0)
    return f"{m['name']}{m['sep']}{REDACTED}"


def _url_userinfo(m: re.Match) -> str:
    if m["pw"] is not None:
        return f"{m['scheme']}{m['user']}:{REDACTED}@"
    if m["scheme"].lower().startswith(("http", "postgres", "mysql", "redis", "mongodb", "amqp")) and m["user"]:
        return f"{m['scheme']}{REDACTED}@"  # a lone userinfo in a service URL is a token
    return m.group(0)
