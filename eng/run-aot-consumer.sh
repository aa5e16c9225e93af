#!/usr/bin/env bash
# Native AOT with the package's defaults (docs/native-aot.md). Packs NeuralNet into a temporary folder feed, restores
# tests/AotConsumer against it into a fresh packages folder (as eng/run-package-consumer.sh does), builds it as a JIT
# app and publishes it with PublishAot: the app sets no IlcInstructionSet, so the package's buildTransitive targets
# choose the baseline (x86-64-v3). Then runs JIT and AOT builds on the same workload (a 784-512-10 MLP, Adam steps, then
# single-sample Predict), alternating them, and fails unless
#   (a) the AOT executable takes the AVX2 paths and prints the same hash of trained weights and predictions as the JIT
#       with the same instruction sets, and
#   (b) its median Predict and training-step times are within 10 % of that JIT's (a ratio above 1.10 is measured again
#       and fails only if the repeat is above 1.10 too: the machine is shared and noisy).
# On a CPU with AVX-512 the JIT takes AVX-512 paths that an x86-64-v3 executable cannot have, so there the reference for
# the default build is the JIT with AVX-512 switched off (what the JIT runs on an AVX2 CPU), and the documented opt-in,
# IlcInstructionSet=x86-64-v4, is published too and held to the same two checks against the unrestricted JIT.
# Linux x64 only. Needs clang or gcc and zlib1g-dev (installed with apt-get when missing). 80-140 s here.
# Usage: bash eng/run-aot-consumer.sh [rounds]     (rounds: JIT/AOT alternations per measurement, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
rounds="${1:-5}"
limit=1.10
train_steps=300
predict_calls=2000

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "run-aot-consumer: Linux x64 only; skipped on $(uname -s)-$(uname -m)"
  exit 0
fi
if ! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo; then
  echo "run-aot-consumer: this CPU has no AVX2/FMA, so the package's default AOT executable cannot start here; skipped"
  exit 0
fi
has_avx512=false
grep -qw avx512f /proc/cpuinfo && has_avx512=true

# Native toolchain: NativeAOT's documented prerequisites on Debian and Ubuntu are clang (gcc works too) and zlib1g-dev.
# Whatever is missing is installed with apt-get; nothing is installed when both are there.
missing=()
command -v clang >/dev/null || command -v gcc >/dev/null || missing+=(clang)
if command -v dpkg >/dev/null && ! dpkg -s zlib1g-dev >/dev/null 2>&1; then missing+=(zlib1g-dev); fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "== install the native toolchain NativeAOT needs: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
packages="$work/packages"
app=tests/AotConsumer
consumer=$app/AotConsumer.csproj
rid=linux-x64
if grep -q "<IlcInstructionSet" $app/*.csproj $app/Directory.Build.props; then
  echo "FAILED: $app must not set IlcInstructionSet: this check is about the package's default" >&2
  exit 1
fi

started=$(date +%s)
version=$(dotnet msbuild src/NeuralNet/NeuralNet.csproj -getProperty:Version)
echo "== pack NeuralNet $version into $feed"
dotnet pack src/NeuralNet/NeuralNet.csproj -c Release -o "$feed" -nologo -clp:NoSummary -warnaserror
[ -f "$feed/NeuralNet.$version.nupkg" ] || { echo "NeuralNet.$version.nupkg was not produced" >&2; exit 1; }

echo "== restore the consumer for $rid (folder feed + normal sources, packages folder $packages)"
rm -rf $app/bin $app/obj
# A fresh packages folder, so only the fresh pack can provide NeuralNet $version. Unlike run-package-consumer.sh this
# keeps NuGet's HTTP cache on: the ILCompiler packages are large, and a folder feed is never cached anyway.
dotnet restore "$consumer" -r $rid -p:RestoreAdditionalProjectSources="$feed" --packages "$packages" \
  -p:NeuralNetVersion="$version"
restored="$packages/neuralnet/$version/neuralnet.$version.nupkg"
cmp -s "$restored" "$feed/NeuralNet.$version.nupkg" || { echo "restored NeuralNet differs from the fresh pack" >&2; exit 1; }

echo "== build the JIT app"
dotnet build "$consumer" -c Release -r $rid --no-restore -nologo -clp:NoSummary -p:NeuralNetVersion="$version" -o "$work/jit"

echo "== publish with Native AOT, the package's defaults"
native=$app/obj/Release/net10.0/$rid/native
dotnet publish "$consumer" -c Release -r $rid --no-restore -nologo -clp:NoSummary -p:NeuralNetVersion="$version" \
  -o "$work/aot"
grep -q -- "--instruction-set:x86-64-v3" "$native/AotConsumer.ilc.rsp" \
  || { echo "FAILED: the package did not set the x86-64-v3 baseline (ILC arguments in $native)" >&2; exit 1; }

variants=(jit aot)
declare -A command
command[jit]="dotnet $work/jit/AotConsumer.dll"
command[aot]="$work/aot/AotConsumer"
reference_of_aot=jit
if $has_avx512; then
  echo "== publish with Native AOT and the documented AVX-512 opt-in (-p:IlcInstructionSet=x86-64-v4)"
  rm -rf "$native"
  dotnet publish "$consumer" -c Release -r $rid --no-restore -nologo -clp:NoSummary -p:NeuralNetVersion="$version" \
    -p:IlcInstructionSet=x86-64-v4 -o "$work/aot-v4"
  grep -q -- "--instruction-set:x86-64-v4" "$native/AotConsumer.ilc.rsp" || { echo "FAILED: x86-64-v4 was not used" >&2; exit 1; }
  variants=(jit-avx2 aot jit aot-v4)
  command[jit-avx2]="env DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 dotnet $work/jit/AotConsumer.dll"
  command[aot-v4]="$work/aot-v4/AotConsumer"
  reference_of_aot=jit-avx2
fi
echo "== built and published in $(( $(date +%s) - started )) s"

declare -A simd hashes predict train
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
timings() { if [ "$1" = predict ]; then echo "${predict[$2]}"; else echo "${train[$2]}"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }
above() { awk -v r="$1" -v l="$limit" 'BEGIN {exit !(r > l)}'; }

# Runs every variant once per round, in turn, and keeps each run's medians; the hash and the SIMD line must never change.
measure() {
  for v in "${variants[@]}"; do predict[$v]=""; train[$v]=""; done
  for ((round = 1; round <= rounds; round++)); do
    for v in "${variants[@]}"; do
      out=$(${command[$v]} $train_steps $predict_calls) || { echo "FAILED: $v exited non-zero:"; echo "$out"; exit 1; } >&2
      h=$(sed -n 's/^hash: //p' <<<"$out")
      s=$(sed -n 's/^simd: //p' <<<"$out")
      if [ -z "${hashes[$v]:-}" ]; then
        hashes[$v]=$h
        simd[$v]=$s
        echo "$v: $(head -1 <<<"$out"); $s"
        grep '^loss:' <<<"$out" | sed "s/^/$v: /"
      elif [ "$h" != "${hashes[$v]}" ] || [ "$s" != "${simd[$v]}" ]; then
        echo "FAILED: $v printed a different hash or SIMD line in round $round: $h, $s" >&2
        exit 1
      fi
      predict[$v]+=" $(sed -n 's/^predict_us: //p' <<<"$out")"
      train[$v]+=" $(sed -n 's/^train_step_ms: //p' <<<"$out")"
    done
  done
}

# check CANDIDATE REFERENCE: the same bits, and medians within the limit (a ratio above it must repeat to fail).
status=0
check() {
  local cand=$1 ref=$2 attempt metric r
  if [ "${hashes[$cand]}" != "${hashes[$ref]}" ]; then
    echo "FAILED: $cand and $ref computed different bits: ${hashes[$cand]} vs ${hashes[$ref]}" >&2
    status=1
  else
    echo "same bits: $cand and $ref both hash ${hashes[$cand]}"
  fi
  for metric in predict train; do
    for attempt in 1 2; do
      local c r_med
      c=$(timings $metric "$cand" | median)
      r_med=$(timings $metric "$ref" | median)
      r=$(ratio "$c" "$r_med")
      echo "$metric ($( [ $metric = predict ] && echo "us per single-sample Predict" || echo "ms per training step")): $cand $c, $ref $r_med, ratio $r (medians of $rounds runs; attempt $attempt)"
      if ! above "$r" || [ $attempt -eq 2 ]; then
        break
      fi
      echo "   above $limit: measuring again"
      measure >/dev/null
    done
    if above "$r"; then
      echo "FAILED: $cand's $metric median is more than ${limit}x $ref's, twice" >&2
      status=1
    fi
  done
}

echo "== run ${variants[*]}, alternating, $rounds rounds ($train_steps timed Adam steps and $predict_calls single-sample Predicts each)"
measure
grep -q "Avx2.IsSupported=True" <<<"${simd[aot]}" && grep -q "Vector256.IsHardwareAccelerated=True" <<<"${simd[aot]}" \
  || { echo "FAILED: the default AOT executable does not take the AVX2 paths: ${simd[aot]}" >&2; status=1; }
echo "== the package's default (x86-64-v3) against the JIT with the same instruction sets ($reference_of_aot)"
check aot $reference_of_aot
if $has_avx512; then
  echo "== the AVX-512 opt-in (x86-64-v4) against the unrestricted JIT"
  if [ "${simd[aot-v4]}" != "${simd[jit]}" ]; then
    echo "the JIT sees other SIMD paths here than an x86-64-v4 executable (${simd[jit]}); opt-in not compared"
  else
    check aot-v4 jit
  fi
  echo "for information, the default against the unrestricted JIT: predict ratio" \
    "$(ratio "$(timings predict aot | median)" "$(timings predict jit | median)"), training-step ratio" \
    "$(ratio "$(timings train aot | median)" "$(timings train jit | median)") (AVX2 against AVX-512 kernels; the bits differ)"
fi
echo "== run-aot-consumer: $([ $status -eq 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit $status
