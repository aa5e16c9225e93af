#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every src project from the PublicApiAnalyzers diagnostics of a build:
#   RS0016 "Symbol 'X' is not part of the declared public API"      -> X is listed in PublicAPI.Unshipped.txt
#   RS0017 "Symbol 'X' is part of the declared API, but is either not public or could not be found"
#          (only possible for X in PublicAPI.Shipped.txt after this reset) -> "*REMOVED*X" in PublicAPI.Unshipped.txt
# PublicAPI.Shipped.txt is never changed (move lines there by hand when a version ships, see CHANGELOG.md).
# Symbols present in every target framework go to <project>/PublicAPI.Unshipped.txt; symbols only one target framework
# has go to <project>/PublicAPI/<tfm>/PublicAPI.Unshipped.txt (that folder is removed when there are none).
#
# Usage: bash eng/update-public-api.sh        (from anywhere; then review `git diff -- '*PublicAPI*'` and commit)
# Exit status: 0 when the final check build is clean, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

projects=(src/NeuralNet/NeuralNet.csproj src/NeuralNet.Plotting/NeuralNet.Plotting.csproj src/NeuralNet.Onnx/NeuralNet.Onnx.csproj src/NeuralNet.Data/NeuralNet.Data.csproj src/NeuralNet.Keras/NeuralNet.Keras.csproj src/NeuralNet.TensorBoard/NeuralNet.TensorBoard.csproj)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

header='#nullable enable'

# 1. Reset: Unshipped files hold only the header; per-framework folders go away.
for proj in "${projects[@]}"; do
  dir="$(dirname "$proj")"
  [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '%s\n' "$header" > "$dir/PublicAPI.Shipped.txt"
  printf '%s\n' "$header" > "$dir/PublicAPI.Unshipped.txt"
  rm -rf "$dir/PublicAPI"
done

# 2. Build every target framework with the analyzer's findings as plain warnings (so dependent projects still build),
#    non-incrementally so the analyzers really run, and collect the RS0016/RS0017 lines.
echo "== building src projects to collect RS0016/RS0017"
for proj in "${projects[@]}"; do
  dotnet build "$proj" -c Release --no-incremental -nologo -clp:NoSummary \
    -p:TreatWarningsAsErrors=false -p:MSBuildTreatWarningsAsErrors=false -p:CodeAnalysisTreatWarningsAsErrors=false \
    >> "$work/build.log" 2>&1 || true
done

# Lines look like:
#   /path/File.cs(12,5): warning RS0016: Symbol 'NeuralNet.Tensor.Length.get -> int' is not part of the declared
#   public API (https://...) [/path/src/NeuralNet/NeuralNet.csproj::TargetFramework=net8.0]
python3 - "$work/build.log" "$header" "${projects[@]}" <<'PY'
import collections, os, re, sys

log, header, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
pattern = re.compile(
    r"warning (RS001[67]): Symbol '(?P<sym>.*)' is (?:not part of the declared public API|part of the declared API, but)"
    r".*\[(?P<proj>[^\[\]]+?\.csproj)(?:::TargetFramework=(?P<tfm>[^\]]+))?\]\s*$")
found = collections.defaultdict(lambda: collections.defaultdict(set))   # project dir -> tfm -> lines
for line in open(log, encoding="utf-8", errors="replace"):
    m = pattern.search(line.rstrip("\n"))
    if not m:
        continue
    entry = m["sym"] if m.group(1) == "RS0016" else "*REMOVED*" + m["sym"]
    found[os.path.dirname(os.path.abspath(m["proj"]))][m["tfm"] or ""].add(entry)

def write(path, entries):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        for e in sorted(entries, key=lambda s: (s.lstrip("*REMOVED*").lower(), s)):
            f.write(e + "\n")

for proj in projects:
    d = os.path.dirname(os.path.abspath(proj))
    per_tfm = found.get(d, {})
    if not per_tfm:
        print(f"{proj}: no RS0016/RS0017 found (empty public API, or the build failed before the analyzers ran)")
        continue
    common = set.intersection(*per_tfm.values())
    write(os.path.join(d, "PublicAPI.Unshipped.txt"), common)
    print(f"{proj}: {len(common)} entries common to {', '.join(sorted(per_tfm))}")
    for tfm, entries in sorted(per_tfm.items()):
        extra = entries - common
        if extra:
            write(os.path.join(d, "PublicAPI", tfm, "PublicAPI.Unshipped.txt"), extra)
            write(os.path.join(d, "PublicAPI", tfm, "PublicAPI.Shipped.txt"), set())
            print(f"  {tfm}: {len(extra)} entries only in this framework -> PublicAPI/{tfm}/")
PY

# 3. Check: the normal build (warnings as errors) must now be clean.
echo "== check build"
# The add-on projects reference NeuralNet, so building them checks every project.
if ! (for p in "${projects[@]:1}"; do dotnet build "$p" -c Release -nologo -clp:NoSummary -warnaserror || exit 1; done) > "$work/check.log" 2>&1; then
  grep -E ': (error|warning) ' "$work/check.log" | sort -u | head -40 >&2
  echo "check build failed (see the diagnostics above)" >&2
  exit 1
fi
echo "public API files updated; review with: git diff -- '*PublicAPI*'"
