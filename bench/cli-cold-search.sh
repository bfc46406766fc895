#!/usr/bin/env bash
# Cold `secora search` (a new process per query) and an unchanged re-index, on the python3 standard library,
# this build against another checkout's (BASE, default /work/main), alternating, 3 rounds each.
#   bash bench/cli-cold-search.sh [BASE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-/work/main}
stdlib=$(python3 -c 'import sysconfig;print(sysconfig.get_paths()["stdlib"])')
work=${BENCH_DIR:-/tmp/secora-cli-bench}
mkdir -p "$work"
index="$work/stdlib.sidx"
[ -f "$index" ] || node "$root/bin/secora.js" index "$stdlib" --model hashing --out "$index" --progress
q='read a file and return its lines'
for round in 1 2 3; do
  /usr/bin/time -f "base dense  %e s %M KB" node "$base/bin/secora.js" search "$q" --index "$index" -k 5 >/dev/null
  /usr/bin/time -f "this dense  %e s %M KB" node "$root/bin/secora.js" search "$q" --index "$index" -k 5 --no-server >/dev/null
  /usr/bin/time -f "this bm25   %e s %M KB" node "$root/bin/secora.js" search "$q" --index "$index" -k 5 --no-server --mode bm25 >/dev/null
done
/usr/bin/time -f "this unchanged re-index %e s %M KB" node "$root/bin/secora.js" index "$stdlib" --out "$index" -q
