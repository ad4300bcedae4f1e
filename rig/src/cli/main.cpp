// pcirig: the QEMU orchestrator. See docs/rig.md.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return pcirig::cli_main(argc, argv); }
