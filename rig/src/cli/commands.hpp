// pcirig's command line: stress, nightly [merge], history, repro, bundle, bench rig|control.
#pragma once

namespace pcirig {
int cli_main(int argc, char** argv);
}
