"""The fault catalog: drifts the twin plants in mini, and the exact checks each must fail.

Each record says how to plant and revert itself, which units must be reloaded or restarted
for the drift to take effect, which resources it touches (faults that touch disjoint
resources are planted together in one wave), and the exact set of check ids it must fail.
The suite never plants anything: this module runs as root through `lab exec`.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

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
    plant: str  # sh script, run as root in mini
    revert: str
    expect: frozenset[str]
    touches: frozenset[str]
    reload: frozenset[str] = frozenset()  # "system" and/or "user": daemon-reload after plant and revert
    restart: tuple[str, ...] = ()  # system units to restart after plant and after revert
    start_after_revert: tuple[str, ...] = ()  # units the plant stopped


def edit(path: str, sed: str) -> tuple[str, str]:
    """Plant: keep the original, then edit in place (failing if nothing changed). Revert: put it back.

    The backup is named per fault ({fault} is filled in by `fault`), and a wave is reverted in
    reverse order, so two faults may edit different lines of one file.
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


def fault(id: str, description: str, steps: tuple[str, str], expect: set[str], touches: set[str], **kw) -> Fault:
    plant, revert = (step.replace("{fault}", id) for step in steps)
    return Fault(id, description, plant, revert, frozenset(expect), frozenset(touches), **kw)


CATALOG: tuple[Fault, ...] = (
    fault("litellm-restart-sec", "litellm-orch RestartSec 2 -> 5",
          edit("/etc/systemd/system/litellm-orch.service", "s/^RestartSec=2$/RestartSec=5/"),
          {"litellm-orch::restart-sec"}, {"litellm-orch.service"}, reload={"system"}),
    fault("litellm-drop-in-added", "an undocumented drop-in for litellm-orch",
          create("/etc/systemd/system/litellm-orch.service.d/10-undocumented.conf", "[Service]\nEnvironment=UNDOCUMENTED=1\n"),
          {"litellm-orch::drop-ins"}, {"litellm-orch.service.d"}, reload={"system"}),
    fault("litellm-json-logs-off", "json_logs: false in router.yaml, proxy restarted",
          edit(ROUTER, "s/json_logs: true/json_logs: false/"),
          {"litellm-orch::json-logs-setting", "litellm-orch::json-logs-journal"}, {"router.yaml:litellm_settings", "litellm-orch.runtime"},
          restart=("litellm-orch.service",)),
    fault("route-points-elsewhere", "env.local sends jerry-weak to another port",
          edit(ENV_LOCAL, "s#^\\(JERRY_WEAK_API_BASE=.*\\):8103/v1#\\1:8199/v1#"),
          {"litellm-orch::route:jerry-weak:api-base"}, {"env.local:JERRY_WEAK_API_BASE"}),
    fault("master-key-enabled", "a master key appears in router.yaml (documented: not enabled)",
          edit(ROUTER, "s/^general_settings:.*$/general_settings:\\n  master_key: sk-twin-planted-master-key-0001/"),
          {"litellm-orch::master-key"}, {"router.yaml:general_settings"}),
    fault("open-webui-restart-policy", "open-webui Restart always -> on-failure",
          edit("/etc/systemd/system/open-webui.service", "s/^Restart=always$/Restart=on-failure/"),
          {"open-webui::restart"}, {"open-webui.service"}, reload={"system"}),
    fault("open-webui-disabled", "open-webui disabled (wants symlink gone)",
          hide("/etc/systemd/system/multi-user.target.wants/open-webui.service"),
          {"open-webui::enabled"}, {"open-webui.wants"}, reload={"system"}),
    fault("open-webui-env-value", "OPENAI_API_BASE_URL points past LiteLLM",
          edit("/etc/open-webui/env", "s#^OPENAI_API_BASE_URL=.*#OPENAI_API_BASE_URL=http://127.0.0.1:4001/v1#"),
          {"open-webui::env:OPENAI_API_BASE_URL"}, {"open-webui.env"}),
    fault("open-webui-secret-key-missing", "the WebUI secret key file is gone",
          hide(f"{HOME}/open-webui/.webui_secret_key"),
          {"open-webui::path:secret-key"}, {"webui_secret_key"}),
    fault("open-webui-data-dir-missing", "DATA_DIR is gone",
          hide(f"{HOME}/.open-webui"),
          {"open-webui::path:data-dir"}, {"open-webui.data"}),
    fault("user-open-webui-unit", "a user-level open-webui unit is back (policy: removed)",
          create(f"{USER_UNITS}/open-webui.service", "[Service]\nExecStart=/bin/true\n", owner=OWNER),
          {"open-webui::user-unit-absent"}, {"user.open-webui.service"}, reload={"user"}),
    fault("ov-restart-sec", "ov-server (user unit) RestartSec 3 -> 10",
          edit(f"{USER_UNITS}/ov-server.service", "s/^RestartSec=3$/RestartSec=10/"),
          {"ov-server::restart-sec"}, {"ov-server.service"}, reload={"user"}),
    fault("ov-wants-link-removed", "ov-server no longer in the user's default.target.wants",
          hide(f"{USER_UNITS}/default.target.wants/ov-server.service"),
          {"ov-server::enabled", "ov-server::path:default-target-wants"}, {"ov-server.wants"}, reload={"user"}),
    fault("ov-env-file-missing", "ov-server.env is gone",
          hide(f"{HOME}/.config/ov-llm-server/ov-server.env"),
          {"ov-server::path:env-file", "ov-server::env:OV_REGISTRY_PATH", "ov-server::env:OV_DEVICE",
           "ov-server::env:OV_MODEL_PATH"}, {"ov-server.env"}),
    fault("ov-registry-missing", "the model registry.json is gone",
          hide(f"{HOME}/models/converted_models/registry.json"),
          {"ov-server::path:registry"}, {"registry.json"}),
    fault("linger-off", "lingering off for the owner (file removed; the running manager is left alone)",
          hide(f"/var/lib/systemd/linger/{OWNER}"),
          {"ov-server::path:linger"}, {"linger"}),
    fault("ollama-stopped", "ollama stopped",
          ("systemctl stop ollama.service", "true"),
          {"ollama::active", "ollama::listen:11434"}, {"ollama.runtime"}, start_after_revert=("ollama.service",)),
    fault("ollama-override-edited", "override.conf moves OLLAMA_HOST to another port (not restarted)",
          edit("/etc/systemd/system/ollama.service.d/override.conf", "s/0.0.0.0:11434/0.0.0.0:11435/"),
          {"ollama::environment:OLLAMA_HOST", "ollama::unmodified:override.conf"}, {"ollama.override"}, reload={"system"}),
    fault("ollama-exec-start", "ollama ExecStart gains a flag",
          edit("/etc/systemd/system/ollama.service", "s#^ExecStart=/usr/local/bin/ollama serve$#ExecStart=/usr/local/bin/ollama serve --debug#"),
          {"ollama::exec-start", "ollama::unmodified:ollama.service"}, {"ollama.service"}, reload={"system"}),
    fault("script-flag-changed", "run-mlx-test-model.sh logs to another file",
          edit(f"{HOME}/litellm-orch/scripts/run-mlx-test-model.sh", "s#/tmp/mlx-8109.log#/tmp/mlx-test.log#"),
          {"mlx-servers::script:run-mlx-test-model.sh:launch-flags"}, {"run-mlx-test-model.sh"}),
    fault("dietpi-ssh-config", "the owner's ssh config no longer knows the DietPi's address",
          edit(f"{HOME}/.ssh/config", "s/HostName 10.213.0.4/HostName 10.213.0.40/"),
          {"home-assistant::ssh-config:dietpi"}, {"ssh_config"}),
)


def waves(faults: tuple[Fault, ...] = CATALOG) -> list[list[Fault]]:
    """Group faults so that no two in a wave touch the same resource or expect the same check."""
    result: list[list[Fault]] = []
    for f in faults:
        for wave in result:
            if all(not (f.touches & g.touches) and not (f.expect & g.expect) for g in wave):
                wave.append(f)
                break
        else:
            result.append([f])
    return result


def plant_script(wave: list[Fault]) -> str:
    """Plant in order; stop at the first step that fails (or changes nothing)."""
    steps = [f"# {f.id}\n{{ {f.plant} ; }} || {{ echo 'plant of {f.id} failed' >&2; exit 1; }}" for f in wave]
    return "\n".join(steps) + "\n"


def revert_script(wave: list[Fault]) -> str:
    """Undo in reverse order; keep going past a failed step so one bad revert cannot strand the rest."""
    steps = [f"# {f.id}\n{{ {f.revert} ; }} || {{ echo 'revert of {f.id} failed' >&2; rc=1; }}" for f in reversed(wave)]
    return "rc=0\n" + "\n".join(steps) + "\nexit $rc\n"


def reloads(wave: list[Fault]) -> set[str]:
    return set().union(*(f.reload for f in wave))


def restarts(wave: list[Fault]) -> list[str]:
    return sorted({u for f in wave for u in f.restart})


def starts_after_revert(wave: list[Fault]) -> list[str]:
    return sorted({u for f in wave for u in f.start_after_revert})


def by_id(ids: list[str]) -> list[Fault]:
    known = {f.id: f for f in CATALOG}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KeyError(f"unknown fault(s): {', '.join(unknown)} (see `python -m lab fault list`)")
    return [known[i] for i in ids]


def plant(api, wave: list[Fault], host: str = "mini") -> None:
    """Plant the wave's drifts in the twin and make them take effect (reload, restart)."""
    _apply(api, host, wave, plant_script(wave), restarts(wave))


def revert(api, wave: list[Fault], host: str = "mini") -> None:
    """Undo the wave (in reverse order) and bring stopped or restarted units back."""
    _apply(api, host, wave, revert_script(wave), restarts(wave) + starts_after_revert(wave))


def _apply(api, host: str, wave: list[Fault], script: str, units: list[str]) -> None:
    result = api.exec_in(host, ["sh", "-c", script])
    if result.returncode != 0:
        raise RuntimeError(f"{host}: {result.stderr.strip() or 'script failed'}")
    for scope in sorted(reloads(wave)):
        api.daemon_reload(host, scope)
    if units:
        api.restart_units(host, system_units=units)
