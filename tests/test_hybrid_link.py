"""The link emulator shapes real TCP traffic and counts what reached each side."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from copilot.hybrid.link import LinkEmulator, LinkProfile


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[0], server.server_address[1]
    server.shutdown()
    server.server_close()


def _roundtrip(port: int, payload: bytes, timeout_s: float = 5.0) -> tuple[bytes, float]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        t0 = time.monotonic()
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got, time.monotonic() - t0


def test_bytes_are_forwarded_and_counted_both_ways(echo: tuple[str, int]) -> None:
    with LinkEmulator(*echo, "good", seed=1) as link:
        got, _ = _roundtrip(link.port, b"x" * 50_000)
        assert got == b"x" * 50_000
        time.sleep(0.1)
        c = link.counters
    assert (c.bytes_up, c.bytes_down, c.connections) == (50_000, 50_000, 1)


def test_latency_and_bandwidth_are_applied_on_the_wire(echo: tuple[str, int]) -> None:
    slow = LinkProfile("slow", latency_ms=100.0, jitter_ms=0.0, loss_pct=0.0,
                       bandwidth_kbps=800.0)
    with LinkEmulator(*echo, slow) as link:
        _, rtt_small = _roundtrip(link.port, b"ping")
        _, rtt_big = _roundtrip(link.port, b"y" * 20_000)  # 160 kbit at 800 kbit/s each way
    assert rtt_small >= 0.2  # two one-way latencies
    assert rtt_big - rtt_small >= 0.18  # at least one full serialisation (pipelined echo)


def test_an_outage_holds_traffic_until_the_link_returns(echo: tuple[str, int]) -> None:
    with LinkEmulator(*echo, "none") as link:
        with socket.create_connection(("127.0.0.1", link.port), timeout=0.5) as s:
            s.sendall(b"hello")
            with pytest.raises(TimeoutError):
                s.recv(10)
            assert link.counters.bytes_up == 0
            assert link.counters.connections == 0
            link.set_profile("good")
            s.settimeout(5.0)
            assert s.recv(10) == b"hello"
        assert link.counters.connections == 1


def test_switching_to_none_mid_connection_stops_delivery(echo: tuple[str, int]) -> None:
    with LinkEmulator(*echo, "good") as link, socket.create_connection(
        ("127.0.0.1", link.port), timeout=5.0
    ) as s:
        s.sendall(b"one")
        assert s.recv(10) == b"one"
        link.set_profile("none")
        s.sendall(b"two")
        s.settimeout(0.4)
        with pytest.raises(TimeoutError):
            s.recv(10)
        assert link.counters.bytes_up == 3


def test_loss_costs_retransmission_time(echo: tuple[str, int]) -> None:
    lossy = LinkProfile("lossy", latency_ms=5.0, jitter_ms=0.0, loss_pct=100.0,
                        bandwidth_kbps=None)
    with LinkEmulator(*echo, lossy, seed=3) as link:
        _, rtt = _roundtrip(link.port, b"z")
        assert link.counters.segments_lost == 2
    assert rtt >= 0.4  # one minimum RTO (200 ms) each way


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown link profile"):
        LinkEmulator("127.0.0.1", 1, "satellite")
