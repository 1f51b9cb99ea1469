pragma circom 2.1.0;

// DataValidity(n): a record of n private fields meets a buyer's committed requirement.
//
// Research: Feng et al., "Blockchain Data Privacy Protection and Sharing Scheme Based on
// Zero-Knowledge Proof" (2022), §5 (data validity proof before sharing): the data owner proves
// that its private data satisfies the cloud service organisation's requirement and is the data
// it committed to, without revealing the data. The paper's keyword requirements become one
// range predicate per field; its "calculation result" R is the number of satisfied fields.
//
// Private inputs
//   values[n]      the record's fields d_1..d_n, each an unsigned integer below 2^64
//   salt           the record's commitment salt r (a field element)
//   lo[n], hi[n]   the requirement's inclusive range [lo_i, hi_i] for each field (below 2^64)
//   required[n]    1 if field i must lie in its range, else 0
//   nonce          the requirement's nonce: makes each requirement's commitment unique
//
// Public inputs (in this order after the output)
//   requirementCommitment  Poseidon(Hn(lo), Hn(hi), sum required_i * 2^(i-1), nonce)
//   dataCommitment         h = Hc(d_1..d_n, r): Poseidon(d_1..d_n, r) when n + 1 <= 16 inputs,
//                          else Poseidon(Hn(d_1..d_n), r) (circomlib's Poseidon takes at most 16)
//   owner                  the submitting account as a number: binds the proof to its owner so
//                          that nobody else can submit it, even after registering the same h
// Output
//   satisfied      R = the number of fields i with lo_i <= d_i <= hi_i
//
// Hn(x_1..x_n) is Poseidon(x_1..x_n) for n <= 16, else Poseidon over the Poseidon hashes of
// consecutive chunks of 16. A field with an empty range (lo > hi) that is not required is
// ignored: it constrains nothing and never counts towards R.
//
// What it proves: the prover knows values and salt hashing to dataCommitment, and the opening
// of requirementCommitment, such that every required field is in range (otherwise no witness
// exists) and exactly R fields are in range. The contract checks R against the buyer's
// minimum. Soundness of the comparisons needs every value below 2^64: the circuit range-checks
// the record's values; the requirement's bounds are the buyer's own, checked by its client.

include "poseidon.circom";
include "comparators.circom";
include "bitify.circom";

// Hn: Poseidon of n values, in chunks of 16 when n > 16.
template HashMany(n) {
    signal input in[n];
    signal output out;
    var CHUNK = 16;
    if (n <= CHUNK) {
        component direct = Poseidon(n);
        for (var i = 0; i < n; i++) {
            direct.inputs[i] <== in[i];
        }
        out <== direct.out;
    } else {
        var chunks = (n + CHUNK - 1) \ CHUNK;
        component parts[chunks];
        for (var c = 0; c < chunks; c++) {
            var size = n - c * CHUNK;
            if (size > CHUNK) {
                size = CHUNK;
            }
            parts[c] = Poseidon(size);
            for (var i = 0; i < size; i++) {
                parts[c].inputs[i] <== in[c * CHUNK + i];
            }
        }
        component top = Poseidon(chunks);
        for (var c = 0; c < chunks; c++) {
            top.inputs[c] <== parts[c].out;
        }
        out <== top.out;
    }
}

// Hc: the record commitment h of the header.
template RecordCommitment(n) {
    signal input values[n];
    signal input salt;
    signal output out;
    if (n + 1 <= 16) {
        component direct = Poseidon(n + 1);
        for (var i = 0; i < n; i++) {
            direct.inputs[i] <== values[i];
        }
        direct.inputs[n] <== salt;
        out <== direct.out;
    } else {
        component inner = HashMany(n);
        for (var i = 0; i < n; i++) {
            inner.in[i] <== values[i];
        }
        component outer = Poseidon(2);
        outer.inputs[0] <== inner.out;
        outer.inputs[1] <== salt;
        out <== outer.out;
    }
}

template DataValidity(n) {
    signal input values[n];
    signal input salt;
    signal input lo[n];
    signal input hi[n];
    signal input required[n];
    signal input nonce;

    signal input requirementCommitment;
    signal input dataCommitment;
    signal input owner;

    signal output satisfied;

    // h = Hc(values, salt)
    component record = RecordCommitment(n);
    for (var i = 0; i < n; i++) {
        record.values[i] <== values[i];
    }
    record.salt <== salt;
    dataCommitment === record.out;

    // The requirement's opening.
    component loHash = HashMany(n);
    component hiHash = HashMany(n);
    var mask = 0;
    for (var i = 0; i < n; i++) {
        loHash.in[i] <== lo[i];
        hiHash.in[i] <== hi[i];
        required[i] * (required[i] - 1) === 0;
        mask += required[i] * (1 << i);
    }
    component requirement = Poseidon(4);
    requirement.inputs[0] <== loHash.out;
    requirement.inputs[1] <== hiHash.out;
    requirement.inputs[2] <== mask;
    requirement.inputs[3] <== nonce;
    requirementCommitment === requirement.out;

    // Each field: in range? Required fields must be.
    component bits[n];
    component aboveLo[n];
    component belowHi[n];
    signal inRange[n];
    var count = 0;
    for (var i = 0; i < n; i++) {
        bits[i] = Num2Bits(64);
        bits[i].in <== values[i];
        aboveLo[i] = GreaterEqThan(64);
        aboveLo[i].in[0] <== values[i];
        aboveLo[i].in[1] <== lo[i];
        belowHi[i] = LessEqThan(64);
        belowHi[i].in[0] <== values[i];
        belowHi[i].in[1] <== hi[i];
        inRange[i] <== aboveLo[i].out * belowHi[i].out;
        required[i] * (1 - inRange[i]) === 0;
        count += inRange[i];
    }
    satisfied <== count;

    // Bind the owner: a public input in no constraint would not be bound by the proof.
    signal ownerSquared;
    ownerSquared <== owner * owner;
}
