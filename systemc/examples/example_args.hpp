#pragma once
// The command line of the table-driven examples (sc_memristor_pulses,
// sc_stdp_pair, sc_tile_cpu):   NAME [TABLE_DIR]   or   NAME -h | --help
// --help/-h prints the usage on stdout and exits 0; an option the example
// does not know, or a second directory, prints it on stderr and exits 2
// (before SystemC elaborates anything). The exit is a usage_exit thrown to
// sc_main, which returns its code: std::exit inside sc_main would skip
// SystemC's own clean-up (its copy of argv), which LeakSanitizer reports.
#include <cstdio>
#include <string>

namespace ionrail::sc_examples {

// Thrown where the command line ends the program; sc_main returns `code`.
struct usage_exit {
  int code;
};

[[noreturn]] inline void usage(const char* name, const char* what, int code) {
  std::FILE* out = code == 0 ? stdout : stderr;
  std::fprintf(out,
               "usage: %s [TABLE_DIR]\n"
               "%s\n"
               "  TABLE_DIR   a response-table directory of format 2 (table.json and the .hex files,\n"
               "              as `ionrail calibrate` writes them); default: %s/tables/polymer\n"
               "  -h, --help  this text\n"
               "exit status: 0 pass, 1 a difference or an unreadable table, 2 usage error\n",
               name, what, IONRAIL_SOURCE_DIR);
  throw usage_exit{code};
}

// The table directory named on the command line, or the default.
inline std::string table_dir_arg(int argc, char** argv, const char* name, const char* what) {
  std::string dir;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "-h" || a == "--help") usage(name, what, 0);
    if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "%s: unknown option '%s'\n", name, a.c_str());
      usage(name, what, 2);
    }
    if (!dir.empty()) {
      std::fprintf(stderr, "%s: one TABLE_DIR only ('%s', then '%s')\n", name, dir.c_str(), a.c_str());
      usage(name, what, 2);
    }
    dir = a;
  }
  return dir.empty() ? std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer" : dir;
}

}  // namespace ionrail::sc_examples
