"""Webhooks' rules and registry: SSRF refusals (a raw IP, a decimal IP, IPv6 loopback, a
name resolving to 127.0.0.1, metadata addresses in dev mode too), names, events, secrets,
delivery ids, the retry schedule setting, and the registry over the in-memory store."""

from __future__ import annotations

import base64
import ipaddress

import pytest

from chat.app.webhooks import Answer, Network, Outgoing, WebhookService
from chat.domain.errors import InvalidRequest, UnsafeWebhookUrl, WebhookNotFound, WebhooksNotEnabled
from chat.domain.webhooks import (
    Address,
    address_problem,
    decode_failures_token,
    delivery_id,
    encode_failures_token,
    jittered,
    new_secret,
    url_problem,
)
from chat.settings import DEFAULT_WEBHOOK_RETRY_SCHEDULE, SettingsError, load_settings
from tests.fixtures.chat import InMemoryWebhooks, MemoryQueue
from webhooks.network import HttpNetwork


class Names:
    """A network whose names resolve as the test says, and which posts nothing."""

    def __init__(self, **names: str) -> None:
        self.names = {name.replace("_", "."): texts for name, texts in names.items()}

    def addresses(self, host: str) -> list[Address]:
        texts = self.names.get(host, "")
        return [ipaddress.ip_address(text) for text in texts.split(",") if text]

    def send(self, outgoing: Outgoing) -> Answer:
        raise AssertionError("a registration posts nothing")


def registry(*, dev: bool, network: Network | None = None) -> WebhookService:
    chosen = network or Names(public_example="93.184.215.14", internal_example="10.1.2.3")
    return WebhookService(InMemoryWebhooks(), MemoryQueue(), chosen, dev=dev, schedule=(1,))


REFUSED_OUTSIDE_DEV = [
    pytest.param("https://127.0.0.1/", "loopback", id="raw-ip-loopback"),
    pytest.param("https://10.0.0.7/", "private", id="raw-ip-private"),
    pytest.param("https://2130706433/", "must not write an address", id="decimal-ip"),
    pytest.param("https://0x7f000001/", "must not write an address", id="hex-ip"),
    pytest.param("https://0177.0.0.1/", "must not write an address", id="octal-ip"),
    pytest.param("https://127.1/", "must not write an address", id="short-ip"),
    pytest.param("https://[::1]/", "loopback", id="ipv6-loopback"),
    pytest.param("https://[::ffff:127.0.0.1]/", "loopback", id="ipv4-mapped-loopback"),
    pytest.param("https://[fc00::1]/", "unique-local", id="ipv6-unique-local"),
    pytest.param("https://[64:ff9b::7f00:1]/", "127.0.0.1 is a loopback", id="nat64-loopback"),
    pytest.param("https://[2002:7f00:1::]/", "127.0.0.1 is a loopback", id="6to4-loopback"),
    pytest.param("https://[fe80::1]/", "link-local", id="ipv6-link-local"),
    pytest.param("https://0.0.0.0/", "unspecified", id="unspecified"),
    pytest.param("https://224.0.0.1/", "multicast", id="multicast"),
    pytest.param("https://100.64.0.1/", "not on the public internet", id="shared-cgnat"),
    pytest.param("https://internal.example/", "10.1.2.3 is a private", id="name-to-private"),
    pytest.param("https://nowhere.example/", "does not resolve", id="unresolvable"),
    pytest.param("http://public.example/", "must be https", id="plain-http"),
    pytest.param("https://user:pw@public.example/", "user name or password", id="userinfo"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED_OUTSIDE_DEV)
def test_outside_dev_mode_unsafe_urls_are_refused_saying_why(url: str, why: str) -> None:
    webhooks = registry(dev=False)

    with pytest.raises(UnsafeWebhookUrl, match=why):
        webhooks.register("crm", url, ["message.created"])
    assert webhooks.webhooks() == []


def test_a_name_the_system_resolves_to_loopback_is_refused_outside_dev_mode() -> None:
    """``localhost`` is resolved by the real resolver (the hosts file): 127.0.0.1 or ::1."""
    webhooks = registry(dev=False, network=HttpNetwork())

    with pytest.raises(UnsafeWebhookUrl, match=r"localhost.* resolves to .* loopback"):
        webhooks.register("crm", "https://localhost:8443/hook", ["message.created"])


METADATA = [
    pytest.param("http://169.254.169.254/latest/meta-data/", id="imds"),
    pytest.param("http://169.254.0.1/", id="link-local-v4"),
    pytest.param("http://[fd00:ec2::254]/", id="aws-imds-v6"),
    pytest.param("http://168.63.129.16/", id="azure-wireserver"),
    pytest.param("http://[::ffff:169.254.169.254]/", id="mapped-imds"),
    pytest.param("http://metadata.example/", id="name-to-imds"),
]


@pytest.mark.parametrize("url", METADATA)
@pytest.mark.parametrize("dev", [False, True], ids=["prod", "dev"])
def test_metadata_and_link_local_addresses_are_refused_in_every_mode(url: str, dev: bool) -> None:
    webhooks = registry(dev=dev, network=Names(metadata_example="169.254.169.254"))

    with pytest.raises(UnsafeWebhookUrl, match="url"):
        webhooks.register(
            "crm", url.replace("http:", "https:") if not dev else url, ["message.created"]
        )


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:7071/hook", "http://[::1]:7071/", "http://localhost:7071/"]
)
def test_dev_mode_allows_loopback_and_plain_http(url: str) -> None:
    webhooks = registry(dev=True, network=HttpNetwork())

    assert webhooks.register("local", url, ["message.created"]).created is True


def test_dev_mode_still_refuses_private_addresses() -> None:
    with pytest.raises(UnsafeWebhookUrl, match="private"):
        registry(dev=True).register("crm", "http://internal.example/", ["message.created"])


def test_a_public_https_receiver_is_registered_with_a_standard_secret_once() -> None:
    webhooks = registry(dev=False)

    created = webhooks.register("crm", "https://public.example/in", ["message.created"])
    updated = webhooks.register("crm", "https://public.example/v2", ["message.deleted"])

    assert created.created is True
    assert updated.created is False
    assert updated.webhook.secret == created.webhook.secret
    assert updated.webhook.incarnation == created.webhook.incarnation
    assert (updated.webhook.url, updated.webhook.events) == (
        "https://public.example/v2",
        ("message.deleted",),
    )
    assert created.webhook.secret not in repr(created)


def test_a_secret_is_whsec_and_the_base64_of_at_least_24_random_bytes() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24
    assert new_secret() != secret


@pytest.mark.parametrize(
    ("events", "why"),
    [([], "one or more"), (["message.read"], "one or more of message.created")],
)
def test_unknown_or_no_events_are_refused(events: list[str], why: str) -> None:
    with pytest.raises(InvalidRequest, match=why):
        registry(dev=False).register("crm", "https://public.example/", events)


@pytest.mark.parametrize("name", ["", "a/b", "..", " x", "x" * 129, "a%2Fb"])
def test_names_follow_the_id_rule(name: str) -> None:
    with pytest.raises(InvalidRequest, match="name"):
        registry(dev=False).register(name, "https://public.example/", ["message.created"])


def test_removing_an_unknown_webhook_is_not_found() -> None:
    with pytest.raises(WebhookNotFound):
        registry(dev=False).remove("crm")


def test_without_a_queue_the_registry_is_not_enabled_and_events_go_nowhere() -> None:
    webhooks = WebhookService(InMemoryWebhooks(), None, Names(), dev=False, schedule=())

    with pytest.raises(WebhooksNotEnabled):
        webhooks.register("crm", "https://public.example/", ["message.created"])
    assert webhooks.enqueue("e1", "message.created", {}) == 0


def test_only_subscribed_webhooks_get_a_delivery_each_with_its_own_id() -> None:
    queue = MemoryQueue()
    names = Names(public_example="93.184.215.14")
    webhooks = WebhookService(InMemoryWebhooks(), queue, names, dev=False, schedule=())
    webhooks.register("a", "https://public.example/a", ["message.created"])
    webhooks.register("b", "https://public.example/b", ["message.created", "message.updated"])

    assert webhooks.enqueue("o1.0", "message.updated", {"id": "m1"}) == 1
    assert webhooks.enqueue("o1.1", "message.created", {"id": "m1"}) == 2

    ids = [body["webhookId"] for body in queue.visible()]
    assert ids == [delivery_id("o1.0", "b"), delivery_id("o1.1", "a"), delivery_id("o1.1", "b")]
    assert all("secret" not in body for body in queue.visible())
    assert not any(w.secret in str(queue.visible()) for w in webhooks.webhooks())


def test_delivery_ids_are_deterministic_and_differ_per_webhook() -> None:
    assert delivery_id("o1.0", "a") == delivery_id("o1.0", "a")
    assert delivery_id("o1.0", "a") != delivery_id("o1.0", "b")
    assert delivery_id("o1.0", "a").startswith("msg_")


def test_jitter_stays_within_a_fifth_either_way() -> None:
    assert jittered(100, -1) == 80
    assert jittered(100, 1) == 120
    assert jittered(100, 5) == 120


def test_the_address_rules_allow_public_addresses_only_outside_dev() -> None:
    assert address_problem(ipaddress.ip_address("93.184.215.14"), dev=False) is None
    assert address_problem(ipaddress.ip_address("2606:4700::1111"), dev=False) is None
    assert address_problem(ipaddress.ip_address("127.0.0.1"), dev=True) is None
    assert address_problem(ipaddress.ip_address("192.168.1.1"), dev=True) is not None


def test_a_dotted_quad_and_names_pass_the_text_rules() -> None:
    assert url_problem("https://93.184.215.14/x?y=1", dev=False) is None
    assert url_problem("https://hooks.example.com:8443/in", dev=False) is None
    assert url_problem("https://hooks.example.com/#frag", dev=False) is not None
    assert url_problem("https://h.example:99999/", dev=False) is not None
    assert url_problem("ftp://h.example/", dev=True) is not None


def test_a_failures_token_round_trips_and_a_forged_one_is_refused() -> None:
    key = "0" * 12 + "a" * 40

    assert decode_failures_token(encode_failures_token(key)) == key
    with pytest.raises(InvalidRequest, match="continuationToken"):
        decode_failures_token("f1.zz")


def test_the_retry_schedule_setting_defaults_to_about_a_day() -> None:
    settings = load_settings({"DOCCHAT_AUTH": "dev", "DOCCHAT_ACCESS": "open"})

    assert settings.webhook_retry_schedule == DEFAULT_WEBHOOK_RETRY_SCHEDULE
    assert 20 * 3600 < sum(DEFAULT_WEBHOOK_RETRY_SCHEDULE) < 30 * 3600
    short = load_settings(
        {
            "DOCCHAT_AUTH": "dev",
            "DOCCHAT_ACCESS": "open",
            "DOCCHAT_WEBHOOK_RETRY_SCHEDULE": "1, 1,1",
        }
    )
    assert short.webhook_retry_schedule == (1, 1, 1)


@pytest.mark.parametrize("value", ["1,x", "-1", "nan", "inf", "700000", ",".join(["1"] * 21)])
def test_a_wrong_retry_schedule_stops_the_app_naming_the_setting(value: str) -> None:
    with pytest.raises(SettingsError, match="DOCCHAT_WEBHOOK_RETRY_SCHEDULE"):
        load_settings(
            {
                "DOCCHAT_AUTH": "dev",
                "DOCCHAT_ACCESS": "open",
                "DOCCHAT_WEBHOOK_RETRY_SCHEDULE": value,
            }
        )
