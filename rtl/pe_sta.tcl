# OpenSTA script: the worst path of the cell-mapped PE netlist (rtl/pe_synth.cmake
# runs it: sta -no_init -exit rtl/pe_sta.tcl). Inputs (environment):
# STA_SETUP (rtl/sta_setup.tcl), STA_LIBERTY, STA_NETLIST (top module pe_core), STA_OUT (JSON fragment).
# Constraints: rtl/sta_setup.tcl, as for the edge unit.
set period 10.0
source $::env(STA_SETUP)
sta_setup pe_core $period
set path [lindex [find_timing_paths -path_delay max -group_count 1] 0]
set slack [get_property $path slack]
set start [get_full_name [get_property $path startpoint]]
set end [get_full_name [get_property $path endpoint]]
set min_period [expr {$period - $slack}]
set f [open $::env(STA_OUT) w]
puts $f [format "{\"min_period_ns\": %.3f, \"fmax_mhz\": %.1f, \"critical_start\": \"%s\", \"critical_end\": \"%s\"}" \
  $min_period [expr {1000.0 / $min_period}] $start $end]
close $f
