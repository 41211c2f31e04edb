"""An open-loop HTTP/1.1 load generator on asyncio: requests leave at a fixed rate whatever the
server does, over keep-alive connections, and each latency is measured from the moment the
request was due (so a server that falls behind shows it: no coordinated omission).

Each request gets its own pre-signed JWT and its own hookInstance (a same-length byte replace
in the body), as an EHR would send them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.data import HOOK_INSTANCE

PLACEHOLDER = HOOK_INSTANCE.encode()


@dataclass
class LoadResult:
    rate: float  # offered, requests/s
    duration_s: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    elapsed_s: float = 0.0

    @property
    def achieved(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def sustained(self) -> bool:
        """Every request answered 200, the rate kept, no queue building up (p99 under 1 s)."""
        return (self.errors == 0 and self.ok == self.sent and self.achieved >= 0.97 * self.rate
                and self.percentile(99) < 1.0)


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer


async def _request(pool: asyncio.Queue[_Conn], host: str, port: int, head: bytes, body: bytes) -> int:
    try:
        conn = pool.get_nowait()
    except asyncio.QueueEmpty:
        reader, writer = await asyncio.open_connection(host, port)
        conn = _Conn(reader, writer)
    conn.writer.write(head)
    conn.writer.write(body)
    status_line = await conn.reader.readline()
    if not status_line:
        conn.writer.close()
        raise ConnectionError("server closed the connection")
    length, close = 0, False
    while True:
        line = await conn.reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await conn.reader.readexactly(length)
    if close:
        conn.writer.close()
    else:
        pool.put_nowait(conn)
    return int(status_line.split()[1])


async def _run(host: str, port: int, path: str, bodies: Sequence[bytes], tokens: Sequence[str], rate: float,
               duration_s: float, timeout_s: float) -> LoadResult:
    total = int(rate * duration_s)
    result = LoadResult(rate, duration_s)
    pool: asyncio.Queue[_Conn] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    tasks = []

    async def one(n: int, due: float) -> None:
        body = bodies[n % len(bodies)].replace(PLACEHOLDER, str(uuid.uuid4()).encode(), 1)
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {tokens[n]}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        try:
            status = await asyncio.wait_for(_request(pool, host, port, head, body), timeout_s)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            result.errors += 1
            key = type(exc).__name__
            result.statuses[key] = result.statuses.get(key, 0) + 1
            return
        result.statuses[str(status)] = result.statuses.get(str(status), 0) + 1
        if status == 200:
            result.ok += 1
            result.latencies.append(loop.time() - due)
        else:
            result.errors += 1

    start = loop.time() + 0.05
    for n in range(total):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(n, due)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.elapsed_s = max(loop.time() - start, duration_s)
    while not pool.empty():
        pool.get_nowait().writer.close()
    return result


def run(base_url: str, path: str, bodies: Sequence[bytes], tokens: Sequence[str], rate: float, duration_s: float,
        timeout_s: float = 10.0) -> LoadResult:
    """Offer `rate` requests/s for `duration_s`; needs rate * duration_s tokens."""
    hostport = base_url.split("://", 1)[1]
    host, _, port = hostport.partition(":")
    if len(tokens) < int(rate * duration_s):
        raise ValueError("not enough tokens for this run")
    return asyncio.run(_run(host, int(port), path, bodies, tokens, rate, duration_s, timeout_s))


def closed_loop(base_url: str, path: str, bodies: Sequence[bytes], tokens: Sequence[str], concurrency: int,
                duration_s: float) -> float:
    """Requests/s with `concurrency` requests always in flight (a capacity probe)."""
    hostport = base_url.split("://", 1)[1]
    host, _, port_s = hostport.partition(":")
    port = int(port_s)

    async def go() -> float:
        pool: asyncio.Queue[_Conn] = asyncio.Queue()
        counter = iter(range(len(tokens)))
        done = 0
        deadline = time.monotonic() + duration_s

        async def client() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                n = next(counter, None)
                if n is None:
                    return
                body = bodies[n % len(bodies)].replace(PLACEHOLDER, str(uuid.uuid4()).encode(), 1)
                head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                        f"Authorization: Bearer {tokens[n]}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                if await _request(pool, host, port, head, body) == 200:
                    done += 1

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
        while not pool.empty():
            pool.get_nowait().writer.close()
        return done / elapsed

    return asyncio.run(go())
