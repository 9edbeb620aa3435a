"""Flex Consumption's per-instance HTTP concurrency is set explicitly, in one place that the
Flex app, the worker's thread count and the dev host all read (docs/capacity.md says why)."""

from pathlib import Path
from typing import Any

from devstack.host.concurrency import PYTHON_DEFAULT_HTTP_CONCURRENCY, read_scale
from tests.infra.bicep import INFRA, Template

API = Template(INFRA / "app" / "api.bicep")
SETTINGS = Template(INFRA / "app" / "settings.bicep")


def scale_and_concurrency() -> dict[str, Any]:
    site = API.module("site", {})
    assert isinstance(site, dict)
    value: dict[str, Any] = site["params"]["functionAppConfig"]["scaleAndConcurrency"]
    return value


def test_the_flex_app_sets_its_http_concurrency_instead_of_pythons_default_of_one() -> None:
    """Azure docs functions-concurrency.md, "HTTP trigger concurrency": Python apps get 1 at
    every instance size unless triggers.http.perInstanceConcurrency says otherwise, which
    would keep appends to one document from ever sharing a batch on an instance."""
    cap = scale_and_concurrency()["triggers"]["http"]["perInstanceConcurrency"]
    assert isinstance(cap, int)
    assert cap > PYTHON_DEFAULT_HTTP_CONCURRENCY


def test_the_worker_gets_a_thread_for_each_invocation_the_instance_admits() -> None:
    cap = scale_and_concurrency()["triggers"]["http"]["perInstanceConcurrency"]
    runtime = SETTINGS.variable("runtimeSettings", {})
    assert isinstance(runtime, dict)
    assert runtime["PYTHON_THREADPOOL_THREAD_COUNT"] == str(cap)


def test_the_dev_host_honours_the_same_cap() -> None:
    cap = scale_and_concurrency()["triggers"]["http"]["perInstanceConcurrency"]
    assert read_scale(Path(INFRA).parent) == cap
