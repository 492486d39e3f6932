#pragma once
// Where the `ionrail` command finds its shipped files (experiments,
// materials, tables, data): PREFIX/share/ionrail next to the PREFIX/bin it
// runs from, so an installed tree works wherever it is moved; the source
// tree only for the binary in the build tree it was built in.
#include <filesystem>

namespace ionrail::app {

// $IONRAIL_DATA_DIR if set; else BIN/../share/ionrail if it exists; else
// the source tree when this executable is the build tree's; else empty.
std::filesystem::path shipped_data_dir();

}  // namespace ionrail::app
