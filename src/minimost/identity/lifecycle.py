"""Account lifecycle hooks: what other features do in memory when an account changes.

Auth writes the rows of every account change itself; features that keep something in
memory about users (presence's live states, the hub's open sockets) subscribe here in
their own ``register()`` rather than auth calling into them. Hooks are awaited in
registration (feature) order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..runtime import Runtime, need

AccountHook = Callable[[str], Awaitable[None]]
SessionsEnded = Callable[[str, list[str]], Awaitable[None]]


@dataclass
class AccountLifecycle:
    created: list[AccountHook] = field(default_factory=list)
    signed_out: list[AccountHook] = field(default_factory=list)
    removed: list[AccountHook] = field(default_factory=list)
    sessions_ended: list[SessionsEnded] = field(default_factory=list)

    def on_created(self, hook: AccountHook) -> None:
        """Be told the username of each new account, once its rows are written."""
        self.created.append(hook)

    def on_signed_out(self, hook: AccountHook) -> None:
        """Be told a user signed out everywhere (every session already ended)."""
        self.signed_out.append(hook)

    def on_removed(self, hook: AccountHook) -> None:
        """Be told an account is being deleted, before its sessions end."""
        self.removed.append(hook)

    def on_sessions_ended(self, hook: SessionsEnded) -> None:
        """Be told ``(username, [sid, …])`` whenever sessions are ended server-side."""
        self.sessions_ended.append(hook)

    async def account_created(self, username: str) -> None:
        for hook in self.created:
            await hook(username)

    async def account_signed_out(self, username: str) -> None:
        for hook in self.signed_out:
            await hook(username)

    async def account_removed(self, username: str) -> None:
        for hook in self.removed:
            await hook(username)

    async def ended_sessions(self, username: str, sids: list[str]) -> None:
        for hook in self.sessions_ended:
            await hook(username, sids)


def accounts_of(runtime: Runtime) -> AccountLifecycle:
    """The account hooks, which auth (always on, registered first) sets up."""
    return need(runtime.services.accounts, "account lifecycle")
