"""LiteLLM's router.yaml, resolved the way the proxy resolves it: `os.environ/NAME` from env."""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

ENV_REF = "os.environ/"


@dataclass(frozen=True)
class ResolvedValue:
    raw: object  # as written in router.yaml
    value: object | None  # after substitution; None when the variable is not set
    variable: str | None = None  # the NAME of os.environ/NAME

    @property
    def unresolved(self) -> bool:
        return self.variable is not None and self.value is None


@dataclass
class RouterConfig:
    routes: dict[str, dict[str, ResolvedValue]] = field(default_factory=dict)
    litellm_settings: dict = field(default_factory=dict)
    router_settings: dict = field(default_factory=dict)
    general_settings: dict = field(default_factory=dict)


class RouterConfigError(ValueError):
    pass


def resolve_router(text: str, env: dict[str, str]) -> RouterConfig:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise RouterConfigError(f"router.yaml is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise RouterConfigError("router.yaml is not a mapping")
    config = RouterConfig(
        litellm_settings=data.get("litellm_settings") or {},
        router_settings=data.get("router_settings") or {},
        general_settings=data.get("general_settings") or {},
    )
    for entry in data.get("model_list") or []:
        if not isinstance(entry, dict) or "model_name" not in entry:
            continue
        params = entry.get("litellm_params") or {}
        config.routes[str(entry["model_name"])] = {k: _resolve(v, env) for k, v in params.items()}
    return config


def _resolve(raw: object, env: dict[str, str]) -> ResolvedValue:
    if isinstance(raw, str) and raw.startswith(ENV_REF):
        name = raw[len(ENV_REF):]
        return ResolvedValue(raw, env.get(name), name)
    return ResolvedValue(raw, raw)
