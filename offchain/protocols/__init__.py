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
"""

from offchain.protocols.agency import Agency, PublishedOpening, check_published_opening
from offchain.protocols.anchoring import AnchoredRecord, RecordAnchorer
from offchain.protocols.auditor import Auditor, AuditReport, audit_root
from offchain.protocols.buyer import Buyer, Delivery
from offchain.protocols.cloud_server import AuditResponse, CloudServer
from offchain.protocols.data_owner import DataOwner, Recipient, UploadReceipt
from offchain.protocols.group_member import GroupMember, GroupUpload
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata
from offchain.protocols.retrieval import retrieve_checked

__all__ = [
    "Agency",
    "AnchoredRecord",
    "AuditReport",
    "AuditResponse",
    "Auditor",
    "Buyer",
    "CloudServer",
    "DataOwner",
    "Delivery",
    "FileKeys",
    "FileMetadata",
    "GroupMember",
    "GroupUpload",
    "PublishedOpening",
    "Recipient",
    "RecordAnchorer",
    "UploadReceipt",
    "audit_root",
    "check_published_opening",
    "retrieve_checked",
]
