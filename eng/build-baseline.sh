#!/usr/bin/env bash
# Builds src/NeuralNet at a git revision (default: the commit before HEAD) into artifacts/baseline/<sha>/ and prints
# that folder. The benchmark suite's regression benchmarks then run against it in the same BenchmarkDotNet run:
#   dir=$(bash eng/build-baseline.sh HEAD~1)
#   NEURALNET_BASELINE=$dir dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*Regression*'
# The revision is checked out in a temporary git worktree, so the working tree is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rev="${1:-HEAD~1}"
sha=$(git rev-parse --short=12 "$rev^{commit}")
out="$(pwd)/artifacts/baseline/$sha"
if [ -f "$out/NeuralNet.dll" ]; then
  echo "$out"
  exit 0
fi

tree="$(mktemp -d)/baseline-$sha"
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$tree" "$sha" >&2
dotnet build "$tree/src/NeuralNet/NeuralNet.csproj" -c Release -f net10.0 -nologo -clp:NoSummary -o "$out" >&2
echo "$out"
