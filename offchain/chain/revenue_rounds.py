"""Payout rounds built from a valuation record: the checks and trees between
:mod:`offchain.learning.valuation` and :mod:`offchain.chain.shapley_payout`.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 7 §7.3–7.4: the
revenue is shared by the owners' Shapley values (Theorem 1) or among owners, miners and the third
party (Theorem 2, miners by Eq. 7.13–7.16), and anyone must be able to check what was paid. The
valuation record (:class:`~offchain.learning.valuation.ValuationRecord`) names each owner's
training data by its ``DataRegistry`` file id; before an agency approves a round built on it,
:func:`check_record_files` checks that every file is registered and owned by the payee it pays
(an on-chain-Shapley round pays the files' registered owners, so a record naming someone else's
file would pay that someone). :func:`record_tree` and :func:`role_tree` build a Merkle round's
leaves from a record's Shapley split and from Theorem 2's split, to the last wei.
"""

from __future__ import annotations

from collections.abc import Sequence

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.registry import DataRegistryClient, FileRegistration
from offchain.chain.shapley_payout import PayoutTree, onchain_shares
from offchain.errors import IntegrityError, InvalidInputError
from offchain.learning.valuation.payout import RoleSplitWei
from offchain.learning.valuation.record import ValuationRecord

__all__ = ["RecordFilesError", "check_record_files", "record_tree", "role_tree"]


class RecordFilesError(IntegrityError):
    """A valuation record's file ids do not match the registry: a file that is not registered,
    or one registered by someone other than the payee at its index."""


def check_record_files(
    registry: DataRegistryClient, record: ValuationRecord, payees: Sequence[AddressLike]
) -> list[FileRegistration]:
    """Check that file i of ``record`` is registered by ``payees[i]``; return the registrations.

    Raises:
        InvalidInputError: A payee count other than the record's owner count.
        RecordFilesError: A file that is not registered, or registered by another account.
    """
    addresses = [require_address(p, "payee", nonzero=True) for p in payees]
    if len(addresses) != len(record.owner_file_ids):
        raise InvalidInputError(
            f"the record names {len(record.owner_file_ids)} owners' files, got {len(addresses)} payees"
        )
    registrations = []
    for index, (file_id, payee) in enumerate(zip(record.owner_file_ids, addresses, strict=True)):
        if not registry.is_registered(bytes.fromhex(file_id[2:])):
            raise RecordFilesError(f"owner {index}'s file {file_id} is not registered")
        registration = registry.get_file(bytes.fromhex(file_id[2:]))
        if registration.owner.lower() != payee.lower():
            raise RecordFilesError(
                f"owner {index}'s file {file_id} is registered by {registration.owner}, expected the payee {payee}"
            )
        registrations.append(registration)
    return registrations


def record_tree(record: ValuationRecord, payees: Sequence[AddressLike], pool_wei: int) -> PayoutTree:
    """A Merkle round paying ``pool_wei`` by the record's Shapley split (Theorem 1): leaf i pays
    ``payees[i]`` exactly what an on-chain-Shapley round over the record's scaled table would
    (:func:`~offchain.chain.shapley_payout.onchain_shares`); the leaves sum to ``pool_wei``.

    Raises:
        InvalidInputError: A payee count other than the record's owner count, or a bad pool.
    """
    if len(payees) != len(record.owner_file_ids):
        raise InvalidInputError(f"the record names {len(record.owner_file_ids)} owners, got {len(payees)} payees")
    shares = onchain_shares(pool_wei, record.scaled_table())
    return PayoutTree.from_amounts(list(zip(payees, shares, strict=True)))


def role_tree(
    split: RoleSplitWei, owners: Sequence[AddressLike], miners: Sequence[AddressLike], third_party: AddressLike
) -> PayoutTree:
    """A Merkle round paying Theorem 2's split (§7.4): the owners' leaves first, then the
    miners' (split by the consensus rule, Eq. 7.13–7.16), then the third party's; zero-wei
    leaves are kept so that leaf indices follow the roles.

    Raises:
        InvalidInputError: An address count other than the split's.
    """
    if len(owners) != len(split.owners) or len(miners) != len(split.miners):
        raise InvalidInputError(
            f"the split pays {len(split.owners)} owners and {len(split.miners)} miners, "
            f"got {len(owners)} and {len(miners)} addresses"
        )
    entries = [
        *zip(owners, split.owners, strict=True),
        *zip(miners, split.miners, strict=True),
        (third_party, split.third_party),
    ]
    return PayoutTree.from_amounts(entries)
