#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses of the pure C++ core (src/core) with ASan + UBSan.
#
#   test/fuzz/core/run.sh build                 build every harness into build/fuzz/ (smoke
#                                               builds its own, unoptimised, in build/fuzz-smoke/)
#   test/fuzz/core/run.sh smoke [name...]       build, then run each harness once over its seed
#                                               corpus (test/fuzz/core/corpus/<name>/), no
#                                               mutation: fast, deterministic, exit 1 on a failure
#   test/fuzz/core/run.sh fuzz SECONDS [name...]
#                                               build, then fuzz each harness for SECONDS, one
#                                               process at a time; new inputs go to
#                                               build/fuzz/work/<name>/, failures to
#                                               build/fuzz/artifacts/<name>/.
#
# Needs clang++ (14 or later) with libFuzzer and nlohmann/json.hpp on the include path; the
# core files are compiled once into build/fuzz/obj and relinked per harness. Env: CXX, JOBS
# (parallel compiles, default 2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
mode=${1:-smoke}
shift || true
# smoke only replays the seeds: g++ (no clang needed by `make test`), each harness linked with
# replay_main.cpp instead of libFuzzer, unoptimised (compiles faster). Fuzzing needs clang.
if [[ $mode == smoke ]]; then
  out=$repo/build/fuzz-smoke OPT=-O0 CXX=${SMOKE_CXX:-g++}
  COMPILE_FOR_FUZZER="" LINK_FUZZER="$here/replay_main.cpp"
else
  out=$repo/build/fuzz OPT=-O1 CXX=${CXX:-clang++}
  COMPILE_FOR_FUZZER=-fsanitize=fuzzer-no-link LINK_FUZZER=-fsanitize=fuzzer
fi
JOBS=${JOBS:-2}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CXXFLAGS="-std=c++17 -g $OPT $SAN -I$repo/src/core -I$here"

# harness name -> the src/core files it links (besides its own <name>_fuzz.cpp)
declare -A SOURCES=(
  [json_row_decoder]="json_row_decoder fast_values field_slot_map row_view error text_snippet soda_error ascii_case"
  [csv_row_decoder]="csv_row_decoder field_slot_map row_view error text_snippet soda_error ascii_case"
  [metadata]="dataset_metadata soda_error row_count error text_snippet ascii_case page_fetcher page_fill soda_client http_client http_client_pool redact percent_encoding page page_continuity soql option_values json_row_decoder fast_values csv_row_decoder field_slot_map row_view malloc_policy retry_policy http_date background_fetcher"
  [values]="http_date retry_policy fast_values location_value value_text page error text_snippet ascii_case row_view"
  [options]="option_values fdw_options soql percent_encoding error text_snippet ascii_case"
  [text]="percent_encoding redact text_snippet ascii_case error"
  [soql]="soql soql_comparison option_values percent_encoding error text_snippet ascii_case"
  [page_continuity]="page_continuity page redact percent_encoding text_snippet ascii_case error row_view"
)
# extra link libraries per harness (row_count.cpp's fetch_row_count pulls in the HTTP client)
declare -A LIBS=([metadata]="-lcurl -lpthread")
ALL=()
for name in json_row_decoder csv_row_decoder metadata values options text soql page_continuity; do
  [[ -e $here/${name}_fuzz.cpp ]] && ALL+=("$name")
done

newer_than() { # newer_than TARGET FILE... : whether any FILE is newer than TARGET (or no TARGET)
  local t=$1; shift
  [[ -e $t ]] || return 0
  local f
  for f in "$@"; do [[ $f -nt $t ]] && return 0; done
  return 1
}

build() {
  mkdir -p "$out/obj"
  local headers=("$repo"/src/core/*.hpp "$here"/*.hpp)
  local -A need=()
  local name src
  for name in "${ALL[@]}"; do for src in ${SOURCES[$name]}; do need[$src]=1; done; done
  local todo=()
  for src in "${!need[@]}"; do
    if newer_than "$out/obj/$src.o" "$repo/src/core/$src.cpp" "${headers[@]}"; then todo+=("$src"); fi
  done
  if ((${#todo[@]})); then
    printf '%s\n' "${todo[@]}" | xargs -P "$JOBS" -I{} \
      $CXX $CXXFLAGS $COMPILE_FOR_FUZZER -c "$repo/src/core/{}.cpp" -o "$out/obj/{}.o"
  fi
  local links=()
  for name in "${ALL[@]}"; do
    local objs=()
    for src in ${SOURCES[$name]}; do objs+=("$out/obj/$src.o"); done
    if newer_than "$out/${name}_fuzz" "$here/${name}_fuzz.cpp" "$here/replay_main.cpp" \
        "${objs[@]}" "${headers[@]}"; then
      links+=("$name")
    fi
  done
  if ((${#links[@]})); then
    local name2
    for name2 in "${links[@]}"; do
      local objs=()
      for src in ${SOURCES[$name2]}; do objs+=("$out/obj/$src.o"); done
      echo "$CXX $CXXFLAGS $LINK_FUZZER $here/${name2}_fuzz.cpp ${objs[*]} -o $out/${name2}_fuzz ${LIBS[$name2]:-}"
    done | xargs -P "$JOBS" -I{} sh -c '{}'
  fi
}

case $mode in
  build)
    build
    ;;
  smoke)
    names=("$@"); ((${#names[@]})) || names=("${ALL[@]}")
    build
    failed=()
    for name in "${names[@]}"; do
      # Each seed input once, no mutation (replay_main.cpp).
      if "$out/${name}_fuzz" "$here/corpus/$name" >"$out/smoke-$name.log" 2>&1; then
        echo "ok      $name ($(ls "$here/corpus/$name" | wc -l) inputs)"
      else
        echo "FAILED  $name: see $out/smoke-$name.log"
        failed+=("$name")
      fi
    done
    ((${#failed[@]} == 0))
    ;;
  fuzz)
    seconds=${1:?usage: run.sh fuzz SECONDS [name...]}
    shift
    names=("$@"); ((${#names[@]})) || names=("${ALL[@]}")
    build
    status=0
    for name in "${names[@]}"; do
      mkdir -p "$out/work/$name" "$out/artifacts/$name"
      echo "== fuzzing $name for ${seconds}s (log: $out/fuzz-$name.log)"
      # One process (no -jobs/-workers fork mode); run from $out so nothing lands in the tree.
      if ! (cd "$out" && "$out/${name}_fuzz" -max_total_time="$seconds" -max_len=16384 \
          -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
          -artifact_prefix="$out/artifacts/$name/" "$out/work/$name" "$here/corpus/$name" \
          >"$out/fuzz-$name.log" 2>&1); then
        echo "   FAILED: $(grep -m1 -E 'ERROR|FUZZ_CHECK|runtime error' "$out/fuzz-$name.log" || true)"
        status=1
      fi
      grep -E 'stat::number_of_executed_units|^#[0-9]+ +DONE' "$out/fuzz-$name.log" | tail -2 | sed 's/^/   /'
    done
    exit $status
    ;;
  *)
    echo "usage: $0 build | smoke [name...] | fuzz SECONDS [name...]" >&2
    exit 2
    ;;
esac
