#!/usr/bin/env bash
# Installs NeuralNet exactly as docs/getting-started.md documents it for a locally packed build, on a clean slate: a new
# HOME (so an empty NuGet packages folder and a fresh user NuGet configuration) and a new console app. Fails if the
# documented commands fail, or if the app cannot build and run a model with the package.
# Usage: bash eng/test-documented-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" DOTNET_CLI_HOME="$work/home"
unset NUGET_PACKAGES
mkdir -p "$HOME"
version=$(dotnet msbuild "$repo/src/NeuralNet/NeuralNet.csproj" -getProperty:Version)

echo "== the documented commands, from an empty packages folder ($HOME/.nuget/packages)"
cd "$repo"
dotnet pack src/NeuralNet/NeuralNet.csproj -c Release -o ~/nuget-local -nologo -clp:NoSummary
mkdir -p "$work/app" && cd "$work/app"
dotnet new console --name App --output . >/dev/null
# .NET 8 too: there System.Numerics.Tensors is a package the restore must fetch, not part of the framework.
# .NET 8 projects default to C# 12; the library's params-span overloads need C# 13, as getting-started.md says.
sed -i 's|<TargetFramework>net10.0</TargetFramework>|<TargetFrameworks>net10.0;net8.0</TargetFrameworks><LangVersion>13</LangVersion>|' App.csproj
dotnet nuget add source ~/nuget-local --name neuralnet-local
dotnet add package NeuralNet --version "$version"

cat > Program.cs <<'CS'
using NeuralNet;
using NeuralNet.Layers;
using NeuralNet.Models;

var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
Tensor y = model.Predict(Tensor.Ones(4, 3));
Console.WriteLine($"installed: predicted {y.Shape}");
CS
dotnet build -c Release -nologo -clp:NoSummary
dotnet run -c Release --no-build -f net10.0 | tee run.txt
grep -q "installed: predicted (4, 2)" run.txt
[ -d "$HOME/.nuget/packages/system.numerics.tensors" ] || { echo "System.Numerics.Tensors was not restored into the empty packages folder" >&2; exit 1; }
echo "documented install: OK"
