"""The inventory's schema: every documented fact of the lab, as typed data.

Each entry carries `source`, so a reader can tell a documented fact from one we inferred:
founding = the founding document (03-SERVICE_INVENTORY.md), companion = the lab's other
documents of the same era, derived = inferred by us (with `why`).
"""
from __future__ import annotations

import re
import shlex
import string
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Source = Literal["founding", "companion", "derived", "observed"]  # observed: proposed by discovery (conformance/discover)
Port = int  # range enforced with Field(ge=1, le=65535) where used
SLUG = r"^[a-z0-9][a-z0-9.-]*$"


def _on_the_host(v: str) -> str:
    """A path the suite reads or looks at on a host: absolute, and not climbing with `..` (the runner's
    allowlist refuses anything else; refused here, at its line, rather than in every check of the host)."""
    if not v.startswith("/"):
        raise ValueError(f"path must be absolute (it is looked at on the host, from /), got {v!r}")
    if ".." in v.split("/"):
        raise ValueError(f"path must not climb with '..', got {v!r}")
    return v


HostPath = Annotated[str, AfterValidator(_on_the_host)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(Strict):
    source: Source
    why: str | None = None

    @model_validator(mode="after")
    def _derived_says_why(self):
        if self.source == "derived" and not self.why:
            raise ValueError("a derived entry must say why it was inferred (`why:`)")
        return self


class Host(Entry):
    id: str = Field(pattern=SLUG)
    os: Literal["linux", "darwin"]
    address: str
    ssh_alias: str | None = None
    role: str = ""
    marker: str | None = None  # the pytest marker (and tests/ folder) of its checks; default: its id

    @property
    def checks_marker(self) -> str:
        return self.marker or self.id


class UnitState(Entry):
    enabled: bool | None = None
    active: bool | None = None


class Unit(Entry):
    """A systemd unit as documented. present=false documents a unit that must NOT exist."""

    name: str = Field(pattern=r"^[A-Za-z0-9@._-]+\.(service|socket|timer)$")
    scope: Literal["system", "user"] = "system"
    user: str | None = None  # owner of a user unit
    present: bool = True
    fragment: HostPath | None = None
    exec_start: str | None = None
    restart: Literal["no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog"] | None = None
    restart_sec: float | None = Field(default=None, ge=0)
    environment_files: list[HostPath] | None = None
    # EnvironmentFile=-PATH (systemd's `-` prefix): read when it exists, no error when it does not
    optional_environment_files: list[HostPath] | None = None
    environment: dict[str, str] | None = None
    drop_ins: list[HostPath] | None = None
    logs: Literal["journal"] | None = None
    run_as: str | None = None  # the unit's User= ("root": no User= or User=root)
    state: UnitState | None = None

    @model_validator(mode="after")
    def _user_units_name_their_user(self):
        if self.scope == "user" and not self.user:
            raise ValueError("a user-scope unit must name its `user`")
        return self

    @field_validator("exec_start")
    @classmethod
    def _splits_into_words(cls, v: str | None) -> str | None:
        # the checks shlex-split it to compare and to find the binary; fail here, at its line, not there
        if v is None:
            return v
        try:
            words = shlex.split(v)
        except ValueError as e:
            raise ValueError(f"cannot split it into words: {_SHLEX_HINTS.get(str(e), str(e))}") from None
        if not words:
            raise ValueError("names no command")
        return v


class Listener(Entry):
    """A documented listening port: one bind `address`, or every bind of a port that has several (`addresses`:
    Samba on 127.0.0.1 and the host's LAN address; exactly these, no more). An address may name a host as
    {host-id}, resolved per site."""

    address: str | None = None
    addresses: list[str] | None = Field(default=None, min_length=2)
    port: Port = Field(ge=1, le=65535)

    @model_validator(mode="after")
    def _one_way_to_say_the_binds(self):
        if (self.address is None) == (self.addresses is None):
            raise ValueError("a listener has `address` (one bind) or `addresses` (several binds of one port), "
                             "exactly one of them")
        if self.addresses is not None and len(set(self.addresses)) != len(self.addresses):
            raise ValueError(f"`addresses` names an address twice: {self.addresses}")
        return self

    @property
    def binds(self) -> list[str]:
        return [self.address] if self.address is not None else list(self.addresses)


class PathEntry(Entry):
    name: str = Field(pattern=SLUG)
    path: HostPath
    type: Literal["file", "directory", "symlink"]
    target: str | None = None  # for symlinks: compared with what readlink says (a relative target is a target)
    secret: bool = False  # never read, only stat'ed


class EnvValue(Entry):
    key: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    value: str | None = None  # None: only the key's presence is documented
    secret: bool = False


class EnvFile(Entry):
    name: str = Field(pattern=SLUG)
    path: HostPath
    entries: list[EnvValue]


class Journal(Entry):
    unit: str
    scope: Literal["system", "user"] = "system"
    user: str | None = None  # owner of a user unit
    json_lines: bool = False

    @model_validator(mode="after")
    def _user_journals_name_their_user(self):
        if self.scope == "user" and not self.user:
            raise ValueError("a user-scope journal must name its `user`")
        return self

    @property
    def unit_user(self) -> str | None:
        return self.user if self.scope == "user" else None


class GoodAnswer(Strict):
    """What a good answer to a GET is: its status, and its body: a JSON object with these top-level fields and
    values, an empty body, or (neither said) any body."""

    status: int = Field(default=200, ge=100, le=599)
    json_fields: dict[str, str] = {}  # top-level JSON fields and their values
    empty_body: bool = False

    @model_validator(mode="after")
    def _one_body(self):
        if self.json_fields and self.empty_body:
            raise ValueError("an answer has JSON fields or an empty body, not both")
        return self


class HttpCheck(Entry, GoodAnswer):
    """A GET the suite sends from its own host, and what the answer must show."""

    name: str = Field(pattern=SLUG)
    port: Port = Field(ge=1, le=65535)
    path: str = Field(pattern=r"^/")


class Package(Entry):
    """A Python distribution pinned at a version, in the environment a service runs from. `site_packages` is that
    environment's folder (`<venv>/lib/python3.X/site-packages`); the suite reads its `.dist-info` folders' names
    (facts/python_packages.py), never runs the package."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # as the pin writes it (litellm, vllm-metal)
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+!_-]*$")  # exactly as installed (1.83.4)
    site_packages: HostPath


class Service(Entry):
    id: str = Field(pattern=SLUG)
    host: str
    purpose: str
    owner_repo: str | None = None
    must_not_modify: bool = False
    units: list[Unit] = []
    listen: list[Listener] = []
    paths: list[PathEntry] = []
    env_files: list[EnvFile] = []
    journal: list[Journal] = []
    http: list[HttpCheck] = []
    packages: list[Package] = []


RouteParam = Literal["api_base", "model", "api_key"]  # the litellm_params of a route the suite checks
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class RouteDeployment(Strict):
    """One deployment of a route: the api_base LiteLLM sends it to and the upstream model it asks for there, as
    router.yaml resolves them. Several routes on one backend URL are told apart by `model`; a route with several
    entries in model_list lists each. The answer's x-litellm-model-id names the entry that answered."""

    api_base: str  # may name a host as {host-id}, resolved per site
    model: str = Field(pattern=r"^[A-Za-z0-9_-]+/.")  # as LiteLLM reads it: provider/upstream id (openai/gpt-oss-20b)


class RouteRequest(Strict):
    """A route that is not plain chat: the request its callers send, and the shape of a good answer.
    `chat`: POST /v1/chat/completions (response_format json_object when the answer is JSON); `responses`: the
    Responses API, POST /v1/responses (the openai client's responses.create), read from its output_text."""

    endpoint: Literal["chat", "responses"] = "chat"
    prompt: str = Field(min_length=1)
    answer: Literal["text", "json_object"] = "text"
    json_keys: list[str] = []  # top-level keys a JSON answer carries (documented ones; a model may add more)
    max_tokens: int | None = Field(default=None, ge=1)  # unset: the route's (or the contract's) max_tokens

    @model_validator(mode="after")
    def _keys_need_json(self):
        if self.json_keys and self.answer != "json_object":
            raise ValueError("json_keys are the keys of a JSON answer: say `answer: json_object`")
        return self


class Route(Entry):
    name: str = Field(pattern=SLUG)
    api_base: str  # may name a host as {host-id}, resolved per site
    backend: str  # service id of the upstream
    expected: Literal["up", "optional"] = "up"
    # the backend's API flavour (contract.apis): how its answers look; with a contract, required unless the suite
    # never calls the route (`leaves_lab: true`, no `opt_in`)
    api: str | None = None
    # per-route contract budget (a 120B model is not a 3B one); unset: the contract's defaults
    deadline: float | None = Field(default=None, gt=0)  # seconds per request
    max_tokens: int | None = Field(default=None, ge=1)
    requests: int | None = Field(default=None, ge=1)  # chat requests per run, each way (direct, through LiteLLM)
    # How router.yaml gives this route's litellm_params: from `os.environ/NAME`, NAME as `env` names it (default
    # <ROUTE>_API_BASE, <ROUTE>_MODEL, <ROUTE>_API_KEY), or written in router.yaml itself (`literal`).
    env: dict[RouteParam, EnvName] = {}
    literal: list[RouteParam] = []
    # the route's deployments as documented (several routes may share one api_base); unset: not documented, and
    # no check of which deployment answered
    deployments: list[RouteDeployment] = []
    request: RouteRequest | None = None  # unset: plain chat (the contract's prompt, a chat and a stream)
    # a route that leaves the lab and costs the owner money (chatgpt-5 through ccproxy): its static facts are
    # checked, its requests are sent only when the inventory opts it in (`opt_in: true`)
    leaves_lab: bool = False
    opt_in: bool = False

    @model_validator(mode="after")
    def _each_param_one_way(self):
        both = sorted(set(self.env) & set(self.literal))
        if both:
            raise ValueError(f"{', '.join(both)}: named in `env` and `literal`; a param is read one way")
        if self.opt_in and not self.leaves_lab:
            raise ValueError("opt_in is for a route that leaves_lab (every other route is always called)")
        return self

    @property
    def called(self) -> bool:
        """Whether a run sends this route requests (a route that leaves the lab only when opted in)."""
        return not self.leaves_lab or self.opt_in

    @property
    def env_prefix(self) -> str:
        return re.sub(r"[^A-Z0-9]", "_", self.name.upper())

    def variable(self, param: RouteParam) -> str | None:
        """The NAME of the `os.environ/NAME` router.yaml reads this param from; None: written in router.yaml."""
        if param in self.literal:
            return None
        return self.env.get(param) or f"{self.env_prefix}_{param.upper()}"


class MasterKey(Entry):
    enabled: bool
    # where a run finds the key when one is enabled: an environment variable, never a file of the suite
    key_env: str = Field(default="LLM_LAB_LITELLM_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$")


class Fallback(Entry):
    """A documented fallback: when `route` fails, LiteLLM tries `to`, in order (router.yaml's
    `fallbacks: [{"fast": ["deep"]}]`, under router_settings or litellm_settings)."""

    route: str
    to: list[str] = Field(min_length=1)


class RetiredAlias(Entry):
    """A route name the lab no longer serves: absent from model_list, and refused by the proxy."""

    name: str = Field(pattern=SLUG)


class Database(Entry):
    """LiteLLM's database (Postgres holding its keys), as its readiness body reports it. `enabled`: LiteLLM is
    given DATABASE_URL, and readiness must say `db: connected`; not enabled: `db: Not connected`."""

    enabled: bool
    # general_settings.allow_requests_on_db_unavailable: with it, a database that is down reads `db: disconnected`
    # (200); without it, readiness answers 503 (LiteLLM 1.83.4, see checks/contract.py _readiness_db)
    allow_requests_on_db_unavailable: bool = False


class LiteLLM(Entry):
    service: str
    config: HostPath
    env_file: HostPath
    json_logs: bool
    router_settings: list[str] = []
    master_key: MasterKey
    routes: list[Route]
    fallbacks: list[Fallback] = []  # documented fallbacks; none documented: not checked
    retired: list[RetiredAlias] = []  # names that must NOT be routed
    database: Database | None = None  # unset: readiness's `db` is not documented, and not checked


class IdShapes(Strict):
    chat: str  # regular expression the `id` of a whole answer matches
    stream: str  # ... and of every chunk of a streamed one


class Health(GoodAnswer):
    """The request that says whether a backend serves (it calls no model), and what a healthy answer is."""

    path: str = Field(default="/health", pattern=r"^/")


class ModelList(Strict):
    """Where a backend lists its models (an OpenAI list, `{"data": [{"id": ...}]}`), and whether the ids are
    the upstream model names LiteLLM sends (then the suite's direct chat asks for a listed one; else for the
    route's own name)."""

    path: str = Field(default="/v1/models", pattern=r"^/")
    upstream_ids: bool = True
    # the list names exactly the models the backend has loaded (LM Studio with JIT off), while it answers any request
    # with a loaded one: each route's documented upstream model must then be listed (`:direct`)
    loaded_only: bool = False


class BackendAuth(Strict):
    """A bearer key the backend requires. The run reads it from the environment variable `key_env` (never a
    file of the suite; it is never written anywhere, and the redactor learns it) and sends it only on requests
    whose path starts with one of `guards`; there, a request without it must be refused with 401."""

    key_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")
    guards: list[str] = Field(default=["/"], min_length=1)  # path prefixes (vLLM's --api-key: /v1 only)

    @field_validator("guards")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for prefix in v:
            if not prefix.startswith("/"):
                raise ValueError(f"a guarded path starts with '/', got {prefix!r}")
        return v

    def guards_path(self, path: str) -> bool:
        return path.startswith(tuple(self.guards))


class Api(Entry):
    """How one backend kind answers (its quirks are data, not code): its health request, its model list,
    its key, what proves that an answer came from it, and what its answers may legitimately lack."""

    id: str = Field(pattern=SLUG)
    health: Health = Health()
    models: ModelList = ModelList()
    auth: BackendAuth | None = None
    ids: IdShapes
    usage: Literal["present", "absent"]  # absent: LiteLLM fills in zeros
    stream_usage: bool = False  # usage arrives in the final stream chunk
    finish_reasons: list[str] = ["stop", "length"]
    honours_max_tokens: bool = True
    provider_headers: list[str] = []  # upstream headers LiteLLM passes on as llm_provider-<name>, lower case

    @field_validator("health", mode="before")
    @classmethod
    def _a_path_alone(cls, v):
        # `health: /health`, as inventories (and the recordings that keep them) said it before a kind declared
        # its healthy answer: that path, answering 200 with any body
        return {"path": v} if isinstance(v, str) else v

    @field_validator("ids")
    @classmethod
    def _patterns_compile(cls, v: IdShapes) -> IdShapes:
        for pattern in (v.chat, v.stream):
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"not a regular expression: {pattern!r} ({e})") from None
        return v


class OpenWebUiPath(Entry):
    """The path the lab's users take: Open WebUI's own key and base URL, from its env file."""

    service: str
    env_file: HostPath
    base_url_key: str = "OPENAI_API_BASE_URL"
    api_key_key: str = "OPENAI_API_KEY"


class Contract(Entry):
    """The OpenAI-API contract, through the proxy and directly against each backend."""

    proxy: str  # the proxy's /v1 as the suite calls it; may name a host as {host-id}
    deadline: float = Field(default=30, gt=0)  # seconds per request
    max_tokens: int = Field(default=8, ge=1)
    requests: int = Field(default=1, ge=1, le=10)
    apis: list[Api]
    open_webui: OpenWebUiPath | None = None


class LaunchScripts(Entry):
    service: str
    host: str
    dir: HostPath
    scripts: list[str]  # file names in `dir`
    launch_flags: str  # with {port}
    port_range: tuple[Port, Port]
    documented_port: Port = Field(ge=1, le=65535)

    @field_validator("scripts")
    @classmethod
    def _file_names(cls, v: list[str]) -> list[str]:
        for name in v:  # read as {dir}/{name} on the host: a name, never a path of its own
            if "/" in name or name in ("", ".", ".."):
                raise ValueError(f"a script is a file name in `dir` (no '/', not '.' or '..'), got {name!r}")
        return v

    @field_validator("launch_flags")
    @classmethod
    def _has_port(cls, v: str) -> str:
        _only_placeholders(v, {"port"})
        if "{port}" not in v:
            raise ValueError("launch_flags must contain the placeholder {port}")
        return v


JobState = Literal["active", "disabled", "retired"]  # retired: must NOT be loaded (the owner's retired_labels)


class Lane(Strict):
    """One lane of a per-port job family: its port, and the state its job must be in."""

    port: Port = Field(ge=1, le=65535)
    state: JobState = "active"


@dataclass(frozen=True)
class Job:
    """One launchd job of a LaunchdJob entry, its {port} filled in."""

    label: str
    plist: str
    state: JobState
    port: int | None  # the port it serves (a lane's own; a single job's documented `port`)
    stdout: str | None
    stderr: str | None


class LaunchdJob(Entry):
    """launchd job(s) of a service. One label (`com.bebop.mlx-launch`), or one per port: a label and
    plist with `{port}` (`com.bebop.mlx-lane.{port}`), one job for each of `lanes` (a port, or
    `{port: 8102, state: disabled}`: each lane its own expected state)."""

    service: str
    host: str
    plist: HostPath
    label: str
    runtime_dir: HostPath | None = None  # the program runs under it (unless `program` names it exactly)
    log_pattern: HostPath | None = None  # per port of `ports`: the log a listening port must have
    ports: tuple[Port, Port] | None = None
    listening: Literal["up", "optional"] = "optional"
    lanes: list[Lane] | None = None  # with a {port} label: the ports that have a job
    state: JobState = "active"  # a single job's expected state (a lane has its own)
    port: Port | None = Field(default=None, ge=1, le=65535)  # the port a single job serves
    program: HostPath | None = None  # what it runs: the program, or the script an interpreter in ProgramArguments[0] runs
    stdout: HostPath | None = None  # the plist's StandardOutPath (may hold {port})
    stderr: HostPath | None = None  # the plist's StandardErrorPath (may hold {port})
    keep_alive: bool | None = None  # as documented (false: launchd must NOT restart it); unset: restarted by launchd
    # who serves `port`: the job's own process ("job"), or a daemon the job starts and leaves serving in its own
    # session before it exits ("daemon": a thin wrapper, e.g. llmster's `lifecycle_mode: thin_daemon_aware_wrapper`)
    port_served_by: Literal["job", "daemon"] = "job"

    @field_validator("lanes", mode="before")
    @classmethod
    def _a_port_alone(cls, v):
        # `lanes: [8100, 8101]`, as inventories said it before a lane had a state: each an active lane
        return [{"port": lane} if isinstance(lane, int) else lane for lane in v] if isinstance(v, list) else v

    @field_validator("log_pattern", "label", "plist", "program", "stdout", "stderr")
    @classmethod
    def _port_placeholder_only(cls, v: str | None) -> str | None:
        if v is not None:
            _only_placeholders(v, {"port"})
        return v

    @model_validator(mode="after")
    def _lanes_go_with_a_port_label(self):
        per_port = "{port}" in self.label
        if per_port != ("{port}" in self.plist) or per_port != (self.lanes is not None):
            raise ValueError("a per-port job has {port} in both label and plist, and lists its `lanes`; "
                             "a single job has neither")
        if self.lanes is not None and "state" in self.model_fields_set:
            raise ValueError("a per-port job gives each lane its own `state` (`{port: 8102, state: disabled}`)")
        if self.lanes is not None and self.port is not None:
            raise ValueError("a lane serves its own port: `port` is for a single job")
        if (self.log_pattern is None) != (self.ports is None):
            raise ValueError("`log_pattern` and `ports` go together (the log each listening port of the range has)")
        ports = [lane.port for lane in self.lanes or ()]
        twice = sorted({p for p in ports if ports.count(p) > 1})
        if twice:  # a plain ValueError: this validator's errors are located at the job (a LocatedError is the root's)
            raise ValueError(f"duplicate lane port: {', '.join(map(str, twice))}")
        return self

    def jobs(self) -> list[tuple[str, str]]:
        """(label, plist) of every job."""
        return [(job.label, job.plist) for job in self.each()]

    def each(self) -> list[Job]:
        """Every job, with what is documented of it."""
        def fill(template: str | None, port: int | None) -> str | None:
            return template.format(port=port) if template is not None and port is not None else template

        if self.lanes is None:
            return [Job(self.label, self.plist, self.state, self.port, self.stdout, self.stderr)]
        return [Job(self.label.format(port=lane.port), self.plist.format(port=lane.port), lane.state, lane.port,
                    fill(self.stdout, lane.port), fill(self.stderr, lane.port)) for lane in self.lanes]

    def program_of(self, port: int | None) -> str | None:
        return self.program.format(port=port) if self.program is not None and port is not None else self.program

    def log_paths(self) -> dict[int, str]:
        if self.ports is None or self.log_pattern is None:
            return {}
        lo, hi = self.ports
        return {p: self.log_pattern.format(port=p) for p in range(lo, hi + 1)}


class SshConfigEntry(Entry):
    """A host entry the owner's ssh config must carry (found there by address)."""

    service: str
    on_host: str
    file: HostPath
    target_host: str


class ServeMapping(Entry):
    """A Tailscale Serve mapping of a host, as `tailscale serve status --json` shows it: on the node itself
    (`serve: node`, the owner's `:8123` forward) or in a Tailscale Service (`serve: svc:chat`), a port, and
    either a web handler (`path`, proxied to `proxy`) or a raw TCP forward (`tcp_forward`)."""

    host: str
    service: str | None = None  # the inventory service it exposes, if any
    serve: str = Field(default="node", pattern=r"^(node|svc:[a-z0-9][a-z0-9-]*)$")
    port: Port = Field(ge=1, le=65535)
    path: str = Field(default="/", pattern=r"^/")
    proxy: str | None = None  # the handler's Proxy, as tailscale prints it (`http://127.0.0.1:3000`)
    tcp_forward: str | None = None  # the port's TCPForward (`127.0.0.1:4000`)

    @model_validator(mode="after")
    def _one_target(self):
        if (self.proxy is None) == (self.tcp_forward is None):
            raise ValueError("a serve mapping has `proxy` (a web handler) or `tcp_forward` (a TCP forward), exactly one")
        return self

    @property
    def id(self) -> str:
        where = f"{self.port}{self.path}" if self.proxy is not None else f"{self.port}/tcp"
        return f"{self.serve}:{where}"


class NotModelled(Entry):
    """Something the lab's documents name that the inventory deliberately does not check, and why (the Studio's
    pf firewall: out of scope). The report lists it; no check is made of it."""

    what: str = Field(min_length=3)
    reason: str = Field(min_length=3)
    where: str | None = None  # the document (and line) that names it


class Inventory(Strict):
    version: Literal[1]
    hosts: list[Host]
    services: list[Service]
    litellm: LiteLLM | None = None
    launch_scripts: LaunchScripts | None = None
    launchd: list[LaunchdJob] = []
    ssh_config: list[SshConfigEntry] = []
    contract: Contract | None = None
    tailscale_serve: list[ServeMapping] = []
    not_modelled: list[NotModelled] = []

    @model_validator(mode="after")
    def _references_resolve(self):
        host_ids = _unique([(("hosts", i, "id"), h.id) for i, h in enumerate(self.hosts)], "host id")
        service_ids = _unique([(("services", i, "id"), s.id) for i, s in enumerate(self.services)], "service id")
        for i, s in enumerate(self.services):
            _known(s.host, host_ids, "host", ("services", i, "host"))
            _unique([(("services", i, "paths", j, "name"), p.name) for j, p in enumerate(s.paths)], "path name")
            _units_document_each_fact_once(s.units, ("services", i, "units"))
            if s.must_not_modify:  # the program each ExecStart runs is hashed on the host: a path there
                for j, u in enumerate(s.units):
                    if u.exec_start:
                        _located(_on_the_host, shlex.split(u.exec_start)[0], loc=("services", i, "units", j, "exec_start"))
        if self.litellm:
            _known(self.litellm.service, service_ids, "service", ("litellm", "service"))
            routes = self.litellm.routes
            _unique([(("litellm", "routes", i, "name"), r.name) for i, r in enumerate(routes)], "route name")
            for i, r in enumerate(routes):
                _known(r.backend, service_ids, "service", ("litellm", "routes", i, "backend"))
                _located(_only_placeholders, r.api_base, host_ids, loc=("litellm", "routes", i, "api_base"))
                for j, d in enumerate(r.deployments):
                    _located(_only_placeholders, d.api_base, host_ids, loc=("litellm", "routes", i, "deployments", j,
                                                                            "api_base"))
            names = {r.name for r in routes}
            for i, f in enumerate(self.litellm.fallbacks):
                _known(f.route, names, "route", ("litellm", "fallbacks", i, "route"))
                for target in f.to:
                    _known(target, names, "route", ("litellm", "fallbacks", i, "to"))
            _unique([(("litellm", "fallbacks", i, "route"), f.route) for i, f in enumerate(self.litellm.fallbacks)],
                    "fallback of route")
            _unique([(("litellm", "retired", i, "name"), a.name) for i, a in enumerate(self.litellm.retired)],
                    "retired alias")
            for i, a in enumerate(self.litellm.retired):
                if a.name in names:
                    raise LocatedError(f"{a.name!r} is a route and retired at once", ("litellm", "retired", i, "name"))
        if self.contract:
            if not self.litellm:
                raise LocatedError("a contract needs the `litellm:` section (its routes)", ("contract", "proxy"))
            _located(_only_placeholders, self.contract.proxy, host_ids, loc=("contract", "proxy"))
            api_ids = _unique([(("contract", "apis", i, "id"), a.id) for i, a in enumerate(self.contract.apis)], "api id")
            for i, r in enumerate(self.litellm.routes if self.litellm else []):
                if r.api is None and r.called:
                    # a route the suite never calls (it leaves the lab, not opted in) sends nothing to be judged
                    raise LocatedError("a route needs `api:` (one of contract.apis) when the inventory has a contract "
                                       "and the suite calls the route; only a route with `leaves_lab: true` and no "
                                       "`opt_in` may omit it (its requests are never sent)",
                                       ("litellm", "routes", i, "name"))
                if r.api is not None:
                    _known(r.api, api_ids, "api", ("litellm", "routes", i, "api"))
            if self.contract.open_webui:
                _known(self.contract.open_webui.service, service_ids, "service", ("contract", "open_webui", "service"))
        _one_listener_per_port(self.services)
        for i, s in enumerate(self.services):
            for j, listener in enumerate(s.listen):
                for address in listener.binds:
                    _located(_only_placeholders, address, host_ids, loc=("services", i, "listen", j))
        for i, job in enumerate(self.launchd):
            _known(job.host, host_ids, "host", ("launchd", i, "host"))
            _known(job.service, service_ids, "service", ("launchd", i, "service"))
        for i, m in enumerate(self.tailscale_serve):
            _known(m.host, host_ids, "host", ("tailscale_serve", i, "host"))
            _located(_only_placeholders, m.proxy or m.tcp_forward, host_ids, loc=("tailscale_serve", i))
            if m.service is not None:
                _known(m.service, service_ids, "service", ("tailscale_serve", i, "service"))
        _unique([(("tailscale_serve", i, "port"), (m.host, m.id)) for i, m in enumerate(self.tailscale_serve)],
                "serve mapping")
        for i, e in enumerate(self.ssh_config):
            _known(e.target_host, host_ids, "host", ("ssh_config", i, "target_host"))
            _known(e.on_host, host_ids, "host", ("ssh_config", i, "on_host"))
        return self

    def host(self, host_id: str) -> Host:
        return next(h for h in self.hosts if h.id == host_id)

    def services_on(self, host_id: str) -> list[Service]:
        return [s for s in self.services if s.host == host_id]

    def service(self, service_id: str) -> Service:
        return next(s for s in self.services if s.id == service_id)

    def api(self, api_id: str) -> Api:
        return next(a for a in self.contract.apis if a.id == api_id)


class LocatedError(ValueError):
    """A cross-entry error that knows which entry it is about, so the loader can name its line."""

    def __init__(self, message: str, loc: tuple):
        super().__init__(message)
        self.loc = loc


def _unique(located_values: list[tuple[tuple, object]], what: str) -> set:
    seen: set = set()
    for loc, v in located_values:
        if v in seen:
            shown = v[-1] if isinstance(v, tuple) else v
            raise LocatedError(f"duplicate {what}: {shown!r}", loc)
        seen.add(v)
    return seen


_UNIT_IDENTITY = {"name", "scope", "user", "source", "why"}


def _units_document_each_fact_once(units: list[Unit], loc: tuple) -> None:
    """Several entries may document one unit (facts from different sources), but no fact twice."""
    documented: dict[tuple, set[str]] = {}
    for j, u in enumerate(units):
        key = (u.scope, u.user, u.name)
        fields = u.model_fields_set - _UNIT_IDENTITY
        twice = documented.setdefault(key, set()) & fields
        if twice:
            raise LocatedError(f"unit {u.name} ({u.scope}): {', '.join(sorted(twice))} documented twice", loc + (j, "name"))
        documented[key] |= fields


def _known(value: str, known: set, what: str, loc: tuple) -> None:
    if value not in known:
        raise LocatedError(f"unknown {what} {value!r} (defined: {', '.join(sorted(known))})", loc)


def _located(validate, *args, loc: tuple) -> None:
    """Run a field-level check from a model-level validator, so its error still names the field's line."""
    try:
        validate(*args)
    except ValueError as e:
        raise LocatedError(str(e), loc) from None


_SHLEX_HINTS = {"No closing quotation": "an unbalanced quote", "No escaped character": "a backslash at the end"}


def _only_placeholders(template: str, allowed: set[str]) -> None:
    """The template is filled in later with str.format: only {name} of the allowed names, braces balanced."""
    try:
        fields = [(name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as e:  # a lone { or }
        raise ValueError(f"{e} in {template!r} (a literal brace is written {{{{ or }}}})") from None
    for name, conversion, spec in fields:
        if name not in allowed or conversion or spec:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            known = ", ".join("{" + a + "}" for a in sorted(allowed))
            raise ValueError(f"unknown placeholder {shown} in {template!r} (allowed: {known})")


def _one_listener_per_port(services: list[Service]) -> None:
    """One port on one host has one listener: a second claim is a typo or a conflict, reported where it is."""
    claimed: dict[tuple[str, int], str] = {}
    for i, s in enumerate(services):
        for j, listener in enumerate(s.listen):
            key = (s.host, listener.port)
            if key in claimed:
                raise LocatedError(f"listen port {listener.port} on host {s.host} is claimed twice (first by {claimed[key]})",
                                   ("services", i, "listen", j, "port"))
            claimed[key] = s.id


class SiteHost(Strict):
    address: str
    ssh_alias: str | None = None


class Site(Strict):
    """A site override: maps the documented hosts to another site's addresses."""

    site: str = Field(pattern=SLUG)
    description: str = ""
    hosts: dict[str, SiteHost] = {}
    # check id -> why this site cannot prove that fact (the twin has no Prisma engines: `db: connected`): the check
    # is reported "unproven" with the reason and what was found, never as passed
    unproven: dict[str, str] = {}

    @model_validator(mode="after")
    def _hosts_are_the_inventorys(self, info: ValidationInfo):
        known = (info.context or {}).get("host_ids")
        if known is not None:
            for name in self.hosts:
                _known(name, set(known), "host", ("hosts", name))
        return self


class Waiver(Strict):
    """A known failure, accepted until it expires (after InSpec's waivers)."""

    check: str
    reason: str = Field(min_length=3)
    expires: date


class Waivers(Strict):
    waivers: list[Waiver] = []

    @model_validator(mode="after")
    def _checks_exist(self, info: ValidationInfo):
        known = (info.context or {}).get("check_ids")
        _unique([(("waivers", i, "check"), w.check) for i, w in enumerate(self.waivers)], "waiver for check")
        if known is not None:
            for i, w in enumerate(self.waivers):
                if w.check not in known:
                    raise LocatedError(f"no check has the id {w.check!r}", ("waivers", i, "check"))
        return self


class Baseline(Strict):
    """Hashes of the files of services that must not be modified, recorded at one site, committed."""

    site: str = Field(pattern=SLUG)
    recorded: datetime
    recorded_by: str
    files: dict[str, str]

    @field_validator("files")
    @classmethod
    def _sha256(cls, files: dict[str, str]) -> dict[str, str]:
        for path, digest in files.items():
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"{path}: not a sha256 hex digest: {digest!r}")
        return files
