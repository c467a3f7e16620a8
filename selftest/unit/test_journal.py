"""LiteLLM's journal: JSON lines (litellm_settings.json_logs) among a non-JSON banner, and who may read it.

The journal fixtures are real LiteLLM proxy output (with and without json_logs): 1.108's turned into what
`journalctl -o cat` prints (lines with ANSI escapes become `[NB blob data]`), and 1.83.4's (the owner's pin) read
in the twin with the suite's own command.
"""
import pytest

from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.checks.litellm import litellm_checks
from conformance.facts.journal import denied, journal_command, json_lines
from conformance.facts.service import UnitKey
from conformance.runner import check_read_only
from conformance.site import SiteAddresses
from ._support import FakeMini, fixture, mini_system_show, real_inventory

LITELLM = UnitKey("system", None, "litellm-orch.service")


def test_journal_command_reads_exactly_one_run_of_the_unit():
    argv = journal_command("0b178876d9ba4a6481b9e0e46bb47c8d")
    check_read_only(argv)
    assert argv[-1] == "_SYSTEMD_INVOCATION_ID=0b178876d9ba4a6481b9e0e46bb47c8d"
    assert "--user" not in argv
    assert ["-o", "cat"] == argv[argv.index("-o"):argv.index("-o") + 2]


def test_user_scope_journal_command():
    argv = journal_command("0b178876d9ba4a6481b9e0e46bb47c8d", "user")
    check_read_only(argv)
    assert argv[:2] == ["journalctl", "--user"]


def test_json_logs_journal_counts_json_lines_and_the_banner():
    assert json_lines(fixture("litellm-journal-json.txt")) == (18, 34)


def test_plain_journal_has_no_json_lines():
    json_count, total = json_lines(fixture("litellm-journal-plain.txt"))
    assert json_count == 0 and total == 87


@pytest.mark.parametrize("line", ['["a", "b"]', '{"unterminated": ', "{not json}", "[41B blob data]"])
def test_lines_that_are_not_json_objects(line):
    assert json_lines(line + "\n") == (0, 1)


def test_blank_lines_are_not_counted():
    assert json_lines('\n  \n{"message": "x"}\n\n') == (1, 1)


@pytest.mark.parametrize("stderr", [
    "No journal files were opened due to insufficient permissions.\n",
    "Hint: You are currently not seeing messages from other users and the system.\n",
])
def test_denied_hints(stderr):
    assert denied(stderr)


def test_an_ordinary_error_is_not_a_denial():
    assert not denied("Failed to add match '_SYSTEMD_INVOCATION_ID=': Invalid argument\n")


# --- the json-logs-journal check on a fake Mini ---

def _journal_finding(tmp_path, journal: str, stderr: str = "", status: int = 0, groups: str = "christopherbailey systemd-journal",
                     unit_user: str = "christopherbailey", show: str | None = None):
    inventory = real_inventory()
    mini = FakeMini(tmp_path, groups=groups).show("system", show if show is not None else mini_system_show(unit_user))
    mini.journal(journal, stderr, status)
    check = next(c for c in litellm_checks(inventory, SiteAddresses(inventory)) if c.id == "litellm-orch::json-logs-journal")
    return evaluate(check, mini.facts(inventory))


def test_check_passes_on_a_json_logs_journal(tmp_path):
    finding = _journal_finding(tmp_path, fixture("litellm-journal-json.txt"))
    assert finding.status is Status.PASSED
    assert finding.found == "100% JSON lines after start-up"  # the banner (16 lines) is not counted
    assert "_SYSTEMD_INVOCATION_ID=0b178876d9ba4a6481b9e0e46bb47c8d" in finding.source


def test_check_fails_on_a_plain_journal(tmp_path):
    finding = _journal_finding(tmp_path, fixture("litellm-journal-plain.txt"))
    assert finding.status is Status.FAILED
    assert finding.found == "0% JSON lines after start-up (0 of 57)"


@pytest.mark.parametrize("capture, verdict", [("litellm-1.83.4-journal-json.txt", Status.PASSED),
                                               ("litellm-1.83.4-journal-plain.txt", Status.FAILED)])
def test_the_owners_pinned_litellm_journal(tmp_path, capture, verdict):
    assert _journal_finding(tmp_path, fixture(capture)).status is verdict


def test_denied_journal_cannot_be_verified(tmp_path):
    finding = _journal_finding(tmp_path, "", "No journal files were opened due to insufficient permissions.\n", 1,
                               groups="christopherbailey")
    assert finding.status is Status.CANNOT_VERIFY
    assert "systemd-journal" in finding.message


def test_silently_empty_journal_of_another_users_unit_cannot_be_verified(tmp_path):
    # journalctl -q exits 0 with no output when the user only sees its own journal files
    finding = _journal_finding(tmp_path, "", groups="christopherbailey", unit_user="root")
    assert finding.status is Status.CANNOT_VERIFY


def test_empty_journal_of_the_users_own_unit_is_a_real_failure(tmp_path):
    finding = _journal_finding(tmp_path, "", groups="christopherbailey", unit_user="christopherbailey")
    assert finding.status is Status.FAILED


def test_empty_journal_read_by_a_journal_group_member_is_a_real_failure(tmp_path):
    finding = _journal_finding(tmp_path, "", groups="christopherbailey adm", unit_user="root")
    assert finding.status is Status.FAILED


def test_unit_without_a_current_run_fails(tmp_path):
    """No current run is a broken thing, not a missing privilege."""
    show = mini_system_show().replace("InvocationID=0b178876d9ba4a6481b9e0e46bb47c8d", "InvocationID=")
    finding = _journal_finding(tmp_path, fixture("litellm-journal-json.txt"), show=show)
    assert finding.status is Status.FAILED
    assert "InvocationID empty" in finding.message


def test_journalctl_failing_for_another_reason_fails(tmp_path):
    finding = _journal_finding(tmp_path, "", "Failed to open journal: Too many open files\n", 1)
    assert finding.status is Status.FAILED and "Too many open files" in finding.message


JSON_LINE = '{"message": "GET /v1/models", "level": "INFO"}'


@pytest.mark.parametrize("lines, json_count, counted, passes", [
    ([JSON_LINE] + ["plain line"] * 299, 1, 300, False),  # one JSON line in 300 is not JSON logging
    (["plain line"] * 299 + [JSON_LINE], 1, 300, False),
    ([JSON_LINE] * 300, 300, 300, True),  # a long run: no banner in the window
    (["banner"] * 10 + [JSON_LINE] * 50, 50, 50, True),  # a whole short run: its banner is not counted
    (["banner"] * 10 + [JSON_LINE] * 50 + ["plain"] * 10, 50, 60, False),  # plain lines after start-up count
    (["banner"] * 10, 0, 0, False),  # only a banner: nothing logged as JSON yet
])
def test_the_json_share_after_start_up(tmp_path, lines, json_count, counted, passes):
    finding = _journal_finding(tmp_path, "\n".join(lines) + "\n")
    # passing: the share only (stable night after night); failing: the counts too
    shown = f"{json_count / counted:.0%} JSON lines after start-up" if counted else "no line after start-up"
    assert finding.found == shown + (f" ({json_count} of {counted})" if counted and not passes else "")
    assert (finding.status is Status.PASSED) == passes
