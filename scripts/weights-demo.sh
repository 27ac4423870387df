#!/usr/bin/env bash
# The weights demo: a two-view batch of real Fashion-MNIST images, its entropic-OT negative
# weights, and the hardness diagnostics (OT negatives versus uniform ones).
# Usage: scripts/weights-demo.sh [--batch-size B] [--epsilon E] [--cost sqeuclid|exp|cosine] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."

batch=256 epsilon=0.1 cost=sqeuclid seed=0
while [ $# -gt 0 ]; do
  case "$1" in
    --batch-size) batch=$2; shift 2 ;;
    --epsilon) epsilon=$2; shift 2 ;;
    --cost) cost=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "main.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
dotnet build src/HardNegOT.Cli -c Release -v q -nologo >/dev/null
cli=src/HardNegOT.Cli/bin/Release/net10.0/hardnegot
out=out/weights-demo
mkdir -p "$out"

"$cli" fashion-mnist-batch --batch-size "$batch" --seed "$seed" --out "$out/batch.npy" --labels-out "$out/labels.npy"
"$cli" weights --embeddings "$out/batch.npy" --labels "$out/labels.npy" --layout two-view \
  --cost "$cost" --epsilon "$epsilon" --conditional --out "$out/weights.npy" --json "$out/diagnostics.json"
echo "outputs in $out/: batch.npy, labels.npy, weights.npy (P*(x-|x)), diagnostics.json"
