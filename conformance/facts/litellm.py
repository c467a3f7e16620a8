"""LiteLLM's router.yaml, resolved the way the proxy resolves it: `os.environ/NAME` from env."""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..redaction import is_secret_name

ENV_REF = "os.environ/"


@dataclass(frozen=True)
class ResolvedValue:
    raw: object  # as written in router.yaml
    value: object | None  # after substitution; None when the variable is not set
    variable: str | None = None  # the NAME of os.environ/NAME

    @property
    def unresolved(self) -> bool:
        return self.variable is not None and self.value is None


Deployment = dict[str, ResolvedValue]  # one model_list entry's litellm_params, resolved


@dataclass
class RouterConfig:
    # every entry of a model_name, in file order: LiteLLM load-balances between several (one route, N deployments)
    deployments: dict[str, list[Deployment]] = field(default_factory=dict)
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
        config.deployments.setdefault(str(entry["model_name"]), []).append(
            {k: _resolve(v, env) for k, v in params.items()})
    return config


def _resolve(raw: object, env: dict[str, str]) -> ResolvedValue:
    if isinstance(raw, str) and raw.startswith(ENV_REF):
        name = raw[len(ENV_REF):]
        return ResolvedValue(raw, env.get(name), name)
    return ResolvedValue(raw, raw)


def secret_values(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Secret values in a YAML text (keys named like secrets, e.g. master_key, api_key) and where they sit.

    Works on the composed node graph, so anchors, tags and block scalars are found as YAML
    sees them; an alias is the node it names (masked where its anchor stands).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    found, seen, todo = [], set(), [root]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode) and is_secret_name(str(key.value)) \
                        and value.value and not str(value.value).startswith(ENV_REF):
                    found.append((str(value.value), (value.start_mark.index, value.end_mark.index)))
                todo += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return found
