"""Every check of a host, derived from the inventory (one check = one documented fact)."""
from __future__ import annotations

import traceback

from ..facts.base import CannotVerify, Unavailable
from ..inventory.schema import Baseline, Inventory
from ..site import SiteAddresses
from .baseline import baseline_checks
from .files import env_checks, path_checks
from .finding import Check, Finding, Status, cannot_verify, failed
from .http import http_checks
from .launchd import launchd_checks
from .litellm import litellm_checks
from .network import listen_checks, serve_checks
from .packages import package_checks
from .routes import route_checks
from .scripts import script_checks
from .ssh import ssh_config_checks
from .units import unit_checks


def host_checks(inventory: Inventory, site: SiteAddresses, host_id: str, baseline: Baseline | None = None,
                run_host: str | None = None) -> list[Check]:
    """Every documented fact of one host, each a check (whatever kind of host it is); `run_host`: the host the run
    stands on (a loopback-only listener is reachable from there alone)."""
    checks: list[Check] = []
    for service in inventory.services_on(host_id):
        checks += unit_checks(service)
        checks += path_checks(service)
        checks += env_checks(service)
        checks += listen_checks(service, site)
        checks += http_checks(service, site, run_host)
        checks += package_checks(service)
    checks += launchd_checks(inventory, site, host_id)
    checks += serve_checks(inventory, site, host_id)
    checks += route_checks(inventory, site, host_id)
    checks += litellm_checks(inventory, site)
    checks += script_checks(inventory.launch_scripts)
    checks += ssh_config_checks(inventory, site)
    checks += baseline_checks(inventory, site, host_id, baseline)
    checks = [c for c in checks if c.host == host_id]
    ids = [c.id for c in checks]
    duplicated = {i for i in ids if ids.count(i) > 1}
    if duplicated:  # a stable id names one documented fact; two checks under one id would hide one
        raise ValueError(f"check ids must be unique: {sorted(duplicated)}")
    return checks


def evaluate(check: Check, facts) -> Finding:
    """Run a check. A fact the suite may not read is 'cannot verify' (never a pass); a host that did
    not answer fails the check; a check that raised is an error, with its reason (never dropped)."""
    try:
        return check.evaluate(facts)
    except CannotVerify as e:
        return cannot_verify(e.reason, e.evidence)
    except Unavailable as e:
        return failed(check.title, f"could not look: {e.reason}", e.source or "the host's answer", e.evidence)
    except Exception as e:  # a bug in a check or parser: reported as an error, the run fails
        where = traceback.extract_tb(e.__traceback__)[-1]
        return Finding(Status.ERROR, check.title, f"{type(e).__name__}: {e} (at {where.filename.rsplit('/', 1)[-1]}:"
                                                  f"{where.lineno})", "the check itself")
