#pragma once
// The one file writer of ionrail: every output file is written whole to
// FILE.tmp-PID, flushed to disk and renamed over FILE, so a reader (or a
// command killed half-way) sees the old file or the new one, never a part,
// and every write error is reported.
#include <filesystem>
#include <string_view>

namespace ionrail::model_io {

// Throws std::runtime_error naming the file and the system's reason if
// anything fails (the temporary file is removed then).
void write_file_atomic(const std::filesystem::path& file, std::string_view bytes);

}  // namespace ionrail::model_io
