"""Every built-in role infra/ assigns is named by the id Azure gives it, and the identity
gets each role docchat needs (the ids as ../shared/REFERENCE.md section 10 lists them)."""

import re

from tests.infra.bicep import Template, bicep_files

#: Built-in role definition ids, by the variable name the templates give each.
BUILT_IN_ROLES = {
    "cosmosDbBuiltInDataContributor": "00000000-0000-0000-0000-000000000002",
    "signalrAppServer": "420fcaa2-552c-430f-98ca-3264be4806c7",
    "signalrServiceOwner": "7e4f1700-ea5a-4f59-8f37-079cfe29dce3",
    "signalrRestApiOwner": "fd53cd77-2268-407a-8f46-7e7863d0f521",
    "webPubSubServiceOwner": "12cf5a90-567b-43ae-8102-96cf46c7d9b4",
    "storageBlobDataOwner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "storageQueueDataContributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "monitoringMetricsPublisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
#: What docchat's identity must be able to do: its data, the real-time service's data plane
#: (negotiate and REST), the Flex deployment package and host storage, the work queues, and
#: its telemetry.
NEEDED = {
    "cosmosDbBuiltInDataContributor",
    "signalrServiceOwner",
    "webPubSubServiceOwner",
    "storageBlobDataOwner",
    "storageQueueDataContributor",
    "monitoringMetricsPublisher",
}
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def role_variables() -> dict[str, str]:
    """Each variable in infra/ whose value is a GUID, by name (one name, one id)."""
    found: dict[str, str] = {}
    for path in bicep_files():
        template = Template(path)
        for name in template.variables:
            value = template.variable(name, {})
            if isinstance(value, str) and GUID.fullmatch(value):
                assert found.setdefault(name, value) == value, f"{name} differs in {path}"
    return found


def test_each_role_id_is_the_built_in_roles() -> None:
    roles = role_variables()
    assert set(roles) <= set(BUILT_IN_ROLES), set(roles) - set(BUILT_IN_ROLES)
    assert {name: BUILT_IN_ROLES[name] for name in roles} == roles


def test_the_identity_gets_every_role_docchat_needs() -> None:
    assert set(role_variables()) >= NEEDED


def test_no_role_id_is_written_out_anywhere_else() -> None:
    """A GUID outside a named variable would escape the checks above."""
    for path in bicep_files():
        text = path.read_text()
        for line in text.splitlines():
            if GUID.search(line):
                assert re.match(r"var \w+ = '" + GUID.pattern + "'$", line.strip()), line
