// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PaillierMath
/// @notice Arithmetic on Paillier ciphertexts modulo N = n² for keys of any size that is a whole
/// number of 32-byte words: the homomorphic addition (a product modulo N) and the encryption with
/// randomness 1 of a public amount, E(m) = 1 + m·n mod N, or of its negation, N + 1 − m·n.
/// @dev Numbers are big-endian, `words` 32-byte words long (`words` = 2 · modulusBytes / 32).
/// n must be a whole number of words long, so that `words` is even: the loops handle two words
/// per iteration.
///
/// Products use the modexp precompile (address 0x05, EIP-198, priced by EIP-2565) twice:
/// a·b mod N = ((a+b)² − (a−b)²) / 4 mod N. With x = (a+b)² mod 4N and y = |a−b|² mod 4N,
/// (x − y) mod 4N = 4·(a·b mod N), so a shift right by two bits gives the product. a + b < 2N
/// and 4N need one bit over N: the squarings work on `words + 1` words. One product costs two
/// precompile calls of ⌈(32·(words+1))/8⌉² / 3 gas each (1,541 at 2048-bit keys) plus two
/// passes over the words in assembly.
///
/// The modulus lives in a data contract (its code, written once by `store`): 0x00 (STOP, so
/// that a call to it does nothing) ‖ N ‖ 4N (one word longer) ‖ n (left-padded to N's length).
/// `load` copies N and 4N into a `Workspace` with EXTCODECOPY: 2,600 gas cold, 100 warm, plus
/// 3 per word, instead of a cold SLOAD (2,100) per word of N.
///
/// WARNING: a ciphertext must be a unit modulo N: a non-unit, multiplied into a balance, makes
/// that balance a non-unit for good (every later change is absorbed and it no longer decrypts).
/// `isCiphertext` checks the range only (1 ≤ c < N); `isNotMultipleOfN` checks c mod n ≠ 0.
/// A non-unit has gcd(c, n) ∈ {p, q, n}; the multiples of n are the only ones anyone can make
/// without factoring n, and `isNotMultipleOfN` rejects them; making one with gcd p or q requires
/// knowing the factorization (the trustees' dealer). Callers must apply both checks to every
/// ciphertext that enters from outside; products of checked values need none.
library PaillierMath {
    /// @notice The modexp precompile failed (or is missing: it returned no output).
    error PaillierMathModExpFailed();

    /// @notice The memory a product works in, filled by `load` and reused by every call.
    /// @param words The length of N (and of every ciphertext) in 32-byte words.
    /// @param sumInput Memory address of the modexp input computing (a + b)² mod 4N: three
    /// length words (base, exponent, modulus), the base (`words + 1` words, overwritten by the
    /// output), the exponent 2 (one word) and 4N (`words + 1` words).
    /// @param differenceInput The same for |a − b|² mod 4N.
    /// @param nSquared N itself, for range checks and negations.
    /// @param residueInput Memory address of the modexp input computing c^1 mod n: three length
    /// words (base: `words` words, exponent: one byte, modulus: n's length), the base (overwritten
    /// by the output), the exponent 1 (one byte) and n.
    struct Workspace {
        uint256 words;
        uint256 sumInput;
        uint256 differenceInput;
        bytes nSquared;
        uint256 residueInput;
    }

    /// @dev solmate's SSTORE2 creation code: copies the rest of the init code to memory and
    /// returns it as the runtime code (PUSH1 11 MSIZE DUP2 CODESIZE SUB DUP1 SWAP3 MSIZE CODECOPY
    /// RETURN).
    bytes11 private constant DATA_CONTRACT_PREFIX = 0x600B5981380380925939F3;

    /// @notice Compute N = n² and 4N and write them with n into a new data contract.
    /// @dev `modulus` must be a whole number of words long (the caller checks it). N is computed
    /// exactly with modexp: n² mod 2^(8·2·modulusBytes), and n² is shorter than that.
    /// @param modulus n, big-endian, `modulusBytes` long.
    /// @return dataContract The address to pass to `load`, `nOperand` and `modulusOf`.
    function store(bytes memory modulus) internal returns (address dataContract) {
        uint256 modulusBytes = modulus.length;
        uint256 ciphertextBytes = 2 * modulusBytes;
        bytes memory powerOfTwo = new bytes(ciphertextBytes + 1);
        powerOfTwo[0] = 0x01;
        bytes memory square = Math.modExp(modulus, hex"02", powerOfTwo); // ciphertextBytes + 1, top byte 0

        // creation prefix (11 bytes) ‖ 0x00 ‖ N ‖ 4N (one word longer) ‖ n left-padded to N's length
        bytes memory initCode = new bytes(12 + 3 * ciphertextBytes + 32);
        bytes11 prefix = DATA_CONTRACT_PREFIX;
        assembly ("memory-safe") {
            mstore(add(initCode, 0x20), prefix) // and the STOP byte, already zero
            let source := add(square, 0x21) // N, after the zero top byte
            let target := add(initCode, 0x2c)
            let quadruple := add(target, ciphertextBytes)
            let above := 0 // the word of N above the current one
            for { let offset := 0 } lt(offset, ciphertextBytes) { offset := add(offset, 0x20) } {
                let word := mload(add(source, offset))
                mstore(add(target, offset), word)
                mstore(add(quadruple, offset), or(shl(2, above), shr(254, word)))
                above := word
            }
            mstore(add(quadruple, ciphertextBytes), shl(2, above))
            let padded := add(quadruple, add(ciphertextBytes, 0x20))
            let n := add(padded, modulusBytes)
            for { let offset := 0 } lt(offset, modulusBytes) { offset := add(offset, 0x20) } {
                mstore(add(n, offset), mload(add(modulus, add(0x20, offset))))
            }
        }
        dataContract = Create2.deploy(0, bytes32(0), initCode);
    }

    /// @notice A workspace for products modulo N, loaded from `dataContract`.
    /// @param dataContract The address `store` returned.
    /// @param ciphertextBytes The length of N in bytes (2 · modulusBytes).
    /// @return workspace The loaded workspace.
    function load(address dataContract, uint256 ciphertextBytes) internal view returns (Workspace memory workspace) {
        workspace.words = ciphertextBytes >> 5;
        workspace.nSquared = new bytes(ciphertextBytes);
        uint256 sumInput;
        uint256 differenceInput;
        bytes memory nSquared = workspace.nSquared;
        assembly ("memory-safe") {
            extcodecopy(dataContract, add(nSquared, 0x20), 1, ciphertextBytes)
            let wideBytes := add(ciphertextBytes, 0x20)
            let inputBytes := add(0x80, shl(1, wideBytes))
            function prepare(input, store, length, wide) {
                mstore(input, wide) // base length
                mstore(add(input, 0x20), 0x20) // exponent length
                mstore(add(input, 0x40), wide) // modulus length
                mstore(add(input, add(0x60, wide)), 2) // the exponent
                extcodecopy(store, add(input, add(0x80, wide)), add(1, length), wide) // 4N
            }
            sumInput := mload(0x40)
            differenceInput := add(sumInput, inputBytes)
            mstore(0x40, add(differenceInput, inputBytes))
            prepare(sumInput, dataContract, ciphertextBytes, wideBytes)
            prepare(differenceInput, dataContract, ciphertextBytes, wideBytes)
        }
        workspace.sumInput = sumInput;
        workspace.differenceInput = differenceInput;
        workspace.residueInput = _residueInput(dataContract, ciphertextBytes);
    }

    /// @dev The modexp input of `isNotMultipleOfN` (see `Workspace.residueInput`), with n copied
    /// from the data contract: 100 gas warm plus 3 per word.
    function _residueInput(address dataContract, uint256 ciphertextBytes) private view returns (uint256 input) {
        assembly ("memory-safe") {
            let modulusBytes := shr(1, ciphertextBytes)
            input := mload(0x40)
            mstore(0x40, add(input, add(0x80, add(ciphertextBytes, modulusBytes)))) // 0x61 + …, rounded up
            mstore(input, ciphertextBytes) // base length
            mstore(add(input, 0x20), 1) // exponent length
            mstore(add(input, 0x40), modulusBytes) // modulus length
            let exponent := add(input, add(0x60, ciphertextBytes))
            mstore8(exponent, 1)
            // n, the last modulusBytes bytes of the code: 1 + N + 4N + left padding
            extcodecopy(dataContract, add(exponent, 1), add(0x21, mul(5, modulusBytes)), modulusBytes)
        }
    }

    /// @notice n, left-padded to N's length: the operand `encryptPublic` multiplies amounts by.
    /// @param dataContract The address `store` returned.
    /// @param ciphertextBytes The length of N in bytes.
    /// @return operand n as a `ciphertextBytes`-long number.
    function nOperand(address dataContract, uint256 ciphertextBytes) internal view returns (bytes memory operand) {
        operand = new bytes(ciphertextBytes);
        assembly ("memory-safe") {
            extcodecopy(dataContract, add(operand, 0x20), add(0x21, shl(1, ciphertextBytes)), ciphertextBytes)
        }
    }

    /// @notice n as `store` received it.
    /// @param dataContract The address `store` returned.
    /// @param modulusBytes The length of n in bytes.
    /// @return modulus n, big-endian.
    function modulusOf(address dataContract, uint256 modulusBytes) internal view returns (bytes memory modulus) {
        modulus = new bytes(modulusBytes);
        assembly ("memory-safe") {
            // 0x00 ‖ N ‖ 4N ‖ 0…0 ‖ n: n starts at 1 + 4·modulusBytes + 32 + modulusBytes
            extcodecopy(dataContract, add(modulus, 0x20), add(0x21, mul(5, modulusBytes)), modulusBytes)
        }
    }

    /// @notice Whether `value` is a ciphertext's range: 1 ≤ value < N.
    /// @param workspace A loaded workspace.
    /// @param value A number of `workspace.words` words.
    /// @return valid True if it is in range.
    function isCiphertext(Workspace memory workspace, bytes memory value) internal pure returns (bool valid) {
        bytes memory nSquared = workspace.nSquared;
        uint256 length = workspace.words << 5;
        assembly ("memory-safe") {
            let data := add(value, 0x20)
            let bound := add(nSquared, 0x20)
            // value < N: decided by the first word that differs, from the top (usually the first)
            let below := 0
            for { let offset := 0 } lt(offset, length) { offset := add(offset, 0x20) } {
                let v := mload(add(data, offset))
                let m := mload(add(bound, offset))
                if iszero(eq(v, m)) {
                    below := lt(v, m)
                    break
                }
            }
            // value ≠ 0: decided by the first nonzero word, from the top (usually the first)
            let nonzero := 0
            for { let offset := 0 } lt(offset, length) { offset := add(offset, 0x20) } {
                if mload(add(data, offset)) {
                    nonzero := 1
                    break
                }
            }
            valid := and(below, nonzero)
        }
    }

    /// @notice Whether `value` mod n ≠ 0, that is, `value` is not a multiple of n.
    /// @dev A non-unit has gcd(c, n) ∈ {p, q, n}; the multiples of n are the only ones anyone can
    /// make without factoring n, and this check rejects them; making one with gcd p or q requires
    /// knowing the factorization (the trustees' dealer). One modexp call (exponent 1, modulus n): about ⌈(32·words)/8⌉² / 3 gas (1,365 at
    /// 2048-bit keys). Reverts with `PaillierMathModExpFailed` if the precompile call fails.
    /// @param workspace A loaded workspace.
    /// @param value A number of `workspace.words` words.
    /// @return notMultiple True unless n divides `value` (false for 0).
    function isNotMultipleOfN(Workspace memory workspace, bytes memory value) internal view returns (bool notMultiple) {
        uint256 length = workspace.words << 5;
        uint256 input = workspace.residueInput;
        bool ok;
        assembly ("memory-safe") {
            let base := add(input, 0x60)
            let data := add(value, 0x20)
            for { let offset := 0 } lt(offset, length) { offset := add(offset, 0x20) } {
                mstore(add(base, offset), mload(add(data, offset)))
            }
            let modulusBytes := shr(1, length)
            let inputBytes := add(0x61, add(length, modulusBytes))
            // the residue, modulusBytes long, over the start of the base (copied again next time)
            ok := staticcall(gas(), 0x05, input, inputBytes, base, modulusBytes)
            ok := and(ok, eq(returndatasize(), modulusBytes))
            for { let offset := 0 } lt(offset, modulusBytes) { offset := add(offset, 0x20) } {
                if mload(add(base, offset)) {
                    notMultiple := 1
                    break
                }
            }
        }
        if (!ok) revert PaillierMathModExpFailed();
    }

    /// @notice product := a · b mod N, the homomorphic addition of the plaintexts of a and b.
    /// @dev a and b are any numbers of `workspace.words` words (not necessarily below N);
    /// `product` may be a or b. Reverts with `PaillierMathModExpFailed` if a precompile call fails.
    /// @param workspace A loaded workspace.
    /// @param a The first factor.
    /// @param b The second factor.
    /// @param product Receives the product, `workspace.words` words.
    function mulMod(Workspace memory workspace, bytes memory a, bytes memory b, bytes memory product) internal view {
        uint256 length = workspace.words << 5;
        uint256 sumInput = workspace.sumInput;
        uint256 differenceInput = workspace.differenceInput;
        _sumAndDifference(a, b, sumInput + 0x60, differenceInput + 0x60, length);
        bool ok;
        assembly ("memory-safe") {
            // x = (a + b)² mod 4N and y = (a − b)² mod 4N, each written over its base
            let wideBytes := add(length, 0x20)
            let inputBytes := add(0x80, shl(1, wideBytes))
            ok := staticcall(gas(), 0x05, sumInput, inputBytes, add(sumInput, 0x60), wideBytes)
            ok := and(ok, eq(returndatasize(), wideBytes))
            ok := and(ok, staticcall(gas(), 0x05, differenceInput, inputBytes, add(differenceInput, 0x60), wideBytes))
            ok := and(ok, eq(returndatasize(), wideBytes))
        }
        if (!ok) revert PaillierMathModExpFailed();
        _quarterDifference(sumInput + 0x60, differenceInput + 0x60, product, length);
    }

    /// @dev Writes a + b and |a − b| (`length` bytes each) as `length + 32`-byte numbers at
    /// `sumBase` and `differenceBase`. Both are larger + smaller and larger − smaller: the first
    /// word that differs, from the top, decides which is larger (almost always the first word).
    /// Two words per iteration: the number of words is even (N is twice n's length).
    function _sumAndDifference(bytes memory a, bytes memory b, uint256 sumBase, uint256 differenceBase, uint256 length)
        private
        pure
    {
        assembly ("memory-safe") {
            let larger := add(a, 0x20)
            let smaller := add(b, 0x20)
            for { let offset := 0 } lt(offset, length) { offset := add(offset, 0x20) } {
                let x := mload(add(larger, offset))
                let y := mload(add(smaller, offset))
                if iszero(eq(x, y)) {
                    if lt(x, y) {
                        larger := add(b, 0x20)
                        smaller := add(a, 0x20)
                    }
                    break
                }
            }
            let carry := 0
            let borrow := 0
            let sumWords := add(sumBase, 0x20)
            let differenceWords := add(differenceBase, 0x20)
            for { let offset := length } offset {} {
                offset := sub(offset, 0x20)
                let g := mload(add(larger, offset))
                let l := mload(add(smaller, offset))
                let t := add(g, l)
                let s := add(t, carry)
                carry := or(lt(t, g), lt(s, t))
                mstore(add(sumWords, offset), s)
                t := sub(g, l)
                mstore(add(differenceWords, offset), sub(t, borrow))
                borrow := or(lt(g, l), lt(t, borrow))

                offset := sub(offset, 0x20)
                g := mload(add(larger, offset))
                l := mload(add(smaller, offset))
                t := add(g, l)
                s := add(t, carry)
                carry := or(lt(t, g), lt(s, t))
                mstore(add(sumWords, offset), s)
                t := sub(g, l)
                mstore(add(differenceWords, offset), sub(t, borrow))
                borrow := or(lt(g, l), lt(t, borrow))
            }
            mstore(sumBase, carry)
            mstore(differenceBase, 0)
        }
    }

    /// @dev product := ((x − y) mod 4N) >> 2 for x at `sumBase` and y at `differenceBase`
    /// (`length + 32` bytes each, below 4N; 4N follows x's input at sumBase + length + 64).
    /// z's lowest word comes first, since it has no word below to shift into; then product
    /// word j = (z word j + 1) >> 2 | (z word j) << 254, two words per iteration.
    function _quarterDifference(uint256 sumBase, uint256 differenceBase, bytes memory product, uint256 length)
        private
        pure
    {
        bool xBelow;
        assembly ("memory-safe") {
            for { let offset := 0 } lt(offset, add(length, 0x20)) { offset := add(offset, 0x20) } {
                let x := mload(add(sumBase, offset))
                let y := mload(add(differenceBase, offset))
                if iszero(eq(x, y)) {
                    xBelow := lt(x, y)
                    break
                }
            }
        }
        if (xBelow) _quarterOfSumWith4N(sumBase, differenceBase, product, length);
        else _quarterOfDifference(sumBase, differenceBase, product, length);
    }

    /// @dev product := (x − y) >> 2, for x ≥ y (see `_quarterDifference`).
    function _quarterOfDifference(uint256 sumBase, uint256 differenceBase, bytes memory product, uint256 length)
        private
        pure
    {
        assembly ("memory-safe") {
            let out := add(product, 0x20)
            let x := mload(add(sumBase, length))
            let y := mload(add(differenceBase, length))
            let above := sub(x, y) // the word of z below the current one
            let borrow := lt(x, y)
            for { let offset := length } offset {} {
                offset := sub(offset, 0x20)
                x := mload(add(sumBase, offset))
                y := mload(add(differenceBase, offset))
                let t := sub(x, y)
                let z := sub(t, borrow)
                borrow := or(lt(x, y), lt(t, borrow))
                mstore(add(out, offset), or(shr(2, above), shl(254, z)))

                offset := sub(offset, 0x20)
                x := mload(add(sumBase, offset))
                y := mload(add(differenceBase, offset))
                t := sub(x, y)
                above := sub(t, borrow)
                borrow := or(lt(x, y), lt(t, borrow))
                mstore(add(out, offset), or(shr(2, z), shl(254, above)))
            }
        }
    }

    /// @dev product := (4N − y + x) >> 2, for x < y (see `_quarterDifference`).
    function _quarterOfSumWith4N(uint256 sumBase, uint256 differenceBase, bytes memory product, uint256 length)
        private
        pure
    {
        assembly ("memory-safe") {
            let quadruple := add(sumBase, add(length, 0x40))
            let m := mload(add(quadruple, length))
            let y := mload(add(differenceBase, length))
            let t := sub(m, y)
            let borrow := lt(m, y)
            let above := add(t, mload(add(sumBase, length))) // the word of z below the current one
            let carry := lt(above, t)
            product := add(product, 0x20) // its data
            for { let offset := length } offset {} {
                offset := sub(offset, 0x20)
                m := mload(add(quadruple, offset))
                y := mload(add(differenceBase, offset))
                t := sub(m, y)
                let u := sub(t, borrow)
                borrow := or(lt(m, y), lt(t, borrow))
                t := add(u, mload(add(sumBase, offset)))
                let z := add(t, carry)
                carry := or(lt(t, u), lt(z, t))
                mstore(add(product, offset), or(shr(2, above), shl(254, z)))

                offset := sub(offset, 0x20)
                m := mload(add(quadruple, offset))
                y := mload(add(differenceBase, offset))
                t := sub(m, y)
                u := sub(t, borrow)
                borrow := or(lt(m, y), lt(t, borrow))
                t := add(u, mload(add(sumBase, offset)))
                above := add(t, carry)
                carry := or(lt(t, u), lt(above, t))
                mstore(add(product, offset), or(shr(2, z), shl(254, above)))
            }
        }
    }

    /// @notice ciphertext := E(amount) = 1 + amount·n mod N, or E(−amount) = N + 1 − amount·n,
    /// the encryption of a public amount with randomness 1.
    /// @dev NOTE: not hiding (anyone can compute it from the amount): for amounts that are public
    /// anyway, such as a deposit's msg.value. amount·n is computed with `mulMod`, exact since
    /// amount < n. Requires 0 < amount < n for the negation (1 ≤ result < N).
    /// @param workspace A loaded workspace.
    /// @param n The output of `nOperand`.
    /// @param amount The plaintext's absolute value, below n.
    /// @param negative True for E(−amount).
    /// @param ciphertext Receives the ciphertext, `workspace.words` words.
    function encryptPublic(
        Workspace memory workspace,
        bytes memory n,
        uint256 amount,
        bool negative,
        bytes memory ciphertext
    ) internal view {
        uint256 length = workspace.words << 5;
        bytes memory factor = new bytes(length);
        assembly ("memory-safe") {
            mstore(add(factor, length), amount) // the lowest word
        }
        mulMod(workspace, factor, n, ciphertext);
        bytes memory nSquared = workspace.nSquared;
        assembly ("memory-safe") {
            let data := add(ciphertext, 0x20)
            if negative {
                // N − amount·n: no borrow out of the top word, since amount·n < N
                let bound := add(nSquared, 0x20)
                let borrow := 0
                for { let offset := length } offset {} {
                    offset := sub(offset, 0x20)
                    let m := mload(add(bound, offset))
                    let v := mload(add(data, offset))
                    let u := sub(m, v)
                    mstore(add(data, offset), sub(u, borrow))
                    borrow := or(lt(m, v), lt(u, borrow))
                }
            }
            // + 1: stays below N in both cases (amount·n ≤ N − n; N − amount·n ≤ N − n)
            for { let offset := length } offset {} {
                offset := sub(offset, 0x20)
                let v := add(mload(add(data, offset)), 1)
                mstore(add(data, offset), v)
                if v { break } // no carry
            }
        }
    }
}
