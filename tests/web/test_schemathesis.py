"""The API checked against its own description by schemathesis (issue 11, item 21).

Every operation of /api/v1/openapi.json gets generated requests (valid ones, then invalid ones) through the
app's ASGI transport, with an API token of a user holding every role; each answer must be no server error
and match what the description says of it (status, content type, body schema, headers). Bounded: a fixed
number of examples per operation and mode, and a time limit for the whole walk, so CI runs it on every push.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.web.conftest import FAST, PASSWORD, ROOT, T0, Clock, World, make_app
from vigilant.security.auth import AuthService
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import Database
from vigilant.triage import launcher

EXAMPLES = 12  # per operation and generation mode
TIME_LIMIT_S = 240.0  # the whole walk; an operation not reached by then fails the test
# Revoking tokens at random would revoke the one this walk uses (its ids are small numbers too).
SKIPPED = {("DELETE", "/api/v1/tokens/{token_id}")}
# Every check runs but one: "a schema-valid request is accepted". The API refuses some schema-valid requests
# on rules a JSON schema does not say (a case number already used, an agency name no agency has, an anchor
# that is no anchor), with 422 and the documented ErrorOut: status and body are checked against the
# description like any other answer.
EXCLUDED_CHECKS = [positive_data_acceptance]


def _token(db: Database, world: World) -> str:
    made = UserService(db, passwords=FAST).create(
        ROOT, "schema-walker", PASSWORD, roles=frozenset(Role), agency_id=world.own_agency, now=T0
    )
    actor = Actor(made.user_id, made.username, frozenset(Role), world.own_agency)
    # Created after every other token, so that none of the small ids a walk tries is this one.
    return AuthService(db, passwords=FAST).create_api_token(actor, "schemathesis", now=T0).token


@pytest.mark.slow  # about 40 s per engine on two shared cores
def test_the_api_answers_as_its_description_says(
    db: Database, tmp_path: Path, clock: Clock, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A started run would start a worker process: the walk records the run and starts nothing.
    monkeypatch.setattr(launcher, "launch", lambda *_args, **_kwargs: None)
    app = make_app(db, tmp_path, clock)
    auth = {"Authorization": f"Bearer {_token(db, world)}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=auth)
    deadline = time.monotonic() + TIME_LIMIT_S
    failures: list[str] = []
    walked: list[str] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):  # a part of the description schemathesis cannot read: a failure
            failures.append(f"unreadable description: {result.err()}")
            continue
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.method.upper()} {operation.path} ({mode.value})"
            if time.monotonic() > deadline:
                failures.append(f"{label}: not reached within {TIME_LIMIT_S:.0f} s")
                continue
            problem = _walk(operation, mode, auth)
            walked.append(label)
            if problem:
                failures.append(f"{label}: {problem}")
    assert len(walked) >= 40  # every operation, both modes: the walk is not passing by skipping
    assert not failures, "\n\n".join(failures)


def _walk(operation: Any, mode: GenerationMode, auth: dict[str, str]) -> str | None:
    """The first failure schemathesis finds in ``EXAMPLES`` requests, in words; None if there is none."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure here is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        case.call_and_validate(headers=auth, excluded_checks=EXCLUDED_CHECKS)

    try:
        check()
    except Unsatisfiable:  # no parameter at all: nothing can be made invalid
        return None
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' failures say the request and the problem
        return str(exc)[:3000]
    return None
