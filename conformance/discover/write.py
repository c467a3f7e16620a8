"""Discovery's outputs, written into a new run directory (never into inventory.yaml itself).

  discovered.yaml    every proposal in the inventory's own schema, `source: observed` (or companion), with its
                     evidence (host, command, time) and the fields the owner must judge (`review`)
  inventory.patch    a unified diff that only INSERTS text into the inventory: re-serializing the whole file would
                     rewrite dozens of untouched lines even with round-trip YAML, so each new entry is dumped on
                     its own and inserted at the end of its list (or of its service's list)
  discovery.html     the page: counts per class, what needs review (with a count), what was ignored and why
  discovery.json     the same, machine-readable
"""
from __future__ import annotations

import difflib
import html
import re
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..redaction import REDACTED
from ..report.rundir import write_json, write_text_atomic
from ..inventory import InventoryError, load_inventory
from ..inventory.schema import EnvFile, Fallback, Host, LaunchdJob, Listener, Package, PathEntry, Route, Service, Unit
from .classify import CLASSES, Result
from .proposal import Proposal
from .route_api import calling_it

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):")


class NoPlace(Exception):
    """The inventory has no list this proposal can be inserted into as text (it is listed for review instead)."""


class _NoAliases(yaml.SafeDumper):
    """The same entry shown twice is written twice (a reader of discovered.yaml should not need to follow &id001)."""

    def ignore_aliases(self, data) -> bool:
        return True


def _dump(entry: dict, indent: int) -> list[str]:
    """One list item as block YAML at `indent` (the `- ` at that column), lines ending in newline."""
    text = yaml.dump(entry, Dumper=_NoAliases, default_flow_style=False, sort_keys=False, width=10_000, allow_unicode=True)
    lines = text.splitlines()
    out = [" " * indent + "- " + lines[0]] + [" " * (indent + 2) + line for line in lines[1:]]
    return [line + "\n" for line in out]


def _block_end(lines: list[str], start: int, indent: int, items_at_indent: bool = True) -> int:
    """The index after the last content line of the block opened at `start` by a line at column `indent`: the lines
    indented deeper (and, after a `key:`, list items at its own column, as YAML allows). Blank lines and comments
    after the last content line stay outside."""
    last = start
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(lines[i]) - len(lines[i].lstrip(" "))
        if lead > indent or (items_at_indent and lead == indent and stripped.startswith("- ")):
            last = i
            continue
        break
    return last + 1


def _item_indent(lines: list[str], key_line: int, default: int) -> int:
    for line in lines[key_line + 1:]:
        if line.strip().startswith("- "):
            return len(line) - len(line.lstrip(" "))
        if line.strip() and not line.strip().startswith("#"):
            break
    return default


def _top_level(lines: list[str], key: str) -> int | None:
    return next((i for i, line in enumerate(lines) if _TOP_KEY.match(line) and line.startswith(f"{key}:")), None)


def _service_line(lines: list[str], service_id: str) -> tuple[int, int] | None:
    """(line of `- id: <id>` inside services:, the column of its keys)."""
    top = _top_level(lines, "services")
    if top is None:
        return None
    pattern = re.compile(r"^(\s*)- (?:\{\s*)?id:\s*['\"]?" + re.escape(service_id) + r"['\"]?\s*(?:[,}#]|$)")
    for i in range(top + 1, _block_end(lines, top, 0, items_at_indent=False)):
        m = pattern.match(lines[i])
        if m:
            return i, len(m.group(1)) + 2
    return None


# what an entry of each section must load as (the patched inventory loads as is, or the entry is not in the patch)
_MODELS = {"hosts": Host, "services": Service, "launchd": LaunchdJob, "litellm.routes": Route,
           "litellm.fallbacks": Fallback, "listen": Listener,
           "units": Unit, "paths": PathEntry, "env_files": EnvFile, "packages": Package}


def _merge_children(proposals: list[Proposal]) -> list[tuple[Proposal, list[Proposal]]]:
    """A listener, unit or env file of a service proposed in the same run goes into that service's entry; each
    proposal to place, with the proposals it stands for (its own, and its children's)."""
    new_services = {p.entry.get("id"): p for p in proposals if p.section == "services" and p.parent is None}
    entries: dict[str, dict] = {sid: {**p.entry} for sid, p in new_services.items()}
    children: dict[str, list[Proposal]] = {sid: [] for sid in new_services}
    out: list[Proposal] = []
    for p in proposals:
        if p.parent in entries and p.section in _MODELS:
            entries[p.parent][p.section] = list(entries[p.parent].get(p.section, [])) + [p.entry]
            children[p.parent].append(p)
            continue
        out.append(p)
    placed = []
    for p in out:
        sid = p.entry.get("id") if p.section == "services" and p.parent is None else None
        placed.append((replace(p, entry=entries[sid]), [p, *children[sid]]) if sid in entries else (p, [p]))
    return placed


def insertions(text: str, proposals: list[Proposal], skip: list = ()
               ) -> tuple[str, list[tuple[Proposal, str]], list[tuple[int, int, Proposal]]]:
    """The inventory with every placeable proposal inserted as text, and the proposals left out (with why)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    inserts: dict[int, list[tuple[Proposal, list[str]]]] = {}  # insert before this index (original numbering)
    left_out: list[tuple[Proposal, str]] = []
    for p, stands_for in _merge_children([p for p in proposals if p not in skip]):
        try:
            model = _MODELS.get(p.section)
            if model is None:
                raise NoPlace(f"no inventory list for {p.section}")
            try:
                model.model_validate(p.entry)
            except ValidationError as e:
                raise NoPlace(f"needs fields discovery cannot see ({_first_error(e)})") from None
            at, new = _place(lines, p)
            if any(REDACTED in line for line in new):  # never a placeholder: what redaction hid is the owner's to write
                raise NoPlace(f"a value of it was hidden as a secret ({REDACTED}): written by hand, or not at all")
        except NoPlace as e:
            left_out += [(q, str(e)) for q in stands_for]
            continue
        inserts.setdefault(at, []).append((stands_for, new))
    out: list[str] = []
    spans: list[tuple[int, int, Proposal]] = []  # 1-based line ranges of each inserted entry in the result
    for i in range(len(lines) + 1):
        for stands_for, new in inserts.get(i, []):
            spans += [(len(out) + 1, len(out) + len(new), q) for q in stands_for]
            out += new
        if i < len(lines):
            out.append(lines[i])
    return "".join(out), left_out, spans


def loadable_insertions(text: str, proposals: list[Proposal]) -> tuple[str, list[tuple[Proposal, str]]]:
    """insertions(), checked the way the suite loads an inventory: an entry the whole file refuses (a route naming
    no contract api, a unit of a service that is not there...) is taken out with the loader's words, until the
    patched inventory loads as is."""
    skipped: list[tuple[Proposal, str]] = []
    while True:
        new, left_out, spans = insertions(text, proposals, skip=[p for p, _ in skipped])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "inventory.yaml"
            path.write_text(new, encoding="utf-8")
            try:
                load_inventory(path)
                return new, skipped + left_out
            except InventoryError as e:
                culprits = [p for first, last, p in spans if e.line and first <= e.line <= last]
                if not culprits:  # not an inserted line: nothing of this patch can be trusted to load
                    return text, skipped + left_out + [(p, f"the patched inventory does not load: {e.message}")
                                                      for _, _, p in spans]
                skipped += [(p, f"the patched inventory would not load: {e.message}") for p in culprits]


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"


def _place(lines: list[str], p: Proposal) -> tuple[int, list[str]]:
    if p.parent is None and p.section in ("hosts", "services", "launchd"):
        top = _top_level(lines, p.section)
        if top is None:
            return len(lines), [f"{p.section}:\n"] + _dump(p.entry, 2)
        rest = lines[top].split(":", 1)[1].strip()
        if rest and not rest.startswith("#"):
            raise NoPlace(f"{p.section}: is written inline")
        blank = ["\n"] if p.section == "services" else []  # the services are set apart by blank lines
        return _block_end(lines, top, 0, items_at_indent=False), blank + _dump(p.entry, _item_indent(lines, top, 2))
    if p.parent is None and p.section in ("litellm.routes", "litellm.fallbacks"):
        top = _top_level(lines, "litellm")
        if top is None:
            raise NoPlace("the inventory has no litellm section")
        return _in_list(lines, top, 2, p.section.split(".", 1)[1], "litellm", p.entry)
    if p.parent is not None and p.section in ("listen", "units", "paths", "env_files", "packages"):
        found = _service_line(lines, p.parent)
        if found is None:
            raise NoPlace(f"no service {p.parent} in the inventory or in this patch")
        start, col = found
        if lines[start].lstrip().startswith("- {"):
            raise NoPlace(f"service {p.parent} is written inline")
        return _in_list(lines, start, col, p.section, p.parent, p.entry)
    if p.parent is None and p.section in ("listen", "units", "paths", "env_files", "packages"):
        raise NoPlace("no service to put it in: no unit's command line or environment names its port")
    raise NoPlace(f"no inventory list for {p.section}")


def _in_list(lines: list[str], start: int, col: int, key: str, owner: str, entry: dict) -> tuple[int, list[str]]:
    """Where an item goes in the list `key:` of the mapping opened at `start` (keys at column `col`), and its text;
    a list the mapping does not have yet is added at its end."""
    end = _block_end(lines, start, col - 2 if col >= 2 else 0, items_at_indent=False)
    keyed = re.compile(r"^" + " " * col + re.escape(key) + r":\s*(#.*)?$")
    for i in range(start + 1, end):
        if keyed.match(lines[i]):
            return _block_end(lines, i, col), _dump(entry, _item_indent(lines, i, col + 2))
        if re.match(r"^" + " " * col + re.escape(key) + r":", lines[i]):
            raise NoPlace(f"{owner}.{key} is written inline")
    return end, [" " * col + f"{key}:\n"] + _dump(entry, col + 2)


def unified_patch(old: str, new: str, name: str) -> str:
    """A diff that git apply takes (`a/NAME`, `b/NAME`); empty when nothing changed."""
    if old == new:
        return ""
    diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}")
    text = "".join(diff)
    removed = [line for line in text.splitlines() if line.startswith("-") and not line.startswith("---")]
    if removed:  # by construction never: the writer only inserts
        raise AssertionError(f"the patch would remove lines: {removed[:3]}")
    return text


def proposal_dict(p: Proposal) -> dict:
    d = {"section": p.section, **({"parent": p.parent} if p.parent else {}), "entry": p.entry, "source": p.source,
         "why": p.why, "evidence": [asdict(e) for e in p.evidence]}
    if p.review:
        d["review"] = list(p.review)
    return d


def write_discovered(run: Path, proposals: list[Proposal], left_out: list[tuple[Proposal, str]], redact) -> Path:
    data = {"proposed": [proposal_dict(p) for p in proposals],
            "not_in_patch": [{**proposal_dict(p), "not_in_patch_because": why} for p, why in left_out]}
    path = run / "discovered.yaml"
    text = yaml.dump(data, Dumper=_NoAliases, sort_keys=False, width=10_000, allow_unicode=True)
    write_text_atomic(path, _redacted_keeping_env_names(text, redact(text), _env_names(data)))
    return path


_ENV_NAME_LINE = re.compile(r"[ \t]*(?:- )?key: (?P<name>[A-Za-z_][A-Za-z0-9_]*)\n?")


def _env_names(data) -> set[str]:
    """The env files' KEY names the proposals carry (`entries: [{key: NAME}]`): names read from the files, never values."""
    if isinstance(data, dict):
        found = {e["key"] for e in data.get("entries") or () if isinstance(e, dict) and isinstance(e.get("key"), str)}
        return found.union(*(_env_names(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_env_names(v) for v in data))
    return set()


def _redacted_keeping_env_names(text: str, redacted: str, names: set[str]) -> str:
    """The redacted text, except an env entry's `key: NAME` line, which the field's name (`key`) makes look like a secret
    assignment: the line holds that name alone. Line by line only when redaction kept the lines; else all redacted."""
    lines, kept = text.splitlines(keepends=True), redacted.splitlines(keepends=True)
    if len(lines) != len(kept):
        return redacted
    return "".join(raw if red != raw and (m := _ENV_NAME_LINE.fullmatch(raw)) and m["name"] in names else red
                   for raw, red in zip(lines, kept))


def _named(p: Proposal) -> str:
    e = p.entry
    what = e.get("id") or e.get("label") or e.get("name") or (f"{e.get('address')}:{e.get('port')}" if "port" in e else "?")
    where = f" of {p.parent}" if p.parent else ""
    host = e.get("host") or (p.evidence[0].where if p.evidence else "")
    return f"{p.section} {what}{where}" + (f" on {host}" if host and host != what else "")


def review_items(proposals: list[Proposal], left_out: list[tuple[Proposal, str]], decisions=()) -> list[str]:
    """What the owner decides: each judgement a proposal carries (its observed value written), each proposal
    that is not in the patch (with why), and each change to a documented entry the patch cannot make (decisions,
    with the checks that fail until it is made)."""
    items = [_to_decide(p) for p in proposals if p.review]
    items += [f"{_named(p)}: not in the patch ({why})" for p, why in left_out]
    items += [d.described() + (f"; failing until then: {', '.join(d.checks)}" if d.checks else "") for d in decisions]
    return items


def _to_decide(p: Proposal) -> str:
    """One proposal's judgements: those written with the observed value, and those written with none (a route's api,
    where nothing read shows it: its `leaves_lab: true` keeps the suite from calling it until the owner adds it)."""
    written = [f for f in p.review if f in p.entry]
    unwritten = [f for f in p.review if f not in p.entry]
    said = []
    if written:
        judged = "; leaves_lab: true, since nothing read shows where its backend sends a request" \
            if "leaves_lab" in written and p.entry.get("leaves_lab") else ""
        said.append(f"decide {', '.join(written)} (the observed value is written{judged})")
    if unwritten:
        said.append(f"add {', '.join(unwritten)} (not written: nothing read shows it)")
    return f"{_named(p)}: " + "; ".join(said)


def not_discoverable(proposals: list[Proposal]) -> list[str]:
    """What no read of a host can say, so the owner adds it by hand (the page lists it): the `why` of every entry
    (where it is documented; the evidence says where it was seen), each new service's purpose, and how a new route's
    backend answers (`api:`, and whether a call leaves the lab and costs money: `leaves_lab`)."""
    out = []
    if proposals:
        out.append(f"`why` of the {len(proposals)} proposed entries: where each is documented (discovery says where it "
                   "was seen, in its evidence)")
    services = [p.entry["id"] for p in proposals if p.section == "services" and p.parent is None]
    if services:
        out.append(f"the purpose of {len(services)} new services (each says what ran): {', '.join(services)}")
    for p in proposals:
        if p.section == "litellm.routes" and not p.entry.get("api") and p.entry.get("leaves_lab"):
            out.append(calling_it(p.entry["name"]))
        elif p.section == "litellm.routes" and not p.entry.get("api"):
            out.append(f"route {p.entry['name']}: `api:` (how its backend answers: one of contract.apis, or a kind of "
                       "examples/backend-kinds.yaml added there) and whether a call leaves the lab (`leaves_lab`)")
    return out


def decision_dict(d) -> dict:
    """A decision as discovery.json writes it: `at` with its selectors, so a program can apply it (decide.py)."""
    return {"action": d.action, "at": list(d.at), **({"value": d.value} if d.action == "set" else {}), "why": d.why,
            "checks": list(d.checks)}


def summary(result: Result, proposals: list[Proposal], left_out: list[tuple[Proposal, str]], ignores, bench: dict,
            patch: str, from_repo: dict | None) -> dict:
    return {
        "counts": {c: result.count(c) for c in CLASSES},
        "proposed": len(proposals), "not_in_patch": len(left_out), "patch_lines_added": patch.count("\n+") - 1 if patch else 0,
        "review": review_items(proposals, left_out, result.decisions),
        "decisions": [decision_dict(d) for d in result.decisions],
        "not_discoverable": not_discoverable(proposals),
        "rows": [asdict(r) for r in result.rows],
        "ignored": [{"host": h, "item": n, "why": w} for h, n, w in result.ignored],
        "expired_ignores": [{"item": k, "match": e.match, "expired": str(e.expires), "reason": e.reason}
                            for k, e in ignores.expired_hits.items()],
        "bench": bench,
        **({"from_repo": from_repo} if from_repo is not None else {}),
    }


def write_page(run: Path, data: dict, redact) -> Path:
    e = html.escape
    review = data["review"]
    parts = [f"<!doctype html><meta charset=utf-8><title>Discovery {e(run.name)}</title>",
             "<style>body{font-family:sans-serif;max-width:70em;margin:1em auto}td,th{padding:2px 8px;"
             "text-align:left;vertical-align:top}tr:nth-child(even){background:#f4f4f4}</style>",
             f"<h1>Discovery: {e(run.name)}</h1>",
             "<p>" + " · ".join(f"{e(k)}: <b>{v}</b>" for k, v in data["counts"].items()) + "</p>",
             f"<h2>Needs review ({len(review)})</h2><ol>" + "".join(f"<li>{e(r)}</li>" for r in review) + "</ol>"]
    if data.get("not_discoverable"):
        parts.append(f"<h2>Not discoverable ({len(data['not_discoverable'])})</h2><ul>" + "".join(
            f"<li>{e(x)}</li>" for x in data["not_discoverable"]) + "</ul>")
    if data["expired_ignores"]:
        parts.append(f"<h2>Expired ignores ({len(data['expired_ignores'])})</h2><ul>" + "".join(
            f"<li>{e(x['item'])}: {e(x['match'])} expired {e(x['expired'])} ({e(x['reason'])})</li>"
            for x in data["expired_ignores"]) + "</ul>")
    parts.append("<h2>Items</h2><table><tr><th>class</th><th>host</th><th>item</th><th>note</th><th>checks</th></tr>"
                 + "".join(f"<tr><td>{e(r['cls'])}</td><td>{e(r['host'])}</td><td>{e(r['name'])}</td>"
                           f"<td>{e(r['note'])}</td><td>{e(', '.join(r['checks']))}</td></tr>" for r in data["rows"])
                 + "</table>")
    parts.append(f"<h2>Ignored ({len(data['ignored'])})</h2><ul>" + "".join(
        f"<li>{e(x['host'])} {e(x['item'])}: {e(x['why'])}</li>" for x in data["ignored"]) + "</ul>")
    if "from_repo" in data:
        fr = data["from_repo"]
        parts.append(f"<h2>From the owner's repo</h2><p>{e(str(fr.get('error') or ''))}</p><ul>" + "".join(
            f"<li>not derived: {e(str(x))}</li>" for x in fr.get("not_derived", [])) + "</ul>")
    parts.append("<h2>Cost</h2><table><tr><th>host</th><th>wall s</th><th>round trips</th><th>commands</th></tr>"
                 + "".join(f"<tr><td>{e(h)}</td><td>{b['seconds']}</td><td>{b['round_trips']}</td>"
                           f"<td>{b['commands']}</td></tr>" for h, b in data["bench"].items()) + "</table>")
    path = run / "discovery.html"
    write_text_atomic(path, redact("\n".join(parts)) + "\n")
    write_json(run / "discovery.json", _redact_data(data, redact))
    return path


def _redact_data(data, redact):
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {k: _redact_data(v, redact) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_redact_data(v, redact) for v in data]
    return data
