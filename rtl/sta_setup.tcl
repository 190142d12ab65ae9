# The one timing setup of every OpenSTA run (sourced by rtl/sta.tcl and
# rtl/pe_sta.tcl): the liberty and the netlist from STA_LIBERTY and
# STA_NETLIST, linked as `top`; one ideal clock of `period` ns (only the slack
# is read back: min period = period - worst slack); inputs arrive at the clock
# edge (input delay 0, as if from a register with zero clock-to-Q) driven by a
# BUF_X1; outputs are due at the next edge (output delay 0) into 2 fF. No wire loads.
proc sta_setup {top period} {
  read_liberty $::env(STA_LIBERTY)
  read_verilog $::env(STA_NETLIST)
  link_design $top
  create_clock -name clk -period $period [get_ports clk]
  set data_inputs [delete_from_list [all_inputs] [get_ports clk]]
  set_input_delay 0 -clock clk $data_inputs
  set_driving_cell -lib_cell BUF_X1 -pin Z $data_inputs
  set_output_delay 0 -clock clk [all_outputs]
  set_load 2.0 [all_outputs]
}
