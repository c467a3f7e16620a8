"""Polling helpers for readiness, with the outer machine's safety guard on every HTTP probe."""
import time
import urllib.error
import urllib.request

from .topology import is_twin_address

# no proxies from the environment: probes go straight to the twin address or nowhere
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_status(address: str, port: int, path: str, timeout: float = 2.0) -> int | None:
    """Status of GET http://address:port/path, or None when nothing answers. Refuses non-twin addresses."""
    if not is_twin_address(address):
        raise ValueError(f"refusing to contact {address}: not a twin address")
    try:
        with _OPENER.open(f"http://{address}:{port}{path}", timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, urllib.error.URLError):
        return None


def until(fn, timeout: float, interval: float = 0.1, alive=None):
    """Call fn until it returns something truthy (returned) or timeout passes (None).

    alive: optional check; when it turns false (the host died) stop waiting at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result:
            return result
        if time.monotonic() >= deadline or (alive is not None and not alive()):
            return None
        time.sleep(interval)
