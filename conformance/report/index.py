"""The run index (reports/index.html) and the retention of run directories (prune).

The index lists every run directory, newest first, with its verdict and counts, a trend strip of
the last 30 runs, and how long ago the last complete run finished. That age is computed by the
browser when the page is opened (a few lines of inline JS read the ISO time embedded in the
page), so a nightly job that silently stopped shows as stale (past 36 h) even though no one
rewrote the page. A corrupt or partial run (results.json missing or unreadable) and an unfinished
one (interrupted or crashed: its exit status says so) are listed as such, and never count as the
last complete run.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .diff import compare
from .model import RESULTS, UNFINISHED, CheckResult, HostStats, OwnTest, ReplayOf, Run, load_run
from .page import BASE_CSS, duration, h, iso, page, utc
from .render import REPORT, counts_text
from .rundir import latest_target, run_dirs, stamp_of, write_text_atomic
from .summary import Counts, Verdict, count, verdict

INDEX = "index.html"
TREND_RUNS = 30
STALE_HOURS = 36


@dataclass(frozen=True)
class RunRow:
    run: Run
    verdict: Verdict
    counts: Counts


def list_runs(reports_dir: Path | str, *, cache: bool = True) -> list[Run]:
    """Every run directory, oldest first, loaded without evidence or commands (the index shows neither).

    Parsing a year of results.json files is most of the index's time, so what the index needs of
    each complete run (run fields; per check: host, id, state, note; the owner's tests) is kept in
    REPORTS_DIR/.index-cache.json, keyed by results.json's mtime and size: a run is re-read when its
    file changed, a corrupt run every time, and a cache that cannot be read or written is ignored."""
    reports_dir = Path(reports_dir)
    cached = _read_cache(reports_dir) if cache else {}
    runs, entries = [], {}
    for path in run_dirs(reports_dir):
        stat = _stat(path / RESULTS)
        hit = cached.get(path.name)
        run = _from_cache(path, hit) if stat and isinstance(hit, dict) and hit.get("stat") == stat else None
        if run is None:
            run = load_run(path, summary=True)
            hit = _to_cache(run, stat) if stat and run.complete else None
        runs.append(run)
        if hit is not None:
            entries[path.name] = hit
    if cache and entries != cached:
        _write_cache(reports_dir, entries)
    return runs


def summarize(runs: list[Run]) -> list[RunRow]:
    """Each run's verdict, compared (for "new since the previous run") with the last complete run
    before it of the same site and markers. `runs` oldest first; the rows come back in that order."""
    last: dict[tuple, Run] = {}
    by_name: dict[str, Run] = {}
    rows = []
    for run in sorted(runs, key=lambda r: r.order):
        if not run.complete:
            rows.append(RunRow(run, verdict(run), Counts()))
            continue
        # a replay is compared with the run it judged again, and is never the previous run of another
        previous = by_name.get(run.replay_of) if run.replay_of else last.get(run.group)
        diff = compare(previous, run, values=False)
        rows.append(RunRow(run, verdict(run, diff), count(run.checks)))
        by_name[run.name] = run
        if run.night:
            last[run.group] = run
    return rows


CSS = BASE_CSS + """
.age-line{font-size:16px;padding:8px 12px;border-radius:6px;background:var(--greybg)}
.age-line.ok{background:var(--okbg)}.age-line.warn{background:var(--warnbg)}.age-line.bad{background:var(--badbg)}
.age-line.stale{font-weight:600}.age-line.stale:not(.bad){background:var(--warnbg);color:var(--warn)}
.stale-note{display:none}.stale .stale-note{display:inline}
.strip{display:flex;gap:2px;flex-wrap:wrap;margin:6px 0}
.strip a{display:block;width:14px;height:22px;border-radius:2px}
.strip a.ok{background:var(--ok)}.strip a.warn{background:#e0a800}.strip a.bad{background:var(--bad)}
.strip a.corrupt{background:repeating-linear-gradient(45deg,#3c4043 0 3px,#bdc1c6 3px 6px)}
.runs tr.replay td{color:var(--grey)}.badge.st-replay{background:#e8eaed;color:#3c4043}
.runs td{font-size:13px}.runs tr.corrupt td{color:var(--grey);font-style:italic}
.runs td.verdict-cell{max-width:460px}.runs td:nth-child(-n+3){white-space:nowrap}.legend{font-size:12.5px}
"""

# The age of each <time class="age"> at the moment the page is opened; "stale" past the limit.
SCRIPT = """(function(){
function ago(ms){var m=Math.floor(ms/60000);if(m<1)return 'just now';
if(m<60)return m+(m==1?' minute':' minutes')+' ago';var hr=Math.floor(m/60);
if(hr<48)return hr+(hr==1?' hour':' hours')+' ago';return Math.floor(hr/24)+' days ago';}
var limit=Number(document.body.getAttribute('data-stale-hours'))*3600000;
var els=document.querySelectorAll('time.age');
for(var i=0;i<els.length;i++){var el=els[i];var t=Date.parse(el.getAttribute('datetime'));if(isNaN(t))continue;
var ms=Date.now()-t;el.title=el.textContent;
el.textContent=ms<-60000?'in the future ('+el.textContent+'): check the clocks':ago(ms);
if(ms>limit&&el.parentNode&&el.parentNode.classList){el.parentNode.classList.add('stale');}}
})();"""


def render_index(runs: list[Run], title: str = "LLM-lab conformance runs") -> str:
    """index.html over `runs` (any order). Deterministic: no time of rendering is written in it."""
    rows = summarize(runs)
    body = [f"<h1>{h(title)}</h1>"]
    complete = [r for r in rows if r.run.night]  # the lab's own runs: a replay is never the night's run
    if not rows:
        body.append('<p class="age-line stale">No runs yet in this directory.</p>')
    elif not complete:
        body.append('<p class="age-line stale" id="last-complete">No complete run: none of the '
                    f"{len(rows)} run directories has a readable results.json.</p>")
    else:
        last = complete[-1]
        body.append(_age_line(last, "last-complete", "Last complete run"))
    if rows and not rows[-1].run.complete:
        newest = rows[-1].run
        body.append(f'<p class="verdict corrupt" id="newest-unreadable">The newest run, {_run_link(newest)}, '
                    f"{'did not finish' if newest.unfinished else 'cannot be shown'}: {h(newest.problem)}.</p>")
    groups = {}
    for r in complete:
        groups[r.run.group] = r
    if len(groups) > 1:
        body.append('<section id="groups"><h2>Latest complete run per site and markers</h2>')
        body += [_age_line(r, "", f"site {r.run.site_id or r.run.site or '?'}, markers {r.run.markers or '(none)'}:")
                 for r in groups.values()]
        body.append("</section>")
    if rows:
        body.append(_trend(rows[-TREND_RUNS:]))
        body.append(_table(list(reversed(rows))))
    return page(title, "\n".join(body), css=CSS, scripts=[SCRIPT], body_attrs=f'data-stale-hours="{STALE_HOURS}"')


def write_index(reports_dir: Path | str, runs: list[Run] | None = None) -> Path:
    """(Re)write REPORTS_DIR/index.html from every run directory in it (or from `runs`, already listed)."""
    reports_dir = Path(reports_dir)
    out = reports_dir / INDEX
    write_text_atomic(out, render_index(list_runs(reports_dir) if runs is None else runs))
    return out


def prune(reports_dir: Path | str, keep_days: int = 30, now: datetime | None = None) -> list[Path]:
    """Remove run directories that started more than `keep_days` before `now` (by their name's UTC
    stamp). Never the run `latest` points to; never anything that is not a run directory (other
    names, files, symlinks). For the nightly job only. Returns what it removed, oldest first."""
    if keep_days < 0:
        raise ValueError(f"keep_days must be 0 or more, not {keep_days}")
    reports_dir = Path(reports_dir)
    now = now or datetime.now(timezone.utc)
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    cutoff = now - timedelta(days=keep_days)
    keep = latest_target(reports_dir)
    removed = []
    for path in run_dirs(reports_dir):
        started, _ = stamp_of(path.name)
        if started >= cutoff or (keep is not None and path.resolve() == keep):
            continue
        shutil.rmtree(path)
        removed.append(path)
    return removed


# --- the cache of what the index needs of each run ---------------------------------------------------
CACHE = ".index-cache.json"
# 3: a run with an unfinished exit status is not complete (model.UNFINISHED); 4: nor one stopped early;
# 5: the owner's own tests (their failures are in the verdict); 6: a replay says which run it replays
CACHE_VERSION = 6


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _read_cache(reports_dir: Path) -> dict:
    try:
        data = json.loads((reports_dir / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(data, dict) and data.get("version") == CACHE_VERSION and isinstance(data.get("runs"), dict)
    return data["runs"] if ok else {}


def _write_cache(reports_dir: Path, entries: dict) -> None:
    try:
        write_text_atomic(reports_dir / CACHE, json.dumps({"version": CACHE_VERSION, "runs": entries}, separators=(",", ":")))
    except OSError:  # a read-only reports directory: the index is still right, only slower next time
        pass


def _to_cache(run: Run, stat: list[int]) -> dict:
    return {"stat": stat, "site": run.site, "site_id": run.site_id, "exit_status": run.exit_status,
            "stopped_early": run.stopped_early, "replay_of": run.replay_of,
            "require_verified": run.require_verified, "markers": run.markers, "inventory": run.inventory,
            "started": run.started and run.started.isoformat(), "finished": run.finished and run.finished.isoformat(),
            "hosts": {h: [s.round_trips, s.commands] for h, s in run.hosts.items()},
            "checks": [[c.host, c.id, c.state, c.note] for c in run.checks],
            "tests": [[t.test, t.outcome] for t in run.tests]}


def _from_cache(path: Path, e: dict) -> Run | None:
    if not isinstance(e, dict) or e.get("exit_status") in UNFINISHED or e.get("stopped_early"):  # read it again
        return None
    try:
        return Run(path=path, site=e["site"], site_id=e["site_id"], exit_status=e["exit_status"],
                   replay=ReplayOf(e["replay_of"]) if e["replay_of"] else None,
                   require_verified=e["require_verified"], markers=e["markers"], inventory=e["inventory"],
                   started=e["started"] and datetime.fromisoformat(e["started"]),
                   finished=e["finished"] and datetime.fromisoformat(e["finished"]),
                   hosts={h: HostStats(rt, n) for h, (rt, n) in e["hosts"].items()},
                   checks=tuple(CheckResult(id=i, host=h, state=state, note=note) for h, i, state, note in e["checks"]),
                   tests=tuple(OwnTest(test, outcome) for test, outcome in e["tests"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


# --- pieces --------------------------------------------------------------------------------------
def _run_link(run: Run) -> str:
    if (run.path / REPORT).exists():
        return f'<a href="{h(run.name)}/{REPORT}">{h(run.name)}</a>'
    return f"{h(run.name)} <span class=\"muted\">(no {REPORT})</span>"


def _age_line(row: RunRow, ident: str, label: str) -> str:
    """A run's line, coloured by its verdict (a failing run is red, whatever its age); stale past STALE_HOURS."""
    run = row.run
    ended = run.ended
    when = (f'<time class="age" datetime="{h(iso(ended))}">{h(utc(ended))}</time>' if ended else "at an unknown time")
    attr = f' id="{ident}"' if ident else ""
    level = row.verdict.level
    return (f'<p class="age-line {h(level)}"{attr}>{h(label)} finished {when} \u2014 '
            f'{_run_link(run)}: <span class="badge st-{_level_state(level)}">{h(level)}</span> '
            f'<span class="muted">{h(row.verdict.text)}</span>'
            f'<span class="stale-note"> \u2014 more than {STALE_HOURS} hours ago: has the nightly job stopped?</span></p>')


def _trend(rows: list[RunRow]) -> str:
    cells = []
    for r in rows:
        run = r.run
        tip = f"{run.name} ({utc(run.ended)}): {r.verdict.text}"
        if run.complete:
            tip += f" [site {run.site_id or run.site or '?'}, markers {run.markers or '(none)'}]"
        href = f"{run.name}/{REPORT}" if (run.path / REPORT).exists() else f"#run-{run.name}"
        cells.append(f'<a class="{r.verdict.level}" href="{h(href)}" title="{h(tip)}" aria-label="{h(tip)}"></a>')
    return (f'<section id="trend"><h2>The last {len(rows)} runs, oldest to newest</h2>\n'
            f'<div class="strip">{"".join(cells)}</div>\n<p class="legend">'
            '<span class="badge st-passed">all pass</span> <span class="badge st-warn">waived or not verified</span> '
            '<span class="badge st-failed">failing</span> <span class="badge st-corrupt">unreadable</span></p></section>')


def _table(rows: list[RunRow]) -> str:
    out = [f'<section id="runs"><h2>All runs ({len(rows)}), newest first</h2>\n<table class="runs"><thead><tr>'
           "<th>run</th><th>started</th><th>finished</th><th>site</th><th>markers</th><th>verdict</th>"
           "<th>counts</th><th>exit</th></tr></thead><tbody>"]
    for r in rows:
        run = r.run
        if not run.complete:
            out.append(f'<tr class="corrupt" id="run-{h(run.name)}"><td>{_run_link(run)}</td>'
                       f'<td>{h(utc(run.when))}</td><td></td><td></td><td></td>'
                       f'<td class="verdict-cell"><span class="badge st-corrupt">{"unfinished" if run.unfinished else "unreadable"}'
                       f"</span> {h(run.problem)}</td><td></td><td></td></tr>")
            continue
        took = duration(run.started, run.finished)
        replay = (f' <span class="badge st-replay" title="judged again from the recording of run {h(run.replay_of)}">'
                  f"replay of {h(run.replay_of)}</span>") if run.replay_of else ""
        out.append(f'<tr id="run-{h(run.name)}"{" class=replay" if replay else ""}><td>{_run_link(run)}{replay}</td><td>{h(utc(run.started or run.when))}</td>'
                   f'<td>{h(utc(run.finished))}{" (" + h(took) + ")" if took else ""}</td>'
                   f"<td>{h(run.site)}</td><td>{h(run.markers or '(none)')}</td>"
                   f'<td class="verdict-cell"><span class="badge st-{_level_state(r.verdict.level)}">{h(r.verdict.level)}</span> '
                   f"{h(r.verdict.text)}</td><td>{h(counts_text(r.counts))}</td>"
                   f"<td>{h(run.exit_status if run.exit_status is not None else '')}</td></tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _level_state(level: str) -> str:
    return {"ok": "passed", "warn": "warn", "bad": "failed"}.get(level, "corrupt")
