"""Valuing data owners' contributions by Shapley values, and sharing revenue by them.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 7 §7.2–7.5: a
third party's revenue from a prediction service is shared among the data owners whose data
trained its model, in proportion to their Shapley values on the model's test F1 (Eq. 7.6,
Theorem 1); miners and third parties join the coalition as roles (Theorems 2 and 3), and miners
split their part by the consensus rule (Eq. 7.13–7.16).

One module per concept:

- :mod:`~.utility`: coalition utilities (test F1 of SVM, random forest, KNN), cached and parallel;
- :mod:`~.shapley`: exact Shapley values of a table, Theorem 1, and the contract's integer split;
- :mod:`~.roles`: Theorems 2 and 3, the PoW / PoS / PBFT miner splits;
- :mod:`~.sampling`: truncated Monte Carlo for many owners, with standard errors;
- :mod:`~.knn`: exact KNN-Shapley of single records (Jia et al. 2019);
- :mod:`~.duplicates`: exact duplicates across owners (replication robustness);
- :mod:`~.owners`: dealing a training set to owners (sizes, noisy labels), seeded;
- :mod:`~.record`: the valuation record anyone can recompute;
- :mod:`~.payout`: Theorem 2's split and the miners' rule in whole wei, summing to the pool;
- :mod:`~.figures` (not re-exported; needs matplotlib): the research's Fig. 7.4–7.9 trends.
"""

from offchain.learning.valuation.duplicates import DuplicateReport, drop_duplicates, find_duplicates, refuse_duplicates
from offchain.learning.valuation.errors import DuplicateDataError, GameError, ValuationRecordError
from offchain.learning.valuation.knn import knn_shapley, knn_utility
from offchain.learning.valuation.owners import deal_rows
from offchain.learning.valuation.payout import CONSENSUS_RULES, RoleSplitWei, apportion_wei, role_split_wei
from offchain.learning.valuation.record import (
    UTILITY_SCALE,
    ValuationRecord,
    digest_test_set,
    scale_utilities,
)
from offchain.learning.valuation.roles import (
    RoleShares,
    Service,
    ServiceShares,
    pbft_split,
    pos_split,
    pow_split,
    role_game_table,
    service_shares,
    services_shares,
)
from offchain.learning.valuation.sampling import SampledShapley, tmc_shapley
from offchain.learning.valuation.shapley import (
    integer_shares,
    normalised_shapley,
    shapley_fractions,
    shapley_numerators,
    shapley_values,
)
from offchain.learning.valuation.utility import MODELS, CoalitionUtility, LabelledData, coalition_utilities

__all__ = [
    "CONSENSUS_RULES",
    "MODELS",
    "UTILITY_SCALE",
    "CoalitionUtility",
    "DuplicateDataError",
    "DuplicateReport",
    "GameError",
    "LabelledData",
    "RoleShares",
    "RoleSplitWei",
    "SampledShapley",
    "Service",
    "ServiceShares",
    "ValuationRecord",
    "ValuationRecordError",
    "apportion_wei",
    "coalition_utilities",
    "deal_rows",
    "digest_test_set",
    "drop_duplicates",
    "find_duplicates",
    "integer_shares",
    "knn_shapley",
    "knn_utility",
    "normalised_shapley",
    "pbft_split",
    "pos_split",
    "pow_split",
    "refuse_duplicates",
    "role_game_table",
    "role_split_wei",
    "scale_utilities",
    "service_shares",
    "services_shares",
    "shapley_fractions",
    "shapley_numerators",
    "shapley_values",
    "tmc_shapley",
]
