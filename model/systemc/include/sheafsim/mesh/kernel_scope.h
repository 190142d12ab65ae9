#pragma once
// A fresh SystemC simulation context for as long as the scope lives. A
// process has one global kernel and it cannot be restarted once sc_start has
// run, so every mesh simulation (and every test) elaborates into its own
// context. Relies on two exported globals of SystemC 2.3.x (the Debian 12
// version); kept in this one header.
#include <systemc>

namespace sheafsim::mesh {

class KernelScope {
 public:
  KernelScope() {
    auto* ctx = new sc_core::sc_simcontext();
    sc_core::sc_curr_simcontext = ctx;
    sc_core::sc_default_global_context = ctx;
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  }
  ~KernelScope() {
    delete sc_core::sc_curr_simcontext;
    sc_core::sc_curr_simcontext = nullptr;  // the next access creates a new one
    sc_core::sc_default_global_context = nullptr;
  }
  KernelScope(const KernelScope&) = delete;
  KernelScope& operator=(const KernelScope&) = delete;
};

}  // namespace sheafsim::mesh
