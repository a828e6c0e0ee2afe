#!/usr/bin/env bash
# The project's two entry points. Both set up what the machine lacks first.
#   ./build.sh train [options]   trains the sample model (default: ResNet on the built-in
#                                Fashion-MNIST subset); options go to `ResNet train`
#   ./build.sh test              builds everything and runs every test
#   ./build.sh pack [dir]        makes the NuGet packages (default dir: artifacts/packages)
set -euo pipefail
cd "$(dirname "$0")"

setup() {
  # TorchSharp's native library needs libstdc++ with GLIBCXX_3.4.32 (a no-op where present).
  bash scripts/ensure-libstdcxx.sh
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  train)
    setup
    dotnet run -c Release --project samples/ResNet -- train "$@"
    ;;
  test)
    setup
    # The PyTorch/ONNX oracles some tests compare with (a no-op where present; those tests skip without them).
    bash scripts/ensure-python-oracle.sh
    # Graphviz (diagrams) and headless Chromium (their checks); a no-op where present.
    bash scripts/ensure-diagram-tools.sh
    log=$(mktemp)
    status=0
    dotnet test Dsl.sln -c Release "$@" 2>&1 | tee "$log" || status=$?
    # One closing line with the totals over every test assembly.
    awk '/(Passed|Failed)! +- +Failed:/ {
           gsub(",", "");
           for (i = 1; i <= NF; i++) {
             if ($i == "Failed:") f += $(i+1);
             if ($i == "Passed:") p += $(i+1);
             if ($i == "Skipped:") s += $(i+1);
           }
         }
         END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
    rm -f "$log"
    exit $status
    ;;
  pack)
    # Dsl, Dsl.Runtime (+ .snupkg symbols) and Dsl.Templates; see docs/packaging.md.
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    dotnet pack Dsl.sln -c Release -o "${1:-artifacts/packages}"
    ;;
  *)
    echo "usage: ./build.sh train [options] | ./build.sh test | ./build.sh pack [dir]" >&2
    exit 2
    ;;
esac
