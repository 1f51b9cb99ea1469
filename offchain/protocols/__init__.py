"""The roles of the research as classes (see shared/ARCHITECTURE.md): each owns its keys and
talks to storage and chain through the layers below; none holds cryptography of its own.

* :class:`DataOwner`: encrypts, registers, delegates access (re-encryption keys, grants);
  in the data market, registers records, proves their validity and delivers them.
* :class:`CloudServer`: stores ciphertexts, re-encrypts key capsules, answers audits.
* :class:`Buyer`: collects re-encrypted capsules, downloads and checks against the chain;
  in the data market, posts requirements, checks proofs, confirms or disputes deliveries.
* :class:`Auditor`: challenges a server for random blocks and checks them against the root.
* :class:`RecordAnchorer`: batches records into item and data blocks and anchors their roots.
* :class:`Agency`: an agency of the consortium: group manager, record keeper, voter, opener.
* :class:`GroupMember`: a user of an agency's group, uploading anonymously under group signatures.
* :class:`Contributor`, :class:`DecryptionParty`, :class:`AggregationCloud`: confidential
  aggregation under a (p, t)-threshold Paillier key (Zheng et al. 2018 §4.2).
* :class:`LedgerAccount`: pays on the confidential ledger among decoys, under the anonymity-set
  rule; :class:`LedgerTrustee` and :class:`TrusteeBoard`: the key-share holders who approve
  withdrawals and audit balances (§4.5).
"""

from offchain.protocols.agency import Agency, PublishedOpening, check_published_opening
from offchain.protocols.aggregation import (
    AggregationCloud,
    AggregationResult,
    CheatingPartiesError,
    Contribution,
    Contributor,
    DecryptionParty,
)
from offchain.protocols.anchoring import AnchoredRecord, RecordAnchorer
from offchain.protocols.auditor import Auditor, AuditReport, audit_root
from offchain.protocols.buyer import Buyer, Delivery
from offchain.protocols.cloud_server import AuditResponse, CloudServer
from offchain.protocols.data_owner import DataOwner, Recipient, UploadReceipt
from offchain.protocols.group_member import GroupMember, GroupUpload
from offchain.protocols.keys import FileKeys
from offchain.protocols.ledger_account import AnonymitySetBook, LedgerAccount
from offchain.protocols.ledger_trustee import (
    BalanceAudit,
    LedgerTrustee,
    SupplyAudit,
    TrusteeBoard,
    WithdrawalReview,
)
from offchain.protocols.metadata import FileMetadata
from offchain.protocols.retrieval import retrieve_checked

__all__ = [
    "Agency",
    "AggregationCloud",
    "AggregationResult",
    "AnchoredRecord",
    "AnonymitySetBook",
    "AuditReport",
    "AuditResponse",
    "Auditor",
    "BalanceAudit",
    "Buyer",
    "CheatingPartiesError",
    "CloudServer",
    "Contribution",
    "Contributor",
    "DataOwner",
    "DecryptionParty",
    "Delivery",
    "FileKeys",
    "FileMetadata",
    "GroupMember",
    "GroupUpload",
    "LedgerAccount",
    "LedgerTrustee",
    "PublishedOpening",
    "Recipient",
    "RecordAnchorer",
    "SupplyAudit",
    "TrusteeBoard",
    "UploadReceipt",
    "WithdrawalReview",
    "audit_root",
    "check_published_opening",
    "retrieve_checked",
]
