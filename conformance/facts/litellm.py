"""LiteLLM's router.yaml, resolved the way the proxy resolves it: `os.environ/NAME` from env; and each
deployment's id, computed the way LiteLLM 1.83.4 computes the `x-litellm-model-id` it answers with."""
from __future__ import annotations

import hashlib
import json
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

    @property
    def as_litellm(self) -> object:
        """The value as LiteLLM holds it: get_secret (litellm/secret_managers/main.py, 1.83.4) turns an
        environment value "true"/"false" (any case, trimmed) into a bool; an unset variable is None."""
        if self.variable is not None and isinstance(self.value, str):
            return {"true": True, "false": False}.get(self.value.strip().lower(), self.value)
        return self.value


Deployment = dict[str, ResolvedValue]  # one model_list entry's litellm_params, resolved


@dataclass
class RouterConfig:
    # every entry of a model_name, in file order: LiteLLM load-balances between several (one route, N deployments)
    deployments: dict[str, list[Deployment]] = field(default_factory=dict)
    litellm_settings: dict = field(default_factory=dict)
    router_settings: dict = field(default_factory=dict)
    general_settings: dict = field(default_factory=dict)
    # every entry's deployment id, parallel to `deployments` (what LiteLLM answers as x-litellm-model-id)
    ids: dict[str, list[str]] = field(default_factory=dict)

    def deployment_of(self, model_id: str) -> tuple[str, int, Deployment] | None:
        """The entry whose id this is: (model_name, index among that name's entries, its params)."""
        for name, ids in self.ids.items():
            if model_id in ids:
                i = ids.index(model_id)
                return name, i, self.deployments[name][i]
        return None


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
        resolved = {k: _resolve(v, env) for k, v in params.items()} if isinstance(params, dict) else {}
        name = str(entry["model_name"])
        config.deployments.setdefault(name, []).append(resolved)
        info = entry.get("model_info") if isinstance(entry.get("model_info"), dict) else {}
        config.ids.setdefault(name, []).append(
            str(info["id"]) if "id" in info else deployment_id(name, {k: v.as_litellm for k, v in resolved.items()}))
    return config


def deployment_id(model_name: str, litellm_params: dict) -> str:
    """The id LiteLLM gives a deployment whose model_info names none: a sha256 of the model name and every
    litellm_param, key then value, in the order router.yaml writes them, after `os.environ/` is resolved.
    Source: LiteLLM 1.83.4 litellm/router.py, Router._generate_model_id (called by Router.set_model_list after
    get_secret resolved each `os.environ/` value); the proxy answers it as x-litellm-model-id. A str is taken
    as is, a dict as json.dumps, anything else as str() (so YAML's 16384 is "16384", true is "True")."""
    parts = [model_name]
    for k, v in litellm_params.items():
        for item in (k, v):
            parts.append(item if isinstance(item, str) else json.dumps(item) if isinstance(item, dict) else str(item))
    return hashlib.sha256("".join(parts).encode()).hexdigest()


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
