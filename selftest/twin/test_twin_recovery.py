"""`lab up` recovers from a crashed earlier run: the twin's nspawn killed outright, then up again."""
import os
import signal
import time


def test_up_after_a_crash_cleans_up_and_boots_green(twin, run_suite, check_ids):
    pid = twin.status()["hosts"]["mini"]["nspawn_pid"]
    assert pid, "mini should be up"
    os.kill(pid, signal.SIGKILL)  # the twin's own nspawn, by PID: a crash, no orderly shutdown
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not twin.status()["up"]
    started = time.monotonic()
    twin.up()  # must clean up the leftovers (mounts, netns, cgroup processes) first
    print(f"\nup after a crash: {time.monotonic() - started:.1f}s")
    run_suite().assert_green(check_ids, "the suite after up after a crash")


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent (this process may be it) to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
