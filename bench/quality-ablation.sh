#!/usr/bin/env bash
# The quality ablation (bench/RESULTS.md, "Quality"): short runs of configs/default.yml that differ in one
# thing each, every one evaluated on the Debian corpus's docstring test split by the CodeSearchNet protocol
# (secora eval, at most MAX pairs per language, BM25 beside it). Runs in sequence, niced; results in OUT.
#   bash bench/quality-ablation.sh [OUT] [STEPS] [MAX] [name ...]
# ABLATION_SETS="--set k=v ..." shrinks the model for a loaded machine (bench/RESULTS.md says what was run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/runs/ablation}
steps=${2:-300}
max=${3:-1000}  # one chunk of 1000 per language; --keep-last keeps a smaller test split (javascript: 750) whole
shift $(( $# > 3 ? 3 : $# )) || true
mkdir -p "$out"
corpus=$(cd "$root" && node -e "import('./dist/data/miner/default-corpus.js').then(async m => console.log((await m.defaultCorpus()).dir))")
common=(--set "training.max_steps=$steps" --set "validation.interval=$steps" --set validation.max_queries=200
  --set "checkpoint.interval=$steps" --set evaluation.test=false --set evaluation.index=false --set threads=2)
read -r -a extra <<< "${ABLATION_SETS:-}"
declare -A variant=(
  [v1-local]="--set data.default_corpus=local"
  [v2-baseline]=""
  [first-sentence]="--set training.query_views.first_sentence=0.5"
  [shortened]="--set training.query_views.shortened=0.5"
  [name]="--set training.query_views.name=0.3"
  [language]="--set training.query_views.language=0.3"
  [word-dropout]="--set training.query_views.word_dropout=0.1"
  [hard-negatives]="--set training.hard_negatives=1"
  [simcse-stage]="--set training.simcse_steps=$((steps / 3)) --set training.max_steps=$((steps + steps / 3))"
  [all-views]="--set training.query_views.first_sentence=0.3 --set training.query_views.shortened=0.2 --set training.query_views.name=0.15 --set training.query_views.language=0.2 --set training.query_views.word_dropout=0.05"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(v2-baseline v1-local first-sentence shortened name language word-dropout hard-negatives simcse-stage)
for name in "${names[@]}"; do
  [ -f "$out/$name/eval-test.json" ] && continue
  start=$(date +%s)
  # shellcheck disable=SC2086
  nice -n 10 node "$root/bin/secora-train.js" "$root/configs/default.yml" --name "$name" --set "output_dir=$out" \
    "${common[@]}" "${extra[@]}" ${variant[$name]} > "$out/$name.log" 2>&1
  nice -n 10 node "$root/bin/secora.js" eval "$out/$name/best" "$corpus" --split test --max "$max" --keep-last \
    --out "$out/$name/eval-test.json" >> "$out/$name.log" 2>&1
  echo "$name: $(( $(date +%s) - start )) s" >> "$out/times.txt"
done
