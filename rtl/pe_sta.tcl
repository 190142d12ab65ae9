# OpenSTA script: the worst path of the cell-mapped PE netlist (rtl/pe_synth.cmake
# runs it: sta -no_init -exit rtl/pe_sta.tcl). Inputs (environment):
# STA_LIBERTY, STA_NETLIST (top module pe_core), STA_OUT (JSON fragment).
# Constraints as rtl/sta.tcl: one ideal clock, inputs at the edge from a
# BUF_X1, outputs due at the next edge into 2 fF, no wire loads.
set period 10.0
read_liberty $::env(STA_LIBERTY)
read_verilog $::env(STA_NETLIST)
link_design pe_core
create_clock -name clk -period $period [get_ports clk]
set data_inputs [delete_from_list [all_inputs] [get_ports clk]]
set_input_delay 0 -clock clk $data_inputs
set_driving_cell -lib_cell BUF_X1 -pin Z $data_inputs
set_output_delay 0 -clock clk [all_outputs]
set_load 2.0 [all_outputs]
set path [lindex [find_timing_paths -path_delay max -group_count 1] 0]
set slack [get_property $path slack]
set start [get_full_name [get_property $path startpoint]]
set end [get_full_name [get_property $path endpoint]]
set min_period [expr {$period - $slack}]
set f [open $::env(STA_OUT) w]
puts $f [format "{\"min_period_ns\": %.3f, \"fmax_mhz\": %.1f, \"critical_start\": \"%s\", \"critical_end\": \"%s\"}" \
  $min_period [expr {1000.0 / $min_period}] $start $end]
close $f
