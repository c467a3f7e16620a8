"""Command lines of the owner's units and plists (bebopbabailey/homelab-llm at 1b54b73; each line's file named):
where they listen, what they run, whether they carry a secret."""
import pytest

from conformance.discover.command_line import binds, carries_secret, program


@pytest.mark.parametrize("line, expected", [
    # platform/ops/systemd/searxng.service
    (".venv/bin/granian searx.webapp:app --interface wsgi --host 127.0.0.1 --port 8888", [("127.0.0.1", "8888")]),
    # platform/ops/systemd/opencode-web.service
    ("/home/u/.opencode/bin/opencode web --hostname 0.0.0.0 --port 4096", [("0.0.0.0", "4096")]),
    # platform/ops/templates/com.bebop.llmster-gpt.8126.plist (ProgramArguments)
    ("/usr/bin/env python3 /Users/thestudio/bin/llmster_ensure_server.py --bind 192.168.1.72 --port 8126 "
     "--api-key-env LLMSTER_API_KEY", [("192.168.1.72", "8126")]),
    # services/vector-db/launchd/com.bebop.pgvector-main.plist
    ("/opt/homebrew/opt/postgresql@16/bin/postgres -D /data -c listen_addresses=127.0.0.1 -c port=55432 "
     "-c wal_level=replica", [("127.0.0.1", "55432")]),
    # services/open-webui/systemd/open-webui-elasticsearch-bridge.service
    ("/usr/bin/ssh -NT -o ExitOnForwardFailure=yes -L 127.0.0.1:19200:127.0.0.1:9200 studio", [("127.0.0.1", "19200")]),
    # platform/ops/systemd/open-terminal-mcp.service: the published port; the container's own flags are not the host's
    ("/usr/bin/docker run --rm -p 127.0.0.1:${OPEN_TERMINAL_MCP_HOST_PORT}:8000 ${IMAGE} mcp --host 0.0.0.0 --port 8000",
     [("127.0.0.1", "${OPEN_TERMINAL_MCP_HOST_PORT}")]),
    # platform/ops/systemd/ccproxy-api.service: a script, no address or port
    ("/home/u/homelab-llm/experiments/ccproxy-api/scripts/run_ccproxy.sh", []),
    # a port alone says no address: no listener
    ("/usr/bin/thing --port 9000", []),
])
def test_binds(line, expected):
    assert binds(line.split()) == expected


@pytest.mark.parametrize("argv, expected", [
    (["/usr/bin/env", "python3", "/Users/thestudio/bin/llmster_ensure_server.py", "--port", "8126"],
     "/Users/thestudio/bin/llmster_ensure_server.py"),  # the script an interpreter runs
    (["/Users/thestudio/optillm-proxy/.venv/bin/optillm", "--host", "192.168.1.72"], "/Users/thestudio/optillm-proxy/.venv/bin/optillm"),
    (["/bin/bash", "-lc", "cd /x && ./scripts/run_backup.sh"], "/bin/bash"),  # a shell with a command, not a script path
    (["python3", "-m", "x"], None),  # not a path: what runs depends on PATH
    ([], None),
])
def test_program(argv, expected):
    assert program(argv) == expected


@pytest.mark.parametrize("line, secret", [
    ("/usr/bin/ssh -o StrictHostKeyChecking=yes -L 127.0.0.1:19200:127.0.0.1:9200 studio", False),
    ("/usr/bin/env python3 x.py --api-key-env LLMSTER_API_KEY", False),  # names a variable, holds no value
    ("/usr/bin/thing --api-key canary-value-1a2b", True),
    ("/usr/bin/thing --base-url https://user:canary-pw@example.invalid/v1", True),
    ("/usr/bin/thing Authorization: Bearer canarytokenvalue", True),
])
def test_carries_secret(line, secret):
    assert carries_secret(line) is secret
