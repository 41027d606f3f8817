// The files of resources/presets/, compiled into the binaries at build time (the .cpp is generated
// by cmake/embed_files.cmake), so that the executables find their presets from any folder.
#pragma once

#include <vector>

namespace wb::api {

struct EmbeddedFile {
    const char* name;  ///< file name, e.g. "gan-mixture2d.json"
    const char* text;
};

const std::vector<EmbeddedFile>& embedded_presets();

}  // namespace wb::api
