pragma circom 2.1.0;

// Records of 8 fields; see data_validity.circom.
include "data_validity.circom";

component main {public [requirementCommitment, dataCommitment, owner]} = DataValidity(8);
