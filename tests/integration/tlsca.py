"""A throwaway certificate authority for TLS tests: a CA and server certificates, made at test time.

Certificates are made with the `cryptography` package into a folder the test owns (`tmp_path`);
nothing is read from or written to the system trust store. A second `TestCA` is an untrusted CA:
a server certificate it signs must be refused by a client that trusts only the first.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KEY_BITS = 2048


@dataclass(frozen=True)
class Issued:
    """A certificate (PEM, with the chain up to but not including the CA) and its private key."""

    cert: Path
    key: Path


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)


def _write_key(key: rsa.RSAPrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1: what OpenSSL 1.0.2 reads
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "softphone tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class TestCA:
    """A CA whose certificate is written to `folder/NAME-ca.pem` (give it as security.ca_file)."""

    __test__ = False  # not a pytest test class

    def __init__(self, folder: Path, name: str = "test") -> None:
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True)
        self._key = _new_key()
        now = datetime.datetime.now(datetime.UTC)
        subject = _name(f"softphone {name} CA")
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )
        self.cert = folder / f"{name}-ca.pem"
        self.cert.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        common_name: str,
        *,
        ips: tuple[str, ...] = ("127.0.0.1",),
        dns: tuple[str, ...] = (),
        valid_days: float = 1.0,
    ) -> Issued:
        """A server (and client) certificate for `ips` and `dns` names, signed by this CA."""
        key = _new_key()
        now = datetime.datetime.now(datetime.UTC)
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        start = now - datetime.timedelta(minutes=5)
        end = now + datetime.timedelta(days=valid_days)
        if valid_days < 0:  # an expired certificate: valid for an hour, long ago
            start = end - datetime.timedelta(hours=1)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        stem = f"{self.name}-{common_name}".replace(" ", "_")
        cert_path = self.folder / f"{stem}.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return Issued(cert_path, _write_key(key, self.folder / f"{stem}.key"))


@dataclass(frozen=True)
class Pki:
    """A trusted test CA with certificates from it, and one from an untrusted CA."""

    ca: Path
    server: Issued
    wrong_name: Issued
    expired: Issued
    rogue: Issued


def make_pki(folder: Path) -> Pki:
    """Certificates for 127.0.0.1 from a trusted and a rogue CA, one for another name, one old."""
    trusted = TestCA(folder, "trusted")
    rogue = TestCA(folder, "rogue")
    return Pki(
        ca=trusted.cert,
        server=trusted.issue("server"),
        wrong_name=trusted.issue("elsewhere", ips=(), dns=("pbx.example.com",)),
        expired=trusted.issue("old", valid_days=-1),
        rogue=rogue.issue("server"),
    )
