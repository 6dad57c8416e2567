"""Schemathesis over ``/openapi.json`` against a real Hypercorn, signed in.

Every documented operation gets 50 valid and 50 invalid generated requests (fixed seed:
hypothesis derandomized), sent with the session cookie and the ``X-CSRF-Token`` header.
No answer may be a server error, and every answer must match its documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.server import LiveServer, SignedInBrowser
from tests.reliability.live import live_server, sign_up

CASES_PER_OPERATION = 50
MINIMUM_CASES = 4_000
# Signing out would leave the rest of the run anonymous; it is covered by the auth tests.
LEFT_OUT = {("POST", "/logout")}
# Every limit far above what the run sends: the answers under test are the operations'.
NO_LIMITS = {"rate_limit_enabled": False}


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[tuple[LiveServer, SignedInBrowser]]:
    server = live_server(tmp_path, NO_LIMITS)
    try:
        yield server, sign_up(server, "fuzz")
    finally:
        server.close()


FRAMING_HEADERS = frozenset(
    {"transfer-encoding", "content-length", "connection", "host", "te", "upgrade"}
)


def _bare(name: str) -> str:
    return name.strip().strip(";:, ").lower()


def fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    base_url: str,
    session: requests.Session,
    failures: dict[str, str],
) -> int:
    """Run one operation's generated cases; note its first failure; return the count."""
    label = f"{operation.method.upper()} {operation.path} ({mode.value})"
    cases = 0

    @given(case=operation.as_strategy(mode))
    @hypothesis.settings(
        max_examples=CASES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        nonlocal cases
        cases += 1
        if case.headers:
            # How a request is framed on the wire is Hypercorn's to refuse (a 501 for a
            # transfer coding it does not know) before the app sees it; those refusals
            # are tested with raw sockets elsewhere, not generated here.
            for name in [name for name in case.headers if _bare(name) in FRAMING_HEADERS]:
                del case.headers[name]
        try:
            response = case.call(base_url=base_url, session=session, timeout=30)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except (Exception, BaseExceptionGroup) as failure:
            failures.setdefault(label, f"{failure}"[:2000])

    run()
    return cases


def test_every_operation_answers_within_its_schema(
    signed_in: tuple[LiveServer, SignedInBrowser],
) -> None:
    server, user = signed_in
    session = requests.Session()
    session.headers.update({"Cookie": user.cookie, "X-CSRF-Token": user.token})
    document = session.get(f"{server.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    failures: dict[str, str] = {}
    cases = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        if (operation.method.upper(), operation.path) not in LEFT_OUT:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                cases += fuzz(operation, mode, server.url, session, failures)
    assert cases >= MINIMUM_CASES
    assert failures == {}, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
