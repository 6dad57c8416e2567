"""No per-message compression on websockets.

Hypercorn 0.18 accepts permessage-deflate whenever a client offers it (browsers always
do), and the choice is hard-coded in its handshake. Each small JSON frame is then
compressed separately for every connection: measured, a quarter of the worker's CPU
and about 140 KB of memory per connection under fan-out, to save bandwidth a LAN does
not lack. So the server declines the offer. This swaps the extension class Hypercorn's
handshake instantiates; ``tests/realtime/test_realtime.py`` checks that no extension is
negotiated, so a Hypercorn upgrade that changes this is noticed.
"""

from __future__ import annotations

from wsproto.extensions import PerMessageDeflate

from ..reaches import decline_websocket_extension


class DeclinedPerMessageDeflate(PerMessageDeflate):
    """The deflate extension, always declining the client's offer."""

    def accept(self, offer: str) -> bool:
        return False


def decline_websocket_compression() -> None:
    decline_websocket_extension(DeclinedPerMessageDeflate)
