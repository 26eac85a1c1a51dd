#!/bin/sh
# `copilot bench mqtt` three times (JSON lines on stdout): ingest at 5,000 updates/s and
# request->reply overhead with the real Copilot on the embedded map. Targets: p99
# publish->state < 20 ms with no backlog; reply overhead over the ask time < 20 ms.
# Usage: bench/mqtt_bench.sh [RUNS] > results.jsonl   (see bench/mqtt_results.md)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
runs="${1:-3}"
i=0
while [ "$i" -lt "$runs" ]; do
    "$here/.venv/bin/copilot" bench mqtt --rate 5000 --seconds 5 --requests 120 \
        --map "$here/copilot/data/maps/harrisburg.osm.pbf" --json
    i=$((i + 1))
done
