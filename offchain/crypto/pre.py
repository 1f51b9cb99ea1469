"""Threshold proxy re-encryption of an envelope's data key with Umbral.

The story (Feng et al. 2022, §6.8–6.9): Alice, a data owner, has encrypted a file under a
fresh data key (:mod:`offchain.crypto.envelope`) and *sealed* that short key to her own
public key. To share the file with Bob, a buyer, she hands *re-encryption key fragments*
(kfrags) to semi-trusted proxies (the cloud servers). Each proxy turns the sealed key into a
*capsule fragment* (cfrag) for Bob without learning the key; with enough cfrags Bob opens the
data key with his own secret key and decrypts the file. Alice stays offline after the grant.

Feng et al. build this from a pairing-based scheme with one semi-trusted proxy. This module
uses Umbral instead (Nuñez, "Umbral: a threshold proxy re-encryption scheme", NuCypher 2018;
its maintained Rust implementation ``umbral-pre``, here 0.11, through its Python binding),
which has the same shape (owner → proxies → receiver, unidirectional, non-interactive, the
proxies learn nothing) and maps step by step ("(none)": the paper has no such step):

======================  =========================================================  ================
Feng et al. 2022        this module                                                 who runs it
======================  =========================================================  ================
Enc (to the owner)      :func:`seal` ``(delegating_pk, data_key)``                  owner
ReKeyGen                :func:`generate_kfrags` (``threshold``-of-``shares``)       owner
(none)                  :func:`verify_kfrag`                                        each proxy
ReEnc                   :func:`reencrypt`                                           each proxy
(none)                  :func:`verify_cfrag`                                        receiver
Dec (re-encrypted)      :func:`open_reencrypted`                                    receiver
Dec (original)          :func:`open_sealed`                                         owner
======================  =========================================================  ================

What Umbral adds to the paper's scheme:

* **m-of-n proxies.** The re-encryption key is split into ``shares`` kfrags, one per proxy;
  any ``threshold`` of the resulting cfrags open the key, fewer reveal nothing. One proxy
  going offline or refusing no longer blocks a buyer, and no single proxy can re-encrypt alone.
* **Signed, verifiable fragments.** Every kfrag is signed by the owner's signing key together
  with the delegating and receiving public keys, so a proxy checks (:func:`verify_kfrag`) that
  a kfrag really comes from the owner and is meant for that receiver. Every cfrag carries a
  zero-knowledge proof of correct re-encryption, so the receiver checks (:func:`verify_cfrag`)
  each proxy's work and can prove misbehaviour, instead of getting a wrong key silently.
* **KEM/DEM.** The sealed payload is encrypted with XChaCha20-Poly1305 under a key
  encapsulated in the capsule; a modified capsule or ciphertext is rejected, never decrypted.

Verified types: the calls that act on fragments take :class:`VerifiedKFrag` and
:class:`VerifiedCFrag`, which only :func:`verify_kfrag` and :func:`verify_cfrag` hand out
(mirroring Umbral's own ``VerifiedKeyFrag``/``VerifiedCapsuleFrag``). Unverified bytes from
the network cannot reach :func:`reencrypt` or :func:`open_reencrypted`. A verified cfrag also
remembers the capsule and keys it was checked against, and :func:`open_reencrypted` refuses
fragments checked for another sealed key or another receiver.

Example (Alice the owner, proxies, Bob the buyer)::

    alice = KeyPair.generate()            # delegating key: one per file or dataset (see caveats)
    alice_signing = KeyPair.generate()    # Alice's long-lived signing key, published in her grants
    bob = KeyPair.generate()
    sealed = seal(alice.public_key, data_key)                   # stored next to the envelope
    kfrags = generate_kfrags(delegating_sk=alice.secret_key, receiving_pk=bob.public_key,
                             signer_sk=alice_signing.secret_key, threshold=2, shares=3)
    # each proxy i, given kfrags[i]:
    vkfrag = verify_kfrag(kfrags[i], delegating_pk=alice.public_key,
                          receiving_pk=bob.public_key, verifying_pk=alice_signing.public_key)
    cfrag = reencrypt(sealed, vkfrag)                            # bytes, sent to Bob
    # Bob, given cfrags from at least two proxies:
    vcfrags = [verify_cfrag(c, sealed=sealed, delegating_pk=alice.public_key,
                            receiving_pk=bob.public_key, verifying_pk=alice_signing.public_key)
               for c in cfrags]
    data_key = open_reencrypted(receiving_sk=bob.secret_key, delegating_pk=alice.public_key,
                                sealed=sealed, cfrags=vcfrags, threshold=2)

Errors: a fragment, capsule or ciphertext that fails Umbral's checks (forged or tampered
kfrag or cfrag, a wrong key, a modified capsule or ciphertext) raises
:class:`~offchain.errors.VerificationError`; bytes that do not even parse (wrong length, not
a curve point) and arguments of the wrong type or range raise
:class:`~offchain.errors.InvalidInputError`.

Assumptions and caveats:

* **Collusion.** Proxies are semi-trusted. Cfrags are of use to the receiver only, and fewer
  than ``threshold`` kfrags, even pooled, reveal nothing. But the kfrags are Shamir shares of
  ``a / d``, where ``a`` is the delegating secret key and ``d`` a value the receiver can
  compute: a receiver who obtains ``threshold`` or more *kfrags* (proxies colluding with it)
  recovers the delegating secret key, and with it every payload ever sealed to it. Hence a
  delegating key per file or per dataset, never an account or signing key: collusion then
  yields only what the grant already gave the receiver. Proxies without the receiver learn
  nothing, however many they are.
* **Revocation** relies on the proxies *refusing* to re-encrypt once a grant is revoked: the
  caller (the proxy's role code) must check the grant on chain before calling
  :func:`reencrypt`; nothing in the cryptography expires. A receiver who already opened the
  data key keeps it.
* **Signing key.** ``signer_sk`` should be the owner's long-lived signing key, separate
  from the delegating key; proxies and receivers must obtain the matching ``verifying_pk``
  from a trusted source (the on-chain grant), or a forger can sign kfrags of its own.
* **kfrag verification is partial.** A kfrag carries two signatures; :func:`verify_kfrag`
  checks the proxy's. The receiver's copy is only checked in :func:`verify_cfrag`, so a kfrag
  damaged there passes the proxy's check but its cfrags fail at the receiver.
* The payload is meant to be a short secret (the 32-byte data key); its length is not hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import umbral_pre
from umbral_pre import PublicKey, SecretKey

from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import is_int

__all__ = [
    "MAX_SHARES",
    "PUBLIC_KEY_BYTES",
    "SECRET_KEY_BYTES",
    "SIGNATURE_BYTES",
    "KeyPair",
    "PublicKey",
    "SealedKey",
    "SecretKey",
    "VerifiedCFrag",
    "VerifiedKFrag",
    "generate_kfrags",
    "open_reencrypted",
    "open_sealed",
    "public_key_from_bytes",
    "public_key_to_bytes",
    "reencrypt",
    "seal",
    "sign",
    "verify_cfrag",
    "verify_kfrag",
    "verify_signature",
]

logger = logging.getLogger(__name__)

#: Largest number of kfrags (proxies) one grant may have.
MAX_SHARES = 255
#: Length of a serialised secret key (a big-endian secp256k1 scalar).
SECRET_KEY_BYTES = 32
#: Length of a serialised public key (a compressed secp256k1 point).
PUBLIC_KEY_BYTES = 33
#: Length of a serialised signature (ECDSA over secp256k1 with SHA-256, ``r || s``).
SIGNATURE_BYTES = 64

_SEALED_MAGIC = b"DSPRE"
_SEALED_VERSION = 1
_CAPSULE_LENGTH_BYTES = 2
_SEALED_HEADER_BYTES = len(_SEALED_MAGIC) + 1 + _CAPSULE_LENGTH_BYTES
_DEM_OVERHEAD_BYTES = 24 + 16  # Umbral's DEM: XChaCha20-Poly1305 nonce || ciphertext || tag

# Raised by KeyFrag.verify and CapsuleFrag.verify; the package's type stub omits it.
_UmbralVerificationError: type[Exception] = umbral_pre.VerificationError  # type: ignore[attr-defined]

# Umbral 0.11's "simple" cfrag encoding is e1 (33 bytes) || v1 (33) || kfrag id (32) || ...
# The kfrag id names the share, so two cfrags made from one kfrag count once.
_KFRAG_ID_SLICE = slice(66, 98)


@dataclass(frozen=True, repr=False)
class KeyPair:
    """An Umbral (secp256k1) key pair: the owner's, a receiver's, or a signer's.

    Example::

        alice = KeyPair.generate()
        backup = alice.secret_bytes()            # keep secret
        assert KeyPair.from_secret_bytes(backup).public_bytes() == alice.public_bytes()

    Attributes:
        secret_key: The secret key; pass it as ``delegating_sk``, ``receiving_sk`` or ``signer_sk``.
        public_key: Its public key; pass it as ``delegating_pk``, ``receiving_pk`` or ``verifying_pk``.
    """

    secret_key: SecretKey = field(compare=False)
    public_key: PublicKey = field(init=False)

    def __post_init__(self) -> None:
        _check_secret_key("secret_key", self.secret_key)
        object.__setattr__(self, "public_key", self.secret_key.public_key())

    @classmethod
    def generate(cls) -> KeyPair:
        """Return a fresh random key pair (from the operating system's CSPRNG, through Umbral)."""
        return cls(SecretKey.random())

    @classmethod
    def from_secret_bytes(cls, data: bytes) -> KeyPair:
        """Rebuild a key pair from :meth:`secret_bytes`.

        Raises:
            InvalidInputError: if ``data`` is not a 32-byte non-zero scalar below the curve order.
        """
        if not isinstance(data, bytes) or len(data) != SECRET_KEY_BYTES:
            raise InvalidInputError(f"a secret key must be {SECRET_KEY_BYTES} bytes, got {_describe(data)}")
        try:
            return cls(SecretKey.from_be_bytes(data))
        except ValueError as exc:
            raise InvalidInputError(f"not a valid secp256k1 secret key: {exc}") from None

    def secret_bytes(self) -> bytes:
        """Return the 32-byte secret key. WARNING: whoever holds these bytes holds the key."""
        return self.secret_key.to_be_bytes()

    def public_bytes(self) -> bytes:
        """Return the 33-byte compressed public key (see :func:`public_key_from_bytes`)."""
        return self.public_key.to_compressed_bytes()

    def __repr__(self) -> str:
        return f"KeyPair(public_key={self.public_bytes().hex()})"


def public_key_to_bytes(public_key: PublicKey) -> bytes:
    """Return the 33-byte compressed encoding of ``public_key``.

    Raises:
        InvalidInputError: if ``public_key`` is not a :class:`PublicKey`.
    """
    _check_public_key("public_key", public_key)
    return public_key.to_compressed_bytes()


def public_key_from_bytes(data: bytes) -> PublicKey:
    """Parse a 33-byte compressed public key.

    Raises:
        InvalidInputError: if ``data`` is not 33 bytes or not a point of the curve.
    """
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_BYTES:
        raise InvalidInputError(f"a public key must be {PUBLIC_KEY_BYTES} bytes, got {_describe(data)}")
    try:
        public_key = PublicKey.from_compressed_bytes(data)
    except ValueError as exc:
        raise InvalidInputError(f"not a compressed secp256k1 public key: {exc}") from None
    if public_key.to_compressed_bytes() != data:
        # The parser also takes SEC1's "compact" 0x05 tag; one key must have one encoding.
        raise InvalidInputError(f"not a canonical compressed public key (prefix 0x02 or 0x03): {data.hex()}")
    return public_key


def sign(message: bytes, *, signer_sk: SecretKey) -> bytes:
    """Sign ``message`` (ECDSA over secp256k1 with SHA-256), e.g. a grant or a re-encryption request.

    Args:
        message: The bytes to sign.
        signer_sk: The signer's secret key.

    Returns:
        The 64-byte signature ``r || s``; check it with :func:`verify_signature`.

    Raises:
        InvalidInputError: if an argument has the wrong type.
    """
    _check_bytes("message", message)
    _check_secret_key("signer_sk", signer_sk)
    return umbral_pre.Signer(signer_sk).sign(message).to_be_bytes()


def verify_signature(signature: bytes, *, message: bytes, verifying_pk: PublicKey) -> None:
    """Check that ``signature`` is :func:`sign` of ``message`` by the holder of ``verifying_pk``.

    Raises:
        InvalidInputError: if ``signature`` is not 64 bytes encoding a signature, or an
            argument has the wrong type.
        VerificationError: if the signature does not verify.
    """
    _check_bytes("message", message)
    _check_public_key("verifying_pk", verifying_pk)
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise InvalidInputError(f"a signature must be {SIGNATURE_BYTES} bytes, got {_describe(signature)}")
    try:
        parsed = umbral_pre.Signature.from_be_bytes(signature)
    except ValueError as exc:
        raise InvalidInputError(f"not an encoded signature: {exc}") from None
    if not parsed.verify(verifying_pk, message):
        raise VerificationError(
            f"signature does not verify for the message under verifying key {verifying_pk.to_compressed_bytes().hex()}"
        )


@dataclass(frozen=True)
class SealedKey:
    """A payload (the envelope's data key) encrypted to the owner's public key: Umbral's capsule + ciphertext.

    Only the owner can open it directly (:func:`open_sealed`); proxies turn it into cfrags for
    a receiver (:func:`reencrypt`). It is not secret and is stored next to the envelope.

    Serialised form (:meth:`to_bytes`)::

        b"DSPRE" || 0x01 (version) || len(capsule) (2 bytes, big-endian) || capsule || ciphertext

    Attributes:
        capsule: Umbral's serialised capsule (it self-verifies when parsed).
        ciphertext: The payload under Umbral's DEM (XChaCha20-Poly1305), 40 bytes longer than it.

    Raises:
        InvalidInputError: if ``capsule`` does not parse or ``ciphertext`` is too short.
        VerificationError: if ``capsule`` parses but fails Umbral's self-check (it was modified).
    """

    capsule: bytes
    ciphertext: bytes
    _umbral_capsule: umbral_pre.Capsule = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_bytes("capsule", self.capsule)
        _check_bytes("ciphertext", self.ciphertext)
        if len(self.ciphertext) < _DEM_OVERHEAD_BYTES:
            raise InvalidInputError(
                f"sealed ciphertext must be at least {_DEM_OVERHEAD_BYTES} bytes (nonce and tag), "
                f"got {len(self.ciphertext)}"
            )
        object.__setattr__(self, "_umbral_capsule", _parse_capsule(self.capsule))

    def to_bytes(self) -> bytes:
        """Return the serialised form (see the class docstring); :meth:`from_bytes` reverses it."""
        return (
            _SEALED_MAGIC
            + bytes([_SEALED_VERSION])
            + len(self.capsule).to_bytes(_CAPSULE_LENGTH_BYTES, "big")
            + self.capsule
            + self.ciphertext
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedKey:
        """Parse :meth:`to_bytes`.

        Raises:
            InvalidInputError: if ``data`` is not a sealed key of this format.
            VerificationError: if the capsule was modified (it fails Umbral's self-check).
        """
        _check_bytes("data", data)
        if len(data) < _SEALED_HEADER_BYTES or data[: len(_SEALED_MAGIC)] != _SEALED_MAGIC:
            raise InvalidInputError(f"not a sealed key: expected magic {_SEALED_MAGIC!r}, found {data[:5]!r}")
        version = data[len(_SEALED_MAGIC)]
        if version != _SEALED_VERSION:
            raise InvalidInputError(f"unsupported sealed key version: expected {_SEALED_VERSION}, found {version}")
        capsule_length = int.from_bytes(data[len(_SEALED_MAGIC) + 1 : _SEALED_HEADER_BYTES], "big")
        capsule_end = _SEALED_HEADER_BYTES + capsule_length
        if len(data) < capsule_end:
            raise InvalidInputError(f"sealed key is {len(data)} bytes, too short for its {capsule_length}-byte capsule")
        return cls(capsule=data[_SEALED_HEADER_BYTES:capsule_end], ciphertext=data[capsule_end:])


@dataclass(frozen=True, repr=False)
class VerifiedKFrag:
    """A kfrag that passed :func:`verify_kfrag`; the only kind :func:`reencrypt` accepts.

    Obtain it from :func:`verify_kfrag` only. It is not meant to be stored: keep the kfrag
    bytes (:meth:`to_bytes`) and verify them again when loading.

    Attributes:
        delegating_pk: The owner's public key the kfrag was checked against (33 bytes).
        receiving_pk: The receiver's public key it was checked against (33 bytes).
        verifying_pk: The signer's public key it was checked against (33 bytes).
    """

    umbral_kfrag: umbral_pre.VerifiedKeyFrag = field(compare=False)
    delegating_pk: bytes
    receiving_pk: bytes
    verifying_pk: bytes

    def to_bytes(self) -> bytes:
        """Return the serialised kfrag (a proxy verifies it again after loading)."""
        return bytes(self.umbral_kfrag)

    def __repr__(self) -> str:
        return f"VerifiedKFrag(delegating_pk={self.delegating_pk.hex()}, receiving_pk={self.receiving_pk.hex()})"


@dataclass(frozen=True, repr=False)
class VerifiedCFrag:
    """A cfrag that passed :func:`verify_cfrag`; the only kind :func:`open_reencrypted` accepts.

    Obtain it from :func:`verify_cfrag` only. It records what it was checked against, so it
    cannot be used to open another sealed key or by another receiver.

    Attributes:
        kfrag_id: Id of the kfrag (the share) it was made with; two cfrags of one share count once.
        capsule: The capsule of the sealed key it was checked against.
        delegating_pk: The owner's public key it was checked against (33 bytes).
        receiving_pk: The receiver's public key it was checked against (33 bytes).
    """

    umbral_cfrag: umbral_pre.VerifiedCapsuleFrag = field(compare=False)
    kfrag_id: bytes
    capsule: bytes
    delegating_pk: bytes
    receiving_pk: bytes

    def to_bytes(self) -> bytes:
        """Return the serialised cfrag (verify it again with :func:`verify_cfrag` after loading)."""
        return bytes(self.umbral_cfrag)

    def __repr__(self) -> str:
        return f"VerifiedCFrag(kfrag_id={self.kfrag_id.hex()}, receiving_pk={self.receiving_pk.hex()})"


def seal(delegating_pk: PublicKey, payload: bytes) -> SealedKey:
    """Encrypt ``payload`` (normally the envelope's 32-byte data key) to the owner's public key.

    Anyone can seal to a public key; only the owner opens the result (:func:`open_sealed`),
    or a receiver after proxies re-encrypted it (:func:`open_reencrypted`).

    Args:
        delegating_pk: The owner's public key.
        payload: The secret to seal (any length; meant for short keys).

    Returns:
        The sealed key.

    Raises:
        InvalidInputError: if an argument has the wrong type.
    """
    _check_public_key("delegating_pk", delegating_pk)
    _check_bytes("payload", payload)
    capsule, ciphertext = umbral_pre.encrypt(delegating_pk, payload)
    return SealedKey(capsule=bytes(capsule), ciphertext=ciphertext)


def open_sealed(delegating_sk: SecretKey, sealed: SealedKey) -> bytes:
    """Open a sealed key with the owner's secret key (no proxy involved).

    Args:
        delegating_sk: The owner's secret key.
        sealed: A key sealed to the matching public key.

    Returns:
        The payload.

    Raises:
        InvalidInputError: if an argument has the wrong type.
        VerificationError: if the key is wrong or the ciphertext was modified.
    """
    _check_secret_key("delegating_sk", delegating_sk)
    _check_sealed(sealed)
    try:
        return umbral_pre.decrypt_original(delegating_sk, sealed._umbral_capsule, sealed.ciphertext)
    except ValueError as exc:
        raise VerificationError(
            f"could not open the sealed key: wrong secret key, or the ciphertext was modified ({exc})"
        ) from None


def generate_kfrags(
    *,
    delegating_sk: SecretKey,
    receiving_pk: PublicKey,
    signer_sk: SecretKey,
    threshold: int,
    shares: int,
) -> list[bytes]:
    """Create the re-encryption key fragments of a grant from the owner to one receiver (ReKeyGen).

    Hand ``kfrags[i]`` to proxy ``i`` over an authenticated, confidential channel. Any
    ``threshold`` proxies can then re-encrypt for ``receiving_pk`` every capsule sealed to the
    owner's public key. Each kfrag is signed by ``signer_sk`` together with both public keys.

    Args:
        delegating_sk: The owner's secret key.
        receiving_pk: The receiver's public key.
        signer_sk: The key that signs the kfrags (the owner's, or a separate signing key);
            proxies and the receiver check against its public key (``verifying_pk``).
        threshold: How many cfrags the receiver needs, ``1 .. shares``.
        shares: How many kfrags (proxies), ``threshold .. 255``.

    Returns:
        ``shares`` serialised kfrags.

    Raises:
        InvalidInputError: if ``1 <= threshold <= shares <= 255`` does not hold or an argument
            has the wrong type.
    """
    _check_secret_key("delegating_sk", delegating_sk)
    _check_public_key("receiving_pk", receiving_pk)
    _check_secret_key("signer_sk", signer_sk)
    _check_threshold_and_shares(threshold, shares)
    kfrags = umbral_pre.generate_kfrags(
        delegating_sk=delegating_sk,
        receiving_pk=receiving_pk,
        signer=umbral_pre.Signer(signer_sk),
        threshold=threshold,
        shares=shares,
        sign_delegating_key=True,  # the signature binds both keys: a kfrag cannot be
        sign_receiving_key=True,  # passed off as another owner's or for another receiver
    )
    logger.debug("generated %d kfrags (threshold %d) for receiver %s", shares, threshold, _pk_hex(receiving_pk))
    return [bytes(kfrag) for kfrag in kfrags]


def verify_kfrag(
    kfrag: bytes,
    *,
    delegating_pk: PublicKey,
    receiving_pk: PublicKey,
    verifying_pk: PublicKey,
) -> VerifiedKFrag:
    """Check a kfrag received by a proxy: signed by ``verifying_pk``'s holder for these two keys.

    Args:
        kfrag: A serialised kfrag from :func:`generate_kfrags`.
        delegating_pk: The owner's public key.
        receiving_pk: The receiver's public key.
        verifying_pk: The signer's public key, from a trusted source (the on-chain grant).

    Returns:
        The verified kfrag, usable with :func:`reencrypt`.

    Raises:
        InvalidInputError: if ``kfrag`` does not parse or an argument has the wrong type.
        VerificationError: if the kfrag was not signed by ``verifying_pk``'s holder for these
            keys, or was modified.
    """
    _check_bytes("kfrag", kfrag)
    _check_public_key("delegating_pk", delegating_pk)
    _check_public_key("receiving_pk", receiving_pk)
    _check_public_key("verifying_pk", verifying_pk)
    try:
        parsed = umbral_pre.KeyFrag.from_bytes(kfrag)
    except ValueError as exc:
        raise InvalidInputError(f"not a serialised kfrag: {exc}") from None
    if bytes(parsed) != kfrag:  # Umbral's parser ignores trailing bytes: one kfrag, one encoding
        raise InvalidInputError("not a canonical serialised kfrag (trailing or non-canonical bytes)")
    try:
        verified = parsed.verify(verifying_pk, delegating_pk, receiving_pk)
    except _UmbralVerificationError as exc:
        raise VerificationError(
            f"kfrag does not verify for owner {_pk_hex(delegating_pk)}, receiver {_pk_hex(receiving_pk)} "
            f"and signer {_pk_hex(verifying_pk)}: {exc}"
        ) from None
    return VerifiedKFrag(
        umbral_kfrag=verified,
        delegating_pk=delegating_pk.to_compressed_bytes(),
        receiving_pk=receiving_pk.to_compressed_bytes(),
        verifying_pk=verifying_pk.to_compressed_bytes(),
    )


def reencrypt(sealed: SealedKey, verified_kfrag: VerifiedKFrag) -> bytes:
    """Re-encrypt a sealed key's capsule with one kfrag (ReEnc), as a proxy.

    WARNING: check on chain that the grant still stands before calling this; refusing is the
    only revocation there is.

    Args:
        sealed: The sealed key (its capsule is what is re-encrypted; the ciphertext is not needed).
        verified_kfrag: This proxy's kfrag, from :func:`verify_kfrag`.

    Returns:
        A serialised cfrag for the receiver, who checks it with :func:`verify_cfrag`.

    Raises:
        InvalidInputError: if ``verified_kfrag`` is not a :class:`VerifiedKFrag` (verify the
            kfrag bytes first) or ``sealed`` is not a :class:`SealedKey`.
    """
    _check_sealed(sealed)
    if not isinstance(verified_kfrag, VerifiedKFrag):
        raise InvalidInputError(
            f"reencrypt needs a VerifiedKFrag from verify_kfrag, got {_describe(verified_kfrag)}; "
            "verify the kfrag first"
        )
    cfrag = umbral_pre.reencrypt(sealed._umbral_capsule, verified_kfrag.umbral_kfrag)
    return bytes(cfrag)


def verify_cfrag(
    cfrag: bytes,
    *,
    sealed: SealedKey,
    delegating_pk: PublicKey,
    receiving_pk: PublicKey,
    verifying_pk: PublicKey,
) -> VerifiedCFrag:
    """Check a cfrag received from a proxy: a correct re-encryption of ``sealed`` with a genuine kfrag.

    Args:
        cfrag: A serialised cfrag from :func:`reencrypt`.
        sealed: The sealed key the proxy was asked to re-encrypt.
        delegating_pk: The owner's public key.
        receiving_pk: The receiver's (your) public key.
        verifying_pk: The public key of the kfrags' signer, from a trusted source.

    Returns:
        The verified cfrag, usable with :func:`open_reencrypted`.

    Raises:
        InvalidInputError: if ``cfrag`` does not parse or an argument has the wrong type.
        VerificationError: if the cfrag's proof or its kfrag's signature does not verify
            (forged, made for another capsule, owner or receiver, or modified).
    """
    _check_bytes("cfrag", cfrag)
    _check_sealed(sealed)
    _check_public_key("delegating_pk", delegating_pk)
    _check_public_key("receiving_pk", receiving_pk)
    _check_public_key("verifying_pk", verifying_pk)
    try:
        parsed = umbral_pre.CapsuleFrag.from_bytes(cfrag)
    except ValueError as exc:
        raise InvalidInputError(f"not a serialised cfrag: {exc}") from None
    if bytes(parsed) != cfrag:  # Umbral's parser ignores trailing bytes: one cfrag, one encoding
        raise InvalidInputError("not a canonical serialised cfrag (trailing or non-canonical bytes)")
    try:
        verified = parsed.verify(sealed._umbral_capsule, verifying_pk, delegating_pk, receiving_pk)
    except _UmbralVerificationError as exc:
        logger.warning("rejected a cfrag for receiver %s: %s", _pk_hex(receiving_pk), exc)
        raise VerificationError(
            f"cfrag does not verify for this capsule, owner {_pk_hex(delegating_pk)}, receiver "
            f"{_pk_hex(receiving_pk)} and signer {_pk_hex(verifying_pk)}: {exc}"
        ) from None
    return VerifiedCFrag(
        umbral_cfrag=verified,
        kfrag_id=verified.to_bytes_simple()[_KFRAG_ID_SLICE],
        capsule=sealed.capsule,
        delegating_pk=delegating_pk.to_compressed_bytes(),
        receiving_pk=receiving_pk.to_compressed_bytes(),
    )


def open_reencrypted(
    *,
    receiving_sk: SecretKey,
    delegating_pk: PublicKey,
    sealed: SealedKey,
    cfrags: Sequence[VerifiedCFrag],
    threshold: int,
) -> bytes:
    """Open a sealed key as the receiver, from at least ``threshold`` verified cfrags (Dec).

    Cfrags made with the same kfrag count once; the first of each is used.

    Args:
        receiving_sk: The receiver's secret key.
        delegating_pk: The owner's public key.
        sealed: The sealed key the cfrags re-encrypt.
        cfrags: Verified cfrags from :func:`verify_cfrag`, from distinct proxies.
        threshold: The grant's threshold (from the on-chain grant), ``1 .. 255``.

    Returns:
        The payload (the data key).

    Raises:
        InvalidInputError: if fewer than ``threshold`` distinct cfrags are given, a cfrag is
            not a :class:`VerifiedCFrag`, or an argument has the wrong type.
        VerificationError: if a cfrag was verified for another sealed key, owner or receiver,
            or decryption fails (the ciphertext was modified, or ``threshold`` is lower than
            the grant's).
    """
    _check_secret_key("receiving_sk", receiving_sk)
    _check_public_key("delegating_pk", delegating_pk)
    _check_sealed(sealed)
    _check_threshold(threshold)
    if isinstance(cfrags, bytes | str) or not isinstance(cfrags, Sequence):
        raise InvalidInputError(f"cfrags must be a sequence of VerifiedCFrag, got {_describe(cfrags)}")
    receiving_pk = receiving_sk.public_key().to_compressed_bytes()
    owner_pk = delegating_pk.to_compressed_bytes()
    distinct: dict[bytes, VerifiedCFrag] = {}
    for index, cfrag in enumerate(cfrags):
        if not isinstance(cfrag, VerifiedCFrag):
            raise InvalidInputError(
                f"cfrags[{index}] must be a VerifiedCFrag from verify_cfrag, got {_describe(cfrag)}; "
                "verify the cfrag first"
            )
        if cfrag.capsule != sealed.capsule:
            raise VerificationError(f"cfrags[{index}] was verified for another sealed key")
        if cfrag.delegating_pk != owner_pk:
            raise VerificationError(
                f"cfrags[{index}] was verified for owner {cfrag.delegating_pk.hex()}, not {owner_pk.hex()}"
            )
        if cfrag.receiving_pk != receiving_pk:
            raise VerificationError(
                f"cfrags[{index}] was verified for receiver {cfrag.receiving_pk.hex()}, but the receiving "
                f"secret key is {receiving_pk.hex()}'s"
            )
        distinct.setdefault(cfrag.kfrag_id, cfrag)
    if len(distinct) < threshold:
        raise InvalidInputError(
            f"need cfrags from at least {threshold} distinct kfrags (the threshold), got {len(distinct)} "
            f"({len(cfrags)} given)"
        )
    try:
        payload = umbral_pre.decrypt_reencrypted(
            receiving_sk,
            delegating_pk,
            sealed._umbral_capsule,
            [cfrag.umbral_cfrag for cfrag in distinct.values()],
            sealed.ciphertext,
        )
    except ValueError as exc:
        raise VerificationError(
            f"could not open the re-encrypted key from {len(distinct)} cfrags: the ciphertext was modified, "
            f"or the grant's threshold is higher than {threshold} ({exc})"
        ) from None
    if payload is None:  # the binding declares Optional; Umbral raises instead in practice
        raise VerificationError("Umbral returned no plaintext for the re-encrypted key")
    return payload


def _parse_capsule(capsule: bytes) -> umbral_pre.Capsule:
    try:
        return umbral_pre.Capsule.from_bytes(capsule)
    except ValueError as exc:
        # A capsule carries a proof of its own consistency, checked when parsed. A well-formed
        # capsule failing it was modified; anything else is not a capsule at all.
        if "self-verification" in str(exc):
            raise VerificationError(f"capsule failed its self-check, it was modified: {exc}") from None
        raise InvalidInputError(f"not a serialised capsule: {exc}") from None


def _check_threshold(threshold: object) -> None:
    if not is_int(threshold) or not 1 <= threshold <= MAX_SHARES:
        raise InvalidInputError(f"threshold must be an int in 1..{MAX_SHARES}, got {threshold!r}")


def _check_threshold_and_shares(threshold: object, shares: object) -> None:
    for name, value in (("threshold", threshold), ("shares", shares)):
        if not is_int(value):
            raise InvalidInputError(f"{name} must be an int, got {_describe(value)}")
    assert isinstance(threshold, int) and isinstance(shares, int)  # narrowed above
    if not 1 <= threshold <= shares <= MAX_SHARES:
        raise InvalidInputError(
            f"need 1 <= threshold <= shares <= {MAX_SHARES}, got threshold={threshold}, shares={shares}"
        )


def _check_secret_key(name: str, value: object) -> None:
    if not isinstance(value, SecretKey):
        raise InvalidInputError(f"{name} must be an umbral SecretKey, got {_describe(value)}")


def _check_public_key(name: str, value: object) -> None:
    if not isinstance(value, PublicKey):
        raise InvalidInputError(f"{name} must be an umbral PublicKey, got {_describe(value)}")


def _check_sealed(value: object) -> None:
    if not isinstance(value, SealedKey):
        raise InvalidInputError(f"sealed must be a SealedKey, got {_describe(value)}")


def _check_bytes(name: str, value: object) -> None:
    if not isinstance(value, bytes):
        raise InvalidInputError(f"{name} must be bytes, got {_describe(value)}")


def _pk_hex(public_key: PublicKey) -> str:
    return public_key.to_compressed_bytes().hex()


def _describe(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, bytes) else f"a {type(value).__name__}"
