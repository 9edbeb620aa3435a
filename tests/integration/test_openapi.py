"""The OpenAPI description against the running dev stack: schemathesis fuzzes it from the
description in two configurations (dev identity with open access; bearer tokens with
per-document members), in every phase: the examples, the coverage phase (each schema's
boundaries and the values just past them: empty strings, nulls, missing fields), random
fuzzing, and the stateful phase that follows the description's links (post a message, then
edit, react to and delete it; put a member, then remove them). Every answer must be one the
description lists, with the body and headers it lists, and none may be a 5xx. (That the
description names exactly the functions the app registers is test_function_app_contract's.)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest

from chat.api.routes import ROUTES
from devstack.stack import LocalStack

ISSUER, AUDIENCE = "https://issuer.test", "docchat-fuzz"
JWT_SECRET = "fuzzing-secret-that-is-long-enough-for-hs256"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)
#: Per operation: with 10 operations and both configurations, well over 1,000 requests.
EXAMPLES_PER_OPERATION = "50"
PHASES = "examples,coverage,fuzzing,stateful"


@pytest.fixture(scope="module", params=["dev-open", "jwt-members"])
def fuzzed_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalStack, list[str]]]:
    """The whole local stack in one configuration, and the headers that sign a request in."""
    settings = {"DOCCHAT_POST_BURST": "10000"}
    if request.param == "jwt-members":
        settings |= {
            "DOCCHAT_AUTH": "jwt",
            "DOCCHAT_ACCESS": "members",
            "DOCCHAT_JWT_ISSUER": ISSUER,
            "DOCCHAT_JWT_AUDIENCE": AUDIENCE,
            "DOCCHAT_JWT_SECRET": JWT_SECRET,
        }
    logs = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with LocalStack(log_dir=logs, settings_overrides=settings) as stack:
        yield stack, _identity_headers(request.param, stack)


def _identity_headers(configuration: str, stack: LocalStack) -> list[str]:
    headers = [f"x-functions-key: {stack.function_key}"]
    if configuration == "jwt-members":
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "fuzzer", "exp": time.time() + 3600}
        token = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
        return [*headers, f"Authorization: Bearer {token}"]
    return [*headers, "x-ms-client-principal-id: fuzzer"]


def test_every_answer_to_generated_requests_is_documented_and_none_is_a_5xx(
    fuzzed_stack: tuple[LocalStack, list[str]], tmp_path: Path
) -> None:
    stack, headers = fuzzed_stack
    har = tmp_path / "requests.har"
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run"),
        f"{stack.base_url.replace('localhost', '127.0.0.1')}/api/openapi.json",
        *("--checks", CHECKS, "--max-examples", EXAMPLES_PER_OPERATION, "--seed", "20261129"),
        *("--phases", PHASES),
        *("--generation-database", "none", "--no-color"),
        *("--report", "har", "--report-har-path", str(har)),
        *(part for header in headers for part in ("-H", header)),
    ]

    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603

    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    statuses = _statuses(har)
    print(f"schemathesis: {sum(statuses.values())} requests, statuses {dict(statuses)}")
    assert sum(statuses.values()) >= 500
    assert not [status for status in statuses if status >= 500]
    assert _operations_never_called(har) == []


def _operations_never_called(har: Path) -> list[str]:
    """The routes' operations no generated request reached (by path pattern and method);
    the description itself is what schemathesis reads, not an operation it tests."""
    called = {
        (entry["request"]["method"].lower(), urlsplit(entry["request"]["url"]).path)
        for entry in json.loads(har.read_text())["log"]["entries"]
    }
    missing = []
    for route in ROUTES:
        if route.name == "openapi":
            continue
        pattern = re.compile("/api/" + re.sub(r"\{\w+\}", "[^/]+", route.route) + "$")
        for method in route.methods:
            if not any(verb == method.lower() and pattern.match(path) for verb, path in called):
                missing.append(f"{method} {route.route}")
    return missing


def _statuses(har: Path) -> Counter[int]:
    entries: list[dict[str, Any]] = json.loads(har.read_text())["log"]["entries"]
    return Counter(entry["response"]["status"] for entry in entries)
