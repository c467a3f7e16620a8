"""The fault catalog: drifts the twin plants in mini, and the exact checks each must fail.

Each record says how to plant and revert itself, which units must be reloaded or restarted
for the drift to take effect, and the exact set of check ids it must fail. The twin proof
(selftest/twin/test_fault_catalog.py) plants each fault ALONE, in catalog order, and requires
the checks that did not pass to equal that set; `python -m lab fault plant ID...` plants one or
more by hand. The suite never plants anything: this module runs as root through `lab exec`.
"""
from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

HOME = "/home/christopherbailey"
OWNER = "christopherbailey"
USER_UNITS = f"{HOME}/.config/systemd/user"
ENV_LOCAL = f"{HOME}/litellm-orch/config/env.local"
ROUTER = f"{HOME}/litellm-orch/config/router.yaml"
BACKUP = ".fault-orig"


@dataclass(frozen=True)
class Fault:
    id: str
    description: str
    plant: str  # sh script, run as root on `host`
    revert: str
    expect: frozenset[str]  # the checks that must fail
    not_applicable: frozenset[str] = frozenset()  # documented optional and absent now: shown, never failed
    cannot_verify: frozenset[str] = frozenset()  # the suite's user may not read the fact now: skipped, never passed
    host: str = "mini"  # the twin host the drift is planted on
    reload: frozenset[str] = frozenset()  # "system" and/or "user": daemon-reload after plant and revert (in its script)
    restart: tuple[str, ...] = ()  # system units to restart after plant and after revert
    start_after_revert: tuple[str, ...] = ()  # system units the plant stopped
    start_user_after_revert: tuple[str, ...] = ()  # the owner's user units the plant stopped
    # contract faults: the inventory as the run reads it, edited by this sed expression (a variant written
    # beside the run, passed as --inventory), for drifts that are about what is documented
    inventory_sed: str | None = None
    # a drift on several hosts: these faults (each on its host), planted in order and reverted in reverse;
    # the fault itself plants nothing and holds the expected sets
    parts: tuple[Fault, ...] = ()


def edit(path: str, sed: str) -> tuple[str, str]:
    """Plant: keep the original, then edit in place (failing if nothing changed). Revert: put it back.

    The backup is named per fault ({fault} is filled in by `fault`), and faults planted together
    (`lab fault plant A B`) are reverted in reverse order, so two of them may edit different lines
    of one file.
    """
    p = shlex.quote(path)
    return (f"cp -a {p} {p}{BACKUP}-{{fault}} && sed -i {shlex.quote(sed)} {p} && ! cmp -s {p} {p}{BACKUP}-{{fault}}",
            f"mv -f {p}{BACKUP}-{{fault}} {p}")


def hide(path: str) -> tuple[str, str]:
    """Plant: move the path aside (file, directory or symlink). Revert: move it back."""
    p = shlex.quote(path)
    return f"mv {p} {p}{BACKUP}-{{fault}}", f"mv {p}{BACKUP}-{{fault}} {p}"


def create(path: str, content: str, owner: str = "root") -> tuple[str, str]:
    p = shlex.quote(path)
    return (f"test ! -e {p} && mkdir -p \"$(dirname {p})\" && printf %s {shlex.quote(content)} > {p} && chown {owner}: {p}",
            f"rm -f {p} && rmdir --ignore-fail-on-non-empty \"$(dirname {p})\"")


def shadow(unit_path: str, control_dir: str, owner: str = "root") -> tuple[str, str]:
    """Plant: a copy of the unit in a directory systemd searches first (a shadowing unit file)."""
    src, d = shlex.quote(unit_path), shlex.quote(control_dir)
    dst = shlex.quote(f"{control_dir}/{unit_path.rsplit('/', 1)[1]}")
    return (f"test ! -e {dst} && mkdir -p {d} && cp {src} {dst} && chown -R {owner}: {d}",
            f"rm -f {dst} && rmdir --ignore-fail-on-non-empty {d}")


def symlinked(path: str) -> tuple[str, str]:
    """Plant: the directory moves aside and a symlink takes its place (contents still reachable)."""
    p, real = shlex.quote(path), shlex.quote(f"{path}{BACKUP}-{{fault}}")
    return f"mv {p} {real} && ln -s {real} {p}", f"rm {p} && mv {real} {p}"


def command(plant: str, revert: str = "true") -> tuple[str, str]:
    return plant, revert


def fault(id: str, description: str, steps: tuple[str, str], expect: set[str], *,
          not_applicable: set[str] = frozenset(), cannot_verify: set[str] = frozenset(), **kw) -> Fault:
    plant, revert = (step.replace("{fault}", id) for step in steps)
    return Fault(id, description, plant, revert, frozenset(expect), frozenset(not_applicable),
                 frozenset(cannot_verify), **kw)


def several_hosts(id: str, description: str, parts: tuple[Fault, ...], expect: set[str], *,
                  not_applicable: set[str] = frozenset()) -> Fault:
    """One drift made of faults on several hosts (each part's own expected sets are empty: the whole's count)."""
    return Fault(id, description, "", "", frozenset(expect), frozenset(not_applicable), host=parts[0].host, parts=parts)


OLLAMA_UNIT = "/etc/systemd/system/ollama.service"
WEBUI_UNIT = "/etc/systemd/system/open-webui.service"
LITELLM_UNIT = "/etc/systemd/system/litellm-orch.service"
OV_UNIT = f"{USER_UNITS}/ov-server.service"
SCRIPTS = f"{HOME}/litellm-orch/scripts"
WEBUI_ENV = "/etc/open-webui/env"
ROUTES = ("jerry-chat", "jerry-editor", "jerry-architect", "jerry-weak", "jerry-test", "lil-jerry")
ALL_ROUTE_CHECKS = {f"litellm-orch::route:{r}:{a}" for r in ROUTES for a in ("api-base", "model", "api-key")}
AS_OWNER = f"systemctl --user -M {OWNER}@"
LOG_NOWHERE = "s/^\\[Service\\]$/[Service]\\nStandardOutput=null/"

# In catalog order, each planted alone: the next fault's run proves the previous revert.

# --- studio and dietpi (planted on those hosts), and reaching them (planted on mini) ---
PLIST = "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"
JOB = "mlx-servers::launchd:com.bebop.mlx-launch"
LAUNCH_SCRIPT = "/opt/mlx-launch/bin/launch-mlx.sh"
MLX_PORTS = (8100, 8101, 8102, 8103, 8109)
MLX_OPTIONAL = {f"mlx-servers::{a}:{p}" for p in MLX_PORTS for a in ("listen", "health")}  # routes marked optional
STUDIO_CHECKS = ({"mlx-servers::host:os", "mlx-servers::path:runtime-dir", "mlx-servers::logs"}
                 | {f"{JOB}:{a}" for a in ("loaded", "running", "plist", "program", "keepalive", "plist-owner")}
                 | MLX_OPTIONAL)
LAUNCHCTL = "/usr/local/macos/bin/launchctl"  # root's PATH on studio is Debian's; the macOS stand-ins live here
MLX_PORTS_CLOSED = ("{ for i in $(seq 50); do ss -ltnH | grep -qE ':81(0[0-9]) ' || break; sleep 0.1; done; "
                    "! ss -ltnH | grep -qE ':81(0[0-9]) '; }")
HA_UNIT = "/etc/systemd/system/home-assistant.service"
HA_CONFIG = "/mnt/dietpi_userdata/homeassistant/configuration.yaml"
OWNER_KNOWN_HOSTS = f"{HOME}/.ssh/known_hosts"
OWNER_SSH_CONFIG = f"{HOME}/.ssh/config"
# An ordinary config with Match blocks (the gpg-agent line is a common one; gpg-connect-agent is not installed in
# the twin, so its exec is false, as on a host without GnuPG). The DietPi's HostName, User and Port are only in a
# Match block, and the DietPi has no ssh_alias in the inventory: the suite finds it only if it applies the Match.
MATCH_SSH_CONFIG = ("Host studio\n    HostName 10.213.0.3\n\n"
                    "Host dietpi\n    IdentityFile ~/.ssh/id_ed25519\n\n"
                    'Match host * exec "gpg-connect-agent UPDATESTARTUPTTY /bye"\n\n'
                    "Match originalhost studio\n    User christopherbailey\n    Port 22\n\n"
                    "Match originalhost dietpi\n    HostName 10.213.0.4\n    User christopherbailey\n    Port 22\n")
OUTER = "outer"  # a fault planted from the outer machine (the twin's network, its processes), not inside a host
# from the outer machine (a stopped sshd cannot be reached to be continued): studio's listening sshd
SSHD_LISTENER = ("for p in $(ip netns pids llmlab-studio); do grep -qa 'listener' /proc/$p/cmdline 2>/dev/null "
                 "&& kill -{signal} $p; done; true")
OTHER_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIICgWHNYxQQDYbD9HzNtXytjwJx4X36korCDE+QL/aM7"  # not studio's

# studio: the job as `launchctl print` shows it (the launchctl stand-in), waited for after launchd restarts
def job_shows(*lines: str) -> str:
    """sh: wait (10 s at most) until `launchctl print` of the lab's job shows every line; fail if it never does."""
    greps = " && ".join(f"printf '%s\\n' \"$out\" | grep -qF {shlex.quote(line)}" for line in lines)
    return (f"{{ for i in $(seq 100); do out=$({LAUNCHCTL} print system/com.bebop.mlx-launch); {greps} && break; "
            f"sleep 0.1; done; {greps}; }}")


UNSIGNED = "/var/lib/launchd-twin/unsigned"  # twin only: programs the launchd stand-in fails for code signing
MLX_LISTENING = ("{ for i in $(seq 100); do [ \"$(ss -ltnH | grep -cE ':81(0[0-9]) ')\" = 5 ] && break; sleep 0.1; done; "
                 "[ \"$(ss -ltnH | grep -cE ':81(0[0-9]) ')\" = 5 ]; }")  # the 5 MLX ports listen

# the MLX server of 8103 (route jerry-weak, documented optional) killed; the faults' revert starts launchd again
KILL_8103 = ("kill $(ss -ltnpH 'sport = :8103' | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p') && "
             "for i in $(seq 50); do ss -ltnH 'sport = :8103' | grep -q . || break; sleep 0.1; done")

CATALOG: tuple[Fault, ...] = (
    # --- litellm-orch ---------------------------------------------------------------------
    fault("litellm-restart-sec", "litellm-orch RestartSec 2 -> 5", edit(LITELLM_UNIT, "s/^RestartSec=2$/RestartSec=5/"),
          {"litellm-orch::restart-sec"}, reload={"system"}),
    fault("litellm-restart-policy", "litellm-orch Restart always -> no", edit(LITELLM_UNIT, "s/^Restart=always$/Restart=no/"),
          {"litellm-orch::restart"}, reload={"system"}),
    fault("litellm-exec-start", "litellm-orch ExecStart gains a flag",
          edit(LITELLM_UNIT, "s/--port 4000$/--port 4000 --num_workers 1/"),
          {"litellm-orch::exec-start"}, reload={"system"}),
    fault("litellm-logs-nowhere", "litellm-orch stdout no longer goes to journald", edit(LITELLM_UNIT, LOG_NOWHERE),
          {"litellm-orch::logs"}, reload={"system"}),
    # StandardOutput=inherit alone is no drift: with StandardInput=null, systemd 252 gives a service
    # DefaultStandardOutput (journal) instead, and `systemctl show` says so. Inheriting a tty is one.
    fault("litellm-stdout-to-tty", "litellm-orch StandardInput=tty, StandardOutput=inherit: output goes to a tty",
          edit(LITELLM_UNIT, "s/^\\[Service\\]$/[Service]\\nStandardInput=tty\\nStandardOutput=inherit/"),
          {"litellm-orch::logs"}, reload={"system"}),
    fault("master-key-in-unit-environment", "LITELLM_MASTER_KEY in litellm-orch's Environment= (LiteLLM reads it; not restarted)",
          edit(LITELLM_UNIT, "s/^\\[Service\\]$/[Service]\\nEnvironment=LITELLM_MASTER_KEY=sk-twin-planted-unit-key-0002/"),
          {"litellm-orch::master-key"}, reload={"system"}),
    fault("litellm-unit-shadowed", "a copy of litellm-orch.service in /run/systemd/system.control shadows the documented one",
          shadow(LITELLM_UNIT, "/run/systemd/system.control"),
          {"litellm-orch::unit-file"}, reload={"system"}),
    fault("litellm-drop-in-added", "an undocumented drop-in for litellm-orch",
          create("/etc/systemd/system/litellm-orch.service.d/10-undocumented.conf", "[Service]\nEnvironment=UNDOCUMENTED=1\n"),
          {"litellm-orch::drop-ins"}, reload={"system"}),
    fault("litellm-stopped", "litellm-orch stopped",
          command("systemctl stop litellm-orch.service"),
          # json-logs-journal still passes: a stopped unit keeps its last InvocationID, whose lines are JSON
          {"litellm-orch::active", "litellm-orch::listen:4000"},
          start_after_revert=("litellm-orch.service",)),
    fault("litellm-json-logs-off", "json_logs: false in router.yaml, proxy restarted",
          edit(ROUTER, "s/json_logs: true/json_logs: false/"),
          {"litellm-orch::json-logs-setting", "litellm-orch::json-logs-journal"},
          restart=("litellm-orch.service",)),
    fault("master-key-enabled", "a master key appears in router.yaml (documented: not enabled)",
          edit(ROUTER, "s/^general_settings:.*$/general_settings:\\n  master_key: sk-twin-planted-master-key-0001/"),
          {"litellm-orch::master-key"}),
    fault("router-settings-trimmed", "router_settings loses cooldown_time", edit(ROUTER, "/^  cooldown_time:/d"),
          {"litellm-orch::router-settings"}),
    fault("router-yaml-missing", "router.yaml is gone (the proxy keeps running on what it loaded)", hide(ROUTER),
          {"litellm-orch::path:router-yaml", "litellm-orch::json-logs-setting", "litellm-orch::router-settings",
           "litellm-orch::master-key"} | ALL_ROUTE_CHECKS),
    fault("env-local-missing", "env.local is gone: no route resolves", hide(ENV_LOCAL),
          {"litellm-orch::path:env-local"} | ALL_ROUTE_CHECKS),
    fault("route-points-elsewhere", "env.local sends jerry-weak to another port",
          edit(ENV_LOCAL, "s#^\\(JERRY_WEAK_API_BASE=.*\\):8103/v1#\\1:8199/v1#"),
          {"litellm-orch::route:jerry-weak:api-base"}),
    # A copy of jerry-test's entry (not restarted): LiteLLM would load-balance between two deployments the
    # inventory does not document. The copy is identical, so once loaded every request still reaches the
    # documented backend (the contract stays green, deterministically); the config checks must see the second.
    fault("router-duplicate-deployment", "router.yaml has jerry-test's entry twice: two deployments of one route",
          edit(ROUTER, "/^  - model_name: jerry-test$/,/^      api_key: os.environ\\/JERRY_TEST_API_KEY$/"
                       "{H;/api_key/{p;x;s/^\\n//}}"),
          {f"litellm-orch::route:jerry-test:{a}" for a in ("api-base", "model", "api-key")}),
    fault("litellm-repo-symlinked", "the litellm-orch repo is a symlink now, not a directory",
          symlinked(f"{HOME}/litellm-orch"), {"litellm-orch::path:owner-repo"}),
    # --- Open WebUI -------------------------------------------------------------------------
    fault("open-webui-restart-policy", "open-webui Restart always -> on-failure",
          edit(WEBUI_UNIT, "s/^Restart=always$/Restart=on-failure/"),
          {"open-webui::restart"}, reload={"system"}),
    fault("open-webui-restart-sec", "open-webui RestartSec 3 -> 7", edit(WEBUI_UNIT, "s/^RestartSec=3$/RestartSec=7/"),
          {"open-webui::restart-sec"}, reload={"system"}),
    fault("open-webui-exec-start", "open-webui serves on another port (ExecStart, not restarted)",
          edit(WEBUI_UNIT, "s/--port 3000$/--port 3001/"),
          {"open-webui::exec-start"}, reload={"system"}),
    fault("open-webui-logs-nowhere", "open-webui stdout no longer goes to journald", edit(WEBUI_UNIT, LOG_NOWHERE),
          {"open-webui::logs"}, reload={"system"}),
    fault("open-webui-environment-file", "the unit reads another EnvironmentFile",
          edit(WEBUI_UNIT, "s#^EnvironmentFile=/etc/open-webui/env$#EnvironmentFile=/etc/open-webui/env.local#"),
          {"open-webui::environment-file"}, reload={"system"}),
    fault("open-webui-stderr-nowhere", "open-webui stderr discarded (StandardError=null); stdout still goes to journald",
          edit(WEBUI_UNIT, "s/^\\[Service\\]$/[Service]\\nStandardError=null/"),
          {"open-webui::logs"}, reload={"system"}),
    fault("open-webui-unit-shadowed", "a copy of open-webui.service in /run/systemd/system.control shadows the documented one",
          shadow(WEBUI_UNIT, "/run/systemd/system.control"),
          {"open-webui::unit-file"}, reload={"system"}),
    fault("open-webui-drop-in-added", "an undocumented drop-in for open-webui",
          create("/etc/systemd/system/open-webui.service.d/10-undocumented.conf", "[Service]\nEnvironment=UNDOCUMENTED=1\n"),
          {"open-webui::drop-ins"}, reload={"system"}),
    fault("open-webui-disabled", "open-webui disabled (wants symlink gone)",
          hide("/etc/systemd/system/multi-user.target.wants/open-webui.service"),
          {"open-webui::enabled"}, reload={"system"}),
    fault("open-webui-stopped", "open-webui stopped", command("systemctl stop open-webui.service"),
          {"open-webui::active", "open-webui::listen:3000"},
          start_after_revert=("open-webui.service",)),
    fault("open-webui-env-value", "OPENAI_API_BASE_URL points past LiteLLM",
          edit(WEBUI_ENV, "s#^OPENAI_API_BASE_URL=.*#OPENAI_API_BASE_URL=http://127.0.0.1:4001/v1#"),
          {"open-webui::env:OPENAI_API_BASE_URL"}),
    fault("open-webui-data-dir-value", "DATA_DIR points elsewhere", edit(WEBUI_ENV, "s#^DATA_DIR=.*#DATA_DIR=/srv/open-webui#"),
          {"open-webui::env:DATA_DIR"}),
    fault("open-webui-api-key-removed", "OPENAI_API_KEY is no longer set", edit(WEBUI_ENV, "/^OPENAI_API_KEY=/d"),
          {"open-webui::env:OPENAI_API_KEY"}),
    fault("open-webui-openai-disabled", "ENABLE_OPENAI_API=false", edit(WEBUI_ENV, "s/^ENABLE_OPENAI_API=true$/ENABLE_OPENAI_API=false/"),
          {"open-webui::env:ENABLE_OPENAI_API"}),
    fault("open-webui-env-file-missing", "/etc/open-webui/env is gone", hide(WEBUI_ENV),
          {"open-webui::path:env-file", "open-webui::env:OPENAI_API_BASE_URL", "open-webui::env:DATA_DIR",
           "open-webui::env:OPENAI_API_KEY", "open-webui::env:ENABLE_OPENAI_API"}),
    fault("open-webui-secret-key-missing", "the WebUI secret key file is gone", hide(f"{HOME}/open-webui/.webui_secret_key"),
          {"open-webui::path:secret-key"}),
    fault("open-webui-data-dir-missing", "DATA_DIR is gone", hide(f"{HOME}/.open-webui"),
          {"open-webui::path:data-dir"}),
    fault("open-webui-install-symlinked", "the Open WebUI install dir is a symlink now, not a directory",
          symlinked(f"{HOME}/open-webui"), {"open-webui::path:install-dir"}),
    fault("user-open-webui-unit", "a user-level open-webui unit is back (policy: removed)",
          create(f"{USER_UNITS}/open-webui.service", "[Service]\nExecStart=/bin/true\n", owner=OWNER),
          {"open-webui::user-unit-absent"}, reload={"user"}),
    # --- ov-server (the owner's user unit) ----------------------------------------------------
    fault("ov-restart-sec", "ov-server RestartSec 3 -> 10", edit(OV_UNIT, "s/^RestartSec=3$/RestartSec=10/"),
          {"ov-server::restart-sec"}, reload={"user"}),
    fault("ov-restart-policy", "ov-server Restart on-failure -> always", edit(OV_UNIT, "s/^Restart=on-failure$/Restart=always/"),
          {"ov-server::restart"}, reload={"user"}),
    fault("ov-exec-start", "ov-server ExecStart with two workers", edit(OV_UNIT, "s/--workers 1$/--workers 2/"),
          {"ov-server::exec-start"}, reload={"user"}),
    fault("ov-logs-nowhere", "ov-server stdout no longer goes to the user journal", edit(OV_UNIT, LOG_NOWHERE),
          {"ov-server::logs"}, reload={"user"}),
    fault("ov-unit-shadowed", "a copy of ov-server.service in ~/.config/systemd/user.control shadows the documented one",
          shadow(OV_UNIT, f"{HOME}/.config/systemd/user.control", owner=OWNER),
          {"ov-server::unit-file"}, reload={"user"}),
    fault("ov-drop-in-added", "an undocumented drop-in for ov-server",
          create(f"{USER_UNITS}/ov-server.service.d/10-undocumented.conf", "[Service]\nEnvironment=UNDOCUMENTED=1\n", owner=OWNER),
          {"ov-server::drop-ins"}, reload={"user"}),
    fault("ov-wants-link-removed", "ov-server no longer in the user's default.target.wants",
          hide(f"{USER_UNITS}/default.target.wants/ov-server.service"),
          {"ov-server::enabled", "ov-server::path:default-target-wants"}, reload={"user"}),
    fault("ov-stopped", "ov-server stopped", command(f"{AS_OWNER} stop ov-server.service"),
          {"ov-server::active", "ov-server::listen:9000"},
          start_user_after_revert=("ov-server.service",)),
    fault("ov-env-file-missing", "ov-server.env is gone", hide(f"{HOME}/.config/ov-llm-server/ov-server.env"),
          {"ov-server::path:env-file", "ov-server::env:OV_REGISTRY_PATH", "ov-server::env:OV_DEVICE",
           "ov-server::env:OV_MODEL_PATH"}),
    fault("ov-registry-missing", "the model registry.json is gone", hide(f"{HOME}/models/converted_models/registry.json"),
          {"ov-server::path:registry"}),
    fault("ov-repo-symlinked", "the ov-llm-server repo is a symlink now, not a directory",
          symlinked(f"{HOME}/ov-llm-server"), {"ov-server::path:owner-repo"}),
    fault("linger-off", "lingering off for the owner (file removed; the running manager is left alone)",
          hide(f"/var/lib/systemd/linger/{OWNER}"), {"ov-server::path:linger"}),
    # --- Ollama (must not be modified: every change to its files also fails its baseline) ---
    fault("ollama-stopped", "ollama stopped", command("systemctl stop ollama.service"),
          {"ollama::active", "ollama::listen:11434"}, start_after_revert=("ollama.service",)),
    fault("ollama-override-edited", "override.conf moves OLLAMA_HOST to another port (not restarted)",
          edit("/etc/systemd/system/ollama.service.d/override.conf", "s/0.0.0.0:11434/0.0.0.0:11435/"),
          {"ollama::environment:OLLAMA_HOST", "ollama::unmodified:override.conf"},
          reload={"system"}),
    fault("ollama-override-missing", "override.conf is gone (OLLAMA_HOST falls back; not restarted)",
          hide("/etc/systemd/system/ollama.service.d/override.conf"),
          {"ollama::path:override", "ollama::drop-ins", "ollama::environment:OLLAMA_HOST", "ollama::unmodified:override.conf"}, reload={"system"}),
    fault("ollama-exec-start", "ollama ExecStart gains a flag",
          edit(OLLAMA_UNIT, "s#^ExecStart=/usr/local/bin/ollama serve$#ExecStart=/usr/local/bin/ollama serve --debug#"),
          {"ollama::exec-start", "ollama::unmodified:ollama.service"}, reload={"system"}),
    fault("ollama-restart-policy", "ollama Restart always -> on-failure", edit(OLLAMA_UNIT, "s/^Restart=always$/Restart=on-failure/"),
          {"ollama::restart", "ollama::unmodified:ollama.service"}, reload={"system"}),
    fault("ollama-restart-sec", "ollama RestartSec 3 -> 9", edit(OLLAMA_UNIT, "s/^RestartSec=3$/RestartSec=9/"),
          {"ollama::restart-sec", "ollama::unmodified:ollama.service"}, reload={"system"}),
    fault("ollama-logs-nowhere", "ollama stdout no longer goes to journald", edit(OLLAMA_UNIT, LOG_NOWHERE),
          {"ollama::logs", "ollama::unmodified:ollama.service"}, reload={"system"}),
    fault("ollama-unit-shadowed", "a copy of ollama.service in /run/systemd/system.control shadows the documented one",
          shadow(OLLAMA_UNIT, "/run/systemd/system.control"),
          {"ollama::unit-file"}, reload={"system"}),
    fault("ollama-drop-in-added", "a second drop-in for ollama",
          create("/etc/systemd/system/ollama.service.d/10-undocumented.conf", "[Service]\nEnvironment=UNDOCUMENTED=1\n"),
          {"ollama::drop-ins"}, reload={"system"}),
    fault("ollama-binary-patched", "the ollama binary changed", edit("/usr/local/bin/ollama", "$a # patched"),
          {"ollama::unmodified:ollama"}),
    # --- MLX launch scripts, the owner's ssh config ------------------------------------------
    fault("script-flag-changed", "run-mlx-test-model.sh logs to another file",
          edit(f"{SCRIPTS}/run-mlx-test-model.sh", "s#/tmp/mlx-8109.log#/tmp/mlx-test.log#"),
          {"mlx-servers::script:run-mlx-test-model.sh:launch-flags"}),
    fault("script-flags-only-in-a-comment", "run-mlx-test-model.sh: the documented flags sit in a comment, the launch uses others",
          edit(f"{SCRIPTS}/run-mlx-test-model.sh",
               's#--host 0.0.0.0 --port 8109#--host 127.0.0.1 --port 8109#; 1a # --host 0.0.0.0 --port 8109 --log-file "/tmp/mlx-8109.log"'),
          {"mlx-servers::script:run-mlx-test-model.sh:launch-flags"}),
    fault("script-port-out-of-range", "run-mlx-gptoss-architect.sh launches on 8112 (documented: 8100-8109)",
          edit(f"{SCRIPTS}/run-mlx-gptoss-architect.sh", "s/8102/8112/g"),
          {"mlx-servers::script:run-mlx-gptoss-architect.sh:launch-flags"}),
    fault("studio-script-missing", "run-mlx-studio.sh is gone (it held the documented 8103 launch)",
          hide(f"{SCRIPTS}/run-mlx-studio.sh"),
          {"mlx-servers::script:run-mlx-studio.sh:present", "mlx-servers::script:run-mlx-studio.sh:launch-flags",
           "mlx-servers::script:documented-launch"}),
    fault("architect-script-missing", "run-mlx-gptoss-architect.sh is gone", hide(f"{SCRIPTS}/run-mlx-gptoss-architect.sh"),
          {"mlx-servers::script:run-mlx-gptoss-architect.sh:present",
           "mlx-servers::script:run-mlx-gptoss-architect.sh:launch-flags"}),
    fault("test-script-missing", "run-mlx-test-model.sh is gone", hide(f"{SCRIPTS}/run-mlx-test-model.sh"),
          {"mlx-servers::script:run-mlx-test-model.sh:present", "mlx-servers::script:run-mlx-test-model.sh:launch-flags"}),
    fault("dietpi-ssh-config", "the owner's ssh config no longer knows the DietPi's address",
          edit(f"{HOME}/.ssh/config", "s/HostName 10.213.0.4/HostName 10.213.0.40/"),
          # the suite finds the DietPi through that entry: every check it asks over SSH fails with it (not HTTP)
          {"home-assistant::ssh-config:dietpi", "home-assistant::enabled", "home-assistant::active",
           "home-assistant::run-as", "home-assistant::logs", "home-assistant::unit-file", "home-assistant::listen:8123"}),
    fault("ssh-config-match-block", "the owner's ssh config gives the DietPi its HostName, User and Port only in a Match "
                                    "block, after a gpg-agent `Match exec` line: ssh applies them, so must the suite",
          command(f"cp -a {OWNER_SSH_CONFIG} {OWNER_SSH_CONFIG}{BACKUP}-{{fault}} && "
                  f"printf %s {shlex.quote(MATCH_SSH_CONFIG)} > {OWNER_SSH_CONFIG}",
                  f"mv -f {OWNER_SSH_CONFIG}{BACKUP}-{{fault}} {OWNER_SSH_CONFIG}"),
          set()),  # green: the DietPi is found (by the address its Match block gives) and reached as ssh reaches it
    # --- the Mac Studio (planted on studio) ------------------------------------------------------
    fault("studio-plist-missing", "the LaunchDaemon plist is gone (the job stays loaded until launchd re-reads)",
          hide(PLIST), {f"{JOB}:plist", f"{JOB}:program", f"{JOB}:keepalive", f"{JOB}:plist-owner"}, host="studio"),
    fault("studio-plist-label", "the plist's Label names another job",
          edit(PLIST, "s#<string>com.bebop.mlx-launch</string>#<string>com.bebop.mlx-other</string>#"),
          {f"{JOB}:plist"}, host="studio"),
    fault("studio-plist-program", "the plist's ProgramArguments run a program outside /opt/mlx-launch",
          edit(PLIST, f"s#<string>{LAUNCH_SCRIPT}</string>#<string>/usr/local/bin/launch-mlx.sh</string>#"),
          {f"{JOB}:program"}, host="studio"),
    fault("studio-keepalive-removed", "KeepAlive is gone from the plist: launchd would not restart the job",
          edit(PLIST, "/<key>KeepAlive<\\/key>/{N;d}"), {f"{JOB}:keepalive"}, host="studio"),
    fault("studio-plist-group-writable", "the plist is group-writable (launchd refuses such a plist)",
          command(f"chmod 664 {PLIST}", f"chmod 644 {PLIST}"), {f"{JOB}:plist-owner"}, host="studio"),
    fault("studio-job-unloaded", "the job is unloaded (plist moved away, launchd re-reads): every MLX port closes",
          (f"mv {PLIST} {PLIST}{BACKUP}-{{fault}} && systemctl reload launchd.service && {MLX_PORTS_CLOSED}",
           f"mv {PLIST}{BACKUP}-{{fault}} {PLIST}"),
          {f"{JOB}:{a}" for a in ("loaded", "running", "plist", "program", "keepalive", "plist-owner")},
          not_applicable=MLX_OPTIONAL, host="studio", start_after_revert=("launchd.service",)),
    fault("studio-crash-looping", "the launch script exits 1 at once: launchd respawns it every 10 s, no MLX port opens",
          (f"cp -a {LAUNCH_SCRIPT} {LAUNCH_SCRIPT}{BACKUP}-{{fault}} && "
           f"sed -i 's/^source .venv\\/bin\\/activate$/&\\nexit 1/' {LAUNCH_SCRIPT} && systemctl restart launchd.service && "
           f"{job_shows('state = spawn scheduled', 'last exit code = 1')} && {MLX_PORTS_CLOSED}",
           f"mv -f {LAUNCH_SCRIPT}{BACKUP}-{{fault}} {LAUNCH_SCRIPT}"),
          {f"{JOB}:running"}, not_applicable=MLX_OPTIONAL, host="studio", start_after_revert=("launchd.service",)),
    # `spawn scheduled` with `last exit code = 0`: the state, not the exit code, says it is not healthy
    fault("studio-respawning-after-exit-0", "the launch script exits 0 at once: KeepAlive respawns it every 10 s "
          "(state = spawn scheduled, last exit code = 0), no MLX port opens",
          (f"cp -a {LAUNCH_SCRIPT} {LAUNCH_SCRIPT}{BACKUP}-{{fault}} && "
           f"sed -i 's/^source .venv\\/bin\\/activate$/&\\nexit 0/' {LAUNCH_SCRIPT} && systemctl restart launchd.service && "
           f"{job_shows('state = spawn scheduled', 'last exit code = 0')} && {MLX_PORTS_CLOSED}",
           f"mv -f {LAUNCH_SCRIPT}{BACKUP}-{{fault}} {LAUNCH_SCRIPT}"),
          {f"{JOB}:running"}, not_applicable=MLX_OPTIONAL, host="studio", start_after_revert=("launchd.service",)),
    fault("studio-exec-failure", "the launch script is not executable: launchd cannot exec it "
          "(last exit reason = OS_REASON_EXEC, no exit code), retried every 10 s, no MLX port opens",
          (f"chmod 644 {LAUNCH_SCRIPT} && systemctl restart launchd.service && "
           f"{job_shows('state = spawn scheduled', 'last exit reason = OS_REASON_EXEC')} && {MLX_PORTS_CLOSED}",
           f"chmod 755 {LAUNCH_SCRIPT}"),
          {f"{JOB}:running"}, not_applicable=MLX_OPTIONAL, host="studio", start_after_revert=("launchd.service",)),
    fault("studio-code-signing-failure", "the launch script fails code signing (twin: listed in "
          f"{UNSIGNED}): last exit reason = OS_REASON_CODESIGNING, no exit code, retried every 10 s",
          (f"test ! -e {UNSIGNED} && mkdir -p {UNSIGNED.rsplit('/', 1)[0]} && echo {LAUNCH_SCRIPT} > {UNSIGNED} && "
           f"systemctl restart launchd.service && "
           f"{job_shows('state = spawn scheduled', 'last exit reason = OS_REASON_CODESIGNING')} && {MLX_PORTS_CLOSED}",
           f"rm -f {UNSIGNED}"),
          {f"{JOB}:running"}, not_applicable=MLX_OPTIONAL, host="studio", start_after_revert=("launchd.service",)),
    # must pass: the job runs the documented script through an interpreter (a form :program reads through)
    fault("studio-plist-interpreter", "the plist runs the launch script through /bin/bash "
          "(ProgramArguments = /bin/bash, the script): the program is still the script under /opt/mlx-launch",
          edit(PLIST, f"s#<string>{LAUNCH_SCRIPT}</string>#<string>/bin/bash</string><string>{LAUNCH_SCRIPT}</string>#"),
          set(), host="studio", restart=("launchd.service",)),
    fault("studio-port-loopback-only", "the MLX server of 8101 (route jerry-editor) listens on 127.0.0.1 only: "
          "up on the Studio, unreachable from the Mini",
          (f"cp -a {LAUNCH_SCRIPT} {LAUNCH_SCRIPT}{BACKUP}-{{fault}} && "
           f"sed -i 's/--host 0.0.0.0 --port 8101 /--host 127.0.0.1 --port 8101 /' {LAUNCH_SCRIPT} && "
           f"! cmp -s {LAUNCH_SCRIPT} {LAUNCH_SCRIPT}{BACKUP}-{{fault}} && systemctl restart launchd.service && "
           f"{MLX_LISTENING} && ss -ltnH 'sport = :8101' | grep -q '127.0.0.1:8101 '",
           f"mv -f {LAUNCH_SCRIPT}{BACKUP}-{{fault}} {LAUNCH_SCRIPT}"),
          {"mlx-servers::listen:8101", "mlx-servers::health:8101"}, host="studio",
          start_after_revert=("launchd.service",)),
    # launchd accepts a root-owned 0600 plist; the suite runs as the owner, who then cannot read it
    fault("studio-plist-unreadable", "the plist is 0600 (root's, as launchd accepts it): the owner cannot read it",
          command(f"chmod 600 {PLIST}", f"chmod 644 {PLIST}"), set(),
          cannot_verify={f"{JOB}:{a}" for a in ("plist", "program", "keepalive")}, host="studio"),
    fault("studio-runtime-dir-missing", "/opt/mlx-launch is gone (the running servers keep running)",
          hide("/opt/mlx-launch"), {"mlx-servers::path:runtime-dir"}, host="studio"),
    fault("studio-log-missing", "port 8101 listens without its /tmp/mlx-8101.log",
          hide("/private/tmp/mlx-8101.log"), {"mlx-servers::logs"}, host="studio"),
    fault("studio-optional-port-down", "the MLX server on 8103 (route jerry-weak, optional) is down: not applicable, not a failure",
          command(KILL_8103),
          set(), not_applicable={"mlx-servers::listen:8103", "mlx-servers::health:8103"}, host="studio",
          start_after_revert=("launchd.service",)),
    # --- the DietPi (planted on dietpi) --------------------------------------------------------------
    fault("dietpi-ha-stopped", "Home Assistant stopped", command("systemctl stop home-assistant.service"),
          {"home-assistant::active", "home-assistant::listen:8123", "home-assistant::http:frontend"}, host="dietpi",
          start_after_revert=("home-assistant.service",)),
    fault("dietpi-ha-other-port", "Home Assistant serves on 8124 (configuration.yaml), restarted",
          (f"cp -a {HA_CONFIG} {HA_CONFIG}{BACKUP}-{{fault}} && printf 'http:\\n  server_port: 8124\\n' >> {HA_CONFIG} && "
           "systemctl restart home-assistant.service && "
           "for i in $(seq 100); do ss -ltnH 'sport = :8124' | grep -q . && break; sleep 0.1; done",
           f"mv -f {HA_CONFIG}{BACKUP}-{{fault}} {HA_CONFIG}"),
          {"home-assistant::listen:8123", "home-assistant::http:frontend"}, host="dietpi",
          start_after_revert=("home-assistant.service",)),
    fault("dietpi-ha-other-user", "Home Assistant runs as homeassistant, not root",
          edit(HA_UNIT, "s/^\\[Service\\]$/[Service]\\nUser=homeassistant/"), {"home-assistant::run-as"},
          host="dietpi", reload={"system"}, restart=("home-assistant.service",)),
    fault("dietpi-ha-unit-shadowed", "a copy of home-assistant.service in /run/systemd/system.control shadows DietPi's",
          shadow(HA_UNIT, "/run/systemd/system.control"), {"home-assistant::unit-file"}, host="dietpi", reload={"system"}),
    fault("dietpi-ha-disabled", "Home Assistant is not enabled (wants symlink gone)",
          hide("/etc/systemd/system/multi-user.target.wants/home-assistant.service"), {"home-assistant::enabled"},
          host="dietpi", reload={"system"}),
    fault("dietpi-ha-logs-nowhere", "Home Assistant's output no longer goes to journald", edit(HA_UNIT, LOG_NOWHERE),
          {"home-assistant::logs"}, host="dietpi", reload={"system"}),
    # --- reaching the Studio (planted on mini, where the suite runs) ------------------------------------
    fault("studio-unreachable", "mini's packets to the Studio go nowhere (a neighbour no host answers): connect times out",
          command("ip -n llmlab-mini neigh replace 10.213.0.3 lladdr 02:00:5e:00:53:99 dev eth0 nud permanent",
                  "ip -n llmlab-mini neigh del 10.213.0.3 dev eth0"),
          STUDIO_CHECKS, host=OUTER),
    fault("studio-sshd-stopped", "the Studio's sshd accepts TCP and never answers (its listener SIGSTOPped)",
          command(SSHD_LISTENER.format(signal="STOP"), SSHD_LISTENER.format(signal="CONT")), STUDIO_CHECKS, host=OUTER),
    fault("studio-host-key-changed", "the owner's known_hosts has another key for the Studio",
          (f"cp -a {OWNER_KNOWN_HOSTS} {OWNER_KNOWN_HOSTS}{BACKUP}-{{fault}} && sed -i '/^studio,/d' {OWNER_KNOWN_HOSTS} && "
           f"echo 'studio,10.213.0.3 {OTHER_HOST_KEY}' >> {OWNER_KNOWN_HOSTS}",
           f"mv -f {OWNER_KNOWN_HOSTS}{BACKUP}-{{fault}} {OWNER_KNOWN_HOSTS}"),
          STUDIO_CHECKS),
)


# --- the OpenAI-API contract (`-m contract`): each drift planted alone, judged on the contract checks ---
MLX_TWIN = "/var/lib/mlx-twin"  # studio: the MLX stand-ins' twin-only controls (lab/standins/mlx_openai_server.py)
CONTRACT_ASPECTS = ("direct", "chat", "stream", "backend")
PROXY_CONTRACT = {f"litellm-orch::contract:{a}" for a in ("readiness", "models", "unknown-model", "master-key")}
WEBUI_CONTRACT = "open-webui::contract:models"
ROUTE_BACKENDS = {**{r: "mlx-servers" for r in ROUTES if r != "lil-jerry"}, "lil-jerry": "ov-server"}


def contract_checks(route: str, *aspects: str) -> set[str]:
    """The contract checks of a route (all four when no aspect is named)."""
    return {f"{ROUTE_BACKENDS[route]}::contract:{route}:{a}" for a in aspects or CONTRACT_ASPECTS}


def mlx_misbehaves(port: int, how: str) -> tuple[str, str]:
    """The MLX stand-in on this port misbehaves (read per request: no restart): malformed | hang |
    endless-stream | reject-key | header-drip | gzip-bomb."""
    path = shlex.quote(f"{MLX_TWIN}/fault-{port}")
    return f"printf %s {how} > {path}", f"rm -f {path}"


ALL_THROUGH_PROXY = {c for r in ROUTES for c in contract_checks(r, "chat", "stream", "backend")}
CONTRACT_CATALOG: tuple[Fault, ...] = (
    fault("contract-route-to-other-backend", "env.local sends jerry-test to the MLX server of 8103 (proxy restarted)",
          edit(ENV_LOCAL, "s#^\\(JERRY_TEST_API_BASE=.*\\):8109/v1#\\1:8103/v1#"),
          contract_checks("jerry-test", "backend"), restart=("litellm-orch.service",)),
    fault("contract-ov-server-down", "ov-server (route lil-jerry, documented up) stopped",
          command(f"{AS_OWNER} stop ov-server.service"), contract_checks("lil-jerry"),
          start_user_after_revert=("ov-server.service",)),
    fault("contract-mlx-optional-down", "the MLX server of jerry-weak (documented optional) is down: skipped, not failed",
          command(KILL_8103), set(), not_applicable=contract_checks("jerry-weak"), host="studio",
          start_after_revert=("launchd.service",)),
    fault("contract-mlx-up-route-down", "the MLX server of jerry-weak is down, and the inventory says the route is up",
          command(KILL_8103), contract_checks("jerry-weak"), host="studio", start_after_revert=("launchd.service",),
          inventory_sed="/name: jerry-weak,/{n;s/expected: optional/expected: up/}"),
    fault("contract-backend-malformed", "the MLX server of jerry-chat answers chat with a body that is not JSON",
          mlx_misbehaves(8100, "malformed"), contract_checks("jerry-chat"), host="studio"),
    fault("contract-backend-hangs", "the MLX server of jerry-editor never answers a chat request",
          mlx_misbehaves(8101, "hang"), contract_checks("jerry-editor"), host="studio"),
    fault("contract-stream-never-ends", "the MLX server of jerry-architect streams forever, never a final chunk",
          mlx_misbehaves(8102, "endless-stream"), contract_checks("jerry-architect", "direct", "stream"), host="studio"),
    fault("contract-upstream-key-rejected", "the MLX server of jerry-test rejects the upstream key (401)",
          mlx_misbehaves(8109, "reject-key"), contract_checks("jerry-test"), host="studio"),
    fault("contract-litellm-stopped", "LiteLLM stopped: every request through the proxy fails, the backends answer",
          command("systemctl stop litellm-orch.service"), PROXY_CONTRACT | {WEBUI_CONTRACT} | ALL_THROUGH_PROXY,
          start_after_revert=("litellm-orch.service",)),
    fault("contract-route-removed", "jerry-test's route removed from router.yaml (proxy restarted)",
          edit(ROUTER, "/^  - model_name: jerry-test$/,+4d"),
          {"litellm-orch::contract:models", WEBUI_CONTRACT} | contract_checks("jerry-test", "chat", "stream", "backend"),
          restart=("litellm-orch.service",)),
    fault("contract-master-key-enabled", "a master key enabled in router.yaml (proxy restarted); documented: none",
          edit(ROUTER, "s/^general_settings:.*$/general_settings:\\n  master_key: sk-twin-planted-master-key-0003/"),
          (PROXY_CONTRACT - {"litellm-orch::contract:readiness"}) | {WEBUI_CONTRACT} | ALL_THROUGH_PROXY,
          restart=("litellm-orch.service",)),
    fault("contract-header-drip", "the MLX server of jerry-editor sends a chat answer's status line and headers a "
          "byte every 0.5 s (the request's deadline covers the whole exchange)",
          mlx_misbehaves(8101, "header-drip"), contract_checks("jerry-editor"), host="studio"),
    fault("contract-gzip-bomb", "the MLX server of jerry-chat answers every chat with a gzip bomb (64 KB on the "
          "wire, 64 MiB decoded), whatever the request accepts",
          mlx_misbehaves(8100, "gzip-bomb"), contract_checks("jerry-chat"), host="studio"),
    several_hosts("contract-optional-misrouted", "the MLX server of jerry-weak (documented optional) is down and "
                  "env.local sends jerry-weak to the MLX server of 8109: LiteLLM answers it from another backend",
                  (fault("contract-optional-misrouted-8103-down", "the MLX server of jerry-weak killed",
                         command(KILL_8103), set(), host="studio", start_after_revert=("launchd.service",)),
                   fault("contract-optional-misrouted-env", "env.local sends jerry-weak to 8109",
                         edit(ENV_LOCAL, "s#^\\(JERRY_WEAK_API_BASE=.*\\):8103/v1#\\1:8109/v1#"), set(),
                         restart=("litellm-orch.service",))),
                  contract_checks("jerry-weak", "backend"), not_applicable=contract_checks("jerry-weak", "direct")),
)

# The fourth host (lab/topology.py `orin`), documented by examples/inventory-orin.yaml: its drift, planted on it
# (selftest/twin/test_fourth_host.py runs the suite with that inventory and -m orin)
FOURTH_HOST_CATALOG: tuple[Fault, ...] = (
    fault("orin-service-stopped", "llama-server stopped on the fourth host", command("systemctl stop llama-server.service"),
          {"llama-server::active", "llama-server::listen:8080"}, host="orin", start_after_revert=("llama-server.service",)),
)


# daemon-reload in the plant's or revert's own script (one ssh round trip, not one per scope)
RELOAD = {"system": "systemctl daemon-reload", "user": f"{AS_OWNER} daemon-reload"}


def plant_script(faults: list[Fault]) -> str:
    """Plant in order, then daemon-reload what they need; stop at the first step that fails (or changes nothing)."""
    steps = [f"# {f.id}\n{{ {f.plant} ; }} || {{ echo 'plant of {f.id} failed' >&2; exit 1; }}" for f in faults]
    steps += [f"{RELOAD[s]} || {{ echo 'daemon-reload ({s}) failed' >&2; exit 1; }}" for s in sorted(reloads(faults))]
    return "\n".join(steps) + "\n"


def revert_script(faults: list[Fault]) -> str:
    """Undo in reverse order, then daemon-reload; keep going past a failed step so one bad revert cannot
    strand the rest."""
    steps = [f"# {f.id}\n{{ {f.revert} ; }} || {{ echo 'revert of {f.id} failed' >&2; rc=1; }}" for f in reversed(faults)]
    steps += [f"{RELOAD[s]} || {{ echo 'daemon-reload ({s}) failed' >&2; rc=1; }}" for s in sorted(reloads(faults))]
    return "rc=0\n" + "\n".join(steps) + "\nexit $rc\n"


def reloads(faults: list[Fault]) -> set[str]:
    return set().union(*(f.reload for f in faults))


def restarts(faults: list[Fault]) -> list[str]:
    return sorted({u for f in faults for u in f.restart})


def starts_after_revert(faults: list[Fault]) -> list[str]:
    return sorted({u for f in faults for u in f.start_after_revert})


def user_starts_after_revert(faults: list[Fault]) -> list[str]:
    return sorted({u for f in faults for u in f.start_user_after_revert})


def by_id(ids: list[str]) -> list[Fault]:
    known = {f.id: f for f in edition_catalog()}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KeyError(f"unknown fault(s): {', '.join(unknown)} (see `python -m lab fault list`)")
    return [known[i] for i in ids]


def _host(faults: list[Fault]) -> str:
    hosts = {f.host for f in faults}
    if len(hosts) != 1:
        raise ValueError(f"faults planted together must share a host, not {sorted(hosts)}")
    return hosts.pop()


def plant(api, faults: list[Fault], host: str | None = None) -> None:
    """Plant the drifts in the twin and make them take effect (reload, restart)."""
    for part in _parts(faults):
        _apply(api, host, part, plant_script(part), restarts(part), [])


def revert(api, faults: list[Fault], host: str | None = None) -> None:
    """Undo the drifts (in reverse order) and bring stopped or restarted units back."""
    for part in reversed(_parts(faults)):
        _apply(api, host, part, revert_script(part), restarts(part) + starts_after_revert(part),
               user_starts_after_revert(part))


def _parts(faults: list[Fault]) -> list[list[Fault]]:
    """What is applied, one host at a time: the faults, or the parts of a fault on several hosts (planted alone)."""
    if not any(f.parts for f in faults):
        return [faults]
    if len(faults) != 1:
        raise ValueError("a fault on several hosts is planted alone")
    return [[p] for p in faults[0].parts]


def _apply(api, host: str | None, faults: list[Fault], script: str, units: list[str], user_units: list[str]) -> None:
    host = host or _host(faults)
    if host == OUTER:
        result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)
    else:
        result = api.exec_in(host, ["sh", "-c", script])  # the drifts and the daemon-reloads they need
    if result.returncode != 0:
        raise RuntimeError(f"{host}: {result.stderr.strip() or 'script failed'}")
    if units or user_units:
        api.restart_units(host, system_units=units, user_units=user_units)


# --- the 2026-05 edition (lab/hosts/mini_2026_05.py, studio_2026_05.py; examples/inventory-2026-05.yaml) -------------
# Shapes of drift the owner's own read-outs (docs/v2/inventory/*_BASELINE.md) and canon describe. Each is planted ALONE
# on the 2026-05 edition; its expected set is what must newly fail against that edition's unplanted run (the edition
# is not green yet for reasons of the suite, the inventory and the canon, listed in lab/README.md).
ENV_2026_05 = f"{HOME}/homelab-llm/services/litellm-orch/config/env.local"
DISABLED_DB = "/private/var/db/com.apple.xpc.launchd/disabled.plist"
LANE_MODEL = "/Users/thestudio/models/mlx-qwen3-next-80b-mxfp4-a3b-instruct"
LANE_8101 = "mlx-lanes::launchd:com.bebop.mlx-lane.8101"
SHADOW = "com.bebop.mlx-shadow.8123"
SHADOW_PLIST = f"/Library/LaunchDaemons/{SHADOW}.plist"
LLMSTER_STATE = "/var/lib/llmster-twin/state.json"
SERVE_STATE = "/var/lib/tailscale-twin/serve.json"
SEARXNG_UNIT = "/etc/systemd/system/searxng.service"


def _port_closed(port: int) -> str:
    return (f"for i in $(seq 100); do ss -ltnH 'sport = :{port}' | grep -q . || break; sleep 0.1; done; "
            f"! ss -ltnH 'sport = :{port}' | grep -q .")


def _port_open(port: int, seconds: int) -> str:
    return (f"for i in $(seq {seconds * 10}); do ss -ltnH 'sport = :{port}' | grep -q . && break; sleep 0.1; done; "
            f"ss -ltnH 'sport = :{port}' | grep -q .")


def _py(code: str) -> str:
    """A python3 one-off on the host as root (studio's /usr/bin/python3 is Debian's; the owner's PATH hides it)."""
    return f"/usr/bin/python3 -c {shlex.quote(code)}"


def _json_edit(path: str, code: str) -> tuple[str, str]:
    """Plant: keep the JSON file, then change it in place (`d` is its content). Revert: put it back."""
    p = shlex.quote(path)
    edit = _py(f"import json; f={path!r}; d=json.load(open(f)); {code}; json.dump(d, open(f, 'w'))")
    return f"cp -a {p} {p}{BACKUP}-{{fault}} && {edit} && ! cmp -s {p} {p}{BACKUP}-{{fault}}", f"mv -f {p}{BACKUP}-{{fault}} {p}"


def _disabled(label: str, value: bool | None) -> str:
    """launchd's disabled database: label -> value (None: the entry removed)."""
    change = f"d[{label!r}] = {value}" if value is not None else f"d.pop({label!r}, None)"
    return _py(f"import plistlib; f={DISABLED_DB!r}; d=plistlib.load(open(f, 'rb')); {change}; "
               f"plistlib.dump(d, open(f, 'wb'))")


HUP_LAUNCHD = "systemctl reload launchd.service"
LLMSTER_ROUTES = ("deep", "code-reasoning", "fast", "task-transcribe", "task-transcribe-vivid", "task-json",
                  "task-youtube-summary")  # examples/inventory-2026-05.yaml: the routes on llmster's shared 8126
ON_20B = ("fast", "task-transcribe", "task-json")  # env.example LLMSTER_FAST_MODEL: the 20B's routes

CATALOG_2026_05: tuple[Fault, ...] = (
    # --- studio: launchd ----------------------------------------------------------------------------------
    fault("lane-disabled", "the active MLX lane 8101 disabled in launchd's database (still loaded until it reloads)",
          (f"cp -a {DISABLED_DB} {DISABLED_DB}{BACKUP}-{{fault}} && " + _disabled("com.bebop.mlx-lane.8101", True),
           f"mv -f {DISABLED_DB}{BACKUP}-{{fault}} {DISABLED_DB}"),
          {f"{LANE_8101}:enabled"}, host="studio"),
    fault("lane-crash-looping", "the lane's model path gone: vllm exits 1 at start and launchd respawns it (KeepAlive)",
          (f"mv {LANE_MODEL} {LANE_MODEL}{BACKUP}-{{fault}} && "
           "kill $(ss -ltnpH 'sport = :8101' | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p') && " + _port_closed(8101),
           f"mv {LANE_MODEL}{BACKUP}-{{fault}} {LANE_MODEL} && " + _port_open(8101, 45)),
          {f"{LANE_8101}:running", f"{LANE_8101}:serves-port", "mlx-lanes::listen:8101"}, host="studio"),
    fault("retired-label-loaded", f"a retired label ({SHADOW}) back in /Library/LaunchDaemons, enabled and loaded",
          (f"cp -a {DISABLED_DB} {DISABLED_DB}{BACKUP}-{{fault}} && " + _disabled(SHADOW, None) + " && "
           f"sed 's/mlx-lane\\.8101/mlx-shadow.8123/; s/<string>8101</<string>8123</' "
           f"/Library/LaunchDaemons/com.bebop.mlx-lane.8101.plist > {SHADOW_PLIST} && {HUP_LAUNCHD} && " + _port_open(8123, 10),
           f"rm -f {SHADOW_PLIST} && mv -f {DISABLED_DB}{BACKUP}-{{fault}} {DISABLED_DB} && {HUP_LAUNCHD} && "
           + _port_closed(8123)),
          {f"mlx-lanes::launchd:{SHADOW}:not-loaded"}, host="studio"),
    # --- studio: llmster ----------------------------------------------------------------------------------
    fault("llmster-key-missing", "llmster's API token requirement off: its server answers without the key",
          _json_edit(LLMSTER_STATE, "d['auth']['required'] = False"),
          {f"llmster::contract:{r}:direct" for r in LLMSTER_ROUTES}, host="studio"),
    fault("llmster-model-unloaded", "llmster's 20B model unloaded while /lmstudio-greeting (its health) still answers 200",
          _json_edit(LLMSTER_STATE, "d['loaded'] = [m for m in d['loaded'] "
                                    "if m['identifier'] != 'llmster-gpt-oss-20b-mxfp4-gguf']"),
          {f"llmster::contract:{r}:direct" for r in ON_20B}, host="studio"),
    # --- mini ---------------------------------------------------------------------------------------------
    fault("master-key-off", "LITELLM_MASTER_KEY gone from env.local: the proxy answers /v1 without a key",
          edit(ENV_2026_05, "/^LITELLM_MASTER_KEY=/d"), {"litellm-orch::contract:master-key"},
          restart=("litellm-orch.service",)),
    fault("database-down", "PostgreSQL stopped (the owner's litellm database gone)",
          command("systemctl stop postgresql.service postgresql@15-main.service"),
          {"litellm-postgres::active", "litellm-postgres::listen:5432"},
          start_after_revert=("postgresql@15-main.service", "postgresql.service")),
    fault("tailscale-forward-changed", "the Serve mapping of svc:gateway proxies to another port",
          _json_edit(SERVE_STATE, "h = d['Services']['svc:gateway']['Web']; k = next(iter(h)); "
                                  "h[k]['Handlers']['/']['Proxy'] = 'http://127.0.0.1:4001'"),
          {"tailscale-serve::mini:svc:gateway:443/"}),
    fault("localhost-bound-to-all", "SearXNG (documented 127.0.0.1:8888) started with --host 0.0.0.0",
          edit(SEARXNG_UNIT, "s/--host 127.0.0.1 --port 8888/--host 0.0.0.0 --port 8888/"),
          {"searxng::listen:8888", "searxng::exec-start"}, reload=frozenset({"system"}), restart=("searxng.service",)),
)
# Checks a 2026-05 fault may make pass (they fail on the unplanted edition for a reason the drift removes), by fault:
# router.yaml sends `api_key: dummy` to llmster, whose token the runtime lock requires (auth_required true), so every
# llmster route fails through LiteLLM with 401 on the edition as documented; with llmster's key requirement off,
# LiteLLM's requests are answered.
MAY_PASS_2026_05 = {"llmster-key-missing": {f"llmster::contract:{r}:{a}" for r in LLMSTER_ROUTES
                                            for a in ("chat", "stream", "backend", "deployment")}}
# Faults the suite does not catch yet (the twin plants them; the twin proof expects them to fail until it does):
GAPS_2026_05 = {"llmster-model-unloaded": (
    "the suite's direct llmster check does not notice the 20B unloaded: LM Studio answers any request with its one "
    "loaded model (lab/standins/llmster.py pick_instance), and the check passes on the 120B's answer")}
EDITION_CATALOGS = {"founding": CATALOG + CONTRACT_CATALOG + FOURTH_HOST_CATALOG, "2026-05": CATALOG_2026_05}


def edition_catalog(edition: str | None = None) -> tuple[Fault, ...]:
    """The faults of an edition (default: the one that is up)."""
    from .edition import current
    return EDITION_CATALOGS[edition or current()]
