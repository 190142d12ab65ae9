#!/usr/bin/env bash
# check_trace_vcd.sh SHEAFSIM OUTDIR
#   `simulate --trace FILE --trace-window 100:2000` writes a VCD in 1 ns that
#   declares PEs, vertex units and links, whose timestamps increase and lie in
#   the window (from 100 to 2000); the statistics block and the JSON report
#   name the file. Without --trace-window the file ends at total_cycles.
set -u
S=$1 T=$2
vcd=$T/trace.vcd
fail() { echo "FAIL: $*"; exit 1; }
rm -f "$vcd" "$T/trace.json"
out=$("$S" simulate --task paraboloid --layers 2,30,1 --n-train 40 --steps 20 --mesh 2x3 --time-multiplex true \
      --random-stalls 3 --trace "$vcd" --trace-window 100:2000 --report "$T/trace.json") || fail "simulate failed"
[ -s "$vcd" ] || fail "no VCD written"
[ ! -e "$vcd.tmp" ] || fail "temporary file left behind"
grep -q '^\$timescale 1ns \$end$' "$vcd" || fail "no 1ns timescale"
grep -q '^\$enddefinitions \$end$' "$vcd" || fail "no end of definitions"
grep -q '^\$scope module pe_r0_c1 \$end$' "$vcd" || fail "no pe_r0_c1 scope"
grep -q '^\$scope module vu_l1_n0 \$end$' "$vcd" || fail "no vertex unit scope"
grep -qE '^\$var wire 1 [^ ]+ link_r[0-9]+_c[0-9]+_(east|west|south|north) \$end$' "$vcd" || fail "no link signal"
stamps=$(grep '^#' "$vcd" | tr -d '#')
[ "$(echo "$stamps" | head -1)" = 100 ] || fail "first timestamp is not the window start"
[ "$(echo "$stamps" | tail -1)" = 2000 ] || fail "last timestamp is not the window end"
echo "$stamps" | sort -n -c -u || fail "timestamps do not strictly increase"
[ "$(echo "$stamps" | wc -l)" -gt 10 ] || fail "hardly any activity in the window"
echo "$out" | grep -qE "^trace: +$vcd$" || fail "the statistics block does not name the trace"
echo "$out" | grep -qE "^trace_cycles: +100\.\.2000$" || fail "the statistics block does not give the window"
grep -q '"value_changes"' "$T/trace.json" || fail "the report has no trace object"
# The whole run: from 0 to total_cycles.
out=$("$S" simulate --task paraboloid --layers 2,30,1 --n-train 40 --steps 5 --mesh 2x2 --trace "$vcd") || fail "simulate failed"
total=$(echo "$out" | sed -n 's/^total_cycles: *//p')
[ "$(grep '^#' "$vcd" | head -1)" = "#0" ] || fail "whole run: first timestamp is not 0"
[ "$(grep '^#' "$vcd" | tail -1)" = "#$total" ] || fail "whole run: last timestamp is not total_cycles ($total)"
echo "ok: trace VCD"
