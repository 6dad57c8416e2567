"""Tests for minimost.tls: local CA + server certificate provisioning."""

from __future__ import annotations

import io
import ipaddress
import os
import re
import shutil
import socket
import ssl
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minimost.tls import TLSError, TLSFiles, certificate_expiry, ensure_certificates

# Real wall-clock time: the loopback handshake is verified by OpenSSL against the real clock.
NOW = datetime.now(UTC).replace(microsecond=0)
HOST = "mmtest-box"  # deliberately unresolvable, dot-free, so `.local` is added
FILE_NAMES = ("ca.pem", "ca-key.pem", "cert.pem", "key.pem")


def _provision(root: Path, **kwargs: object) -> TLSFiles:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("hostname", HOST)
    kwargs.setdefault("announce", None)
    return ensure_certificates(root, **kwargs)  # type: ignore[arg-type]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in FILE_NAMES}


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _assert_signed_by(leaf: x509.Certificate, ca: x509.Certificate) -> None:
    ca_key = ca.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    assert leaf.signature_hash_algorithm is not None
    # Raises InvalidSignature when the leaf was not signed by this CA's key.
    ca_key.verify(
        leaf.signature,
        leaf.tbs_certificate_bytes,
        padding.PKCS1v15(),
        leaf.signature_hash_algorithm,
    )
    assert leaf.issuer == ca.subject


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One provisioned data root shared read-only; tests that mutate take a copy."""
    root = tmp_path_factory.mktemp("provisioned")
    _provision(root)
    return root


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second, unrelated install: its CA and leaf are 'foreign' to `provisioned`."""
    root = tmp_path_factory.mktemp("foreign")
    _provision(root)
    return root


@pytest.fixture
def data_root(provisioned: Path, tmp_path: Path) -> Path:
    """A private copy of the provisioned root (copy2 keeps modes and mtimes)."""
    root = tmp_path / "data"
    shutil.copytree(provisioned, root)
    return root


# --- creation and reuse ---------------------------------------------------------------------


def test_first_run_creates_all_four_files(tmp_path: Path) -> None:
    root = tmp_path / "fresh" / "nested"  # missing parents are created
    files = _provision(root)

    assert files == TLSFiles(cert=root / "cert.pem", key=root / "key.pem", ca=root / "ca.pem")
    for name in FILE_NAMES:
        assert (root / name).is_file(), name
    for name in ("ca.pem", "cert.pem"):
        assert (root / name).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    for name in ("ca-key.pem", "key.pem"):
        # Unencrypted PKCS#8, not the traditional "BEGIN RSA PRIVATE KEY".
        assert (root / name).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    leftovers = [p.name for p in root.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_second_run_reuses_ca_and_leaf(data_root: Path) -> None:
    before = _snapshot(data_root)
    files = _provision(data_root, now=NOW + timedelta(days=1))
    assert files.ca == data_root / "ca.pem"
    assert _snapshot(data_root) == before


def test_ca_certificate_properties(provisioned: Path) -> None:
    ca = _cert(provisioned / "ca.pem")
    cn = ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert len(ca.subject) == 1
    assert len(cn) == 1
    assert re.fullmatch(r"MiniMost local CA \(mmtest-box [0-9a-f]{8}\)", str(cn[0].value))
    assert ca.issuer == ca.subject
    assert ca.version is x509.Version.v3
    assert ca.serial_number > 0
    assert ca.signature_hash_algorithm is not None
    assert ca.signature_hash_algorithm.name == "sha256"
    _assert_signed_by(ca, ca)  # self-signed

    key = ca.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    assert key.public_numbers().e == 65537

    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca is True
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.key_cert_sign
    assert ku.value.crl_sign
    assert not ku.value.digital_signature
    assert not ku.value.key_encipherment
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(key)


def test_leaf_chains_to_ca(provisioned: Path) -> None:
    ca = _cert(provisioned / "ca.pem")
    leaf = _cert(provisioned / "cert.pem")
    _assert_signed_by(leaf, ca)
    leaf.verify_directly_issued_by(ca)

    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest

    assert leaf.subject.rfc4514_string() == "CN=minimost"
    assert leaf.serial_number > 0
    assert leaf.serial_number != ca.serial_number
    assert leaf.signature_hash_algorithm is not None
    assert leaf.signature_hash_algorithm.name == "sha256"
    leaf_key = leaf.public_key()
    assert isinstance(leaf_key, rsa.RSAPublicKey)
    assert leaf_key.key_size == 2048

    bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca is False
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert ku.value.key_encipherment
    assert not ku.value.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(leaf_key)


def test_leaf_subject_alt_names(provisioned: Path) -> None:
    san = _cert(provisioned / "cert.pem").extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    dns = san.value.get_values_for_type(x509.DNSName)
    ips = san.value.get_values_for_type(x509.IPAddress)

    assert dns[:2] == ["localhost", HOST]
    assert f"{HOST}.local" in dns
    assert len({name.casefold() for name in dns}) == len(dns)  # deduplicated
    assert ips == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def test_san_adds_resolved_address_and_no_local_for_dotted_name(tmp_path: Path) -> None:
    # A literal address "resolves" to itself without DNS, and differs from 127.0.0.1.
    _provision(tmp_path, hostname="127.0.0.2")
    san = _cert(tmp_path / "cert.pem").extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    ips = san.value.get_values_for_type(x509.IPAddress)
    assert ips == [ipaddress.ip_address(a) for a in ("127.0.0.1", "::1", "127.0.0.2")]
    assert not any(n.endswith(".local") for n in san.value.get_values_for_type(x509.DNSName))


def test_validity_periods(provisioned: Path) -> None:
    ca = _cert(provisioned / "ca.pem")
    leaf = _cert(provisioned / "cert.pem")
    for cert in (ca, leaf):
        assert cert.not_valid_before_utc == NOW - timedelta(hours=1)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(days=398)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == timedelta(days=3650)
    expiry = certificate_expiry(provisioned / "cert.pem")
    assert expiry == NOW - timedelta(hours=1) + timedelta(days=398)
    assert expiry.tzinfo is not None


# --- leaf renewal ---------------------------------------------------------------------------


@pytest.mark.parametrize(("days_left", "renewed"), [(31, False), (29, True)])
def test_leaf_renewed_only_within_30_days_of_expiry(
    data_root: Path, days_left: int, renewed: bool
) -> None:
    before = _snapshot(data_root)
    later = certificate_expiry(data_root / "cert.pem") - timedelta(days=days_left)
    out = io.StringIO()
    _provision(data_root, now=later, announce=out)

    after = _snapshot(data_root)
    assert after["ca.pem"] == before["ca.pem"]
    assert after["ca-key.pem"] == before["ca-key.pem"]
    assert (after["cert.pem"] != before["cert.pem"]) is renewed
    assert (after["key.pem"] != before["key.pem"]) is renewed
    assert out.getvalue() == ""  # no CA was created, so nothing to announce
    if renewed:
        leaf = _cert(data_root / "cert.pem")
        assert leaf.not_valid_before_utc == later - timedelta(hours=1)
        _assert_signed_by(leaf, _cert(data_root / "ca.pem"))


def test_leaf_signed_by_foreign_ca_is_replaced(data_root: Path, foreign: Path) -> None:
    for name in ("cert.pem", "key.pem"):
        shutil.copy2(foreign / name, data_root / name)
    ca_before = (data_root / "ca.pem").read_bytes()

    _provision(data_root)

    assert (data_root / "cert.pem").read_bytes() != (foreign / "cert.pem").read_bytes()
    assert (data_root / "ca.pem").read_bytes() == ca_before
    _assert_signed_by(_cert(data_root / "cert.pem"), _cert(data_root / "ca.pem"))


@pytest.mark.parametrize("damage", ["garbage-cert", "missing-cert", "missing-key", "wrong-key"])
def test_broken_leaf_is_replaced(data_root: Path, foreign: Path, damage: str) -> None:
    cert, key = data_root / "cert.pem", data_root / "key.pem"
    if damage == "garbage-cert":
        cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n")
    elif damage == "missing-cert":
        cert.unlink()
    elif damage == "missing-key":
        key.unlink()
    else:  # valid key, but not the one the certificate was issued for
        shutil.copy2(foreign / "key.pem", key)

    _provision(data_root)

    leaf = _cert(cert)
    _assert_signed_by(leaf, _cert(data_root / "ca.pem"))
    leaf_key = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert leaf_key.public_key() == leaf.public_key()  # the pair belongs together


# --- operator-supplied certificate ----------------------------------------------------------


def test_operator_certificate_left_untouched(tmp_path: Path, foreign: Path) -> None:
    for name in ("cert.pem", "key.pem"):
        shutil.copy2(foreign / name, tmp_path / name)
        os.utime(tmp_path / name, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = {
        n: ((tmp_path / n).read_bytes(), (tmp_path / n).stat()) for n in ("cert.pem", "key.pem")
    }
    out = io.StringIO()

    files = _provision(tmp_path, announce=out)

    assert files == TLSFiles(cert=tmp_path / "cert.pem", key=tmp_path / "key.pem", ca=None)
    for name, (data, st) in before.items():
        now_st = (tmp_path / name).stat()
        assert (tmp_path / name).read_bytes() == data
        assert now_st.st_mtime_ns == st.st_mtime_ns
        assert now_st.st_ino == st.st_ino  # not replaced by an identical copy either
    assert not (tmp_path / "ca.pem").exists()
    assert not (tmp_path / "ca-key.pem").exists()
    assert out.getvalue() == ""


# --- file safety ----------------------------------------------------------------------------


def test_key_files_are_0600_from_creation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    modes_at_rename: dict[str, int] = {}
    real_replace = os.replace

    def recording_replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        modes_at_rename[Path(dst).name] = stat.S_IMODE(os.stat(src).st_mode)
        real_replace(src, dst)

    def no_chmod(*args: object, **kwargs: object) -> None:
        raise AssertionError("permissions must be set at creation, not with chmod")

    monkeypatch.setattr(os, "replace", recording_replace)
    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(os, "fchmod", no_chmod)
    old_umask = os.umask(0)  # a permissive umask must not widen key permissions
    try:
        _provision(tmp_path)
    finally:
        os.umask(old_umask)

    for name in ("ca-key.pem", "key.pem"):
        assert modes_at_rename[name] == 0o600, name
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    for name in ("ca.pem", "cert.pem"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_unwritable_data_root_raises(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("x")
    with pytest.raises(TLSError, match="plain-file"):
        _provision(not_a_dir)
    with pytest.raises(TLSError, match="plain-file"):
        _provision(not_a_dir / "sub")


@pytest.mark.parametrize("damage", ["corrupt-key", "corrupt-cert", "mismatched-pair"])
def test_broken_ca_raises_instead_of_replacing(data_root: Path, foreign: Path, damage: str) -> None:
    if damage == "corrupt-key":
        (data_root / "ca-key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
        expected = "ca-key.pem"
    elif damage == "corrupt-cert":
        (data_root / "ca.pem").write_bytes(b"junk")
        expected = "ca.pem"
    else:
        shutil.copy2(foreign / "ca.pem", data_root / "ca.pem")
        expected = "does not match"
    before = _snapshot(data_root)

    with pytest.raises(TLSError, match=expected):
        _provision(data_root)
    assert _snapshot(data_root) == before  # nothing was overwritten


def test_naive_now_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        _provision(tmp_path, now=NOW.replace(tzinfo=None))


# --- announcement and concurrency -----------------------------------------------------------


def test_announce_only_when_ca_created(tmp_path: Path) -> None:
    first, second = io.StringIO(), io.StringIO()
    _provision(tmp_path, announce=first)
    _provision(tmp_path, announce=second)

    text = first.getvalue()
    assert str((tmp_path / "ca.pem").resolve()) in text
    assert "/ca.pem" in text
    assert "Chrome/Edge" in text
    assert "Manage certificates" in text
    assert "Authorities" in text
    assert "Firefox" in text
    assert "View Certificates" in text
    assert "identify websites" in text
    assert second.getvalue() == ""
    _provision(tmp_path, announce=None)  # silent mode must not fail


def test_concurrent_first_runs_create_one_ca(tmp_path: Path) -> None:
    outputs = [io.StringIO() for _ in range(3)]
    results: list[TLSFiles | BaseException] = []
    barrier = threading.Barrier(len(outputs))

    def run(out: io.StringIO) -> None:
        barrier.wait()
        try:
            results.append(_provision(tmp_path, announce=out))
        except BaseException as exc:  # surfaced by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run, args=(out,)) for out in outputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert all(isinstance(r, TLSFiles) for r in results)
    assert len(results) == len(outputs)
    assert sum(1 for out in outputs if out.getvalue()) == 1
    _assert_signed_by(_cert(tmp_path / "cert.pem"), _cert(tmp_path / "ca.pem"))


# --- real TLS handshake ---------------------------------------------------------------------


def _handshake(files: TLSFiles, cafile: Path, server_hostname: str) -> tuple[str | None, bytes]:
    """Serve one TLS connection on loopback and connect as a strict verifying client."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.cert, files.key)
    client_ctx = ssl.create_default_context(cafile=str(cafile))  # trusts only this CA
    client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    assert client_ctx.check_hostname
    assert client_ctx.verify_mode is ssl.CERT_REQUIRED

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        port = listener.getsockname()[1]

        def serve() -> None:
            try:
                conn, _ = listener.accept()
                conn.settimeout(5)
                with server_ctx.wrap_socket(conn, server_side=True) as server:
                    server.sendall(b"hello")
            except (OSError, ssl.SSLError):
                pass  # the client side reports what went wrong

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                client_ctx.wrap_socket(raw, server_hostname=server_hostname) as client,
            ):
                return client.version(), client.recv(5)
        finally:
            thread.join(5)


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_tls_handshake_verifies_against_ca(provisioned: Path, server_hostname: str) -> None:
    files = TLSFiles(provisioned / "cert.pem", provisioned / "key.pem", provisioned / "ca.pem")
    version, data = _handshake(files, provisioned / "ca.pem", server_hostname)
    assert version == "TLSv1.3"
    assert data == b"hello"


def test_tls_handshake_rejects_unlisted_name(provisioned: Path) -> None:
    files = TLSFiles(provisioned / "cert.pem", provisioned / "key.pem", provisioned / "ca.pem")
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        _handshake(files, provisioned / "ca.pem", "elsewhere.example")


def test_tls_handshake_rejects_other_ca(provisioned: Path, foreign: Path) -> None:
    files = TLSFiles(provisioned / "cert.pem", provisioned / "key.pem", provisioned / "ca.pem")
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        _handshake(files, foreign / "ca.pem", "localhost")
