"""Run every benchmark in turn: ``python -m bench`` (what ``make bench`` runs).

Each runs in its own interpreter so one's imports and servers never colour another's
figures; the first failure stops the run with its exit code.
"""

import subprocess
import sys

BENCHMARKS = (
    "bench.chat_path",
    "bench.signalr_fanout",
    "bench.webpubsub_fanout",
    "bench.soak",
    "bench.outages",
    "bench.catch_up",
    "bench.hot_document",
    "bench.big_room",
    "bench.reconnect_storm",
    "bench.request_costs",
    "bench.read_markers",
    "bench.notifications",
)


def main() -> int:
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        code = subprocess.call([sys.executable, "-m", name])  # noqa: S603 (fixed modules)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
