#!/usr/bin/env bash
# Packs the `sigstore` dotnet tool as .NET 10 RID-specific tool packages, as many as this machine can build:
#   SigstoreBuild.Cli        the package users install: it only points at the ones below
#   SigstoreBuild.Cli.any    framework-dependent, for any platform without a native package (needs the .NET runtime)
#   SigstoreBuild.Cli.RID    Native AOT for this machine's RID, when it is one the tool lists (linux-x64, linux-arm64,
#                            osx-arm64, win-x64); Native AOT cannot cross-compile, so each of those is packed on its own OS
# `dotnet tool install SigstoreBuild.Cli` then picks the native package for the machine it runs on, and fails when the
# feed lacks it (there is no fallback to `any` at install time), so a feed for other machines needs their packages too.
#   build/pack-cli.sh [--no-native] DOTNET-PACK-OPTIONS...
#   build/pack-cli.sh -c Release -o artifacts/feed -p:Version=0.1.0-dev
# Native AOT needs a C toolchain: clang or gcc on Linux, Xcode command-line tools on macOS, the C++ build tools on Windows;
# without one, --no-native packs only the pointer and `any`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
project="$repo/src/SigstoreBuild.Cli/SigstoreBuild.Cli.csproj"
native=1
if [ "${1:-}" = "--no-native" ]; then native=0; shift; fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=osx ;;
  MINGW* | MSYS* | CYGWIN*) os=win ;;
  *) os=unknown ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=unknown ;;
esac
rid="$os-$arch"
# Alpine and other musl systems would match linux-x64 and get a glibc executable; they get no native package.
if [ "$os" = linux ] && ldd --version 2>&1 | grep -qi musl; then rid="linux-musl-$arch"; fi
rids=$(sed -n 's:.*<ToolPackageRuntimeIdentifiers>\(.*\)</ToolPackageRuntimeIdentifiers>.*:\1:p' "$project")

echo "pack-cli: SigstoreBuild.Cli (the pointer package)"
dotnet pack "$project" -nologo "$@"
echo "pack-cli: SigstoreBuild.Cli.any (framework-dependent)"
dotnet pack "$project" -nologo -r any "$@"
if [ "$native" = 0 ]; then
  echo "pack-cli: --no-native: install with 'dotnet tool install SigstoreBuild.Cli.any' (the pointer needs SigstoreBuild.Cli.$rid)"
elif [[ ";$rids;" != *";$rid;"* ]]; then
  echo "pack-cli: no native package for $rid; only the framework-dependent one is packed"
else
  echo "pack-cli: SigstoreBuild.Cli.$rid (Native AOT)"
  dotnet pack "$project" -nologo -r "$rid" "$@"
fi
