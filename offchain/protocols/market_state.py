"""The data market buyer's persisted state: its requirements' openings and its deliveries.

Research: Feng et al. 2022 §5–6. A buyer posts only the commitment of a requirement; its
opening (the ranges, R and the nonce, :meth:`~offchain.zk.Requirement.to_json`) goes off chain
to the owners it chooses, and the buyer needs it again to check each proof and each delivered
record (:meth:`~offchain.protocols.Buyer.take_delivery`). A buyer that lost the opening could
neither check what it paid for nor dispute it. This module keeps it across restarts (issue 17).

Where what goes:

* the opening is the buyer's secret (it tells what the buyer looks for): it is sealed in the
  encrypted keystore (:mod:`offchain.keystore`) under ``market/<market>/opening/<commitment>``,
  *before* the requirement is posted, so a crash between the two loses nothing (the chain gives
  back the requirement id from the buyer and the commitment);
* the public parts (requirement id, commitment, description hash, sizes, price, capacity) and
  the deliveries (match id, confirmed or disputed, why) go to the database, in the tables
  ``market_requirements`` and ``market_deliveries``, versioned by ``market_schema_migrations``.

Received records are never stored: a delivery keeps the record's commitment h (public on chain).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.market import DataMarketClient, MarketRequirement
from offchain.database import Migration, RoleState, SchemaMigrations
from offchain.errors import IntegrityError, InvalidInputError, UnknownRequirementError
from offchain.keystore import Keystore
from offchain.protocols.buyer import Delivery
from offchain.zk import Requirement

__all__ = ["SCHEMA", "DeliveryRecord", "MarketState", "PostedRequirement", "opening_name"]

logger = logging.getLogger(__name__)

_metadata = MetaData()

requirements_table = Table(
    "market_requirements",
    _metadata,
    Column("market", String(42), primary_key=True),
    Column("requirement_id", BigInteger, primary_key=True, autoincrement=False),
    Column("buyer", String(42), nullable=False, index=True),
    Column("commitment", LargeBinary(32), nullable=False),
    Column("description_hash", LargeBinary(32), nullable=False),
    Column("field_count", Integer, nullable=False),
    Column("min_satisfied", Integer, nullable=False),
    Column("price_wei", String(80), nullable=False),  # uint256: beyond BIGINT
    Column("capacity", Integer, nullable=False),
    Column("posted_at", BigInteger, nullable=False),
)

deliveries_table = Table(
    "market_deliveries",
    _metadata,
    Column("market", String(42), primary_key=True),
    Column("match_id", BigInteger, primary_key=True, autoincrement=False),
    Column("requirement_id", BigInteger, nullable=False, index=True),
    Column("confirmed", Boolean, nullable=False),
    Column("record_commitment", LargeBinary(32), nullable=True),
    Column("reason", Text, nullable=False),
    Column("taken_at", BigInteger, nullable=False),
)

_TABLES = (requirements_table, deliveries_table)


def _migration_1(connection: Connection) -> None:
    _metadata.create_all(connection, tables=list(_TABLES))


MIGRATIONS: tuple[Migration, ...] = ((1, "market requirements and deliveries", _migration_1),)

#: The buyer's schema (version table ``market_schema_migrations``).
SCHEMA = SchemaMigrations("market_schema_migrations", MIGRATIONS, [t.name for t in _TABLES])


def opening_name(market: AddressLike, commitment: bytes) -> str:
    """The keystore name of the opening of ``commitment`` posted on ``market``."""
    return f"market/{require_address(market, 'market', nonzero=True).lower()}/opening/{commitment.hex()}"


@dataclass(frozen=True)
class PostedRequirement:
    """A requirement the buyer posted: its public row and its opening (from the keystore).

    Attributes:
        requirement_id: The market's id.
        opening: The requirement itself (secret; from the keystore).
        price_wei: Price per record.
        capacity: Records wanted.
    """

    requirement_id: int
    opening: Requirement
    price_wei: int
    capacity: int


@dataclass(frozen=True)
class DeliveryRecord:
    """What became of a match the buyer took (a row of ``market_deliveries``)."""

    match_id: int
    requirement_id: int
    confirmed: bool
    record_commitment: bytes | None
    reason: str


class MarketState(RoleState):
    """A buyer's market state: openings in ``keystore``, the rest in a SQL database.

    Args:
        database: A path (an SQLite file) or an SQLAlchemy URL.
        keystore: The buyer's open keystore (openings are sealed in it).
        market: The ``DataMarket``'s address.
        engine_options: Extra keyword arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        StateSchemaError: if the database's schema is newer than this code, or unrecognised.
        StorageError: if the database cannot be reached or migrated.
    """

    schema = SCHEMA

    def __init__(
        self,
        database: str | Path,
        keystore: Keystore,
        market: AddressLike,
        *,
        engine_options: dict[str, object] | None = None,
    ) -> None:
        self.market = require_address(market, "market", nonzero=True)
        self.keystore = keystore
        super().__init__(database, engine_options=engine_options)

    def __repr__(self) -> str:
        return f"MarketState({self.url!r}, market={self.market})"

    # ---- requirements ----------------------------------------------------------------------------

    def seal_opening(self, requirement: Requirement) -> str:
        """Seal ``requirement``'s opening in the keystore (before posting); returns its name."""
        name = opening_name(self.market, requirement.commitment_bytes)
        self.keystore.put(name, requirement.to_json().encode())
        return name

    def opening_for(self, commitment: bytes) -> Requirement:
        """The opening sealed for ``commitment``, checked against it.

        Raises:
            UnknownSecretError: the keystore holds none.
            IntegrityError: the sealed opening does not open ``commitment``.
        """
        opening = Requirement.from_json(self.keystore.get(opening_name(self.market, commitment)))
        if opening.commitment_bytes != commitment:
            raise IntegrityError(f"the opening sealed for 0x{commitment.hex()} opens another commitment")
        return opening

    def add_requirement(self, posted: MarketRequirement, opening: Requirement) -> None:
        """Record a posted requirement's public row (its opening sealed already).

        Raises:
            InvalidInputError: ``opening`` is not the posted requirement's, or it is not sealed.
        """
        if posted.commitment != opening.commitment_bytes or posted.description_hash != opening.description_hash:
            raise InvalidInputError(f"the opening is not requirement {posted.requirement_id}'s")
        self.opening_for(posted.commitment)  # sealed first, or refuse
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(requirements_table).values(
                        market=self.market,
                        requirement_id=posted.requirement_id,
                        buyer=require_address(posted.buyer, "buyer", nonzero=True),
                        commitment=posted.commitment,
                        description_hash=posted.description_hash,
                        field_count=posted.field_count,
                        min_satisfied=posted.min_satisfied,
                        price_wei=str(posted.price_wei),
                        capacity=posted.capacity,
                        posted_at=int(time.time()),
                    )
                )
        except SqlIntegrityError:
            logger.info("requirement %d was recorded already", posted.requirement_id)

    def recover(self, market: DataMarketClient, buyer: AddressLike) -> tuple[int, ...]:
        """Record the requirements posted but not recorded (a crash between posting and
        :meth:`add_requirement`): every opening sealed for this market whose commitment the chain
        shows ``buyer`` posted. Run when the buyer starts; returns the ids recorded now.
        """
        prefix = opening_name(self.market, b"")
        with self.engine.connect() as connection:
            commitments: list[bytes] = list(
                connection.execute(
                    select(requirements_table.c.commitment).where(requirements_table.c.market == self.market)
                ).scalars()
            )
        recorded = {bytes(c) for c in commitments}
        found = []
        for name in self.keystore.names():
            if not name.startswith(prefix):
                continue
            commitment = bytes.fromhex(name.removeprefix(prefix))
            if commitment in recorded:
                continue
            requirement_id = market.requirement_id_of(buyer, commitment)
            if requirement_id is None:  # sealed, never posted: kept for a retry
                continue
            self.add_requirement(market.get_requirement(requirement_id), self.opening_for(commitment))
            logger.warning("recorded requirement %d, posted before a crash", requirement_id)
            found.append(requirement_id)
        return tuple(found)

    def requirement(self, requirement_id: int) -> PostedRequirement:
        """A posted requirement with its opening.

        Raises:
            UnknownRequirementError: this buyer recorded no such requirement.
        """
        row = self.first_row(
            select(requirements_table).where(
                requirements_table.c.market == self.market, requirements_table.c.requirement_id == requirement_id
            )
        )
        if row is None:
            raise UnknownRequirementError(requirement_id)
        return PostedRequirement(
            requirement_id=int(row["requirement_id"]),
            opening=self.opening_for(row["commitment"]),
            price_wei=int(row["price_wei"]),
            capacity=int(row["capacity"]),
        )

    def requirement_ids(self) -> tuple[int, ...]:
        """The ids of the requirements recorded, in order."""
        with self.engine.connect() as connection:
            ids: list[int] = list(
                connection.execute(
                    select(requirements_table.c.requirement_id)
                    .where(requirements_table.c.market == self.market)
                    .order_by(requirements_table.c.requirement_id)
                ).scalars()
            )
        return tuple(int(i) for i in ids)

    # ---- deliveries --------------------------------------------------------------------------------

    def add_delivery(self, requirement_id: int, delivery: Delivery) -> DeliveryRecord:
        """Record what became of a match (a repeated record of the same match is kept once)."""
        record = DeliveryRecord(
            match_id=delivery.match_id,
            requirement_id=requirement_id,
            confirmed=delivery.confirmed,
            record_commitment=None if delivery.record is None else delivery.record.commitment_bytes,
            reason=delivery.reason,
        )
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(deliveries_table).values(market=self.market, taken_at=int(time.time()), **record.__dict__)
                )
        except SqlIntegrityError:
            logger.info("match %d was recorded already", delivery.match_id)
        return record

    def delivery(self, match_id: int) -> DeliveryRecord | None:
        """What became of ``match_id``, or ``None`` if it was not taken."""
        row = self.first_row(
            select(deliveries_table).where(
                deliveries_table.c.market == self.market, deliveries_table.c.match_id == match_id
            )
        )
        if row is None:
            return None
        return DeliveryRecord(
            match_id=int(row["match_id"]),
            requirement_id=int(row["requirement_id"]),
            confirmed=bool(row["confirmed"]),
            record_commitment=row["record_commitment"],
            reason=str(row["reason"]),
        )
