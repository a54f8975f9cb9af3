#!/usr/bin/env bash
# Long fuzz run of the DSM mailbox: the property-based test of tests/Vnvdimm.Tests/Dsm/DsmFuzzTests.cs
# with many more generated pages and page addresses than CI runs (3000).
#   fuzz/run.sh [ITERATIONS]          default 1000000
# A failure prints the CsCheck seed; CsCheck_Seed=SEED fuzz/run.sh reproduces it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
iterations="${1:-1000000}"
start=$(date +%s)
VNVDIMM_FUZZ_ITERATIONS="$iterations" dotnet test tests/Vnvdimm.Tests -c Release -nologo \
  --filter "FullyQualifiedName~DsmFuzzTests" --logger "console;verbosity=minimal"
echo "fuzz: $iterations DSM pages executed without a broken invariant in $(( $(date +%s) - start )) s"
