# The Yosys script of one edge-unit synthesis run (rtl/synth.cmake): what
# makes a netlist, kept apart from the report code so the cache of the
# gate-level netlists (rtl/gate_netlists.cmake) is stamped with this file only.
#
# edge_synth_script(<var> <rtl files> <chparam args> <liberty> <out dir> <name>)
#
# Flip-flop outputs keep their register names in the netlist (every other
# internal wire is made private before synthesis, so an alias such as a
# submodule port cannot take the name): rtl/sta.tcl finds a register's
# pipeline stage from it. The generic statistics (cells, transistors) are
# taken before mapping. ABC maps to the liberty's cells (&nf; its default
# -liberty script, with &fraig and scorr, does not finish on the
# multipliers), then buffers fanouts above 8 (the library has X1 cells only,
# no sizing).
function(edge_synth_script var rtl chparam liberty out name)
  set(abc_script "+strash;&get,-n;&dch,-f;&nf;&put;buffer,-N,8;topo")
  set(${var} "read_verilog -sv ${rtl}; chparam${chparam} edge_unit; hierarchy -top edge_unit; proc; flatten; \
rename -hide w:* x:* %d t:$*dff* %co:+[Q] w:* %i %d; synth -flatten -top edge_unit; \
tee -q -o ${out}/${name}_stat.txt stat; tee -q -o ${out}/${name}_stat_cmos.json stat -json -tech cmos; \
dfflibmap -liberty ${liberty}; abc -liberty ${liberty} -script ${abc_script}; opt_clean; \
hilomap -singleton -hicell LOGIC1_X1 Z -locell LOGIC0_X1 Z; opt_clean -purge; \
tee -q -o ${out}/${name}_stat_45nm.txt stat -liberty ${liberty}; \
tee -q -o ${out}/${name}_stat_45nm_ff.txt stat -liberty ${liberty} t:DFF_X1; \
tee -q -o ${out}/${name}_stat_45nm.json stat -json; \
rename edge_unit edge_unit_gate; write_verilog -noattr -noexpr ${out}/${name}_netlist.v" PARENT_SCOPE)
endfunction()
