"""HTTP services for the roles (issue 17): the storage / re-encryption proxy service, its
client, and EIP-712 signed requests.

* :mod:`offchain.services.storage`: a :class:`~offchain.protocols.cloud_server.CloudServer`
  behind FastAPI (``create_app``);
* :mod:`offchain.services.client`: :class:`StorageClient`, the same calls as ``CloudServer``;
* :mod:`offchain.services.signing`: signed requests, nonces persisted.
"""

from offchain.services.client import StorageClient
from offchain.services.signing import NonceBook, sign_request, verify_request

__all__ = ["NonceBook", "StorageClient", "sign_request", "verify_request"]
