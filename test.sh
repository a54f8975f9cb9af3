#!/usr/bin/env bash
# Runs every test of the solution. As root, first installs what the tests need from Debian:
# QEMU (the oracle of the conformance tests), libpmem1 and acpica-tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

needed=(qemu-system-x86 libpmem1 acpica-tools)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]}" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "test.sh: could not install ${missing[*]}; the tests that need them will skip" >&2
  else
    echo "test.sh: not root: ${missing[*]} not installed; the tests that need them will skip" >&2
  fi
fi

# A small Linux guest (Debian kernel, NVDIMM modules, ndctl) judges our namespace labels; cached in ~/.cache.
tests/linux-guest/prepare.sh || echo "test.sh: could not build the Linux test guest; the tests that boot it will skip" >&2

dotnet build vnvdimm.sln -c Release -nologo -v quiet
status=0
dotnet test vnvdimm.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee .build-test.log || status=$?
# One closing line for the whole run, summed over the test projects.
awk 'NF==2 && $1=="Passed:"{p+=$2} NF==2 && $1=="Failed:"{f+=$2} NF==2 && $1=="Skipped:"{s+=$2} END{printf "%d passed, %d failed, %d skipped\n", p, f, s}' .build-test.log
rm -f .build-test.log
exit $status
