# Parameter sets of the edge unit (rtl/edge_unit.sv): the one list the
# Verilator testbenches (tb/), the lint test and the synthesis report use.
# Formats are Q<X_I>.<X_F> (docs/fixed-point.md §1) of stalk S, weight W,
# bias B, residual R and constant C; ACC_W is the accumulator width.
#
#   q8   8-bit registers with different binary points per class (so an operand
#        taken from the wrong class shows), 2 guard bits in an 18-bit accumulator
#   q12  12- to 16-bit registers, every class a different format and width
#   q16  the project default: Q4.12 everywhere, constant Q1.31, ACC_W 48
set(EDGE_UNIT_SETS q8 q12 q16)
set(EDGE_UNIT_PARAMS_q8  S_I=3 S_F=5  W_I=2 W_F=6  B_I=4 B_F=4   R_I=3 R_F=5   C_I=1 C_F=15 ACC_W=18)
set(EDGE_UNIT_PARAMS_q12 S_I=4 S_F=8  W_I=3 W_F=9  B_I=5 B_F=11  R_I=2 R_F=12  C_I=1 C_F=23 ACC_W=30)
set(EDGE_UNIT_PARAMS_q16 S_I=4 S_F=12 W_I=4 W_F=12 B_I=4 B_F=12  R_I=4 R_F=12  C_I=1 C_F=31 ACC_W=48)

# Widths of the hash-key and tag ports (the RTL defaults, passed explicitly so
# the C++ side, which reads them from the generated headers, cannot disagree).
set(EDGE_UNIT_COMMON STEP_W=32 IDX_W=16 TAG_W=8)

# Mode encodings of the QUANT / OVF parameters (the fx::Quant / fx::Overflow
# order); QUANT 6 / OVF 2 select the mode per operation from cfg_quant / cfg_ovf.
set(EDGE_UNIT_QUANT_trn 0)
set(EDGE_UNIT_QUANT_trn_zero 1)
set(EDGE_UNIT_QUANT_rnd 2)
set(EDGE_UNIT_QUANT_rnd_zero 3)
set(EDGE_UNIT_QUANT_rnd_conv 4)
set(EDGE_UNIT_QUANT_stoch 5)
set(EDGE_UNIT_QUANT_runtime 6)
set(EDGE_UNIT_OVF_sat 0)
set(EDGE_UNIT_OVF_wrap 1)
set(EDGE_UNIT_OVF_runtime 2)

# The modes the synthesis report covers (quant:overflow).
set(EDGE_UNIT_SYNTH_MODES rnd_conv:sat stoch:sat trn:wrap)

# The RTL sources, in compile order.
set(EDGE_UNIT_RTL
  ${CMAKE_CURRENT_LIST_DIR}/edge_round.sv
  ${CMAKE_CURRENT_LIST_DIR}/edge_unit.sv)
set(EDGE_UNIT_WAIVERS ${CMAKE_CURRENT_LIST_DIR}/lint_waivers.vlt)
