"""The lab's documented application data (routes, ports, models), shared by the host layouts.

mini writes env.local and the MLX launch scripts from it; the studio host will run MLX stand-ins from it.
"""
from dataclasses import dataclass

from .topology import HOSTS

MLX_MODELS = "/opt/mlx-launch/models"  # on the Studio; the mlx-openai-server model id is the full path


@dataclass(frozen=True)
class Route:
    name: str  # LiteLLM model_name
    api_base: str
    upstream: str  # the upstream model id (MODEL=openai/<upstream>)
    script: str | None = None  # MLX routes: the launch script in litellm-orch/scripts that starts it
    port: int | None = None  # MLX routes: the Studio port

    @property
    def env_prefix(self) -> str:
        return self.name.upper().replace("-", "_")


def _mlx(name, port, model, script):
    return Route(name, f"http://{HOSTS['studio'].address}:{port}/v1", f"{MLX_MODELS}/{model}", script, port)


OV_DEFAULT_MODEL = "qwen2.5-3b-instruct-int4-ov"

ROUTES = [
    _mlx("jerry-chat", 8100, "Qwen3-30B-A3B-Instruct-2507-4bit", "run-mlx-studio.sh"),
    _mlx("jerry-editor", 8101, "Qwen3-Coder-30B-A3B-Instruct-4bit", "run-mlx-studio.sh"),
    _mlx("jerry-architect", 8102, "gpt-oss-120b-MXFP4-Q8", "run-mlx-gptoss-architect.sh"),
    _mlx("jerry-weak", 8103, "Llama-3.2-3B-Instruct-4bit", "run-mlx-studio.sh"),
    _mlx("jerry-test", 8109, "Qwen2.5-0.5B-Instruct-4bit", "run-mlx-test-model.sh"),
    Route("lil-jerry", "http://localhost:9000/v1", OV_DEFAULT_MODEL),
]

MLX_SCRIPTS = {
    "run-mlx-studio.sh": "jerry-chat, jerry-editor and jerry-weak",
    "run-mlx-gptoss-architect.sh": "jerry-architect (gpt-oss)",
    "run-mlx-test-model.sh": "jerry-test",
}


def mlx_routes(script: str | None = None) -> list[Route]:
    return [r for r in ROUTES if r.port and (script is None or r.script == script)]
