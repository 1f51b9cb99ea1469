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


def run_state_machine(rules_object: type, *args: object, settings: dict | None = None) -> None:
    """Run a Brownie rules object (``rule_*``, ``invariant*``, ``initialize*``, ``setup``) as a stateful test.

    The same contract as ``brownie.test.state_machine``: strategies are class attributes, named
    by a rule's parameter or its default value; ``__init__`` runs once, as a class method, with
    ``args``; the chain is snapshotted once and reverted before every example. Brownie 1.22.2
    ships that function compiled with mypyc, and its compiled base class refuses the subclass it
    generates (``TypeError: ..._BrownieStateMachine object expected``), so this plain Python
    equivalent runs the same rules objects until Brownie's works again.
    """
    import inspect
    from types import FunctionType

    from brownie import chain
    from hypothesis import settings as hypothesis_settings
    from hypothesis import stateful
    from hypothesis.strategies import SearchStrategy

    class Machine(rules_object, stateful.RuleBasedStateMachine):
        def __init__(self) -> None:
            chain.revert()
            stateful.RuleBasedStateMachine.__init__(self)
            if hasattr(self, "setup"):
                self.setup()

    strategies = {name: value for name, value in inspect.getmembers(rules_object) if isinstance(value, SearchStrategy)}

    def drawn(function: FunctionType) -> dict[str, SearchStrategy]:
        parameters = list(inspect.signature(function).parameters.values())[1:]  # after self
        return {p.name: strategies[p.default if isinstance(p.default, str) else p.name] for p in parameters}

    for name, function in inspect.getmembers(rules_object, lambda member: isinstance(member, FunctionType)):
        kind = name.partition("_")[0]
        if kind == "invariant":
            setattr(Machine, name, stateful.invariant()(function))
        elif kind == "rule":
            setattr(Machine, name, stateful.rule(**drawn(function))(function))
        elif kind == "initialize":
            setattr(Machine, name, stateful.initialize(**drawn(function))(function))
    if "__init__" in vars(rules_object):
        rules_object.__init__(Machine, *args)
    chain.snapshot()
    stateful.run_state_machine_as_test(Machine, settings=hypothesis_settings(**(settings or {})))
