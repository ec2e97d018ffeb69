"""A certificate authority of one test run (openssl), and server certificates it signs: what a
cluster's cert-manager or CloudNativePG would issue, for the TLS tests on this machine."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsFiles:
    """A server's certificate and key, and the CA that signed it (PEM files)."""

    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_ca(folder: Path, name: str = "bamsos-test-ca") -> tuple[Path, Path]:
    """A self-signed CA in `folder`: (certificate, key)."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    return cert, key


def issue(folder: Path, ca: tuple[Path, Path], name: str, hosts: list[str]) -> TlsFiles:
    """A server certificate for `hosts` (DNS names), signed by `ca`, in `folder`."""
    ca_cert, ca_key = ca
    cert, key, request = folder / f"{name}.crt", folder / f"{name}.key", folder / f"{name}.csr"
    names = folder / f"{name}.ext"
    names.write_text("subjectAltName = " + ",".join(f"DNS:{h}" for h in hosts) + "\n")
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        f"/CN={hosts[0]}",
        "-keyout",
        str(key),
        "-out",
        str(request),
    )
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
        "-days", "2", "-extfile", str(names), "-out", str(cert),
    )  # fmt: skip
    return TlsFiles(ca=ca_cert, cert=cert, key=key)
