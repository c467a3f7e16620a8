"""The replay backend: a host's answers served from a recording, through the same Runner seam as a live host.

The Runner sends its batch script as always; this backend reads what the script asks (BatchScript.argvs)
and answers each command with the recorded answer to the same argv, fenced the way the batch script
fences it (runner.fence_batch), so split_batch, the records, the facts and the checks run exactly as on
the night. A command the recording does not hold (today's code asks something new, or the answer was
past the recording's bound) is answered with NOT_RECORDED, which the facts turn into "cannot verify:
not in the recording"; a round trip that failed on the night fails again, with the night's reason.
"""
from __future__ import annotations

from collections import deque

from ..runner.backends import RawResult, RoundTripFailed
from ..runner.runner import NOT_RECORDED, BatchScript, fence_batch


class ReplayBackend:
    """One host of a recording. `user` is the user the night's run was, on that host."""

    def __init__(self, host_id: str, recorded: dict | None) -> None:
        self.host_id = host_id
        recorded = recorded or {}
        self.user = recorded.get("user") or "?"
        self._answers: dict[tuple[str, ...], deque] = {}
        self._failed: dict[tuple[str, ...], str] = {}
        self._not_kept: set[tuple[str, ...]] = set()
        for trip in recorded.get("round_trips", []):
            argvs = [tuple(a) for a in trip.get("argvs", [])]
            if trip.get("failure") is not None:
                for argv in argvs:
                    self._failed.setdefault(argv, trip["failure"])
            elif trip.get("answers") is None:
                self._not_kept.update(argvs)
            else:
                for argv, answer in zip(argvs, trip["answers"]):
                    self._answers.setdefault(argv, deque()).append(tuple(answer))

    def run(self, script: str, deadline: float) -> RawResult:
        if not isinstance(script, BatchScript):
            raise RoundTripFailed(f"{self.host_id}: a replay answers only the runner's batches")
        argvs = script.argvs
        failed = [argv for argv in argvs if argv in self._failed and argv not in self._answers]
        if failed:  # the night's round trip with this command did not complete: neither does this one
            raise RoundTripFailed(self._failed[failed[0]])
        stdout, stderr = fence_batch([self._answer(argv) for argv in argvs], script.marker)
        return RawResult(0, stdout, stderr)

    def _answer(self, argv: tuple[str, ...]) -> tuple[int, str, str, bool]:
        recorded = self._answers.get(argv)
        if not recorded:
            why = "past the recording's size bound" if argv in self._not_kept else "not asked on the night"
            return NOT_RECORDED, "", f"not in the recording ({why})", False
        # the same read-only command asked again in one run has the same answer: the last one stays
        return recorded.popleft() if len(recorded) > 1 else recorded[0]
