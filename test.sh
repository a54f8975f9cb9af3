#!/usr/bin/env bash
# Runs every test of the solution. As root, first installs what the tests need from Debian:
# QEMU (the oracle of the conformance tests), libpmem1, acpica-tools, strace and gcc (the
# durability tests trace the real process and build a libpmem shim), and glib's headers,
# pkg-config, dpkg-dev and python3 (QEMU's libqtest is built from Debian's QEMU source).
# A test whose prerequisite is missing skips, saying why; with CI=true (or VNVDIMM_REQUIRE_ORACLES=1)
# it fails instead (tests/Shared/Prerequisite.cs), so that a green CI run has skipped nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

needed=(qemu-system-x86 libpmem1 acpica-tools strace gcc libc6-dev libglib2.0-dev pkg-config dpkg-dev python3)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
ci="${CI:-}"
if [[ "${ci,,}" == true || "$ci" == 1 || "${VNVDIMM_REQUIRE_ORACLES:-}" == 1 ]]; then
  absent="fail (a complete run was asked for)"
else
  absent="skip"
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]}" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "test.sh: could not install ${missing[*]}; the tests that need them will $absent" >&2
  else
    echo "test.sh: not root: ${missing[*]} not installed; the tests that need them will $absent" >&2
  fi
fi

# A small Linux guest (Debian kernel, NVDIMM modules, ndctl) judges our namespace labels; cached in ~/.cache.
tests/linux-guest/prepare.sh || echo "test.sh: could not build the Linux test guest; the tests that boot it will $absent" >&2

# QEMU's own harness, libqtest, built from Debian's QEMU source with our NVDIMM test program; cached in ~/.cache.
tests/libqtest/build.sh || echo "test.sh: could not build libqtest; the tests that run it will $absent" >&2

dotnet build vnvdimm.sln -c Release -nologo -v quiet
status=0
dotnet test vnvdimm.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee .build-test.log || status=$?
# One closing line for the whole run, summed over the test projects.
awk 'NF==2 && $1=="Passed:"{p+=$2} NF==2 && $1=="Failed:"{f+=$2} NF==2 && $1=="Skipped:"{s+=$2} END{printf "%d passed, %d failed, %d skipped\n", p, f, s}' .build-test.log
rm -f .build-test.log
exit $status
