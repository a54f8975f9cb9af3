#!/usr/bin/env bash
# Builds QEMU 7.2's libqtest (tests/qtest/libqtest.c and the few QEMU files it needs: QObject, the
# JSON parser, a few utilities) from Debian's QEMU source, against Debian's glib, and links our
# NVDIMM test program (nvdimm-test.c) with it. Output: $OUT/nvdimm-test, by default in
# ~/.cache/vnvdimm/libqtest (where the tests look, unless VNVDIMM_LIBQTEST says otherwise), kept
# across runs and rebuilt when a file here changes.
#
# Needs: apt-get source qemu (a deb-src entry; as root one is added for the Debian suites already
# configured), gcc, pkg-config, libglib2.0-dev, python3 (QEMU's QAPI generator writes two headers).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-${VNVDIMM_LIBQTEST:-$HOME/.cache/vnvdimm/libqtest}}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
program="$OUT/nvdimm-test"
if [[ -x "$program" && -z "$(find "$here" -newer "$program" -type f -print -quit)" ]]; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

fetch_source() { apt-get source -qq qemu >/dev/null 2>&1; }
if ! fetch_source; then
  # No deb-src entry: as root, add one for the suites the host already uses, then try again.
  if [[ $(id -u) -eq 0 && -f /etc/apt/sources.list.d/debian.sources ]]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/vnvdimm-deb-src.sources
    apt-get update -qq >/dev/null 2>&1 || true
  fi
  fetch_source || { echo "build.sh: apt-get source qemu failed (no deb-src entry?)" >&2; exit 1; }
fi
src="$(find "$work" -maxdepth 1 -type d -name 'qemu-7.2*' | head -n1)"
[[ -n "$src" ]] || { echo "build.sh: the QEMU source is not QEMU 7.2" >&2; exit 1; }

# The two QAPI-generated headers libqtest's includes reach (builtin types, Error and socket types),
# from QEMU's own schema files and generator.
mkdir -p gen/schema
cp "$here/config-host.h" gen/
: > gen/config-poison.h
cp "$src"/qapi/{pragma,common,error,sockets}.json gen/schema/
printf "{ 'include': 'pragma.json' }\n{ 'include': 'error.json' }\n{ 'include': 'sockets.json' }\n" > gen/schema/main.json
python3 "$src/scripts/qapi-gen.py" -b -o gen/qapi gen/schema/main.json

cflags=(-std=gnu11 -O1 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Igen -I"$src/include" -I"$src" -I"$src/tests/qtest"
  -I"$src/qobject" $(pkg-config --cflags glib-2.0) -w)
sources=(
  "$src"/tests/qtest/{libqtest,libqmp}.c
  "$src"/qobject/{qdict,qlist,qstring,qnum,qbool,qnull,qobject,qjson,json-lexer,json-parser,json-streamer,json-writer}.c
  "$src"/util/{error,cutils,unicode,host-utils,int128}.c
  "$here/glue.c" "$here/nvdimm-test.c"
)
objects=()
for s in "${sources[@]}"; do
  o="obj/$(basename "$(dirname "$s")")-$(basename "${s%.c}").o"
  mkdir -p obj
  gcc "${cflags[@]}" -c "$s" -o "$o"
  objects+=("$o")
done
gcc -o "$program.tmp" "${objects[@]}" $(pkg-config --libs glib-2.0)
mv "$program.tmp" "$program"
echo "build.sh: built $program from $(basename "$src")" >&2
