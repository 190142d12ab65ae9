# OpenSTA script: static timing of one cell-mapped edge-unit netlist
# (rtl/synth.cmake runs it: sta -no_init -exit rtl/sta.tcl).
#
# Inputs (environment): STA_SETUP (rtl/sta_setup.tcl), STA_LIBERTY, STA_NETLIST (top module edge_unit_gate),
# STA_LATENCY (pipeline stages), STA_OUT (JSON fragment to write),
# STA_REPORT (text report of the worst path).
#
# Constraints (rtl/sta_setup.tcl, shared with pe_sta.tcl): one ideal clock, period 10 ns (only the slack is read back:
# min period = 10 - worst slack); inputs arrive at the clock edge (input delay
# 0, as if from a register with zero clock-to-Q) driven by a BUF_X1; outputs
# are due at the next edge (output delay 0) into 2 fF. No wire loads.
#
# Stages: a path belongs to the stage of the register it ends at, found from
# the register's Q net: s<k>_* and g_hash.<name><k> are stage k, out_* is the
# last stage, vld is control; paths ending at output ports are "outputs".
# Logic levels = combinational cells on the path.

set period 10.0
source $::env(STA_SETUP)
sta_setup edge_unit_gate $period

set latency $::env(STA_LATENCY)

# Endpoint D pins per stage, and the register (Q net) name of each endpoint.
array set ends {}
array set reg_of {}
foreach inst [get_cells -filter "ref_name == DFF_X1"] {
  set iname [get_full_name $inst]
  set qnet [get_full_name [get_nets -of_objects [get_pins $iname/Q]]]
  if {[regexp {^s([0-9]+)_} $qnet -> k]} {
    set stage "S$k"
  } elseif {[regexp {^g_hash\.[a-z_]*?([0-9]+)} $qnet -> k]} {
    set stage "S$k"
  } elseif {[regexp {^out_} $qnet]} {
    set stage "S$latency"
  } elseif {[regexp {^vld} $qnet]} {
    set stage "control"
  } else {
    set stage "other"
  }
  lappend ends($stage) [get_pins $iname/D]
  set reg_of($iname/D) $qnet
  set reg_of($iname/CK) $qnet
  set reg_of($iname/Q) $qnet
}

proc json_str {s} { return "\"[string map {\\ \\\\ \" \\\"} $s]\"" }

# Name of a path point: a register's Q net for flip-flop pins, else the pin or port.
proc point_name {pin} {
  global reg_of
  set n [get_full_name $pin]
  if {[info exists reg_of($n)]} { return $reg_of($n) }
  return $n
}

# The worst path to the given endpoints, as a JSON object.
proc path_json {path_ends} {
  global period
  set pe [lindex $path_ends 0]
  set slack [get_property $pe slack]
  set pts [get_property $pe points]
  set sp [get_property $pe startpoint]
  set ep [get_property $pe endpoint]
  set levels 0
  foreach pt $pts {
    set pin [get_property $pt pin]
    set n [get_full_name $pin]
    if {[string first / $n] >= 0 && [get_property $pin direction] eq "output"} { incr levels }
  }
  # The start register's Q pin is not a logic level.
  if {[string first / [get_full_name $sp]] >= 0} { incr levels -1 }
  set arrival [get_property [lindex $pts end] arrival]
  return [format "{\"start\": %s, \"end\": %s, \"delay_ns\": %.3f, \"slack_ns\": %.3f, \"levels\": %d}" \
            [json_str [point_name $sp]] [json_str [point_name $ep]] $arrival $slack $levels]
}

set worst [find_timing_paths -path_delay max -group_count 1]
set wns [get_property [lindex $worst 0] slack]
set min_period [expr {$period - $wns}]
set fmax [expr {1000.0 / $min_period}]
# (path ends live until the next find_timing_paths: format each one at once)
set critical [path_json $worst]

set stage_json {}
set names {}
for {set k 1} {$k <= $latency} {incr k} { lappend names "S$k" }
lappend names control other
foreach st $names {
  if {![info exists ends($st)]} { continue }
  set pes [find_timing_paths -path_delay max -group_count 1 -to $ends($st)]
  lappend stage_json "[json_str $st]: [path_json $pes]"
}
set pes [find_timing_paths -path_delay max -group_count 1 -to [all_outputs]]
lappend stage_json "\"outputs\": [path_json $pes]"

set f [open $::env(STA_OUT) w]
puts $f [format "{\"clock_period_ns\": %.1f, \"min_period_ns\": %.3f, \"fmax_mhz\": %.1f,\n      \"critical_path\": %s,\n      \"stages\": {%s}}" \
          $period $min_period $fmax $critical [join $stage_json ",\n        "]]
close $f

report_checks -path_delay max -digits 3 -format full_clock > $::env(STA_REPORT)
puts [format "fmax %.1f MHz (min period %.3f ns)" $fmax $min_period]
