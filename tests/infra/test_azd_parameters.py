"""azd fills main.bicep's parameters from infra/main.parameters.json: each name there must be
a parameter, and each parameter without a default must be there."""

import json

from tests.infra.bicep import INFRA, Template


def test_the_parameters_file_names_main_bicep_parameters() -> None:
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    params = Template(INFRA / "main.bicep").params
    assert set(given) <= set(params), set(given) - set(params)
    assert {name for name, default in params.items() if default is None} <= set(given)
