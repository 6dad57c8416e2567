"""Local certificate authority and server certificate so MiniMost can speak HTTPS on a LAN.

On first run a private CA is created in the data root and used to issue a short-lived
server ("leaf") certificate. The CA is reused forever, so browsers only need to trust it once;
the leaf is silently reissued whenever it is missing, broken, foreign or close to expiry.
An operator who drops their own ``cert.pem``/``key.pem`` in without a CA pair is left alone.

Only the ``cryptography`` package is used; the openssl binary is never invoked.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import secrets
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TLSError", "TLSFiles", "certificate_expiry", "ensure_certificates"]

CA_CERT_NAME = "ca.pem"
CA_KEY_NAME = "ca-key.pem"
CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
LOCK_NAME = "tls.lock"

RSA_KEY_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537
CA_VALIDITY = timedelta(days=3650)
# Chrome (and Apple) reject server certificates valid for longer than 398 days.
LEAF_VALIDITY = timedelta(days=398)
# Backdate notBefore so clients with slightly slow clocks accept a brand-new certificate.
BACKDATE = timedelta(hours=1)
RENEW_BEFORE = timedelta(days=30)
LEAF_COMMON_NAME = "minimost"
# X.509 upper bound for a commonName (RFC 5280 ub-common-name).
_MAX_CN_LENGTH = 64

_CAKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class TLSError(Exception):
    """TLS provisioning failed; the message says what went wrong and where."""


@dataclass(frozen=True)
class TLSFiles:
    """Paths the HTTPS server should load."""

    cert: Path
    key: Path
    ca: Path | None  # None when the operator supplied their own certificate


def ensure_certificates(
    data_root: Path,
    *,
    now: datetime | None = None,
    hostname: str | None = None,
    announce: TextIO | None = sys.stderr,
) -> TLSFiles:
    """Create or reuse the local CA and server certificate in ``data_root``.

    ``now`` (aware UTC) and ``hostname`` exist so tests control time and names; ``announce``
    receives the one-time "how to trust this CA" instructions (None = silent).
    Raises TLSError when provisioning fails, ValueError for a naive ``now`` (a caller bug).
    """
    when = _normalise_now(now)
    host = (hostname or socket.gethostname() or "localhost").strip() or "localhost"
    root = Path(data_root)
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _exclusive_lock(root / LOCK_NAME):
            files, created_ca = _provision(root, when, host)
    except TLSError:
        raise
    except (OSError, ValueError) as exc:
        raise TLSError(f"TLS provisioning in {root} failed: {exc}") from exc
    if created_ca and announce is not None and files.ca is not None:
        _announce_new_ca(announce, files.ca, host)
    return files


def certificate_expiry(path: Path) -> datetime:
    """Return the notAfter time (aware UTC) of the PEM certificate at ``path``."""
    return _load_certificate(Path(path)).not_valid_after_utc


# --- provisioning -------------------------------------------------------------------------


def _provision(root: Path, now: datetime, host: str) -> tuple[TLSFiles, bool]:
    """Do the check-and-create; must run under the lock. Returns (files, CA newly created)."""
    cert_path, key_path = root / CERT_NAME, root / KEY_NAME
    ca_path, ca_key_path = root / CA_CERT_NAME, root / CA_KEY_NAME
    have_ca = ca_path.exists() and ca_key_path.exists()

    if cert_path.exists() and key_path.exists() and not have_ca:
        # Operator-supplied certificate: never touch it.
        return TLSFiles(cert=cert_path, key=key_path, ca=None), False

    created_ca = False
    if have_ca:
        ca_cert, ca_key = _load_ca(ca_path, ca_key_path)
    else:
        ca_cert, ca_key = _create_ca(host, now)
        # Key first: a crash in between leaves ca.pem missing, so the pair is simply redone.
        _write_atomic(ca_key_path, _private_key_pem(ca_key), mode=0o600)
        _write_atomic(ca_path, ca_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        created_ca = True

    if created_ca or not _leaf_is_usable(cert_path, key_path, ca_cert, now):
        leaf_cert, leaf_key = _issue_leaf(ca_cert, ca_key, host, now)
        # Key first: a crash in between leaves a cert/key mismatch, which forces reissue.
        _write_atomic(key_path, _private_key_pem(leaf_key), mode=0o600)
        _write_atomic(cert_path, leaf_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)

    return TLSFiles(cert=cert_path, key=key_path, ca=ca_path), created_ca


def _load_ca(ca_path: Path, ca_key_path: Path) -> tuple[x509.Certificate, _CAKey]:
    """Load the existing CA pair; corruption is fatal because reissuing would break trust."""
    ca_cert = _load_certificate(ca_path)
    try:
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise TLSError(
            f"CA private key {ca_key_path} is corrupt, encrypted or unsupported: {exc}"
        ) from exc
    except OSError as exc:
        raise TLSError(f"cannot read CA private key {ca_key_path}: {exc}") from exc
    if not isinstance(ca_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TLSError(f"CA private key {ca_key_path} is not an RSA or EC key")
    if _spki(ca_key.public_key()) != _spki(ca_cert.public_key()):
        raise TLSError(f"CA certificate {ca_path} does not match CA private key {ca_key_path}")
    return ca_cert, ca_key


def _load_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as exc:
        raise TLSError(f"certificate {path} is not a valid PEM certificate: {exc}") from exc
    except OSError as exc:
        raise TLSError(f"cannot read certificate {path}: {exc}") from exc


def _leaf_is_usable(
    cert_path: Path, key_path: Path, ca_cert: x509.Certificate, now: datetime
) -> bool:
    """True when the leaf exists, parses, matches its key, chains to our CA and is not expiring."""
    try:
        leaf = x509.load_pem_x509_certificate(cert_path.read_bytes())
        leaf_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    if _spki(leaf_key.public_key()) != _spki(leaf.public_key()):
        return False
    try:
        leaf.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return leaf.not_valid_after_utc - now > RENEW_BEFORE


# --- certificate construction --------------------------------------------------------------


def _create_ca(host: str, now: datetime) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _new_rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _ca_common_name(host))])
    not_before = now - BACKDATE
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _ca_common_name(host: str) -> str:
    """CA name unique per install, so browsers never confuse two MiniMost CAs."""
    suffix = f" {secrets.token_hex(4)})"
    prefix = "MiniMost local CA ("
    room = _MAX_CN_LENGTH - len(prefix) - len(suffix)
    return f"{prefix}{host[:room]}{suffix}"


def _issue_leaf(
    ca_cert: x509.Certificate, ca_key: _CAKey, host: str, now: datetime
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _new_rsa_key()
    not_before = now - BACKDATE
    try:
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LEAF_COMMON_NAME)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_encipherment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(host)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(aki, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _subject_alt_names(host: str) -> list[x509.GeneralName]:
    """Names a LAN client might use to reach this machine."""
    candidates = ["localhost", host, socket.getfqdn()]
    if "." not in host:
        candidates.append(f"{host}.local")
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for candidate in candidates:
        try:
            dns = candidate.strip().encode("idna").decode("ascii")
        except UnicodeError:
            continue  # not representable as a DNS name; skip rather than fail
        if dns and dns.casefold() not in seen:
            seen.add(dns.casefold())
            names.append(x509.DNSName(dns))

    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [
        ipaddress.IPv4Address("127.0.0.1"),
        ipaddress.IPv6Address("::1"),
    ]
    try:
        lan = ipaddress.IPv4Address(socket.gethostbyname(host))
    except (OSError, UnicodeError, ValueError):
        lan = None
    if lan is not None and lan not in addresses:
        addresses.append(lan)
    names.extend(x509.IPAddress(address) for address in addresses)
    return names


def _key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_BITS)


def _private_key_pem(key: _CAKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _spki(public_key: PublicKeyTypes) -> bytes:
    """Canonical public key bytes, to compare keys of any type."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- filesystem --------------------------------------------------------------------------


def _normalise_now(now: datetime | None) -> datetime:
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    # Certificates store whole seconds; truncating keeps notBefore/notAfter exact.
    return now.astimezone(UTC).replace(microsecond=0)


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Serialise provisioning across processes so two workers never both create a CA."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise TLSError(f"cannot open TLS lock file {path}: {exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Write via a temp file + rename so a crash never leaves a half-written file.

    The temp file is created with its final mode, so a private key is never readable by
    others, not even for an instant.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise TLSError(f"cannot write {path}: {exc}") from exc
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort because not every filesystem supports it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _announce_new_ca(stream: TextIO, ca_path: Path, host: str) -> None:
    """Tell the operator, once, how to make browsers trust the new CA."""
    text = (
        "\n"
        "MiniMost created a local certificate authority (CA) for HTTPS:\n"
        f"    {ca_path.resolve()}\n"
        "Browsers will warn about this server until they trust that CA. Import it once on\n"
        "each device; it can also be downloaded from /ca.pem on this server\n"
        f"(e.g. https://{host}:<port>/ca.pem).\n"
        "  Chrome/Edge: Settings > Privacy and security > Security > Manage certificates >\n"
        "               Authorities > Import\n"
        "  Firefox:     Settings > Privacy & Security > Certificates > View Certificates >\n"
        "               Authorities > Import, and tick 'Trust this CA to identify websites'\n"
        f"Keep {ca_path.with_name(CA_KEY_NAME).name} private: it can sign certificates for\n"
        "any website that devices trusting this CA will accept.\n"
        "\n"
    )
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass  # a closed or broken console must not fail provisioning
