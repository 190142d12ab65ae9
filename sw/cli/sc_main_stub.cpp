// libsystemc.so refers to sc_main, so the symbol must exist; the CLI has its
// own main() and elaborates each mesh into a fresh context (KernelScope).
#include <systemc>
extern "C" int sc_main(int, char*[]) { return 0; }
