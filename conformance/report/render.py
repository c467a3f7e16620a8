"""The morning report: one self-contained report.html from a run (and the previous run, if any).

Top to bottom: the verdict; what changed since the previous run; a matrix per host (services x
aspects); security findings; the contract's latency per route (when the run called the API); the
lab's topology coloured by this run (when results.json holds it); every check grouped by host and
service, evidence collapsed; the commands the run sent.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .diff import LATENCY_FACTOR, LATENCY_MARGIN_SECONDS, Pair, RunDiff, SlowerRoute, compare, find_previous
from .model import (CANNOT_VERIFY, ERROR, FAILED, NOT_APPLICABLE, NOT_RUN, OPT_IN, PASSED, SECURITY_PREFIX, SEVERITY, UNPROVEN, WAIVED,
                    CheckResult, RouteLatency, Run, Timing, load_run)
from .page import BASE_CSS, duration, h, page, rate, seconds, show, signed_seconds, slug, utc
from .rundir import write_text_atomic
from .topology import render_topology_svg
from .summary import Counts, count, plural, round_trips_said, verdict

REPORT = "report.html"

# Matrix columns, and the check kinds (conformance/checks/*: Check.kind) each one shows.
# A kind not listed here is shown in "other"; selftest/unit/test_report.py lists every kind the
# catalog generates, so a new kind is a decision, not an accident.
COLUMNS = ("unit", "exec", "restart", "env", "config", "paths", "ports", "logs", "launchd", "contract", "other")
KIND_COLUMN = {
    "unit-file": "unit", "enabled": "unit", "active": "unit", "drop-ins": "unit", "run-as": "unit", "unit-absent": "unit",
    "exec-start": "exec", "script": "exec", "package": "exec",
    "restart": "restart", "restart-sec": "restart",
    "env": "env", "environment": "env", "environment-file": "env",
    "path": "paths", "unmodified": "paths",
    "listen": "ports", "mlx-listen": "ports", "mlx-health": "ports", "http": "ports", "tailscale-serve": "ports",
    "logs": "logs", "journal": "logs", "mlx-logs": "logs",
    "launchd": "launchd",
    "route": "config", "litellm-config": "config",  # router.yaml + env.local as read on the host
    "contract": "contract",  # what the API answers (pytest -m contract)
    "host": "other", "ssh-config": "other",
}

# The mark of a state in a matrix cell (a cell shows its worst check: model.SEVERITY).
MARK = {ERROR: "\u2717", FAILED: "\u2717", WAIVED: "W", CANNOT_VERIFY: "?", NOT_RUN: "\u00b7",
        NOT_APPLICABLE: "\u2013", PASSED: "\u2713", UNPROVEN: "?", OPT_IN: "\u00b7"}


def column_of(kind: str) -> str:
    return KIND_COLUMN.get(kind, "other")


def state_class(state: str) -> str:
    return "st-" + state.replace(" ", "-").replace(":", "")  # "not run: opt-in" -> st-not-run-opt-in


def anchor(c: CheckResult) -> str:
    return "c-" + slug(c.host, c.id)


def service_anchor(host: str, service: str) -> str:
    return "s-" + slug(host, service)


CSS = BASE_CSS + """
nav{margin:6px 0 0;font-size:13px}nav a{margin-right:12px}
.matrix td,.matrix th{text-align:center;min-width:54px}.matrix td.svc,.matrix th.svc{text-align:left;min-width:0}
.matrix td.cell{padding:0}.matrix td.cell a{display:block;padding:3px 6px;text-decoration:none;font-weight:600;color:inherit}
.matrix td.st-passed{background:#b7e4c4}.matrix td.st-failed,.matrix td.st-error{background:#f4b4ad}
.matrix td.st-waived{background:#d9c6f0}.matrix td.st-cannot-verify,.matrix td.st-not-applicable,.matrix td.st-not-run,.matrix td.st-unproven,.matrix td.st-not-run-opt-in{background:#dadce0}
.legend{font-size:12.5px;margin:6px 0}.legend .badge{margin-right:6px}
.changes li,.security li{margin:3px 0}.check{border:1px solid var(--line);border-left:5px solid var(--line);border-radius:4px;margin:8px 0;padding:6px 10px}
.check.st-passed{border-left-color:var(--ok)}.check.st-failed,.check.st-error{border-left-color:var(--bad);background:#fff8f7}
.check.st-waived{border-left-color:var(--waived)}.check.st-cannot-verify,.check.st-not-applicable,.check.st-unproven,.check.st-not-run-opt-in{border-left-color:#9aa0a6}
.check:target{outline:2px solid #0b57d0}.check .head code{font-weight:600}.kv{margin:4px 0;width:100%}
.kv th{width:110px;background:none;border:none;color:var(--grey);font-weight:normal;padding:1px 8px 1px 0}
.kv td{border:none;padding:1px 0;white-space:pre-wrap;word-break:break-word;font-family:var(--mono);font-size:12.5px}
.kv td.prose{font-family:inherit;font-size:inherit}details summary{cursor:pointer;color:var(--grey)}
details.changes summary h3{display:inline;color:#1f2328}
.sec{color:var(--bad);font-weight:600}.new{background:var(--badbg);color:var(--bad);border-radius:3px;padding:0 4px;font-size:12px}
body.problems-only .check.st-passed,body.problems-only .check.st-not-applicable{display:none}
.commands td{font-size:12.5px}.commands td.cmd{font-family:var(--mono);word-break:break-all}
.latency td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.latency th{text-align:center}
.latency .badge a{color:inherit}div.topology{overflow-x:auto}div.topology svg{max-width:none}
.notify.bad{color:var(--bad)}.notify.ok{color:var(--ok)}
"""

# Open the evidence of the check a link (a matrix cell, a change) points to; "only problems" filter.
SCRIPT = """(function(){
function openTarget(){var id=decodeURIComponent(location.hash.slice(1));var t=id&&document.getElementById(id);
if(!t)return;var d=t.querySelectorAll('details');for(var i=0;i<d.length;i++){d[i].open=true;}
var hidden=false;for(var p=t.parentNode;p;p=p.parentNode){if(p.tagName==='DETAILS'&&!p.open){p.open=true;hidden=true;}}
if(hidden){t.scrollIntoView();}}
window.addEventListener('hashchange',openTarget);openTarget();
var box=document.getElementById('problems-only');
if(box){box.addEventListener('change',function(){document.body.classList.toggle('problems-only',box.checked);});}
})();"""


def render_report(run: Run, previous: Run | None = None) -> str:
    """The whole report.html of `run`, compared with `previous` (None: no previous run to compare)."""
    diff = compare(previous, run) if run.complete else RunDiff(None)
    v = verdict(run, diff)
    title = f"LLM-lab conformance: {run.site or 'unknown site'}, {run.name}"
    if not run.complete:  # what there is: an unfinished run still shows the checks it got to
        parts = [header(run, v.text, v.level), unreadable_section(run)]
        if run.unfinished:
            parts += [checks_section(run), commands_section(run)]
        return page(title, "\n".join(parts), css=CSS, scripts=[SCRIPT] if run.unfinished else [])
    body = "\n".join(s for s in (
        header(run, v.text, v.level),
        changes_section(run, diff),
        notification_section(run.notification) if run.notification is not None else NOTIFICATION_MARK,
        matrix_section(run, diff),
        security_section(run, diff),
        contract_latency_section(run),  # each of these two is "" (left out) when the run holds no data for it
        topology_section(run),
        not_modelled_section(run),
        checks_section(run),
        own_tests_section(run),
        commands_section(run),
    ) if s)
    return page(title, body, css=CSS, scripts=[SCRIPT])


def write_report(run_dir: Path | str, reports_dir: Path | str | None = None, redact=None) -> Path:
    """(Re)write RUN_DIR/report.html from its results.json and commands.json, compared with the last
    complete run of the same site and markers in `reports_dir` (default: the run directory's parent).

    `redact` (the run's Redactor) is applied to the previous run's values too: they were redacted by that
    run, and what this run learned to hide must not come back through the comparison.
    """
    run, previous = load_with_previous(run_dir, reports_dir)
    if redact is not None and previous is not None:
        previous = redacted(previous, redact)
    out = run.path / REPORT
    write_text_atomic(out, render_report(run, previous))
    return out


_TEXT_FIELDS = ("title", "expected", "found", "missing", "extra", "evidence_source", "note", "evidence")


def redacted(run: Run, redact) -> Run:
    """The run with every value a host printed passed through `redact` (a conformance.redaction.Redactor)."""
    checks = tuple(replace(c, **{f: _as_before(getattr(c, f), redact.data(getattr(c, f))) for f in _TEXT_FIELDS})
                   for c in run.checks)
    commands = tuple(replace(c, **{f: redact(getattr(c, f)) for f in ("command", "stdout", "stderr")
                                   if isinstance(getattr(c, f, None), str)}) for c in run.commands)
    return replace(run, checks=checks, commands=commands)


def _as_before(old, new):
    """redact.data turns tuples into lists; keep each field's own type."""
    return tuple(new) if isinstance(old, tuple) else new


def load_with_previous(run_dir: Path | str, reports_dir: Path | str | None = None) -> tuple[Run, Run | None]:
    """A run directory, and the run it is compared with (None: none, or the run is unreadable)."""
    run = load_run(run_dir)
    previous = find_previous(run, Path(reports_dir) if reports_dir else None) if run.complete else None
    return run, previous


# --- sections --------------------------------------------------------------------------------------
def header(run: Run, text: str, level: str) -> str:
    facts = [f"run {h(run.name)}"]
    if run.markers:
        facts.append(f"markers <code>{h(run.markers)}</code>")
    if run.started:
        facts.append(f"started {h(utc(run.started))}")
    if run.finished:
        facts.append(f"finished {h(utc(run.finished))}" + (f" ({h(duration(run.started, run.finished))})" if run.started else ""))
    if run.inventory:
        facts.append(f"inventory {h(run.inventory)}")
    if run.exit_status is not None:
        facts.append(f"exit status {run.exit_status}")
    if run.require_verified:
        facts.append("--require-verified")
    for host, stats in run.hosts.items():
        if stats.round_trips is not None:
            facts.append(h(round_trips_said(host, stats)))
    sections = [("changes", "since the previous run"), ("matrix", "matrix"), ("security", "security")]
    sections += [("latency", "latency")] if run.contract is not None else []
    sections += [("topology", "topology")] if run.topology is not None else []
    sections += [("not-modelled", "not modelled")] if run.not_modelled else []
    sections += [("checks", "every check"), ("commands", "commands")]
    links = [f'<a href="#{a}">{t}</a>' for a, t in sections] if run.complete else []
    files = [f'<a href="{f}">{f}</a>' for f in ("results.json", "commands.json", "junit.xml") if (run.path / f).exists()]
    files.append('<a href="../index.html">all runs</a>')
    dot = " \u00b7 "
    replay = (f'<p class="verdict warn" id="replay">A REPLAY of run {h(run.replay_of)}: its recorded answers judged '
              "again with this suite's code; no host was contacted. It is not the lab's run of that night.</p>\n"
              if run.replay_of else "")
    return (f'<header>\n<h1>LLM-lab conformance \u2014 site {h(run.site or "unknown")}</h1>\n'
            f'{replay}<div class="muted">{dot.join(facts)}</div>\n'
            f'<p class="verdict {level}" id="verdict">{h(text)}</p>\n'
            f'<nav>{"".join(links)} <span class="muted">files:</span> {" ".join(files)}</nav>\n</header>')


def unreadable_section(run: Run) -> str:
    try:
        present = sorted(p.name for p in run.path.iterdir())
    except OSError:
        present = []
    heading = "This run did not finish" if run.unfinished else "This run cannot be shown"
    note = (" It is not compared with, not the run <code>latest</code> points to, and not counted as complete; "
            "below are the checks it recorded before it stopped.") if run.unfinished else ""
    return (f'<section id="unreadable"><h2>{heading}</h2>\n<p>{h(run.problem)}.{note}</p>\n'
            f'<p>Files in {h(run.path)}: {h(", ".join(present) or "none")}</p></section>')


COLLAPSE_OVER = 15  # a longer list of changes is collapsed (the matrix below shows the same at a glance)


def changes_section(run: Run, diff: RunDiff) -> str:
    out = ['<section id="changes"><h2>' + ("Since the run it replays" if run.replay_of else "Since the previous run")
           + "</h2>"]
    prev = diff.previous
    if prev is None and run.replay_of:
        out.append(f"<p>The replayed run {h(run.replay_of)} is not in this reports directory (or is not complete): "
                   "nothing to compare with.</p></section>")
        return "\n".join(out)
    if prev is None:
        out.append(f"<p>No previous run to compare with: no earlier complete run of site {h(run.site_id or run.site or '?')} "
                   f"with markers <code>{h(run.markers or '(none)')}</code> in this reports directory.</p></section>")
        return "\n".join(out)
    n = count(prev.checks)
    out.append(f'<p>Compared with <a href="../{h(prev.name)}/report.html">{h(prev.name)}</a> '
               f"(finished {h(utc(prev.ended))}: {h(counts_text(n))}).</p>")
    if not diff.changed and not diff.still_failing and not diff.waived:
        out.append("<p>Nothing changed: the same checks, with the same states and the same values.</p>")
    groups = [
        ("Newly failing", diff.newly_failing, _newly_failing),
        ("Newly unverified (fails the run: --require-verified)", diff.newly_unverified, _newly_failing),
        ("Fixed", diff.fixed, lambda p: f"was {h(p.before.state)}, now passes" + _was_found(p)),
        ("Still failing", diff.still_failing, _still_failing),
        ("Waived", diff.waived, _waived),
        ("Changed while passing", diff.changed_values,
         lambda p: f"found <code>{h(show(p.before.found))}</code> \u2192 <code>{h(show(p.after.found))}</code>"),
        ("Other changes of state", diff.other_status, lambda p: f"{h(p.before.state)} \u2192 {h(p.after.state)}"),
        ("Not run now (only in the previous run)", diff.only_before, lambda p: f"was {h(p.before.state)}"),
        ("Not run before (new in this run)", diff.only_now, lambda p: f"now {h(p.after.state)}"),
    ]
    for title, pairs, describe in groups:
        if not pairs:
            continue
        items = "\n".join(f"<li>{_pair_link(p)}: {describe(p)}</li>" for p in pairs)
        if title == "Still failing" or len(pairs) > COLLAPSE_OVER:  # old news, or a long list: one click away
            out.append(f'<details class="changes"><summary><h3>{h(title)} ({len(pairs)})</h3></summary>\n'
                       f'<ul class="changes">{items}</ul></details>')
        else:
            out.append(f'<h3>{h(title)} ({len(pairs)})</h3>\n<ul class="changes">{items}</ul>')
    for title, tests in (("Your own tests newly failing", diff.newly_failing_tests), ("Your own tests fixed", diff.fixed_tests)):
        if tests:
            items = "\n".join(f'<li><a href="#own-tests"><code>{h(t)}</code></a></li>' for t in tests)
            out.append(f'<h3>{h(title)} ({len(tests)})</h3>\n<ul class="changes">{items}</ul>')
    if diff.slower_routes:
        items = "\n".join(f"<li>{_slower(r)}</li>" for r in diff.slower_routes)
        out.append(f"<h3>Slower through LiteLLM while passing ({len(diff.slower_routes)})</h3>\n"
                   f'<p class="muted">total latency at least {LATENCY_FACTOR:g}\u00d7 the previous run\'s, and '
                   f"{h(seconds(LATENCY_MARGIN_SECONDS))} or more slower</p>\n<ul class=\"changes\">{items}</ul>")
    out.append("</section>")
    return "\n".join(out)


def _pair_link(p: Pair) -> str:
    c = p.check
    target = anchor(c) if p.after else "gone-" + anchor(c)
    ident = f' id="{target}"' if p.after is None else ""
    return f'<a{ident} href="#{target}"><code>{h(c.host)} {h(c.id)}</code></a> <span class="muted">{h(c.title)}</span>'


def _slower(r: SlowerRoute) -> str:
    a, b = r.after, r.before
    return (f'<a href="#{route_anchor(a.route)}">route <code>{h(a.route)}</code></a>{_served_by(a)}: total through '
            f"LiteLLM {h(seconds(b.proxy.chat_seconds))} \u2192 {h(seconds(a.proxy.chat_seconds))} "
            f"(direct {h(seconds(b.direct.chat_seconds))} \u2192 {h(seconds(a.direct.chat_seconds))})")


def _served_by(r: RouteLatency) -> str:
    where = " on ".join(x for x in (r.backend, r.host) if x)
    return f' <span class="muted">({h(where)})</span>' if where else ""


def _newly_failing(p: Pair) -> str:
    a = p.after
    text = f"{h(a.state)}: expected <code>{h(show(a.expected))}</code>, found <code>{h(show(a.found))}</code>"
    return text + (f" (was {h(p.before.state)})" if p.before else " (not run before)")


def _still_failing(p: Pair) -> str:
    text = f"found <code>{h(show(p.after.found))}</code>"
    return text + (f" (before: <code>{h(show(p.before.found))}</code>)" if p.found_changed else "")


NEWLY_WAIVED = ' <span class="new">newly waived</span>'


def _waived(p: Pair) -> str:
    w = p.after.waiver
    text = f"until {h(w.expires)}: {h(w.reason)}; found <code>{h(show(p.after.found))}</code>" if w else ""
    return text + ("" if p.before is not None and p.before.state == WAIVED else NEWLY_WAIVED)


def _was_found(p: Pair) -> str:
    return f" (found before: <code>{h(show(p.before.found))}</code>)" if p.found_changed else ""


def counts_text(n: Counts) -> str:
    parts = [f"{n.passed} passed"]
    for value, word in ((n.failed, "failed"), (n.error, "error"), (n.waived, "waived"),
                        (n.cannot_verify, "could not be verified"), (n.not_applicable, "not applicable")):
        if value:
            parts.append(f"{value} {word}")
    return ", ".join(parts)


# Where the notification's outcome goes: conformance/notify.py replaces this comment in report.html after it
# POSTed (or decided not to); a later re-render reads notification.json instead.
NOTIFICATION_MARK = "<!-- notification: filled in by python -m conformance.notify -->"


def notification_section(outcome: dict) -> str:
    """What the nightly job's notification did (notification.json; already redacted by notify)."""
    def text(key: str) -> str:
        value = outcome.get(key)
        return value if isinstance(value, str) else ""

    reasons = [r for r in outcome.get("reasons") or [] if isinstance(r, str)]
    about = f" ({h(', '.join(reasons))})" if reasons else ""
    if not outcome.get("sent"):
        line = f"Not sent{about}: {h(text('why_not') or 'no reason recorded')}."
        level = "muted"
    elif outcome.get("delivered"):
        line = f"Sent to <code>{h(text('target'))}</code>{about}: HTTP {h(outcome.get('status'))}."
        level = "ok"
    else:
        line = f"<b>Not delivered</b> to <code>{h(text('target'))}</code>{about}: {h(text('error') or 'no answer')}."
        level = "bad"
    warning = f' <span class="sec">{h(text("warning"))}</span>' if text("warning") else ""
    return (f'<section id="notification"><h2>Notification</h2><p class="notify {level}">{line}{warning} '
            f'<span class="muted">(notification.json, {h(text("at"))})</span></p></section>')


def matrix_section(run: Run, diff: RunDiff) -> str:
    cells: dict[str, dict[tuple[str, str], list[tuple[CheckResult, str, str]]]] = {}
    for c in run.checks:
        cells.setdefault(c.host, {}).setdefault((c.service, column_of(c.kind)), []).append((c, c.state, anchor(c)))
    for p in diff.only_before:
        c = p.before
        cells.setdefault(c.host, {}).setdefault((c.service, column_of(c.kind)), []).append((c, NOT_RUN, "gone-" + anchor(c)))
    out = ['<section id="matrix"><h2>Services and aspects, per host</h2>']
    for host, grid in cells.items():
        services = list(dict.fromkeys(s for s, _ in grid))
        columns = [col for col in COLUMNS if any(col == k for _, k in grid)]
        out.append(f'<h3>{h(host)}</h3>\n<table class="matrix" data-host="{h(host)}"><thead><tr><th class="svc">service</th>'
                   + "".join(f"<th>{h(col)}</th>" for col in columns) + "</tr></thead><tbody>")
        for service in services:
            row = [f'<td class="svc"><a href="#{service_anchor(host, service)}">{h(service)}</a></td>']
            for col in columns:
                row.append(_cell(grid.get((service, col), [])))
            out.append("<tr>" + "".join(row) + "</tr>")
        out.append("</tbody></table>")
    out.append('<p class="legend">' + " ".join(
        f'<span class="badge {state_class(s)}">{MARK[s]} {h(s)}</span>'
        for s in (PASSED, FAILED, ERROR, WAIVED, CANNOT_VERIFY, UNPROVEN, OPT_IN, NOT_APPLICABLE, NOT_RUN))
        + ' <span class="muted">a cell shows its worst check; k/n: k of its n checks are in that state</span></p>')
    out.append("</section>")
    return "\n".join(out)


def _cell(entries: list[tuple[CheckResult, str, str]]) -> str:
    if not entries:
        return "<td></td>"
    worst = min((s for _, s, _ in entries), key=SEVERITY.__getitem__)
    first = next(a for _, s, a in entries if s == worst)
    k, n = sum(1 for _, s, _ in entries if s == worst), len(entries)
    label = MARK[worst] + ("" if n == 1 else f" {n}" if worst == PASSED else f" {k}/{n}")
    tip = "\n".join(f"{c.id}: {s}" for c, s, _ in entries)
    return (f'<td class="cell {state_class(worst)}" data-state="{h(worst)}" title="{h(tip)}">'
            f'<a href="#{first}">{h(label)}</a></td>')


def security_section(run: Run, diff: RunDiff) -> str:
    found = [c for c in run.checks if c.security]
    new = {p.after.key for p in diff.new_security} if diff.previous else set()
    out = ['<section id="security"><h2>Security findings</h2>']
    if not found:
        out.append("<p>No security findings in this run.</p>")
    else:
        out.append('<p class="muted">Documented states that are also exposures: they pass, and are shown here '
                   "every run so that no one gets used to them silently.</p>\n<ul class=\"security\">")
        for c in found:
            note = c.note[len(SECURITY_PREFIX):].strip()
            tag = ' <span class="new">new since the previous run</span>' if c.key in new else ""
            out.append(f'<li><span class="sec">{h(note)}</span>{tag} \u2014 <a href="#{anchor(c)}"><code>{h(c.host)} '
                       f"{h(c.id)}</code></a> ({h(c.state)}; found <code>{h(show(c.found))}</code>)</li>")
        out.append("</ul>")
    if diff.gone_security:
        out.append("<p>No longer reported since the previous run: " + ", ".join(
            f'<a href="#{anchor(p.after)}"><code>{h(p.after.host)} {h(p.after.id)}</code></a> '
            f"(was: {h(p.before.note)})" for p in diff.gone_security) + "</p>")
    out.append("</section>")
    return "\n".join(out)


def route_anchor(route: str) -> str:
    return "route-" + slug(route)


def contract_checks(run: Run, route: str) -> list[CheckResult]:
    """The contract checks of one route (ids like `ov-server::contract:lil-jerry:chat`), worst first."""
    mine = [c for c in run.checks if c.kind == "contract" and c.aspect.startswith(f"contract:{route}:")]
    return sorted(mine, key=lambda c: SEVERITY.get(c.state, 0))


def contract_latency_section(run: Run) -> str:
    """The contract run's latency per route: who answered, how it ended, TTFT and total directly and
    through LiteLLM, what the proxy adds, tokens per second. "" (no section) when the run made no contract calls."""
    contract = run.contract
    if contract is None:
        return ""
    facts = [f"through <code>{h(contract.proxy)}</code>" if contract.proxy else "",
             f"{plural(len(contract.routes), 'route')}" + (f" in {h(seconds(contract.wall_seconds))}"
                                                            if contract.wall_seconds is not None else "")]
    out = ['<section id="latency"><h2>Contract latency, per route</h2>',
           f'<p class="muted">{", ".join(f for f in facts if f)}. Direct: the backend itself; through: the same '
           "request to LiteLLM. TTFT and stream: one streamed request, to its first token and to its end. Chat: a "
           "non-streamed request, to its end. Overhead: through minus direct (chat).</p>"]
    if not contract.routes:
        out.append("<p>The contract run recorded no route.</p></section>")
        return "\n".join(out)
    out.append('<table class="latency"><thead><tr><th rowspan="2">route</th><th rowspan="2">backend (host)</th>'
               '<th rowspan="2">outcome</th><th colspan="2">TTFT</th><th colspan="2">stream</th>'
               '<th colspan="2">chat</th><th rowspan="2">proxy overhead</th><th colspan="2">tokens/s</th></tr>'
               "<tr>" + "<th>direct</th><th>through</th>" * 4 + "</tr></thead><tbody>")
    for r in contract.routes:
        out.append(_latency_row(run, r))
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _latency_row(run: Run, r: RouteLatency) -> str:
    state = r.outcome if r.outcome in SEVERITY else (ERROR if r.outcome else NOT_RUN)
    outcome = h(r.outcome or "not recorded") + (f": {h(r.layer)}" if r.layer else "")
    checks = contract_checks(run, r.route)
    if checks:
        outcome = f'<a href="#{anchor(checks[0])}">{outcome}</a>'
    expected = f' <span class="muted">({h(r.expected)})</span>' if r.expected and r.expected != "up" else ""
    backend = h(r.backend or "\u2014") + (f" ({h(r.host)})" if r.host else "")

    def timing(t: Timing, value: float | None) -> str:
        status = f' title="HTTP {h(t.status)}"' if t.status is not None else ""
        return f'<td class="num"{status}>{h(seconds(value))}</td>'

    return (f'<tr id="{route_anchor(r.route)}" data-route="{h(r.route)}" data-state="{h(state)}">'
            f"<td><code>{h(r.route)}</code>{expected}</td><td>{backend}</td>"
            f'<td><span class="badge {state_class(state)}">{outcome}</span></td>'
            f"{timing(r.direct, r.direct.ttft_seconds)}{timing(r.proxy, r.proxy.ttft_seconds)}"
            f"{timing(r.direct, r.direct.stream_seconds)}{timing(r.proxy, r.proxy.stream_seconds)}"
            f"{timing(r.direct, r.direct.chat_seconds)}{timing(r.proxy, r.proxy.chat_seconds)}"
            f'<td class="num">{h(signed_seconds(r.overhead_seconds))}</td>'
            f'<td class="num">{h(rate(r.direct.tokens_per_second))}</td><td class="num">{h(rate(r.proxy.tokens_per_second))}</td></tr>')


def not_modelled_section(run: Run) -> str:
    """What the inventory deliberately does not check (its `not_modelled` list), each with its reason: shown so a
    reader knows the gap is known, never counted as a check."""
    if not run.not_modelled:
        return ""
    rows = "".join(f"<tr><td>{h(m.what)}</td><td>{h(m.reason)}</td><td>{h(m.source)}</td><td>{h(m.where)}</td></tr>"
                   for m in run.not_modelled)
    return (f'<section id="not-modelled"><h2>Not modelled</h2>\n<p class="muted">Named by the lab\'s documents, '
            f'deliberately not checked by this inventory: no check passes or fails for these.</p>\n<table>'
            f'<tr><th>what</th><th>why not</th><th>source</th><th>where documented</th></tr>{rows}</table></section>')


def topology_section(run: Run) -> str:
    """An inline SVG of the lab's topology (results.json's "topology": hosts, services, routes) coloured by
    this run's checks. "" (no section) for a run that did not store it."""
    if run.topology is None:
        return ""
    present = {(c.host, c.service) for c in run.checks}
    svg = render_topology_svg(run.topology, run.checks,
                              href=lambda host, service: f"#{service_anchor(host, service)}" if (host, service) in present else None)
    legend = " ".join(f'<span class="badge {state_class(s)}">{h(s)}</span>'
                      for s in (PASSED, FAILED, WAIVED, CANNOT_VERIFY, UNPROVEN, OPT_IN, NOT_APPLICABLE, NOT_RUN))
    return (f'<section id="topology"><h2>Topology</h2>\n<p class="muted">Drawn from the inventory: each box a '
            "documented service on its host, coloured by its worst check in this run; each arrow a LiteLLM route "
            "(coloured by its contract checks) or a documented URL (by its check). Grey or dashed: not run, "
            f'not verified or not applicable.</p>\n<div class="topology">{svg}</div>\n<p class="legend">{legend}</p></section>')


def checks_section(run: Run) -> str:
    out = ['<section id="checks"><h2>Every check</h2>',
           '<p><label><input type="checkbox" id="problems-only"> show only checks that did not pass</label></p>']
    by_host: dict[str, dict[str, list[CheckResult]]] = {}
    for c in run.checks:
        by_host.setdefault(c.host, {}).setdefault(c.service, []).append(c)
    for host, services in by_host.items():
        checks = [c for cs in services.values() for c in cs]
        out.append(f'<section class="host" data-host="{h(host)}"><h2>{h(host)}: {h(counts_text(count(checks)))}</h2>')
        for service, cs in services.items():
            out.append(f'<h3 id="{service_anchor(host, service)}">{h(service)}</h3>')
            cs = sorted(cs, key=lambda c: COLUMNS.index(column_of(c.kind)))
            out += [check_block(c) for c in cs]
        out.append("</section>")
    out.append("</section>")
    return "\n".join(out)


PROSE = ' class="prose"'


def check_block(c: CheckResult) -> str:
    rows: list[tuple[str, str, bool]] = []  # label, text, prose (not a value)
    if c.state == CANNOT_VERIFY:
        rows.append(("cannot verify", show(c.found), True))
    elif c.state == ERROR:
        rows.append(("error", show(c.found), False))
        rows.append(("expected", show(c.expected), False))
    else:
        rows.append(("expected", show(c.expected), False))
        rows.append(("found", show(c.found), False) if c.state != NOT_APPLICABLE else ("not applicable", show(c.found), True))
    if c.missing:
        rows.append(("missing", show(list(c.missing)), False))
    if c.extra:
        rows.append(("extra", show(list(c.extra)), False))
    if c.evidence_source:
        rows.append(("source", c.evidence_source, False))
    if c.waiver:
        what = "waived until" if c.state == WAIVED else ("waiver expired on" if c.state == FAILED else "waiver (not needed) until")
        rows.append((what, f"{c.waiver.expires}: {c.waiver.reason}", True))
    if c.note:
        rows.append(("note", c.note, True))
    doc = [x for x in (c.source and f"documented: {c.source}", c.impact_name and f"impact {c.impact_name}",
                       c.kind and f"kind {c.kind}", c.test and f"test {c.test}") if x]
    if doc:
        rows.append(("", " \u00b7 ".join(doc), True))
    table = "".join(f'<tr><th>{h(label)}</th><td{PROSE if prose else ""}>{h(text)}</td></tr>'
                    for label, text, prose in rows)
    evidence = "".join(f"<pre>{h(e)}</pre>" for e in c.evidence) or \
        '<p class="muted">No command: the fact came from a file or answer already read.</p>'
    n = len(c.evidence)
    return (f'<div class="check {state_class(c.state)}" id="{anchor(c)}" data-state="{h(c.state)}">'
            f'<div class="head"><span class="badge {state_class(c.state)}">{h(c.state)}</span> '
            f'<code>{h(c.id)}</code> {h(c.title)}</div>\n<table class="kv">{table}</table>\n'
            f'<details><summary>evidence ({plural(n, "command")})</summary>{evidence}</details></div>')


def own_tests_section(run: Run) -> str:
    """The owner's own tests (testinfra's idiom), each with the commands it sent; absent when there are none."""
    if not run.tests:
        return ""
    items = []
    for t in run.tests:
        sent = [c for c in run.commands if c.test == t.test]
        commands = "".join(f"<li><code>{h(c.command)}</code> on {h(c.host)}: "
                           f"{'killed (deadline)' if c.timed_out else 'exit ' + h(c.exit_status)}</li>" for c in sent)
        items.append(f'<li class="own {h(t.outcome)}"><b>{h(t.outcome)}</b> <code>{h(t.test)}</code>'
                     + (f" {h(t.message)}" if t.message else "")
                     + (f"<details><summary>{plural(len(sent), 'command')}</summary><ul>{commands}</ul></details>" if sent else "")
                     + "</li>")
    return (f'<section id="own-tests"><h2>Your own tests</h2><p>Tests in testinfra\'s idiom (not documented facts: '
            f'no row in the matrix), with the commands each sent.</p><ul>{"".join(items)}</ul></section>')


def commands_section(run: Run) -> str:
    if run.commands_problem:
        return f'<section id="commands"><h2>Commands</h2><p>{h(run.commands_problem)}</p></section>'
    if not run.commands:
        return '<section id="commands"><h2>Commands</h2><p>No command was recorded.</p></section>'
    per_host: dict[str, int] = {}
    for r in run.commands:
        per_host[r.host] = per_host.get(r.host, 0) + 1
    rows = "".join(
        f'<tr><td>{h(r.host)}</td><td>{h(r.batch if r.batch is not None else "")}</td><td>{h(r.user)}</td>'
        f'<td class="cmd">{h(r.command)}</td><td>{"killed (deadline)" if r.timed_out else h(r.exit_status)}</td>'
        f"<td>{len(r.stdout)}</td></tr>" for r in run.commands)
    return (f'<section id="commands"><h2>Commands</h2><details><summary>{plural(len(run.commands), "command")} sent '
            f'({h(", ".join(f"{host}: {n}" for host, n in per_host.items()))}); their output is in each check\'s evidence '
            f'and in commands.json</summary><table class="commands"><thead><tr><th>host</th><th>round trip</th><th>user</th>'
            f"<th>command</th><th>ended</th><th>stdout chars</th></tr></thead><tbody>{rows}</tbody></table></details></section>")

