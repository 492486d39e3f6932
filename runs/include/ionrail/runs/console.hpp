#pragma once
// The process's standard streams, made safe before a command starts.
//
// - A descriptor 0, 1 or 2 that the caller closed (`ionrail run … >&- 2>&-`)
//   is opened on /dev/null: otherwise the next file or pipe the command opens
//   takes its number, and progress meant for the terminal is written into an
//   output file (or into the signal clean-up's wake-up pipe, which then ended
//   the run as if interrupted).
// - stderr is best effort: a message that cannot be written (stderr on a full
//   disk, /dev/full, a closed pipe) is dropped; it never ends the command or
//   its clean-up. The results go to files, whose writes stay checked.
// - SIGPIPE is ignored: a reader of the progress that goes away
//   (`ionrail run … 2>&1 | head -1`) does not kill the command mid-write.
namespace ionrail::runs {

void prepare_standard_streams();

}  // namespace ionrail::runs
