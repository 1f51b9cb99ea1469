"""The vision layer: MPEG-7 descriptors, a synthetic image set, bundled real images, indexes.

Pure and role-free (no keys, no chain). Research: Shen, Zhu, Xu, *Blockchain-based
privacy-preserving data sharing*, ch. 6: §6.3.1 (hospital nodes extract the colour structure,
edge histogram and region shape descriptors of each image) and §6.4 (the retrieval service
indexes the features and ranks by Euclidean distance, Eq. 6.5), with add/delete/update of
§6.5.2.

NOT used: the research's feature encryption (§6.3.1, Eq. 6.1–6.4). It publishes its modulus to
every party and its ciphertexts preserve distances by design, so anyone who reads the chain can
compare features; it hides nothing from the outsiders it is meant to stop. Features leave a
hospital under the toolkit's envelope encryption instead (issue 16, later parts).

Who sees what (part 1, this package): everything here runs where the plaintext features are —
a hospital (extraction) or the retrieval service, which the research trusts with the features.
Nothing here is published.
"""

from offchain.vision.colour_structure import colour_structure
from offchain.vision.datasets import LabelledImages, load_digits_images, load_lfw_images, load_texture_images
from offchain.vision.descriptor import DEFAULT_WEIGHTS, DescriptorWeights, ImageDescriptor, describe, distance
from offchain.vision.edge_histogram import edge_histogram
from offchain.vision.index import ExactIndex, FaissIndex
from offchain.vision.metrics import mean_precision_at_k, precision_at_k
from offchain.vision.region_shape import region_shape
from offchain.vision.synthetic import SyntheticImageSet

__all__ = [
    "DEFAULT_WEIGHTS",
    "DescriptorWeights",
    "ExactIndex",
    "FaissIndex",
    "ImageDescriptor",
    "LabelledImages",
    "SyntheticImageSet",
    "colour_structure",
    "describe",
    "distance",
    "edge_histogram",
    "load_digits_images",
    "load_lfw_images",
    "load_texture_images",
    "mean_precision_at_k",
    "precision_at_k",
    "region_shape",
]
