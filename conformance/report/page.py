"""HTML building blocks shared by the report and the index: escaping, values, times, the page shell.

Every value from a run goes through h() (html.escape, quotes included): results hold whatever a
host printed. The page shell carries a Content-Security-Policy that allows no network at all
(no external script, style, font or image) and only the page's own inline scripts (by hash):
a page that tried to load anything would be blocked, and say so on the browser console.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Sequence
from datetime import datetime, timezone

# C0 controls (but tab, newline, CR) and DEL become their visible "control pictures" (ESC -> ␛);
# C1 controls and lone surrogates (possible in JSON) become U+FFFD: the page stays valid UTF-8 HTML.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\ud800-\udfff]")


def _visible(m: re.Match) -> str:
    c = ord(m.group())
    if c < 0x20:
        return chr(0x2400 + c)
    return "\u2421" if c == 0x7F else "\ufffd"


def h(value: object) -> str:
    """Text or attribute value, escaped."""
    return html.escape(_UNSAFE.sub(_visible, value if isinstance(value, str) else str(value)), quote=True)


def show(value: object) -> str:
    """A value as a person writes it (not escaped: pass it to h()). Strings are shown as they are,
    None as an em dash, lists one item after another, mappings as key=value."""
    if value is None:
        return "\u2014"
    if isinstance(value, str):
        return value if value != "" else '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(show(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={show(v)}" for k, v in value.items()) if value else "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def seconds(value: float | None) -> str:
    """A duration as a person writes it: "0.4 ms", "35 ms" under a second, "1.4 s" from a second on; None: "—"."""
    if value is None:
        return "—"
    ms = value * 1000
    if ms < 9.95:
        return f"{ms:.2g} ms" if ms >= 0.01 else ("0 ms" if ms == 0 else "<0.01 ms")
    if ms < 999.5:
        return f"{ms:.0f} ms"
    return f"{value:.3g} s" if value < 100 else f"{value:.0f} s"


def signed_seconds(value: float | None) -> str:
    """A difference of durations (an overhead): "+15 ms", "−2.5 ms"."""
    if value is None:
        return "—"
    return ("−" if value < 0 else "+") + seconds(abs(value))


def rate(value: float | None, unit: str = "tok/s") -> str:
    """A rate as a person writes it: "42 tok/s", "3.5 tok/s"; None: "—"."""
    if value is None:
        return "—"
    return f"{value:.2g} {unit}" if value < 10 else f"{value:.0f} {unit}"


def utc(t: datetime | None) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if t else "\u2014"


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def duration(a: datetime | None, b: datetime | None) -> str:
    if not a or not b:
        return ""
    s = max(0, round((b - a).total_seconds()))
    return f"{s} s" if s < 120 else f"{s // 60} min {s % 60} s"


def slug(*parts: str) -> str:
    """A stable id for an anchor: readable, and unique (a short hash of the exact parts)."""
    text = "--".join(parts)
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80]
    return f"{readable}-{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"


def csp(scripts: Sequence[str]) -> str:
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    return ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
            f"script-src {hashes or chr(39) + 'none' + chr(39)}")


def page(title: str, body: str, *, css: str, scripts: Sequence[str] = (), body_attrs: str = "") -> str:
    """One self-contained HTML document: inline CSS, inline scripts allowed by their hashes, nothing else."""
    tags = "".join(f"<script>{s}</script>" for s in scripts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{h(csp(scripts))}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{h(title)}</title>\n<style>{css}</style>\n</head>\n<body{' ' + body_attrs if body_attrs else ''}>\n{body}\n{tags}\n</body>\n</html>\n")


BASE_CSS = """
:root{--ok:#1b7f3b;--okbg:#dcf3e3;--bad:#b3261e;--badbg:#fbe0dd;--warn:#8a5a00;--warnbg:#fff1cc;
--grey:#5f6368;--greybg:#e8eaed;--waived:#6b3fa0;--waivedbg:#ece3f7;--line:#d0d4da;--mono:ui-monospace,Menlo,Consolas,monospace}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1f2328}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}code,pre{font-family:var(--mono);font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid var(--line);padding:8px;margin:4px 0;max-height:480px;overflow:auto}
table{border-collapse:collapse}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}a{color:#0b57d0}.muted{color:var(--grey)}
.verdict{font-size:18px;font-weight:600;padding:10px 14px;border-radius:6px;margin:10px 0}
.verdict.ok{background:var(--okbg);color:var(--ok)}.verdict.bad{background:var(--badbg);color:var(--bad)}
.verdict.warn{background:var(--warnbg);color:var(--warn)}.verdict.corrupt{background:var(--greybg);color:#202124}
.badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.st-passed{background:var(--okbg);color:var(--ok)}.badge.st-failed,.badge.st-error{background:var(--badbg);color:var(--bad)}
.badge.st-waived{background:var(--waivedbg);color:var(--waived)}
.badge.st-cannot-verify,.badge.st-not-applicable,.badge.st-not-run,.badge.st-unproven,.badge.st-not-run-opt-in{background:var(--greybg);color:var(--grey)}
.badge.st-corrupt{background:#3c4043;color:#fff}.badge.st-warn{background:var(--warnbg);color:var(--warn)}
"""
