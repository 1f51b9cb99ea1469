"""Test helpers that are not fixtures."""

from __future__ import annotations

#: The voting period of the consortium the tests deploy: three days, the deployment default.
VOTING_PERIOD_S = 3 * 24 * 3600


def custom_error(name: str, *args: object) -> str:
    """The revert string Brownie reports for a custom error: ``"Name: arg1, arg2"``.

    An error without arguments is ``"Name: "``, with the separator (Brownie 1.22's format).
    """
    return f"{name}: " + ", ".join(_format_arg(a) for a in args)


def _format_arg(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return repr(bytes(value))
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()  # Brownie prints addresses in custom errors in lower case
    return str(value)
