"""The twin cannot reach the real lab: no route out of its hosts."""
import json


def test_lab_address_is_unreachable_from_mini_at_once(twin):
    probe = ("import socket, time, json; s = socket.socket(); s.settimeout(5); t = time.monotonic()\n"
             "try:\n    s.connect(('192.168.1.72', 8100)); r = 'connected'\n"
             "except OSError as e:\n    r = e.errno\n"
             "print(json.dumps({'result': r, 'seconds': time.monotonic() - t}))")
    out = twin.exec_in("mini", ["python3", "-c", probe], check=True).stdout
    result = json.loads(out)
    assert result["result"] == 101, f"expected ENETUNREACH (101), got {result['result']}"
    assert result["seconds"] < 0.5
    print(f"\n192.168.1.72 from mini: errno 101 after {result['seconds'] * 1000:.1f} ms")


def test_mini_has_no_default_route(twin):
    routes = twin.exec_in("mini", ["ip", "-4", "route", "show", "default"], check=True).stdout
    assert routes.strip() == ""
