"""A real link emulator: a TCP proxy on loopback that shapes traffic like a cellular link.

The vehicle's cloud client connects to the proxy instead of the cloud endpoint; the proxy
forwards bytes both ways, delaying each chunk by the profile's one-way latency and jitter,
serialising it at the profile's bandwidth, adding a retransmission delay for "lost" segments
(TCP turns loss into delay) and holding everything during an outage. It counts the bytes that
actually reached each side, so tests can prove that nothing left the car.

The profile can be switched at run time from any thread (the simulator drives coverage over
simulated time). Shaping happens here, on the wire, never as sleeps inside the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from dataclasses import dataclass, replace
from typing import Literal

log = logging.getLogger(__name__)

Direction = Literal["up", "down"]
CHUNK_BYTES = 16_384


@dataclass(frozen=True)
class LinkProfile:
    """How one link quality behaves. Latency and jitter are one-way."""

    name: str
    latency_ms: float
    jitter_ms: float
    loss_pct: float
    bandwidth_kbps: float | None
    """None means not limited."""
    outage: bool = False


# Numbers: 5G NSA round trips of 30-50 ms with tens of Mbit/s upstream (good); a weak LTE/3G
# cell edge with ~300 ms round trips, bursts of jitter, ~1 Mbit/s and some loss (degraded).
PROFILES: dict[str, LinkProfile] = {
    "good": LinkProfile(
        "good", latency_ms=20.0, jitter_ms=5.0, loss_pct=0.0, bandwidth_kbps=50_000
    ),
    "degraded": LinkProfile(
        "degraded", latency_ms=150.0, jitter_ms=60.0, loss_pct=2.0, bandwidth_kbps=1_000
    ),
    "none": LinkProfile("none", latency_ms=0.0, jitter_ms=0.0, loss_pct=0.0, bandwidth_kbps=None,
                        outage=True),
}


def profile_for(quality: str | LinkProfile) -> LinkProfile:
    if isinstance(quality, LinkProfile):
        return quality
    try:
        return PROFILES[quality]
    except KeyError:
        raise ValueError(f"unknown link profile {quality!r} (good, degraded, none)") from None


@dataclass(frozen=True)
class LinkCounters:
    """Bytes that reached the far side (up = to the cloud), plus what the link did."""

    bytes_up: int = 0
    bytes_down: int = 0
    connections: int = 0
    """Connections opened to the cloud side (a connection refused by an outage is not one)."""
    connections_accepted: int = 0
    segments_lost: int = 0
    """Chunks that paid a retransmission delay."""


class LinkEmulator:
    """TCP proxy `127.0.0.1:port` -> `upstream`, shaped by a switchable profile.

    Use as a context manager or call start()/stop(). `url(path)` gives the proxied base URL.
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        profile: str | LinkProfile = "good",
        *,
        listen_host: str = "127.0.0.1",
        seed: int | None = None,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listen_host = listen_host
        self._profile = profile_for(profile)
        self._rng = random.Random(seed)
        self._counters = LinkCounters()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._up = asyncio.Event()  # binds to the proxy's loop on first use (3.10+)
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # -- control (any thread) -------------------------------------------------------------
    @property
    def profile(self) -> LinkProfile:
        return self._profile

    @property
    def counters(self) -> LinkCounters:
        with self._lock:
            return self._counters

    def set_profile(self, profile: str | LinkProfile) -> None:
        """Switch quality now; data in flight during an outage waits for the link to return."""
        p = profile_for(profile)
        self._profile = p
        log.info("link profile -> %s", p.name)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._apply_outage, p.outage)

    def url(self, path: str = "") -> str:
        return f"http://{self.listen_host}:{self.port}{path}"

    def start(self) -> LinkEmulator:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as e:  # report bind errors to the starting thread
                failure.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=run, name="link-emulator", daemon=True)
        self._thread.start()
        ready.wait(10.0)
        if failure:
            raise RuntimeError(f"link emulator could not start: {failure[0]}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5.0)
        self._loop = None

    def __enter__(self) -> LinkEmulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- the proxy (loop thread) ----------------------------------------------------------
    def _count(self, **delta: int) -> None:
        with self._lock:
            c = self._counters
            self._counters = replace(c, **{k: getattr(c, k) + v for k, v in delta.items()})

    def _apply_outage(self, outage: bool) -> None:
        if outage:
            self._up.clear()
        else:
            self._up.set()

    async def _open(self) -> None:
        self._apply_outage(self._profile.outage)
        self._server = await asyncio.start_server(self._handle, self.listen_host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for t in list(self._tasks):
            t.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._count(connections_accepted=1)
        u_writer: asyncio.StreamWriter | None = None
        try:
            # In an outage the connection attempt itself is lost: nothing reaches the cloud
            # until coverage returns (the client's own deadline decides when to give up).
            await self._up.wait()
            u_reader, u_writer = await asyncio.open_connection(*self.upstream)
            self._count(connections=1)
            await asyncio.gather(
                self._pipe(c_reader, u_writer, "up"), self._pipe(u_reader, c_writer, "down")
            )
        except (ConnectionError, OSError) as e:
            log.debug("link connection ended: %s", e)
        except asyncio.CancelledError:
            pass  # the emulator is stopping: end quietly (asyncio logs re-raised cancels)
        finally:
            for w in (c_writer, u_writer):
                if w is not None:
                    w.close()
            if task is not None:
                self._tasks.discard(task)

    def _delay_s(self, nbytes: int, tx_free: float) -> tuple[float, float, bool]:
        """(deliver_at, new tx_free, lost) for a chunk read now, under the current profile."""
        p, now = self._profile, time.monotonic()
        tx_done = max(now, tx_free)
        if p.bandwidth_kbps:
            tx_done += nbytes * 8 / (p.bandwidth_kbps * 1000.0)
        one_way = max(0.0, p.latency_ms + self._rng.uniform(-p.jitter_ms, p.jitter_ms)) / 1000.0
        lost = p.loss_pct > 0 and self._rng.random() * 100.0 < p.loss_pct
        # A lost segment costs one retransmission timeout (at least 200 ms, Linux's minimum RTO).
        penalty = max(0.2, 4 * p.latency_ms / 1000.0) if lost else 0.0
        return tx_done + one_way + penalty, tx_done, lost

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: Direction
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def read_side() -> None:
            tx_free = 0.0
            last = 0.0
            while chunk := await reader.read(CHUNK_BYTES):
                at, tx_free, lost = self._delay_s(len(chunk), tx_free)
                last = max(last, at)  # TCP keeps order: never deliver before an earlier chunk
                if lost:
                    self._count(segments_lost=1)
                await queue.put((last, chunk))
            await queue.put(None)

        async def write_side() -> None:
            while (item := await queue.get()) is not None:
                at, chunk = item
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                if not self._up.is_set():
                    await self._up.wait()
                    await asyncio.sleep(self._profile.latency_ms / 1000.0)
                writer.write(chunk)
                await writer.drain()
                self._count(**{f"bytes_{direction}": len(chunk)})
            # The close travels like data: during an outage the far side does not see it.
            if not self._up.is_set():
                await self._up.wait()
            with contextlib.suppress(OSError):
                if writer.can_write_eof():
                    writer.write_eof()

        await asyncio.gather(read_side(), write_side())
