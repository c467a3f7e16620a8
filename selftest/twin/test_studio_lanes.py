"""The Studio's layout is data: the twin's studio rearranged as the lab's newer layout (one launchd label per
lane, logs beside the owner's home, ports 8100-8139) passes with examples/inventory-lanes.yaml, no code change."""
from __future__ import annotations

import plistlib
import shlex

from selftest.twin.conftest import suite_check_ids

LANES = (8100, 8101, 8102)
LANE_SCRIPT = "/opt/mlx-launch/bin/lane.sh"
DOCUMENTED = "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"
LOGS = "/Users/thestudio"


def _lane_plist(port: int) -> bytes:
    return plistlib.dumps({"Label": f"com.bebop.mlx-lane.{port}", "ProgramArguments": [LANE_SCRIPT, str(port)],
                           "RunAtLoad": True, "KeepAlive": True}, fmt=plistlib.FMT_XML)


LANE = f"""#!/bin/bash
# One lane: one mlx-openai-server, its log beside the owner's home (the lab's newer layout).
set -euo pipefail
cd /opt/mlx-launch
source .venv/bin/activate
exec mlx-openai-server launch --model-path mlx-community/lane-$1 --host 0.0.0.0 --port "$1" --log-file {LOGS}/vllm-$1.err.log
"""


def _as_lanes() -> str:
    steps = [f"mv {DOCUMENTED} /root/documented.plist", f"mkdir -p {LOGS}",
             f"printf %s {shlex.quote(LANE)} > {LANE_SCRIPT} && chmod 755 {LANE_SCRIPT}"]
    for port in LANES:
        plist = f"/Library/LaunchDaemons/com.bebop.mlx-lane.{port}.plist"
        steps.append(f"printf %s {shlex.quote(_lane_plist(port).decode())} > {plist} && chmod 644 {plist}")
    steps.append("systemctl restart launchd.service")
    steps.append("for i in $(seq 100); do [ $(ss -ltnH | grep -cE ':810[0-2] ') = 3 ] && break; sleep 0.1; done")
    return " && ".join(steps)


RESTORE = (f"rm -f /Library/LaunchDaemons/com.bebop.mlx-lane.*.plist {LANE_SCRIPT} && rm -rf {LOGS} && "
           f"mv /root/documented.plist {DOCUMENTED}")


def test_the_per_lane_layout_passes_with_its_inventory(twin, run_suite):
    twin.exec_in("studio", ["sh", "-c", _as_lanes()], check=True)
    try:
        # the owner's own example reads the documented plist, which this layout has not: left out here
        run = run_suite("--inventory=examples/inventory-lanes.yaml", "-k", "not owner_examples")
    finally:
        twin.exec_in("studio", ["sh", "-c", RESTORE], check=True)
        twin.restart_units("studio", system_units=["launchd.service"])
    lane_checks = {c["id"] for c in run.results["checks"] if "mlx-lane" in c["id"]}
    # per lane: loaded, running, plist, program, keepalive, plist-owner; and, a lane's state being documented (active),
    # enabled (launchctl print-disabled system) and serves-port (its port listens while its job runs)
    assert len(lane_checks) == 8 * len(LANES)
    assert {i for i in lane_checks if i.endswith((":enabled", ":serves-port"))} == {
        f"mlx-servers::launchd:com.bebop.mlx-lane.{p}:{a}" for p in LANES for a in ("enabled", "serves-port")}
    optional_down = {f"mlx-servers::{a}:{p}" for p in (8103, 8109) for a in ("listen", "health")}
    assert run.ids("not applicable") == optional_down, run.explain(run.not_passed)
    assert run.not_passed == optional_down and run.exit_status == 0, run.explain(run.not_passed)
    assert "every port of 8100-8139 that listens has its log file /Users/thestudio/vllm-{port}.err.log" in {
        c["title"] for c in run.results["checks"]}
    assert len(run.ids()) == len(suite_check_ids()) - 6 + len(lane_checks)  # the documented job's 6 checks, per lane 8
