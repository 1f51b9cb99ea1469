"""An encrypted keystore for role secrets: several named secrets in one passphrase-sealed file.

For the secrets a role keeps between runs (issue 17): the owner's Umbral master secret, group
member keys, threshold key shares, agency manager keys, a node's attestation key. Ethereum
accounts stay in Brownie's own keystore (``brownie accounts``).

Construction: a 64-byte key is derived from the passphrase with scrypt (RFC 7914) through
``cryptography``; its first half is the AES-256-GCM key (NIST SP 800-38D), its second half keys
an HMAC-SHA256 *passphrase check* and the header's MAC. Each secret is sealed on its own, with a fresh random 96-bit
nonce, and with the file's header and the secret's name as associated data, so that

* a wrong passphrase is told apart from a modified file: the passphrase check fails first
  (:class:`~offchain.errors.WrongPassphraseError`);
* a changed header (its list of names, its public attributes, the cipher) fails the header's
  HMAC, and a sealed secret changed, swapped with another or renamed fails its AES-GCM tag,
  under the right key (:class:`~offchain.errors.TamperedKeystoreError`); so does a secret
  added or removed by hand (the authenticated header lists every name);
* a changed salt or scrypt cost reads as a wrong passphrase (the derived key differs).

No secret is ever written in the clear: the file is built in memory and written to a temporary
file that is renamed into place (:mod:`offchain.atomic_io`), so a crash leaves the old file or
the new one, never a partial one.

File format (JSON, UTF-8; version 1)::

    {
      "format": "datashare-keystore",
      "version": 1,
      "purpose": "role secrets",                      # free text, authenticated
      "public": {"curve": "P-256", ...},              # str → str, authenticated, NOT secret
      "kdf": {"name": "scrypt", "salt": hex(16 B), "n": 32768, "r": 8, "p": 1},
      "cipher": {"name": "AES-256-GCM"},
      "check": hex(HMAC-SHA256(check key, "datashare-keystore/v1/passphrase-check")),
      "names": ["a", "b"],                             # sorted names of the secrets
      "mac": hex(HMAC-SHA256(check key, canonical JSON of the header)),
      "secrets": {"a": {"nonce": hex(12 B), "ciphertext": hex(AES-GCM(secret) || tag)}, ...}
    }

The *header* is every field but ``mac`` and ``secrets``; canonical JSON is sorted keys, no
spaces, UTF-8. The associated data of secret ``name`` is the
canonical JSON (sorted keys, no spaces) of ``{"header": header, "name": name}``.

Caveats: the keystore is as strong as its passphrase (scrypt slows guessing; it does not stop
a weak passphrase being found); a process holding an open :class:`Keystore` holds the derived
key and the secrets in memory, and Python cannot wipe them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from offchain.atomic_io import atomic_write_text
from offchain.errors import (
    InvalidInputError,
    KeystoreFormatError,
    TamperedKeystoreError,
    UnknownSecretError,
    WrongPassphraseError,
)
from offchain.validation import is_int, parse_json

__all__ = [
    "DEFAULT_SCRYPT_N",
    "KEYSTORE_FORMAT",
    "KEYSTORE_VERSION",
    "MIN_SCRYPT_N",
    "Keystore",
]

logger = logging.getLogger(__name__)

#: The ``format`` field of every keystore file.
KEYSTORE_FORMAT = "datashare-keystore"
#: The format version written and read.
KEYSTORE_VERSION = 1
#: scrypt's cost by default (2**15 with r = 8: about 0.1 s and 32 MiB per unlock).
DEFAULT_SCRYPT_N = 1 << 15
#: The smallest cost accepted when writing or reading (tests use it to stay fast).
MIN_SCRYPT_N = 1 << 14
#: The largest cost accepted when reading: bounds the memory a hostile file can make us spend.
MAX_SCRYPT_N = 1 << 20
_SCRYPT_R, _SCRYPT_P = 8, 1
_SALT_BYTES, _NONCE_BYTES, _TAG_BYTES = 16, 12, 16
_MAX_FILE_BYTES = 16 << 20
_MAX_SECRET_BYTES = 1 << 20
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}")
_CHECK_LABEL = b"datashare-keystore/v1/passphrase-check"


class Keystore:
    """Named secrets sealed under one passphrase in one file.

    Example::

        store = Keystore.create(Path("owner.keystore"), passphrase)
        store.put("umbral-master", keys.secret_bytes())      # rewrites the file
        ...
        store = Keystore.open(Path("owner.keystore"), passphrase)
        secret = store.get("umbral-master")

    Create or open one with :meth:`create` or :meth:`open`; the constructor is internal.
    """

    def __init__(
        self,
        path: Path,
        *,
        key: bytes,
        kdf: dict[str, Any],
        purpose: str,
        public: dict[str, str],
        entries: dict[str, bytes],
    ) -> None:
        self.path = Path(path)
        self._key = key
        self._kdf = kdf
        self.purpose = purpose
        self._public = dict(public)
        self._entries = dict(entries)

    # ---- opening and creating -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        secrets_by_name: Mapping[str, bytes] | None = None,
        purpose: str = "role secrets",
        public: Mapping[str, str] | None = None,
        scrypt_n: int = DEFAULT_SCRYPT_N,
    ) -> Keystore:
        """Write a new keystore at ``path`` (replacing any file there) and return it open.

        Args:
            path: Where the file goes (written then renamed).
            passphrase: A non-empty passphrase.
            secrets_by_name: The secrets to seal, by name (names: letters, digits and
                ``._:/@-``, up to 128 characters; secrets up to 1 MiB).
            purpose: Free text naming what the file is for (authenticated, not secret).
            public: Non-secret attributes stored in the clear and authenticated (e.g. a
                public key), ``str`` → ``str``.
            scrypt_n: scrypt's cost, a power of two in [2**14, 2**20].

        Raises:
            InvalidInputError: on an empty passphrase, a bad name, secret, attribute or cost.
            OSError: if the file cannot be written.
        """
        _check_cost(scrypt_n)
        if not isinstance(purpose, str):
            raise InvalidInputError(f"purpose must be a str, got {type(purpose).__name__}")
        checked_public = _check_public(dict(public or {}))
        entries = {_check_name(name): _check_secret(name, value) for name, value in (secrets_by_name or {}).items()}
        kdf = {
            "name": "scrypt",
            "salt": secrets.token_bytes(_SALT_BYTES).hex(),
            "n": scrypt_n,
            "r": _SCRYPT_R,
            "p": _SCRYPT_P,
        }
        key = _derive(passphrase, kdf)
        store = cls(Path(path), key=key, kdf=kdf, purpose=purpose, public=checked_public, entries=entries)
        store._write()
        return store

    @classmethod
    def open(cls, path: Path, passphrase: str) -> Keystore:
        """Open the keystore at ``path``: check the passphrase, then every secret's tag.

        Raises:
            KeystoreFormatError: if the file is not a keystore of this format and version.
            WrongPassphraseError: if the passphrase (or the file's salt or cost) is wrong.
            TamperedKeystoreError: if the header or a sealed secret was changed.
            InvalidInputError: on an empty passphrase.
            OSError: if the file cannot be read.
        """
        path = Path(path)
        with path.open("rb") as handle:
            raw = handle.read(_MAX_FILE_BYTES + 1)
        if len(raw) > _MAX_FILE_BYTES:
            raise KeystoreFormatError(f"{path}: larger than {_MAX_FILE_BYTES} bytes, not a keystore")
        header, mac, sealed = _parse(path, raw)
        key = _derive(passphrase, header["kdf"])
        if not hmac.compare_digest(_check_value(key), bytes.fromhex(header["check"])):
            raise WrongPassphraseError(f"{path} does not open with this passphrase")
        if not hmac.compare_digest(_header_mac(key, header), mac):
            raise TamperedKeystoreError(f"{path}: the header was modified (its HMAC does not verify)")
        if set(sealed) != set(header["names"]):
            raise TamperedKeystoreError(f"{path}: the sealed secrets are not the ones the header lists")
        entries: dict[str, bytes] = {}
        for name in header["names"]:
            nonce, ciphertext = sealed[name]
            try:
                entries[name] = AESGCM(key[:32]).decrypt(nonce, ciphertext, _associated_data(header, name))
            except InvalidTag:
                raise TamperedKeystoreError(
                    f"{path}: secret {name!r} or the header was modified (its AES-GCM tag does not verify)"
                ) from None
        return cls(
            path, key=key, kdf=header["kdf"], purpose=header["purpose"], public=header["public"], entries=entries
        )

    # ---- reading and changing --------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """The names of the secrets held, sorted."""
        return tuple(sorted(self._entries))

    @property
    def public(self) -> dict[str, str]:
        """The file's non-secret, authenticated attributes (a copy)."""
        return dict(self._public)

    def get(self, name: str) -> bytes:
        """The secret stored under ``name``.

        Raises:
            UnknownSecretError: if there is none.
        """
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownSecretError(str(name)) from None

    def put(self, name: str, secret: bytes) -> None:
        """Add or replace the secret ``name`` and rewrite the file (every secret gets a fresh nonce).

        Raises:
            InvalidInputError: on a bad name or secret.
            OSError: if the file cannot be written (the old file is then intact).
        """
        name = _check_name(name)
        entries = {**self._entries, name: _check_secret(name, secret)}
        self._write(entries)
        self._entries = entries

    def remove(self, name: str) -> None:
        """Remove the secret ``name`` and rewrite the file.

        Raises:
            UnknownSecretError: if there is none.
            OSError: if the file cannot be written (the old file is then intact).
        """
        if name not in self._entries:
            raise UnknownSecretError(str(name))
        entries = {k: v for k, v in self._entries.items() if k != name}
        self._write(entries)
        self._entries = entries

    def __repr__(self) -> str:
        return f"Keystore({str(self.path)!r}, names={list(self.names())})"

    def _write(self, entries: dict[str, bytes] | None = None) -> None:
        entries = self._entries if entries is None else entries
        header: dict[str, Any] = {
            "format": KEYSTORE_FORMAT,
            "version": KEYSTORE_VERSION,
            "purpose": self.purpose,
            "public": self._public,
            "kdf": self._kdf,
            "cipher": {"name": "AES-256-GCM"},
            "check": _check_value(self._key).hex(),
            "names": sorted(entries),
        }
        sealed = {}
        for name in header["names"]:
            nonce = secrets.token_bytes(_NONCE_BYTES)
            ciphertext = AESGCM(self._key[:32]).encrypt(nonce, entries[name], _associated_data(header, name))
            sealed[name] = {"nonce": nonce.hex(), "ciphertext": ciphertext.hex()}
        document = {**header, "mac": _header_mac(self._key, header).hex(), "secrets": sealed}
        atomic_write_text(self.path, json.dumps(document, indent=2) + "\n")
        logger.info("wrote keystore %s (%d secrets)", self.path, len(entries))


# ---- helpers ------------------------------------------------------------------------------


def _derive(passphrase: str, kdf: Mapping[str, Any]) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise InvalidInputError("the passphrase must be a non-empty string")
    return Scrypt(salt=bytes.fromhex(kdf["salt"]), length=64, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
        passphrase.encode("utf-8")
    )


def _check_value(key: bytes) -> bytes:
    return hmac.new(key[32:], _CHECK_LABEL, hashlib.sha256).digest()


def _header_mac(key: bytes, header: Mapping[str, Any]) -> bytes:
    canonical = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key[32:], canonical, hashlib.sha256).digest()


def _associated_data(header: Mapping[str, Any], name: str) -> bytes:
    return json.dumps({"header": header, "name": name}, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _check_cost(scrypt_n: object) -> int:
    if not is_int(scrypt_n) or not MIN_SCRYPT_N <= scrypt_n <= MAX_SCRYPT_N or scrypt_n & (scrypt_n - 1):
        raise InvalidInputError(
            f"scrypt_n must be a power of two in [{MIN_SCRYPT_N}, {MAX_SCRYPT_N}], got {scrypt_n!r}"
        )
    return scrypt_n


def _check_name(name: object) -> str:
    if not isinstance(name, str) or _NAME_PATTERN.fullmatch(name) is None:
        raise InvalidInputError(
            f"a secret's name is 1-128 letters, digits or ._:/@- starting with a letter or digit, got {name!r}"
        )
    return name


def _check_secret(name: str, value: object) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) > _MAX_SECRET_BYTES:
        raise InvalidInputError(
            f"secret {name!r} must be at most {_MAX_SECRET_BYTES} bytes, got {type(value).__name__}"
        )
    return bytes(value)


def _check_public(public: dict[Any, Any]) -> dict[str, str]:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in public.items()):
        raise InvalidInputError("public attributes must map str to str")
    return public


def _parse(path: Path, raw: bytes) -> tuple[dict[str, Any], bytes, dict[str, tuple[bytes, bytes]]]:
    """The header, its MAC and the sealed secrets of a keystore file, their shapes checked."""
    try:
        stored = parse_json(raw.decode("utf-8"))
        fmt, version = stored["format"], stored["version"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise KeystoreFormatError(f"{path} is not a keystore: {exc}") from None
    if (fmt, version) != (KEYSTORE_FORMAT, KEYSTORE_VERSION):
        raise KeystoreFormatError(
            f"{path}: expected {KEYSTORE_FORMAT} version {KEYSTORE_VERSION}, found {fmt!r} version {version!r}"
        )
    try:
        header = {
            key: stored[key] for key in ("format", "version", "purpose", "public", "kdf", "cipher", "check", "names")
        }
        kdf = header["kdf"]
        if set(kdf) != {"name", "salt", "n", "r", "p"} or kdf["name"] != "scrypt" or (kdf["r"], kdf["p"]) != (8, 1):
            raise ValueError(f"unsupported key derivation {kdf!r}")
        _check_cost(kdf["n"])
        if len(bytes.fromhex(kdf["salt"])) != _SALT_BYTES or len(bytes.fromhex(header["check"])) != 32:
            raise ValueError("salt or passphrase check of the wrong size")
        if header["cipher"] != {"name": "AES-256-GCM"}:
            raise ValueError(f"unsupported cipher {header['cipher']!r}")
        if not isinstance(header["purpose"], str) or not isinstance(header["public"], dict):
            raise ValueError("purpose or public attributes of the wrong type")
        _check_public(header["public"])
        names = header["names"]
        if not isinstance(names, list) or names != sorted(set(names)) or not isinstance(stored["secrets"], dict):
            raise ValueError("names must be a sorted list without repeats, secrets an object")
        mac = bytes.fromhex(stored["mac"])
        sealed: dict[str, tuple[bytes, bytes]] = {}
        for name, entry in stored["secrets"].items():
            _check_name(name)
            nonce, ciphertext = bytes.fromhex(entry["nonce"]), bytes.fromhex(entry["ciphertext"])
            if len(nonce) != _NONCE_BYTES or len(ciphertext) < _TAG_BYTES:
                raise ValueError(f"secret {name!r}: nonce or ciphertext of the wrong size")
            sealed[name] = (nonce, ciphertext)
    except (ValueError, KeyError, TypeError, AttributeError, InvalidInputError) as exc:
        raise KeystoreFormatError(f"{path} is not a well-formed keystore: {exc}") from None
    return header, mac, sealed
