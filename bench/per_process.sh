#!/usr/bin/env bash
# One process per image: hashguard's CLI against the reference CLI and against
# libjpeg-turbo's djpeg (decode alone), on typical attachments generated from
# the bundled photos, all measured in one run with the commands interleaved.
# Then the same files in one process (bench_pdq: TurboJPEG decode alone against
# the end to end hash).
#
#   bash bench/per_process.sh [--reference PATH]... [--build DIR] [--rounds N] [--work DIR]
#
# --reference  the reference CLI (pdq-photo-hasher built from facebook/ThreatExchange
#              pdq/cpp; bench/README.md says how); repeatable (e.g. two builds of it);
#              without it those rows are skipped
# --build      hashguard's build tree (default: build), with hashguard and bench/bench_pdq
# --rounds     timed executions of each command (default 10, after 1 untimed round)
# --work       where the generated JPEGs go (default /tmp/hashguard-perproc)
#
# Needs djpeg/cjpeg (Debian: libjpeg-turbo-progs, installed when missing and run as
# root), python3 (standard library only) and, for the empty-program floor, cc.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
work=/tmp/hashguard-perproc
rounds=10
refs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) refs+=("$2"); shift 2 ;;
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "per_process.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
hg="$build/hashguard"
bench_pdq="$build/bench/bench_pdq"
[ -x "$hg" ] || { echo "per_process.sh: no $hg (build hashguard_cli first)" >&2; exit 2; }
for r in "${refs[@]}"; do
  [ -x "$r" ] || { echo "per_process.sh: reference $r is not an executable" >&2; exit 2; }
done

if ! command -v djpeg >/dev/null || ! command -v cjpeg >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjpeg-turbo-progs >/dev/null
  else
    echo "per_process.sh: needs djpeg and cjpeg (Debian: libjpeg-turbo-progs)" >&2; exit 2
  fi
fi

# Typical attachments, JPEG quality 80. djpeg scales in the IDCT by M/8 (up to
# 16/8), so the 640x480 photos give 800x600 (10/8) and 1280x960 (16/8), and
# 1600x1200 through a 1280x960 intermediate at quality 95 (then 10/8); one photo
# of another shape (902x770 at 14/8: 1579x1348); and an 80x60 thumbnail (1/8),
# whose hash costs almost nothing beside the process itself.
mkdir -p "$work"
photos="$root/data/photos"
make_jpeg() {  # SRC SCALE OUT [SCALE2]
  if [ $# -eq 4 ]; then
    djpeg -scale "$2" "$1" | cjpeg -quality 95 | djpeg -scale "$4" | cjpeg -quality 80 > "$3"
  else
    djpeg -scale "$2" "$1" | cjpeg -quality 80 > "$3"
  fi
}
files=()
for p in aero1 board; do
  make_jpeg "$photos/$p.jpg" 10/8 "$work/$p-800x600.jpg"; files+=("$work/$p-800x600.jpg")
  make_jpeg "$photos/$p.jpg" 16/8 "$work/$p-1280x960.jpg"; files+=("$work/$p-1280x960.jpg")
  make_jpeg "$photos/$p.jpg" 16/8 "$work/$p-1600x1200.jpg" 10/8; files+=("$work/$p-1600x1200.jpg")
done
make_jpeg "$photos/ela_original.jpg" 14/8 "$work/ela-1579x1348.jpg"; files+=("$work/ela-1579x1348.jpg")
make_jpeg "$photos/aero1.jpg" 1/8 "$work/aero1-80x60.jpg"; files+=("$work/aero1-80x60.jpg")

# The floor: an empty C program (dynamically linked against libc only).
floor_bin=""
if command -v cc >/dev/null; then
  printf 'int main(void) { return 0; }\n' > "$work/empty.c"
  cc -O2 -o "$work/empty" "$work/empty.c" && floor_bin="$work/empty"
fi

# Same hashes? (hash and quality of every file, hashguard against each reference)
"$hg" hash "${files[@]}" | cut -d, -f1,2 > "$work/hashguard.csv"
if [ ${#refs[@]} -eq 0 ]; then
  echo "No --reference given: the reference CLI's rows are skipped."
fi
for r in "${refs[@]}"; do
  for f in "${files[@]}"; do "$r" "$f" | cut -d, -f1,2; done > "$work/ref.csv"
  if cmp -s "$work/hashguard.csv" "$work/ref.csv"; then
    echo "$(basename "$r"): same hash and quality as hashguard on all ${#files[@]} files"
  else
    echo "$(basename "$r"): DIFFERENT hashes from hashguard:"; diff "$work/ref.csv" "$work/hashguard.csv" || true
  fi
done

# The commands, one per line: label<TAB>argv (tab-separated).
cmds="$work/commands.tsv"
{
  printf 'floor: /bin/true\t/bin/true\n'
  [ -n "$floor_bin" ] && printf 'floor: empty C program\t%s\n' "$floor_bin"
  printf 'hashguard version\t%s\tversion\n' "$hg"
  for f in "${files[@]}"; do
    n=$(basename "$f")
    printf 'djpeg %s\tdjpeg\t-outfile\t/dev/null\t%s\n' "$n" "$f"
    printf 'hashguard %s\t%s\thash\t%s\n' "$n" "$hg" "$f"
    for r in "${refs[@]}"; do printf 'ref:%s %s\t%s\t%s\n' "$(basename "$r")" "$n" "$r" "$f"; done
  done
  printf 'hashguard all %d files\t%s\thash' "${#files[@]}" "$hg"
  printf '\t%s' "${files[@]}"
  printf '\n'
} > "$cmds"

# In one process: bench_pdq on the same files (medians of 3, interleaved).
inproc="$work/inprocess.json"
rm -f "$inproc"
if [ -x "$bench_pdq" ]; then
  echo "bench_pdq on the same files (in one process)..."
  HASHGUARD_BENCH_FILES=$(IFS=:; echo "${files[*]}") "$bench_pdq" --benchmark_filter=File \
    --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true --benchmark_min_time=0.3 \
    --benchmark_format=json > "$inproc" 2>/dev/null || { echo "bench_pdq failed"; rm -f "$inproc"; }
else
  echo "No $bench_pdq (configure with -DHASHGUARD_BUILD_BENCH=ON): in-process rows skipped."
fi

# The timer: runs a list of commands round-robin (each round starting one
# command later), stdin/stdout/stderr on /dev/null, one untimed round first.
cat > "$work/timer.py" <<'PY'
import json, os, statistics, sys, time

mode, cmds_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmds = [line.rstrip("\n").split("\t") for line in open(cmds_path) if line.strip()]
labels = [c[0] for c in cmds]
devnull = os.open(os.devnull, os.O_RDWR)

def run(argv):
    """Wall and CPU (user + sys, descendants included) of one execution, in ms."""
    t0 = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                        (os.POSIX_SPAWN_DUP2, devnull, 1),
                                        (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - t0) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: " + " ".join(argv))
    return wall, (ru.ru_utime + ru.ru_stime) * 1e3

wall = {l: [] for l in labels}
cpu = {l: [] for l in labels}
for r in range(rounds + 1):                 # round 0 warms the page cache, untimed
    k = r % len(cmds)                       # each round starts one command later
    for c in cmds[k:] + cmds[:k]:
        w, u = run(c[1:])
        if r:
            wall[c[0]].append(w)
            cpu[c[0]].append(u)

def mean(l): return statistics.fmean(wall[l])
def fmt(x): return f"{x:.1f}" if x >= 10 else f"{x:.2f}"

if mode == "startup":   # first command = the floor
    f = labels[0]
    cf = statistics.fmean(cpu[f])
    print(f"\nStart-up, {rounds} interleaved runs each (ms; over = minus {f})\n")
    print("| program | wall mean | wall median | wall over | CPU mean | CPU over |")
    print("|---|---|---|---|---|---|")
    for l in labels:
        c = statistics.fmean(cpu[l])
        print(f"| {l} | {fmt(mean(l))} | {fmt(statistics.median(wall[l]))} | {fmt(mean(l) - mean(f))} | {fmt(c)} | {fmt(c - cf)} |")
    sys.exit(0)
inproc_path, files = sys.argv[4], sys.argv[5:]

print(f"\nPer process, {rounds} interleaved runs each (wall ms: mean, median, min; CPU = user + sys)\n")
print("| command | mean | median | min | CPU mean |")
print("|---|---|---|---|---|")
for l in labels:
    print(f"| {l} | {fmt(mean(l))} | {fmt(statistics.median(wall[l]))} | {fmt(min(wall[l]))} | {fmt(statistics.fmean(cpu[l]))} |")

floor = "floor: empty C program" if "floor: empty C program" in wall else "floor: /bin/true"
print(f"\nhashguard version: {fmt(mean('hashguard version'))} ms, "
      f"{fmt(mean('hashguard version') - mean(floor))} ms over the floor ({floor}, {fmt(mean(floor))} ms)")

inproc = {}
if inproc_path and os.path.exists(inproc_path):
    for b in json.load(open(inproc_path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            kind, name = b["run_name"].split("/")[0:2]
            inproc[(kind, name)] = b["real_time"]  # ms (the benchmarks' unit)

refs = sorted({l.split(" ")[0][4:] for l in labels if l.startswith("ref:")})
head = ["file", "KB", "djpeg", "hashguard hash", "hashguard / djpeg"]
for r in refs: head += [r, f"{r} / hashguard"]
head += ["in-process: decode only", "in-process: end to end", "end to end / decode only",
         "hashguard process - in-process end to end"]
print("\nPer file, wall ms (means of the runs above; in-process: bench_pdq medians of 3)\n")
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for f in files:
    n = os.path.basename(f)
    h, d = mean("hashguard " + n), mean("djpeg " + n)
    row = [n, f"{os.path.getsize(f) / 1024:.0f}", fmt(d), fmt(h), f"{h / d:.2f}x"]
    for r in refs:
        x = mean(f"ref:{r} {n}")
        row += [fmt(x), f"{x / h:.1f}x"]
    dec, e2e = inproc.get(("BM_FileTurboJpegDecodeOnly", n)), inproc.get(("BM_FileEndToEnd", n))
    if dec and e2e:
        row += [fmt(dec), fmt(e2e), f"{e2e / dec:.2f}x", fmt(h - e2e)]
    else:
        row += ["", "", "", ""]
    print("| " + " | ".join(row) + " |")
all_label = [l for l in labels if l.startswith("hashguard all")][0]
print(f"\n{all_label} in one process: {fmt(mean(all_label))} ms, {fmt(mean(all_label) / len(files))} ms per file")
PY

echo "Timing ${rounds} rounds of $(wc -l < "$cmds") commands, interleaved..."
/usr/bin/python3 "$work/timer.py" main "$cmds" "$rounds" "$inproc" "${files[@]}"

# Where start-up goes: an empty C program linked (--no-as-needed) against each
# library libhashguard.so and the CLI need (each brings its own dependencies), against all
# of them, against libhashguard.so itself (its constructors run too), then
# `hashguard version`; 4x the rounds (they are short).
[ -n "$floor_bin" ] || { echo "No cc: start-up breakdown skipped."; exit 0; }
lib="$(readlink -f "$build"/libhashguard.so)"
if [ ! -f "$lib" ]; then echo "No $build/libhashguard.so: start-up breakdown skipped."; exit 0; fi
echo
echo "LD_DEBUG=statistics $hg version:"
LD_DEBUG=statistics "$hg" version 2>&1 >/dev/null | grep -E 'total startup|relocation:|load objects' | sed 's/^ *[0-9]*: */  /'
bd="$work/startup.tsv"
printf 'empty C program	%s
' "$floor_bin" > "$bd"
all=()
while read -r name; do
  [ "$name" = libc.so.6 ] || [ "$name" = ld-linux-x86-64.so.2 ] && continue
  path=$(ldd "$hg" | awk -v n="$name" '$1 == n { print $3 }')
  [ -n "$path" ] || continue
  out="$work/empty-$name"
  cc -O2 -o "$out" "$work/empty.c" -Wl,--no-as-needed "$path"
  n=$(ldd "$out" | grep -c '=>')
  printf 'empty + %s (%d libraries)	%s
' "$name" "$n" "$out" >> "$bd"
  all+=("$path")
done < <(readelf -d "$lib" "$hg" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep -v '^libhashguard' | sort -u)
cc -O2 -o "$work/empty-all" "$work/empty.c" -Wl,--no-as-needed "${all[@]}"
printf 'empty + all of them (%d libraries)	%s
' "$(ldd "$work/empty-all" | grep -c '=>')" "$work/empty-all" >> "$bd"
cc -O2 -o "$work/empty-hashguard" "$work/empty.c" -Wl,--no-as-needed "$lib" -Wl,-rpath,"$(dirname "$lib")"
printf 'empty + libhashguard.so (%d libraries)	%s
' "$(ldd "$work/empty-hashguard" | grep -c '=>')" "$work/empty-hashguard" >> "$bd"
printf 'hashguard version	%s	version
' "$hg" >> "$bd"
/usr/bin/python3 "$work/timer.py" startup "$bd" $((rounds * 4))
