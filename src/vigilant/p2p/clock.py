"""How good the observer's clock is, measured at the start of each session and written into its log.

An observation's time is what ties an IP address to a subscriber: the ISP answers for "203.0.113.7 at
14:03:22 UTC", and a clock off by minutes can name the wrong household on a dynamic address. So each session
records what stands behind its times:

* the kernel's own view (``adjtimex``): whether an NTP daemon is disciplining the clock, its estimated and
  maximum error, and the last offset it applied. Read-only: ``modes = 0`` changes nothing.
* optionally, one SNTP exchange (RFC 4330) with the agency's time server (``--ntp HOST:PORT``), giving the
  measured offset and round-trip delay. Bounded: a few tries, each with a short timeout. The server is an
  address like any peer: loopback only unless remote observation is allowed.

Nothing here adjusts the clock: the offset is recorded, never applied, so a defence expert sees raw times
and the correction separately.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import ipaddress
import socket
import struct
import sys
import time
from dataclasses import dataclass

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix)
STA_UNSYNC = 0x0040
STA_NANO = 0x2000
TIME_ERROR = 5


@dataclass(frozen=True)
class KernelClock:
    synchronised: bool
    est_error_ms: float
    max_error_ms: float
    offset_ms: float


@dataclass(frozen=True)
class NtpReading:
    server: str
    offset_ms: float  # server time minus ours: add it to our times to get the server's
    delay_ms: float
    stratum: int


@dataclass(frozen=True)
class ClockReport:
    kernel: KernelClock | None
    ntp: NtpReading | None
    ntp_error: str | None = None

    @property
    def offset_ms(self) -> float | None:
        """The best measured offset: the SNTP exchange when there was one, else the kernel's last."""
        if self.ntp is not None:
            return round(self.ntp.offset_ms, 3)
        if self.kernel is not None and self.kernel.synchronised:
            return round(self.kernel.offset_ms, 3)
        return None

    def describe(self) -> str:
        parts = [f"system clock ({time.get_clock_info('time').implementation})"]
        k = self.kernel
        if k is None:
            parts.append("kernel clock state unavailable")
        elif k.synchronised:
            parts.append(
                f"kernel: NTP-synchronised, estimated error {k.est_error_ms:.3f} ms, "
                f"maximum error {k.max_error_ms:.3f} ms, last offset {k.offset_ms:.3f} ms"
            )
        else:
            parts.append("kernel: NOT synchronised by NTP (times are as good as this machine's clock)")
        if self.ntp is not None:
            n = self.ntp
            parts.append(
                f"SNTP {n.server} (stratum {n.stratum}): offset {n.offset_ms:+.3f} ms, "
                f"round trip {n.delay_ms:.3f} ms"
            )
        elif self.ntp_error is not None:
            parts.append(f"SNTP not measured: {self.ntp_error}")
        else:
            parts.append("no SNTP server given")
        return "; ".join(parts)


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h> (x86-64 and aarch64 Linux: longs are 64-bit), then padding.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("padding", ctypes.c_int * 11),
    ]


def kernel_clock() -> KernelClock | None:
    """The kernel's clock discipline state, or None where it cannot be read (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    tx = _Timex()  # modes = 0: read only
    state = libc.adjtimex(ctypes.byref(tx))
    if state < 0:
        return None
    offset_ms = tx.offset / 1e6 if tx.status & STA_NANO else tx.offset / 1e3
    return KernelClock(
        synchronised=state != TIME_ERROR and not tx.status & STA_UNSYNC,
        est_error_ms=tx.esterror / 1e3,
        max_error_ms=tx.maxerror / 1e3,
        offset_ms=offset_ms,
    )


def _ntp_time(data: bytes, at: int) -> float:
    seconds: int
    fraction: int
    seconds, fraction = struct.unpack_from("!II", data, at)
    return seconds - NTP_EPOCH_OFFSET + fraction / 2**32


def _to_ntp(t: float) -> bytes:
    seconds = int(t)
    return struct.pack("!II", seconds + NTP_EPOCH_OFFSET, int((t - seconds) * 2**32) & 0xFFFFFFFF)


def sntp_query(host: str, port: int = 123, *, timeout: float = 1.0, tries: int = 3) -> NtpReading:
    """One SNTP v4 exchange (RFC 4330 §5): offset = ((T2 - T1) + (T3 - T4)) / 2; the best of ``tries``
    by round-trip delay. Raises OSError or ValueError with the reason when no usable answer came."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    best: NtpReading | None = None
    last_error = "no answer"
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        for _ in range(max(1, tries)):
            t1 = time.time()
            request = bytearray(48)
            request[0] = (4 << 3) | 3  # version 4, mode 3 (client)
            request[40:48] = _to_ntp(t1)  # transmit timestamp: the server echoes it as "originate"
            try:
                sock.sendto(bytes(request), (host, port))
                data, _ = sock.recvfrom(512)
            except TimeoutError:
                last_error = f"no answer within {timeout:g} s"
                continue
            t4 = time.time()
            if len(data) < 48:
                last_error = f"short answer ({len(data)} bytes)"
                continue
            mode, stratum = data[0] & 0x7, data[1]
            if mode != 4 or stratum == 0 or data[24:32] != bytes(request[40:48]):
                last_error = "answer is not a server reply to this request (mode, stratum or originate)"
                continue
            t2, t3 = _ntp_time(data, 32), _ntp_time(data, 40)
            reading = NtpReading(
                server=f"{host}:{port}",
                offset_ms=((t2 - t1) + (t3 - t4)) / 2 * 1e3,
                delay_ms=((t4 - t1) - (t3 - t2)) * 1e3,
                stratum=stratum,
            )
            if best is None or reading.delay_ms < best.delay_ms:
                best = reading
    if best is None:
        raise OSError(last_error)
    return best


def parse_server(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT`` or a bare address (port 123); host must be an IP literal."""
    host, port = text, 123
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest.lstrip(":") or 123)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # ValueError for names: no DNS look-up leaves the machine
    return host, port


def measure(server: str | None, *, allow_remote: bool) -> ClockReport:
    """The kernel's view and, when a server is given (and allowed), one SNTP measurement."""
    kernel = kernel_clock()
    if server is None:
        return ClockReport(kernel, None)
    try:
        host, port = parse_server(server)
    except ValueError:
        return ClockReport(kernel, None, f"{server!r} is not IP:PORT")
    if not ipaddress.ip_address(host).is_loopback and not allow_remote:
        return ClockReport(kernel, None, f"{host} is outside loopback and remote observation is off")
    try:
        return ClockReport(kernel, sntp_query(host, port))
    except OSError as exc:
        return ClockReport(kernel, None, f"{server}: {exc}")
