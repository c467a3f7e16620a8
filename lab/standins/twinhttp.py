"""What the twin's newer HTTP stand-ins share (stdlib only): serving, bodies, streams, answers, records.

Imported by llmster.py, vllm_serve.py and generic_service.py from their own directory (each puts the directory of
its real path first on sys.path), so a host layout installs this file next to them; a documented path may be a
symlink to the stand-in, since the real path is what counts. Nothing here prints a line a client sees: each
stand-in owns its formats and names their sources.
"""
from __future__ import annotations

import email.utils
import json
import os
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Words an answer is made of. No model runs in the twin: an answer is these words, picked by a generator seeded
# with the prompt, so one prompt always gives one answer and another prompt another (the twin's own choice).
WORDS = ("a", "quiet", "lane", "answers", "the", "studio", "from", "its", "loaded", "model", "and", "each", "token",
         "arrives", "in", "turn", "while", "twin", "hosts", "keep", "their", "ports", "open", "for", "every", "request",
         "here", "that", "asks", "politely", "today")
ANSWER_WORDS = (12, 40)  # an answer no token limit cuts has this many words: [low, high)


class ClientGone(Exception):
    """The client closed the connection while an answer was being written."""


class Server(ThreadingHTTPServer):
    """One thread per connection, a deep backlog (a burst of probes must not be refused), IPv6 when asked."""
    request_queue_size = 128
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:  # one address family per listener, as servers bind them
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def serve_in_thread(server: Server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return thread


def http_date() -> str:
    return email.utils.formatdate(usegmt=True)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, sent with a Content-Length or chunked."""
    if "chunked" in (handler.headers.get("transfer-encoding") or "").lower():
        parts = []
        while True:
            line = handler.rfile.readline()
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("content-length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def respond(handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes = b"") -> None:
    """A whole answer with exactly these headers, in this order (no Server or Date header is added); the request
    is logged through the handler's log_message, as send_response would."""
    handler.log_request(status)
    handler.send_response_only(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD" and body:
        handler.wfile.write(body)


class Chunked:
    """An answer body in HTTP/1.1 chunked encoding, flushed piece by piece (a stream a client reads as it comes)."""

    def __init__(self, handler: BaseHTTPRequestHandler):
        self.wfile = handler.wfile

    def write(self, data: bytes) -> None:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as e:
            raise ClientGone() from e

    def end(self) -> None:
        self.write(b"")


def compact(obj) -> bytes:
    """JSON as JavaScript's JSON.stringify and Starlette's JSONResponse write it: no spaces, UTF-8 as is."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def message_text(messages) -> str:
    """The text of chat messages (string contents and the text of content parts), for seeding an answer."""
    texts = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [part.get("text", "") for part in content if isinstance(part, dict)]
    return " ".join(texts)


def input_text(value) -> str:
    """The text of a Responses API `input`: a string, or a list of messages / input items."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return message_text([item for item in value if isinstance(item, dict)])
    return ""


def answer_words(prompt: str, limit: int | None) -> list[str]:
    """The pieces of an answer: one word is one token and one stream piece (the first bare, the others with a
    leading space). A limit of N gives exactly N; no limit (None or below 0) gives 12-39, chosen by the prompt."""
    rng = random.Random(prompt)
    count = rng.randrange(*ANSWER_WORDS) if limit is None or limit < 0 else limit
    picked = [rng.choice(WORDS) for _ in range(count)]
    return [word if i == 0 else " " + word for i, word in enumerate(picked)]


def token_count(text: str) -> int:
    """Tokens of a prompt, for `usage`: its words (the real count is the tokenizer's, chat template included)."""
    return len(text.split())


class Record:
    """A twin-only request record: one JSON line per request, appended; a write failure is reported, not fatal."""

    def __init__(self, path: str | None, on_error):
        self.path, self.on_error = path, on_error
        self.lock = threading.Lock()

    def __call__(self, entry: dict) -> None:
        if not self.path:
            return
        entry = {**entry, "finished": round(time.time(), 3)}
        if entry.get("started") is not None:
            entry["seconds"] = round(entry["finished"] - entry["started"], 3)
        try:
            with self.lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
        except OSError as e:
            self.on_error(f"twin: request record not written to {self.path}: {e}")


def read_word(path: str | None) -> str | None:
    """The one word of a twin control file, or None when there is no file (read on every request)."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


def read_seconds(path: str | None, default: float = 0.0) -> float:
    word = read_word(path)
    try:
        return max(0.0, float(word)) if word is not None else default
    except ValueError:
        return default


def process_alive(pid: int | None, marker: str) -> bool:
    """Is `pid` alive and running a command line that contains `marker` (not a recycled pid)?"""
    if not pid:
        return False
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmdline and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def detached(argv: list[str], log_path: str | None, env: dict | None = None) -> int:
    """Start a program in a session of its own (it outlives its caller and its caller's process group, as a
    daemon does), stdin /dev/null, output appended to `log_path`; returns its pid."""
    import subprocess
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True, env=env)
    finally:
        if log_path:
            out.close()
    return process.pid


def own_dir() -> str:
    return os.path.dirname(os.path.realpath(__file__))
