"""shared.settled_session.Session against a real server: it honours what requests takes from
the environment (a proxy, NO_PROXY, a CA bundle), reads it once per origin, and never lets a
~/.netrc entry replace the Authorization header a client signed its request with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shared import settled_session
from shared.settled_session import Session
from tests.integration.recording_server import RecordingServer, recording_server

__all__ = ["recording_server"]

#: A host that resolves nowhere: a call to it arrives only through a proxy.
PROXIED = "http://docchat-proxied.invalid"
#: A port nothing listens on: a call that went to it would fail.
NOWHERE = "http://127.0.0.1:9"
TIMEOUT = 5


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No proxy, CA bundle or netrc from the machine's environment, and nothing remembered
    from another test's."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"):
        for variant in (name, name.lower()):
            monkeypatch.delenv(variant, raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    _forget()
    yield
    _forget()


def _forget() -> None:
    settled_session._environment_proxies.cache_clear()
    settled_session._environment_ca_bundle.cache_clear()


def test_a_proxy_the_environment_names_carries_the_calls(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", recording_server.url)

    answer = Session().get(f"{PROXIED}/documents", timeout=TIMEOUT)

    assert answer.status_code == 200
    [arrived] = recording_server.requests
    assert arrived.headers["host"] == "docchat-proxied.invalid"
    assert arrived.path == "/documents"


def test_no_proxy_sends_a_call_to_its_host_directly(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", NOWHERE)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    answer = Session().get(f"{recording_server.url}/direct", timeout=TIMEOUT)

    assert answer.status_code == 200
    assert [request.path for request in recording_server.requests] == ["/direct"]


def test_a_proxy_the_call_names_wins_over_the_environments(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", NOWHERE)

    answer = Session().get(
        f"{PROXIED}/named", proxies={"http": recording_server.url}, timeout=TIMEOUT
    )

    assert answer.status_code == 200
    assert recording_server.requests[0].headers["host"] == "docchat-proxied.invalid"


def test_the_environment_is_read_once_per_origin(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    origins: list[str] = []
    read = requests.utils.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        origins.append(url)
        return read(url, no_proxy)

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counted)
    session = Session()
    for path in ("/a", "/b?x=1", "/c"):
        assert session.get(f"{recording_server.url}{path}", timeout=TIMEOUT).status_code == 200
    second = recording_server.url.replace("127.0.0.1", "localhost")
    assert session.get(f"{second}/d", timeout=TIMEOUT).status_code == 200

    assert origins == [recording_server.url, second]
    assert len(recording_server.requests) == 4


def test_a_netrc_entry_never_replaces_the_authorization_a_client_signed_with(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    signed = {"Authorization": "Bearer signed-by-the-client"}

    requests.Session().get(f"{recording_server.url}/plain", headers=signed, timeout=TIMEOUT)
    Session().get(f"{recording_server.url}/settled", headers=signed, timeout=TIMEOUT)

    plain, settled = recording_server.requests
    assert plain.headers["authorization"].startswith("Basic ")  # what requests alone does
    assert settled.headers["authorization"] == "Bearer signed-by-the-client"


def test_a_ca_bundle_the_environment_names_verifies_tls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))

    with pytest.raises(OSError, match=r"no-such-bundle\.pem"):
        Session().get("https://127.0.0.1:9/", timeout=TIMEOUT)
