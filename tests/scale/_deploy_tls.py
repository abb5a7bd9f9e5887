"""A throw-away PostgreSQL server speaking TLS on loopback, with a certificate from a CA made here.

Only for the TLS tests: the shared test server speaks no TLS, and its settings are not ours to change. The
server runs as the ``postgres`` user when the tests run as root (initdb refuses root), in a folder under /tmp
that user can reach.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.scale._deploy_servers import IN_CI, free_port


@dataclass(frozen=True)
class TlsServer:
    port: int
    ca: Path  # the CA that signed the server's certificate
    other_ca: Path  # a CA that signed nothing here


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, names: list[x509.GeneralName]
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("vigilant test database"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        if IN_CI:
            pytest.fail("CI=true but PostgreSQL's server programs are missing: .ci/run installs postgresql")
        pytest.skip("PostgreSQL's server programs are not installed (apt-get install postgresql)")
    return found[-1].parent


@contextmanager
def tls_postgres() -> Iterator[TlsServer]:
    """A PostgreSQL with ssl=on whose certificate names 127.0.0.1 and localhost; stopped and removed after."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="vigilant-tls-pg."))
    as_pg: list[str] = []
    try:
        ca_key, ca = _ca("vigilant test CA")
        _, other = _ca("some other CA")
        names: list[x509.GeneralName] = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        key, cert = _server_cert(ca_key, ca, names)
        (root / "ca.crt").write_bytes(_pem(ca))
        (root / "other-ca.crt").write_bytes(_pem(other))
        (root / "server.crt").write_bytes(_pem(cert))
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (root / "server.key").write_bytes(key_pem)
        (root / "server.key").chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            for name in ("server.crt", "server.key"):
                shutil.chown(root / name, "postgres")
            as_pg = ["runuser", "-u", "postgres", "--"]
        port = free_port()
        data = str(root / "db")
        initdb = [*as_pg, str(bin_dir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres"]
        subprocess.run(initdb, check=True, capture_output=True)
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c ssl=on "
            f"-c ssl_cert_file={root / 'server.crt'} -c ssl_key_file={root / 'server.key'}"
        )
        pg_ctl = [*as_pg, str(bin_dir / "pg_ctl"), "-D", data]
        log = ["-l", str(root / "server.log")]
        subprocess.run([*pg_ctl, *log, "-w", "-o", options, "start"], check=True, capture_output=True)
        try:
            yield TlsServer(port, root / "ca.crt", root / "other-ca.crt")
        finally:
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], check=False, capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
