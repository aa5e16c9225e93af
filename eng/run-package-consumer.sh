#!/usr/bin/env bash
# Packs NeuralNet, NeuralNet.Onnx and NeuralNet.Keras into a temporary folder feed, restores tests/PackageConsumer against that folder plus the normal
# NuGet sources into a dedicated, fresh NuGet packages folder (so a cached NeuralNet of the same version can never
# mask the fresh pack), builds it and runs it. Exits non-zero if any step fails or the consumer's check fails.
# Usage: bash eng/run-package-consumer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
packages="$work/packages"
consumer=tests/PackageConsumer/PackageConsumer.csproj

version=$(dotnet msbuild src/NeuralNet/NeuralNet.csproj -getProperty:Version)
echo "== pack NeuralNet $version into $feed"
dotnet pack src/NeuralNet/NeuralNet.csproj -c Release -o "$feed" -nologo -clp:NoSummary -warnaserror
[ -f "$feed/NeuralNet.$version.nupkg" ] || { echo "NeuralNet.$version.nupkg was not produced" >&2; exit 1; }
echo "== pack NeuralNet.Onnx $version into $feed"
dotnet pack src/NeuralNet.Onnx/NeuralNet.Onnx.csproj -c Release -o "$feed" -nologo -clp:NoSummary -warnaserror
[ -f "$feed/NeuralNet.Onnx.$version.nupkg" ] || { echo "NeuralNet.Onnx.$version.nupkg was not produced" >&2; exit 1; }
echo "== pack NeuralNet.Keras $version into $feed"
dotnet pack src/NeuralNet.Keras/NeuralNet.Keras.csproj -c Release -o "$feed" -nologo -clp:NoSummary -warnaserror
[ -f "$feed/NeuralNet.Keras.$version.nupkg" ] || { echo "NeuralNet.Keras.$version.nupkg was not produced" >&2; exit 1; }
echo "== pack NeuralNet.TensorBoard $version into $feed"
dotnet pack src/NeuralNet.TensorBoard/NeuralNet.TensorBoard.csproj -c Release -o "$feed" -nologo -clp:NoSummary -warnaserror
[ -f "$feed/NeuralNet.TensorBoard.$version.nupkg" ] || { echo "NeuralNet.TensorBoard.$version.nupkg was not produced" >&2; exit 1; }

echo "== restore the consumer (folder feed + normal sources, packages folder $packages)"
rm -rf tests/PackageConsumer/bin tests/PackageConsumer/obj
# The folder feed is added to the sources NuGet is configured with (nuget.config), never named here.
dotnet restore "$consumer" -p:RestoreAdditionalProjectSources="$feed" \
  --packages "$packages" -p:NeuralNetVersion="$version" -p:RestoreNoCache=true

echo "== build and run"
dotnet build "$consumer" -c Release --no-restore -nologo -clp:NoSummary -p:NeuralNetVersion="$version"
# Prove the build used the fresh pack: the restored package must be byte-identical to the one just packed.
for id in NeuralNet NeuralNet.Onnx NeuralNet.Keras NeuralNet.TensorBoard; do
  lower=$(tr '[:upper:]' '[:lower:]' <<<"$id")
  restored="$packages/$lower/$version/$lower.$version.nupkg"
  cmp -s "$restored" "$feed/$id.$version.nupkg" || { echo "restored $id differs from the fresh pack" >&2; exit 1; }
done
dotnet run --project "$consumer" -c Release --no-build
