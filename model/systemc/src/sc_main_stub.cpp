// libsystemc.so refers to sc_main, so the symbol must exist in every program
// that links the mesh. The CLI, the tests and the benchmarks have their own
// main() and elaborate each mesh into a fresh context (KernelScope); this
// function is never called.
#include <systemc>
extern "C" int sc_main(int, char*[]) { return 0; }
