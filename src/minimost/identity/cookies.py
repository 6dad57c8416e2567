"""The signed session cookie, checked once per distinct cookie instead of on every request.

The cookie keeps the original's format (Quart's signed cookie, as Flask wrote it). Every
request used to rebuild the signer, derive its key and check the signature, about a
tenth of the CPU of a small API call. A browser sends the same cookie for as long as it
is not re-signed (about every 30 s, when its activity stamp moves), so a cookie whose
signature has been verified is remembered with the time it was signed: it is accepted
again without the HMAC, and still refused once older than the session lifetime. Only
cookies that verified are remembered, so nothing forged can get in, and the
server-side session record is still checked on every request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from itsdangerous import BadSignature
from quart import Quart
from quart.sessions import SecureCookieSession, SecureCookieSessionInterface
from quart.wrappers import BaseRequestWebsocket

REMEMBERED_COOKIES = 4096


class RememberedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._verified: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()

    async def open_session(
        self, app: Quart, request: BaseRequestWebsocket
    ) -> SecureCookieSession | None:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not app.secret_key:
            return None
        if cookie is None:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        remembered = self._verified.get(cookie)
        if remembered is not None:
            data, signed_at = remembered
            if time.time() - signed_at <= max_age:
                self._verified.move_to_end(cookie)
                return self.session_class(dict(data))
            del self._verified[cookie]
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        try:
            data, signed = signer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        self._verified[cookie] = (dict(data), signed.timestamp())
        if len(self._verified) > REMEMBERED_COOKIES:
            self._verified.popitem(last=False)
        return self.session_class(data)
