"""Helpers put into ``brownie console``'s namespace by the project's start-up hook.

``session`` is a lazy :class:`~offchain.chain.Session` of the active network: on first use it
loads ``deployments/<network>.json`` and, on a local chain where the recorded contracts are not
deployed (a fresh Ganache), deploys them afresh. ``offchain`` is the package itself.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LazySession", "install_console_helpers"]


class LazySession:
    """Stands for the active network's :class:`~offchain.chain.Session` until first used."""

    def __init__(self) -> None:
        self._session: Any = None

    def _get(self) -> Any:
        if self._session is None:
            from offchain.chain import Session

            self._session = Session.load(deploy_if_missing=True)
        return self._session

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __dir__(self) -> list[str]:
        return ["anchor", "contract", "record", "registry"]

    def __repr__(self) -> str:
        if self._session is None:
            return "<Session of the active network, loaded on first use: try session.registry>"
        return repr(self._session)


def install_console_helpers() -> None:
    """Add ``session`` and ``offchain`` to the names ``brownie console`` starts with."""
    import brownie

    import offchain

    for name, value in (("session", LazySession()), ("offchain", offchain)):
        setattr(brownie, name, value)
        if name not in brownie.__all__:
            brownie.__all__.append(name)
