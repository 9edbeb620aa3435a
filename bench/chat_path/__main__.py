"""``python -m bench.chat_path``: docchat's send path and cold start, with their aims.

Prints a table and writes bench/results/chat_path.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from bench.chat_path import cold_start, send_path

RESULTS = Path(__file__).resolve().parents[1] / "results" / "chat_path.json"
SEND_AIM = 1.15
TELEMETRY_AIM = 1.05
COLD_START_AIM = 0.6


def main() -> None:
    options = _parser().parse_args()
    # The local Cosmos DB server's certificate is self-signed; the SDK skips checking it.
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    timings = send_path.measure(options.iterations, options.warmup, options.latency_ms)
    imports = cold_start.measure(options.import_runs)
    for name, arm in timings.as_json().items():
        if isinstance(arm, dict):
            print(f"{name:>26}: p50 {arm['p50_ms']:7.2f} ms   p95 {arm['p95_ms']:7.2f} ms")
    print(_verdict("send_message / (batch + REST send) at p50", timings.ratio, SEND_AIM))
    sampled = timings.telemetry_ratio
    print(_verdict("send_message telemetry on (distro sampling) / off", sampled, TELEMETRY_AIM))
    every = timings.every_trace_ratio
    print(f"{'every trace recorded / off':>32}: {every:.2f}")
    cpu = timings.as_json()
    print(f"{'CPU per send, p50':>32}: {cpu['cpu_per_send_ms']:7.2f} ms")
    print(f"{'CPU per negotiate, p50':>32}: {cpu['cpu_per_negotiate_ms']:7.2f} ms")
    print(f"{'import function_app':>32}: {imports.app * 1e3:7.1f} ms")
    print(f"{'eager runtime dependencies':>32}: {imports.eager * 1e3:7.1f} ms")
    print(_verdict("import function_app / eager imports", imports.ratio, COLD_START_AIM))
    print(f"{'then, first negotiate imports':>32}: {imports.negotiate_first_call * 1e3:7.1f} ms")
    print(f"{'then, first send imports':>32}: {imports.send_first_call * 1e3:7.1f} ms")
    print(f"{'import function_app, traced':>32}: {imports.app_with_telemetry * 1e3:7.1f} ms")
    print(f"{'then, the Azure Monitor distro':>32}: {imports.distro_import * 1e3:7.1f} ms")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "latency_ms": options.latency_ms,
                "send_path": timings.as_json(),
                "cold_start": imports.as_json(),
            },
            indent=2,
        )
    )


def _verdict(what: str, ratio: float, aim: float) -> str:
    return f"{what}: {ratio:.2f} (aim <= {aim}: {'met' if ratio <= aim else 'MISSED'})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.chat_path", description=__doc__)
    parser.add_argument("--iterations", type=int, default=300, help="timed rounds per arm")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first")
    parser.add_argument("--import-runs", type=int, default=9, help="fresh interpreters per import")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="added to each answer of the Cosmos DB server and the SignalR emulator",
    )
    return parser


if __name__ == "__main__":
    main()
