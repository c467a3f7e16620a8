"""The run's one HTTP path against hostile servers on 127.0.0.1 (real sockets, real httpcore):

- a server that sends its status line and headers one byte every 0.5 s: the request ends at its deadline
  (the WHOLE exchange's, not a per-read timeout that each byte resets), for the probe's `fetch` (the
  DietPi's /manifest.json, the backends' /health) and for the openai client on the same transport; the
  connection is closed (the server sees it go) and no thread is left waiting;
- the same drip in the body;
- a gzip bomb (about 100 KB on the wire, 100 MiB decoded): the request says `Accept-Encoding: identity`,
  the encoded answer is refused unread with a reason, and memory stays flat.
"""
from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib

import openai
import pytest

from conformance.facts.http import DeadlineExceeded, EncodingRefused, HttpProbe, reason_of

DRIP_INTERVAL = 0.5
DEADLINE = 1.5
SLACK = 1.0  # thread scheduling on a busy machine; the drip alone would take ~40 s
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"
BOMB_DECODED = 100 * 1024 * 1024


def _gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed a megabyte at a time (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    block = bytes(1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(size // len(block))), packer.flush()])


class Hostile:
    """A one-connection-at-a-time server on 127.0.0.1 that answers every request the way `how` says, and
    records each request's head and whether the client closed the connection while it was answering."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.heads: list[bytes] = []
        self.client_left = threading.Event()  # the client closed (or reset) the connection mid-answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.bomb = _gzip_bomb(BOMB_DECODED) if how == "gzip-bomb" else b""
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            self.heads.append(head.split(b"\r\n\r\n", 1)[0])
            if self.how == "gzip-bomb":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(self.bomb) + self.bomb)
                return
            answer = HEADERS + b"{}" if self.how == "header-drip" else HEADERS.replace(b"2\r\n", b"200\r\n") + b" " * 200
            start = 0 if self.how == "header-drip" else len(HEADERS)
            conn.sendall(answer[:start])
            for i in range(start, len(answer)):
                if self.stopped.is_set():
                    return
                conn.sendall(answer[i:i + 1])
                time.sleep(DRIP_INTERVAL)
        except OSError:  # the client closed the connection: a send fails (EPIPE, ECONNRESET)
            self.client_left.set()

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()
        self.thread.join(10)


@pytest.fixture
def hostile(request):
    server = Hostile(request.param)
    yield server
    server.close()


def _openai_client(probe: HttpProbe, url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key="sk-test-not-a-secret", max_retries=0, timeout=DEADLINE,
                         http_client=probe.client(DEADLINE))


def _bounded(call) -> tuple[float, BaseException]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        call()
    return time.monotonic() - started, caught.value


@pytest.mark.parametrize("hostile", ["header-drip"], indirect=True)
def test_headers_sent_a_byte_at_a_time_end_at_the_deadline_of_the_whole_exchange(hostile):
    probe = HttpProbe(timeout=DEADLINE)
    threads = threading.active_count()
    seconds, error = _bounded(lambda: probe.fetch(hostile.url("/manifest.json")))
    print(f"\nheader drip, fetch: cut after {seconds:.2f} s (deadline {DEADLINE} s)")
    assert seconds < DEADLINE + SLACK
    assert isinstance(error, DeadlineExceeded)
    assert reason_of(error) == f"no complete answer within the deadline of {DEADLINE:g} s " \
                               "(the status line and headers were still coming)"
    assert "status line and headers were still coming" in probe.records[-1].stderr
    # the connection was closed at the deadline, not left to a thread: the server's next byte finds it gone
    assert hostile.client_left.wait(DRIP_INTERVAL * 4)
    assert threading.active_count() == threads
    # the remembered probe (Home Assistant's /manifest.json, the backends' /health) is the same path
    seconds, _ = _bounded(lambda: probe.get("dietpi", hostile.url("/manifest.json")))
    assert seconds < DEADLINE + SLACK
    probe.close()


@pytest.mark.parametrize("hostile", ["header-drip"], indirect=True)
def test_the_openai_client_on_the_same_transport_is_cut_at_the_deadline_too(hostile):
    probe = HttpProbe()
    client = _openai_client(probe, hostile.url("/v1"))
    seconds, error = _bounded(lambda: client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=1))
    print(f"\nheader drip, openai client: cut after {seconds:.2f} s (deadline {DEADLINE} s)")
    assert seconds < DEADLINE + SLACK
    assert isinstance(error, openai.APITimeoutError) and isinstance(error.__cause__, DeadlineExceeded)
    assert hostile.client_left.wait(DRIP_INTERVAL * 4)
    probe.close()


@pytest.mark.parametrize("hostile", ["body-drip"], indirect=True)
def test_a_body_sent_a_byte_at_a_time_ends_at_the_deadline(hostile):
    probe = HttpProbe(timeout=DEADLINE)
    seconds, error = _bounded(lambda: probe.client(DEADLINE).get(hostile.url("/v1/models")).read())
    print(f"\nbody drip: cut after {seconds:.2f} s (deadline {DEADLINE} s)")
    assert seconds < DEADLINE + SLACK
    assert isinstance(error, DeadlineExceeded) and "answer was still coming" in str(error)
    probe.close()


@pytest.mark.parametrize("hostile", ["gzip-bomb"], indirect=True)
def test_a_gzip_bomb_is_refused_unread_and_never_decoded(hostile):
    assert len(hostile.bomb) < 200 * 1024 and len(gzip.decompress(hostile.bomb)) == BOMB_DECODED
    probe = HttpProbe()
    tracemalloc.start()
    try:
        _, error = _bounded(lambda: probe.fetch(hostile.url("/manifest.json")))
        _, api_error = _bounded(lambda: _openai_client(probe, hostile.url("/v1")).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\ngzip bomb: {len(hostile.bomb)} bytes on the wire, {BOMB_DECODED} decoded; peak memory {peak} bytes")
    assert peak < 8 * 1024 * 1024  # the bomb's 100 MiB were never made
    assert isinstance(error, EncodingRefused)
    assert str(error) == "the answer is gzip-encoded though only identity was accepted: refused unread"
    assert isinstance(api_error, openai.APIConnectionError) and isinstance(api_error.__cause__, EncodingRefused)
    assert all(r.stderr == str(error) for r in probe.records) and len(probe.records) == 2
    assert "< content-encoding: gzip" in probe.records[0].stdout
    # what was asked: an unencoded answer, whatever the client would otherwise offer
    assert len(hostile.heads) == 2
    assert all(b"\r\naccept-encoding: identity" in head.lower() for head in hostile.heads), hostile.heads
    probe.close()
