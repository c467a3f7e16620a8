"""What the inventory documents that the lab no longer has, or has otherwise: decisions for the owner.

The patch only inserts (write.py), so a documented entry the lab dropped, or a documented value the lab changed, is
never in it: each is a Decision (proposal.py) the page lists, with the observed value and the suite's checks that
fail until it is made. Only what discovery read is judged: a host, scope or file it could not read decides nothing.

  unit        documented, read, not there: remove it (every entry of it, and its journal entries); there: each
              documented field the observed unit says otherwise (fragment, exec_start, restart, restart_sec,
              environment_files, drop_ins, run_as, an environment value, enabled/active): set it
  listener    documented port not listening: remove it; listening on another bind than documented: set it
  path        documented, stat says it does not exist: remove it (an env file entry too; launch_scripts as a whole)
  env entry   documented key the file does not have: remove it; a non-secret value it has otherwise: set it
  launchd     documented label with no plist and not loaded: remove it
  route       documented, not in the router.yaml the proxy reads: remove it
  litellm     where router.yaml is, the env file, json_logs, router_settings, master key and database as seen
"""
from __future__ import annotations

import posixpath
import shlex

from ..inventory.schema import Inventory, Unit
from ..redaction import REDACTED  # a replay shows a secret-looking value so: nothing to compare
from ..site import SiteAddresses
from .observe import Observation
from .proposal import Decision


MASTER_KEY_ENV = "LITELLM_MASTER_KEY"  # LiteLLM reads its master key from this variable (or general_settings)
DATABASE_ENV = "DATABASE_URL"  # ...and its database from this one (litellm/proxy/proxy_server.py, 1.83.4)


def _checks(checks: list, *prefixes: str) -> tuple[str, ...]:
    return tuple(c.id for c in checks if any(c.id == p or c.id.startswith(p) for p in prefixes))


def _words(line: str | None) -> str | None:
    try:
        return " ".join(shlex.split(line)) if line else line
    except ValueError:
        return line


def unit_decisions(inventory: Inventory, host: str, obs: Observation, checks: list, absent: set[tuple]) -> list[Decision]:
    """Remove the documented units that are absent (`absent`: (scope, user, name) classify found absent); set the
    fields a seen unit says otherwise."""
    out: list[Decision] = []
    seen = {i.key: i for i in obs.items if i.kind == "unit"}
    for service in inventory.services_on(host):
        done: set[tuple] = set()
        for unit in service.units:
            key = (unit.scope, unit.user if unit.scope == "user" else None, unit.name)
            select = {"name": unit.name, "scope": unit.scope} | ({"user": unit.user} if unit.scope == "user" else {})
            at = ("services", {"id": service.id}, "units", select)
            if key in absent and key not in done:
                done.add(key)
                out.append(Decision("remove", at, why=f"{unit.name} is not on {host}: neither running, enabled nor "
                                    "installed", checks=_unit_checks(checks, service.id, unit)))
                for j in service.journal:
                    if j.unit == unit.name and j.scope == unit.scope:
                        out.append(Decision("remove", ("services", {"id": service.id}, "journal", {"unit": unit.name}),
                                            why=f"the journal of {unit.name}, which is not on {host}",
                                            checks=_checks(checks, f"{service.id}::journal")))
                continue
            item = seen.get(key)
            if item is None or not unit.present:
                continue
            out += _unit_fields(service.id, unit, item.attrs, at, checks)
    return out


def _unit_checks(checks: list, sid: str, unit: Unit) -> tuple[str, ...]:
    from ..facts.needs import SERVICE
    from ..facts.service import UnitKey
    key = UnitKey(unit.scope, unit.user if unit.scope == "user" else None, unit.name)
    return tuple(c.id for c in checks if any(n.concept == SERVICE and n.key == key for n in c.needs))


_CHECK_OF = {"fragment": "unit-file", "exec_start": "exec-start", "restart": "restart", "restart_sec": "restart-sec",
             "environment_files": "environment-files", "drop_ins": "drop-ins", "run_as": "run-as",
             "environment": "environment"}


def _unit_fields(sid: str, unit: Unit, attrs: dict, at: tuple, checks: list) -> list[Decision]:
    out = []
    ids = _unit_checks(checks, sid, unit)

    def decide(field: str, value, where: tuple = ()) -> None:
        check = _CHECK_OF.get(field, field)
        out.append(Decision("set", at + (field,) + where, value, why=f"observed on {unit.name}",
                            checks=tuple(i for i in ids if check in i.rsplit("::", 1)[-1]) or ids))

    if unit.fragment and attrs.get("fragment") and unit.fragment != attrs["fragment"]:
        decide("fragment", attrs["fragment"])
    if unit.exec_start and attrs.get("exec_start") and REDACTED not in attrs["exec_start"] \
            and _words(unit.exec_start) != _words(attrs["exec_start"]):
        decide("exec_start", attrs["exec_start"])
    if unit.restart and attrs.get("restart") and unit.restart != attrs["restart"]:
        decide("restart", attrs["restart"])
    if unit.restart_sec is not None and attrs.get("restart_sec") is not None and \
            float(unit.restart_sec) != float(attrs["restart_sec"]):
        value = attrs["restart_sec"]
        decide("restart_sec", int(value) if float(value).is_integer() else value)
    documented_files = (unit.environment_files or []) + (unit.optional_environment_files or [])
    if unit.environment_files is not None and sorted(documented_files) != sorted(attrs.get("environment_files") or []):
        decide("environment_files", list(attrs.get("environment_files") or []))
    if unit.drop_ins is not None and sorted(unit.drop_ins) != sorted(attrs.get("drop_ins") or []):
        decide("drop_ins", list(attrs.get("drop_ins") or []))
    if unit.run_as and unit.scope == "system" and attrs.get("run_as") and unit.run_as != attrs["run_as"]:
        decide("run_as", attrs["run_as"])
    for name, value in (unit.environment or {}).items():
        observed = (attrs.get("environment") or {}).get(name)
        if observed is not None and observed != value:
            decide("environment", observed, (name,))
    if unit.state is not None:
        for field in ("enabled", "active"):
            documented = getattr(unit.state, field, None)
            if field == "enabled" and attrs.get("unit_file_state") not in (None, "enabled", "disabled"):
                continue  # enabled-runtime, static, indirect...: neither, as the suite's check reads it
            if documented is not None and attrs.get(field) is not None and documented != attrs[field]:
                out.append(Decision("set", at + ("state", field), attrs[field], why=f"observed on {unit.name}",
                                    checks=tuple(i for i in ids if i.endswith(f"::{field}")) or ids))
    return out


def listener_decisions(inventory: Inventory, site: SiteAddresses, host: str, obs: Observation,
                       checks: list) -> list[Decision]:
    if "listeners" in obs.cannot:
        return []
    binds: dict[int, set[str]] = {}
    for i in obs.items:
        if i.kind == "listener":
            binds.setdefault(i.key[1], set()).add(i.key[0].strip("[]"))
    own = site.address(host)
    out = []
    for service in inventory.services_on(host):
        for listener in service.listen:
            at = ("services", {"id": service.id}, "listen", {"port": listener.port})
            ids = _checks(checks, f"{service.id}::listen:{listener.port}")
            if listener.port not in binds:
                out.append(Decision("remove", at, why=f"nothing listens on {listener.port} on {host}", checks=ids))
                continue
            documented = {b.replace(f"{{{host}}}", own) for b in listener.binds}
            wildcard = {"0.0.0.0", "::", "*"}
            if listener.address is not None and not (documented & binds[listener.port]) \
                    and not (documented & wildcard and binds[listener.port] & wildcard):
                observed = sorted(binds[listener.port])
                value = observed[0].replace(own, f"{{{host}}}") if len(observed) == 1 else None
                if value is not None:
                    out.append(Decision("set", at + ("address",), value,
                                        why=f"{listener.port} is bound on {', '.join(observed)} on {host}", checks=ids))
    return out


def path_decisions(inventory: Inventory, host: str, obs: Observation, checks: list) -> list[Decision]:
    """Documented paths that stat says do not exist (never one stat could not look at: denied is not absent)."""
    def gone(path: str) -> bool:
        fact = obs.paths.get(path)
        return fact is not None and not fact.exists and not fact.denied

    out = []
    for service in inventory.services_on(host):
        for p in service.paths:
            if gone(p.path):
                out.append(Decision("remove", ("services", {"id": service.id}, "paths", {"name": p.name}),
                                    why=f"{p.path} does not exist on {host}",
                                    checks=_checks(checks, f"{service.id}::path:{p.name}")))
        for e in service.env_files:
            at = ("services", {"id": service.id}, "env_files", {"name": e.name})
            if gone(e.path):
                out.append(Decision("remove", at, why=f"{e.path} does not exist on {host}",
                                    checks=_checks(checks, f"{service.id}::env")))
                continue
            held = obs.env.get(e.path)
            if held is None:
                continue
            for entry in e.entries:
                if entry.key not in held:
                    out.append(Decision("remove", at + ("entries", {"key": entry.key}),
                                        why=f"{e.path} on {host} has no {entry.key}",
                                        checks=_checks(checks, f"{service.id}::env:{entry.key}")))
                elif entry.value is not None and not entry.secret and held[entry.key] is not None \
                        and held[entry.key] != entry.value:
                    out.append(Decision("set", at + ("entries", {"key": entry.key}, "value"), held[entry.key],
                                        why=f"as {e.path} on {host} has it",
                                        checks=_checks(checks, f"{service.id}::env:{entry.key}")))
    scripts = inventory.launch_scripts
    if scripts is not None and scripts.host == host and gone(scripts.dir):
        out.append(Decision("remove", ("launch_scripts",), why=f"{scripts.dir} does not exist on {host}",
                            checks=_checks(checks, f"{scripts.service}::script")))
    return out


def launchd_decisions(inventory: Inventory, host: str, absent: dict[str, tuple[str, ...]],
                      disabled: set[str]) -> list[Decision]:
    """A documented launchd entry all of whose jobs are absent goes (a label launchd keeps disabled with no plist
    is a retired job: said so)."""
    out = []
    for job in inventory.launchd:
        if job.host != host:
            continue
        labels = [j.label for j in job.each() if j.state != "retired"]
        if labels and all(label in absent for label in labels):
            note = "; launchd keeps it disabled (retired)" if all(label in disabled for label in labels) else ""
            out.append(Decision("remove", ("launchd", {"label": job.label}),
                                why=f"no plist of {job.label} and not loaded on {host}{note}",
                                checks=tuple(c for label in labels for c in absent[label])))
    return out


def litellm_decisions(inventory: Inventory, host: str, obs: Observation, checks: list,
                      absent_routes: dict[str, tuple[str, ...]]) -> list[Decision]:
    litellm = inventory.litellm
    out = [Decision("remove", ("litellm", "routes", {"name": name}), why="not in the router.yaml the proxy reads",
                    checks=ids) for name, ids in sorted(absent_routes.items())]
    settings = next((i.attrs for i in obs.items if i.kind == "litellm"), None)
    if settings is None:
        return out
    sid = litellm.service
    proxy = [i for i in obs.items if i.kind == "unit" and i.key[2] in {u.name for u in inventory.service(sid).units}]
    env_files = [f for i in proxy for f in i.attrs.get("environment_files") or []]
    env_file = next((f for f in env_files if posixpath.basename(f) == posixpath.basename(litellm.env_file)), None)
    ids = tuple(c.id for c in checks if c.id.startswith(f"{sid}::") and any(
        w in c.id for w in ("::route:", "router-settings", "json-logs-setting", "fallback", "::env:", "master-key")))
    if settings["config"] and settings["config"] != litellm.config:
        out.append(Decision("set", ("litellm", "config"), settings["config"], why="the router.yaml the proxy's start "
                            "script names", checks=ids))
    if env_file and env_file != litellm.env_file:
        out.append(Decision("set", ("litellm", "env_file"), env_file, why="the proxy unit's EnvironmentFile",
                            checks=ids))
    if settings["json_logs"] != litellm.json_logs:
        out.append(Decision("set", ("litellm", "json_logs"), settings["json_logs"], why="litellm_settings.json_logs",
                            checks=_checks(checks, f"{sid}::json-logs", f"{sid}::journal")))
        for j in inventory.service(sid).journal:
            if j.json_lines != settings["json_logs"]:
                out.append(Decision("set", ("services", {"id": sid}, "journal", {"unit": j.unit}, "json_lines"),
                                    settings["json_logs"], why="litellm_settings.json_logs",
                                    checks=_checks(checks, f"{sid}::journal")))
    if set(litellm.router_settings) - set(settings["router_settings"]):  # documented keys it must have: one gone
        out.append(Decision("set", ("litellm", "router_settings"), settings["router_settings"],
                            why="the keys of router_settings", checks=_checks(checks, f"{sid}::router-settings")))
    keys = obs.env.get(env_file or litellm.env_file)
    enabled = (keys is not None and MASTER_KEY_ENV in keys) or settings["master_key_in_config"]
    if (keys is not None or enabled) and enabled != litellm.master_key.enabled:  # an unread env file says nothing
        where = f"{MASTER_KEY_ENV} in {env_file or litellm.env_file}" if MASTER_KEY_ENV in keys else \
            "general_settings.master_key in router.yaml"
        out.append(Decision("set", ("litellm", "master_key", "enabled"), enabled,
                            why=f"{where}" if enabled else f"no {MASTER_KEY_ENV} and no general_settings.master_key",
                            checks=_checks(checks, f"{sid}::master-key", f"{sid}::env:{MASTER_KEY_ENV}")))
    database = DATABASE_ENV in (keys or {}) or settings["database_in_config"]
    if database and litellm.database is None:
        out.append(Decision("set", ("litellm", "database"), {"enabled": True, "source": "observed"},
                            why=f"{DATABASE_ENV} in {env_file or litellm.env_file}"))
    return out
