#!/usr/bin/python3
"""The twin's own bootstrap for llmster (twin, studio), run by the launchd job `com.bebop.llmster-gpt.8126`.

Not the owner's code: it does what their `platform/ops/scripts/llmster_ensure_server.py` is documented to do
(bebopbabailey/homelab-llm@1b54b73, read for its behaviour, none of its code is here), with the same command line as the
owner's plist passes (platform/ops/templates/com.bebop.llmster-gpt.8126.plist):
    --lms-bin PATH --bind ADDR --port N [--api-key-env NAME] [--poll-interval S] [--startup-timeout S]
    --load-spec 'model|identifier|context_length|parallel[|eval_batch_size|flash_attention|num_experts|offload_kv]'
(:188-205; a spec has 4 or 8 fields, empty optional fields are not checked, booleans true/1/yes/on or
false/0/no/off: :27-62). In order:
1. `lms daemon up`, then `lms daemon status`; either failing stops the run (:209-210);
2. `lms server start --bind ADDR --port N`, whose failure is allowed: an already running server may refuse
   (:212-217);
3. waits for `GET http://ADDR:N/v1/models` and `/api/v1/models` to answer 200, with `Authorization: Bearer
   $<api-key-env>` when that variable is set, polling every --poll-interval (2 s) up to --startup-timeout
   (90 s) (:76-116, 194-195, 218-219);
4. per load spec: an identifier `/v1/models` lists whose native config (`models[].loaded_instances[].config`)
   matches is left alone; one that drifted is unloaded first (`POST /api/v1/models/unload {"instance_id"}`,
   then both lists are awaited again); then `lms load <model> --identifier ID --context-length N --parallel P
   -y`, a wait until `/v1/models` lists it, and a check of its config: a drift left after the load stops the
   run (:119-165, 221-247);
5. exits 0 (:249). The job is `KeepAlive` false, so launchd then shows it `not running` while the daemon (its
   own session) keeps serving: what the owner's baseline saw (docs/v2/inventory/STUDIO_BASELINE.md:92).
A failure prints one line `llmster_ensure_server: <why>` on stderr and exits 1 (the owner's raises, so Python
prints a traceback and exits 1: the status is the same, the text is the twin's).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
CHECKED = ("eval_batch_size", "flash_attention", "num_experts", "offload_kv_cache_to_gpu")


class Failure(Exception):
    pass


@dataclass(frozen=True)
class Spec:
    model: str
    identifier: str
    wanted: dict  # config key -> the value it must have (context_length and parallel always)

    @classmethod
    def parse(cls, text: str) -> "Spec":
        fields = [f.strip() for f in text.split("|")]
        if len(fields) not in (4, 8):
            raise Failure(f"invalid load spec: {text!r}")
        wanted = {"context_length": int(fields[2]), "parallel": int(fields[3])}
        for key, raw in zip(CHECKED, fields[4:]):
            if raw:
                wanted[key] = int(raw) if key in ("eval_batch_size", "num_experts") else _flag(raw)
        return cls(fields[0], fields[1], wanted)

    def matches(self, config: dict | None) -> bool:
        return isinstance(config, dict) and all(config.get(k) == v for k, v in self.wanted.items())


def _flag(raw: str) -> bool:
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise Failure(f"invalid boolean value: {raw!r}")


class Llmster:
    def __init__(self, args):
        self.lms = args.lms_bin
        self.base = f"http://{args.bind}:{args.port}"
        key = os.environ.get(args.api_key_env) if args.api_key_env else None
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.poll, self.timeout = args.poll_interval, args.startup_timeout

    def lms_run(self, *argv: str, may_fail: bool = False) -> None:
        done = subprocess.run([self.lms, *argv], capture_output=True, text=True)
        if done.returncode and not may_fail:
            said = done.stderr.strip() or done.stdout.strip()
            raise Failure(f"`lms {' '.join(argv)}` exited {done.returncode}: {said}")

    def get(self, path: str) -> dict | None:
        request = urllib.request.Request(self.base + path, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.poll + 5) as answer:
                return json.load(answer) if answer.status == 200 else None
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def await_lists(self) -> tuple[dict, dict]:
        return self.await_json("/v1/models"), self.await_json("/api/v1/models")

    def await_json(self, path: str, until=lambda body: True) -> dict:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            body = self.get(path)
            if body is not None and until(body):
                return body
            time.sleep(self.poll)
        raise Failure(f"timed out waiting for {self.base}{path}")

    def unload(self, identifier: str) -> None:
        request = urllib.request.Request(self.base + "/api/v1/models/unload", method="POST",
                                         data=json.dumps({"instance_id": identifier}).encode(),
                                         headers={**self.headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError) as e:
            raise Failure(f"failed to unload {identifier!r}: {e}") from e
        raise Failure(f"failed to unload {identifier!r}")


def listed(models: dict, identifier: str) -> bool:
    return any(isinstance(m, dict) and m.get("id") == identifier for m in models.get("data", []))


def config_of(native: dict, identifier: str) -> dict | None:
    for model in native.get("models", []):
        for instance in (model.get("loaded_instances") or []) if isinstance(model, dict) else []:
            if isinstance(instance, dict) and instance.get("id") == identifier:
                return instance.get("config")
    return None


def ensure(args) -> None:
    specs = [Spec.parse(text) for text in args.load_spec]
    llm = Llmster(args)
    llm.lms_run("daemon", "up")
    llm.lms_run("daemon", "status")
    llm.lms_run("server", "start", "--bind", args.bind, "--port", str(args.port), may_fail=True)
    models, native = llm.await_lists()
    for spec in specs:
        if listed(models, spec.identifier):
            if spec.matches(config_of(native, spec.identifier)):
                continue
            llm.unload(spec.identifier)
            models, native = llm.await_lists()
        llm.lms_run("load", spec.model, "--identifier", spec.identifier, "--context-length",
                    str(spec.wanted["context_length"]), "--parallel", str(spec.wanted["parallel"]), "-y")
        llm.await_json("/v1/models", until=lambda body, ident=spec.identifier: listed(body, ident))
        models, native = llm.await_lists()
        if not spec.matches(config_of(native, spec.identifier)):
            raise Failure(f"loaded config drift for {spec.identifier!r}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmster_ensure_server.py")
    p.add_argument("--lms-bin", required=True)
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--api-key-env", default="")
    p.add_argument("--poll-interval", type=float, default=2.0)
    p.add_argument("--startup-timeout", type=float, default=90.0)
    p.add_argument("--load-spec", action="append", default=[])
    args = p.parse_args(argv)
    try:
        ensure(args)
    except Failure as e:
        print(f"llmster_ensure_server: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
