"""A recording stand-in for the Azure CLI, for tests of the azd hooks in scripts/.

Installed as ``az`` on PATH, it appends each call (its arguments, and the JSON body of an
``az rest --body @file``) to a log, and answers from a JSON state file as the real commands
answer the queries the hooks use (azure-cli's ``az functionapp keys list/set`` and
``az rest``). Anything else fails, so a hook cannot call what the test did not expect.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    state_path = Path(os.environ["FAKE_AZ_STATE"])
    state: dict[str, Any] = json.loads(state_path.read_text())
    options = _options(argv)
    entry: dict[str, Any] = {"argv": argv}
    code = 0
    if argv[:3] == ["functionapp", "keys", "list"]:
        code = _keys_list(state, options)
    elif argv[:3] == ["functionapp", "keys", "set"]:
        code = _keys_set(state, options)
    elif argv[:1] == ["rest"] and options.get("--body", "").startswith("@"):
        body_file = Path(options["--body"][1:])
        entry["body_file"] = str(body_file)
        entry["body"] = json.loads(body_file.read_text())
        state["resources"][options["--url"]] = entry["body"]
    else:
        print(f"fake az: unexpected call {argv}", file=sys.stderr)
        code = 2
    with Path(os.environ["FAKE_AZ_LOG"]).open("a") as log:
        log.write(json.dumps(entry) + "\n")
    state_path.write_text(json.dumps(state))
    return code


def _options(argv: list[str]) -> dict[str, str]:
    return {
        name: value
        for name, value in zip(argv, [*argv[1:], ""], strict=True)
        if name.startswith("--")
    }


def _keys_list(state: dict[str, Any], options: dict[str, str]) -> int:
    """A host that is not up answers an error (the hook must cope); else the key, or an
    empty line where az prints a missing property with ``--output tsv``."""
    if state.get("host_down", 0) > 0:
        state["host_down"] -= 1
        print(
            "ERROR: Encountered an error (InternalServerError) from host runtime.", file=sys.stderr
        )
        return 1
    name = options["--query"].removeprefix("systemKeys.")
    print(state["system_keys"].get(name, ""))
    return 0


def _keys_set(state: dict[str, Any], options: dict[str, str]) -> int:
    """Without --key-value the host generates the key; ``--query value`` prints it."""
    if state.get("host_down", 0) > 0:
        return 1
    assert "--key-value" not in options, "the hook must not put a key on the command line"
    value = secrets.token_urlsafe(40)
    state["system_keys"][options["--key-name"]] = value
    print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
