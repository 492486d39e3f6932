// Every file a user names is read by the same rules (model_io/input_file.hpp,
// docs/reliability.md): a FIFO or a device is refused at once instead of
// blocking or reading forever, a file over its bound is refused naming the
// bound; and table.csv is checked column by column (docs/compact-model-format.md).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <ionrail/calibration/ensemble.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/kat/kat.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

class scratch {
 public:
  scratch() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        fs::temp_directory_path() / ("ionrail_files_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // A FIFO nobody writes: opening it for reading the ordinary way blocks.
  std::string fifo(const std::string& name) const {
    const std::string p = path(name);
    std::error_code ec;
    fs::remove(p, ec);
    EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0) << p;
    return p;
  }
  // A sparse file of BYTES (no disk space is used).
  std::string sparse(const std::string& name, std::uintmax_t bytes) const {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary) << "x";
    fs::resize_file(p, bytes);
    return p;
  }
  // A copy of a shipped table directory.
  fs::path table(const std::string& shipped) const {
    const fs::path to = dir_ / "table";
    fs::remove_all(to);
    fs::copy(fs::path(IONRAIL_SOURCE_DIR) / shipped, to);
    return to;
  }

 private:
  fs::path dir_;
};

::testing::AssertionResult has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "message: " << text << "\n  lacks: " << part;
}

// The refusal CALL throws, run on another thread: a call still blocked after
// 5 s ends the test binary with a failure (its thread cannot be stopped, and
// waiting for it would block the suite).
std::string refusal(const std::function<void()>& call) {
  auto result = std::async(std::launch::async, [call]() -> std::string {
    try {
      call();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "(accepted)";
  });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: %s: the read blocked for 5 s instead of refusing the file\n",
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Each kind of input, read through the function the program reads it with.
std::string table_file_error(const fs::path& dir, model_io::table_format f) {
  return refusal([&] { (void)model_io::load_table(dir.string(), f); });
}
std::string checkpoint_error(const std::string& file) {
  return refusal([&] { (void)calibration::read_checkpoint(file, "run"); });
}
std::string waveform_error(const std::string& file) {
  return refusal([&] { (void)kmc::read_waveform_csv(file); });
}
std::string run_file_error(const std::string& file) {
  return refusal([&] { (void)config::load_run_config(file, {}); });
}
std::string vector_file_error(const std::string& file) {
  return refusal([&] { (void)kat::read_lines(file); });
}

const char* const table_formats_files[][2] = {{"csv", "table.csv"}, {"hex", "table.hex"}, {"header", "table.h"}};

// ---------------------------------------------------------------- FIFOs and devices

TEST(InputFiles, FifoIsRefusedAtOnce) {
  scratch s;
  for (const auto& [format, file] : table_formats_files) {
    const fs::path dir = s.table("tests/kat/tables/kat");
    fs::remove(dir / file);
    s.fifo("table/" + std::string(file));
    EXPECT_TRUE(has(table_file_error(dir, model_io::parse_table_format(format)),
                    (dir / file).string() + ": cannot open table file (a FIFO, not a regular file)"));
  }
  {
    const fs::path dir = s.table("tests/kat/tables/kat");
    fs::remove(dir / "table.json");
    s.fifo("table/table.json");
    EXPECT_TRUE(has(table_file_error(dir, model_io::table_format::csv),
                    (dir / "table.json").string() + ": cannot open table file (a FIFO, not a regular file)"));
  }
  const std::string fifo = s.fifo("input");
  EXPECT_EQ(checkpoint_error(fifo), fifo + ": cannot open the checkpoint (a FIFO, not a regular file)");
  EXPECT_EQ(waveform_error(fifo), fifo + ": cannot open waveform (protocol.waveform_csv): a FIFO, not a regular file");
  EXPECT_TRUE(has(run_file_error(fifo), fifo + ": cannot open the run file (a FIFO, not a regular file)"));
  EXPECT_EQ(vector_file_error(fifo), fifo + ": cannot open known-answer vector file (a FIFO, not a regular file)");
}

TEST(InputFiles, FilesNamedInARunFileAreRefusedAtOnce) {
  // The configuration takes only regular files as the files it names (a FIFO
  // is "cannot open"), and reads them by the same rules.
  scratch s;
  const std::string fifo = s.fifo("w.csv");
  std::ofstream(s.path("run.toml")) << "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"w.csv\"\n";
  EXPECT_TRUE(has(run_file_error(s.path("run.toml")),
                  "run.toml:3: protocol.waveform_csv = \"w.csv\": cannot open '" + fifo + "'"));
  const std::string energy = s.fifo("energy.csv");
  std::ofstream(s.path("run2.toml")) << "[device]\nsite_energy_csv = \"energy.csv\"\n";
  EXPECT_TRUE(has(run_file_error(s.path("run2.toml")),
                  "run2.toml:2: device.site_energy_csv = \"energy.csv\": cannot open '" + energy + "'"));
  // A waveform over 64 MiB (the was 77.8 MB).
  fs::remove(fifo);
  s.sparse("w.csv", std::uintmax_t{65} << 20);
  const std::string e = run_file_error(s.path("run.toml"));
  EXPECT_TRUE(has(e, "run.toml:3: protocol.waveform_csv = \"w.csv\": ")) << e;
  EXPECT_TRUE(
      has(e, fifo + ": cannot open waveform (protocol.waveform_csv): 68157440 bytes, more than the limit of 64 MiB"))
      << e;
}

TEST(InputFiles, DotDotAfterASymbolicLinkIsTheSystemsDotDot) {
  // work/exp is a link to real/exp; the run file there names
  // "../data/w.csv", which the system (and the user's shell) resolves to
  // real/data/w.csv. Taken as text it was work/data/w.csv: another file,
  // read without a word (a two-class digits set instead of the shipped one).
  scratch s;
  fs::create_directories(s.path("real/exp"));
  fs::create_directories(s.path("real/data"));
  fs::create_directories(s.path("work/data"));
  fs::create_directory_symlink(fs::path(s.path("real/exp")), s.path("work/exp"));
  std::ofstream(s.path("real/exp/run.toml")) << "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"../data/w.csv\"\n";
  std::ofstream(s.path("real/data/w.csv")) << "time_s,volts\n0,0\n1,0.5\n";
  std::ofstream(s.path("work/data/w.csv")) << "time_s,volts\n0,0\n7,2\n";  // the decoy
  const auto cfg = config::load_run_config(s.path("work/exp/run.toml"));
  EXPECT_TRUE(fs::equivalent(cfg.protocol.waveform_csv, s.path("real/data/w.csv"))) << cfg.protocol.waveform_csv;
  // Without a link the tidy form is kept.
  std::ofstream(s.path("work/run.toml")) << "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"./data/../data/w.csv\"\n";
  EXPECT_EQ(config::load_run_config(s.path("work/run.toml")).protocol.waveform_csv, s.path("work/data/w.csv"));
}

TEST(InputFiles, CalibrationCheckpointFilesThatAreFifosAreRefusedAtOnce) {
  // A calibration's checkpoint directory: the bins of a finished run
  // (run_K.bins) and the state of a run part-way (run_K.state).
  scratch s;
  kmc::device_params material;
  material.sites = 20;
  material.thickness_nm = 20;
  material.zones = 4;
  calibration::calibration_params c;
  c.devices = 4;
  c.device_rails = 20;
  c.runs = 1;
  c.duration_s = 2.0;
  c.dt_m_s = 0.05;
  c.v_max_v = 2.0;
  c.noise_lag_s = 0.2;
  const std::string dir = s.path("checkpoint");
  fs::create_directories(dir);
  auto collect = [&] { (void)calibration::collect_transitions(material, kmc::sim_params{}, c, true, dir); };
  const std::string bins = s.fifo("checkpoint/run_0.bins");
  EXPECT_TRUE(has(refusal(collect), bins + ": cannot open the checkpoint (a FIFO, not a regular file)"));
  fs::remove(bins);
  const std::string state = s.fifo("checkpoint/run_0.state");
  EXPECT_TRUE(has(refusal(collect), state + ": cannot open the checkpoint (a FIFO, not a regular file)"));
}

TEST(InputFiles, DeviceIsRefusedAtOnce) {
  if (!fs::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  scratch s;
  {
    const fs::path dir = s.table("tests/kat/tables/kat");
    fs::remove(dir / "table.csv");
    fs::create_symlink("/dev/zero", dir / "table.csv");
    EXPECT_TRUE(
        has(table_file_error(dir, model_io::table_format::csv),
            (dir / "table.csv").string() + ": cannot open table file (a character device, not a regular file)"));
  }
  EXPECT_EQ(checkpoint_error("/dev/zero"),
            "/dev/zero: cannot open the checkpoint (a character device, not a regular file)");
  EXPECT_EQ(waveform_error("/dev/zero"),
            "/dev/zero: cannot open waveform (protocol.waveform_csv): a character device, not a regular file");
  EXPECT_TRUE(
      has(run_file_error("/dev/zero"), "/dev/zero: cannot open the run file (a character device, not a regular file)"));
  EXPECT_EQ(vector_file_error("/dev/zero"),
            "/dev/zero: cannot open known-answer vector file (a character device, not a regular file)");
}

// ---------------------------------------------------------------- bounds

TEST(InputFiles, FileOverTheLimitIsRefusedNamingIt) {
  scratch s;
  constexpr std::uintmax_t size = std::uintmax_t{65} << 20;
  const std::string big = s.sparse("big", size);
  const std::string said = "68157440 bytes, more than the limit of 64 MiB";
  EXPECT_EQ(waveform_error(big), big + ": cannot open waveform (protocol.waveform_csv): " + said);
  EXPECT_TRUE(has(run_file_error(big), big + ": cannot open the run file (" + said + ")"));
  EXPECT_EQ(vector_file_error(big), big + ": cannot open known-answer vector file (" + said + ")");
  const fs::path dir = s.table("tests/kat/tables/kat");
  fs::resize_file(dir / "table.csv", size);
  EXPECT_EQ(table_file_error(dir, model_io::table_format::csv),
            (dir / "table.csv").string() + ": cannot open table file (" + said + ")");
  std::string bytes, why;
  EXPECT_FALSE(model_io::try_read_input_file(big, 1000, bytes, why));
  EXPECT_EQ(why, "68157440 bytes, more than the limit of 1000 bytes");
  // At the limit: read whole.
  const std::string small = s.sparse("small", 1000);
  ASSERT_TRUE(model_io::try_read_input_file(small, 1000, bytes, why)) << why;
  EXPECT_EQ(bytes.size(), 1000u);
}

TEST(InputFiles, CheckpointOverItsLimitIsRefusedNamingIt) {
  scratch s;
  const std::string big = s.path("checkpoint");
  std::ofstream(big) << "x";
  std::error_code ec;
  fs::resize_file(big, (std::uintmax_t{16} << 30) + 1, ec);  // sparse
  if (ec) GTEST_SKIP() << "this file system cannot hold a sparse 16 GiB file: " << ec.message();
  EXPECT_EQ(checkpoint_error(big),
            big + ": cannot open the checkpoint (17179869185 bytes, more than the limit of 16 GiB)");
}

TEST(InputFiles, MissingAndDirectoryAreNamed) {
  scratch s;
  EXPECT_EQ(refusal([&] { (void)model_io::read_input_file(s.path("none"), 10, "thing"); }),
            s.path("none") + ": cannot open thing (no such file)");
  EXPECT_EQ(refusal([&] { (void)model_io::read_input_file(s.path(""), 10, "thing"); }),
            s.path("") + ": cannot open thing (is a directory)");
}

// ---------------------------------------------------------------- table.csv, column by column

// The shipped synthetic table with one field of one data row replaced
// (line 2 is the first data row); the error of loading it as CSV.
class table_csv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = s_.table("tests/kat/tables/kat");
    good_ = slurp(dir_ / "table.csv");
    std::istringstream in(good_);
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
  }
  std::vector<std::string> fields(int line) const {
    std::vector<std::string> f;
    std::stringstream ls(lines_[static_cast<std::size_t>(line - 1)]);
    for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
    return f;
  }
  // Load with the given edits: {line, column, value}.
  struct edit {
    int line;
    int column;
    std::string value;
  };
  std::string error_with(const std::vector<edit>& edits) {
    std::vector<std::string> lines = lines_;
    for (const auto& e : edits) {
      std::string& line = lines[static_cast<std::size_t>(e.line - 1)];
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
      f[static_cast<std::size_t>(e.column)] = e.value;
      line.clear();
      for (std::size_t k = 0; k < f.size(); ++k) line += (k ? "," : "") + f[k];
    }
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    std::ofstream(dir_ / "table.csv", std::ios::binary) << text;
    try {
      (void)model_io::load_table(dir_.string(), model_io::table_format::csv);
    } catch (const input_error& e) {
      return e.what();
    }
    return "(accepted)";
  }
  std::string at(int line) const { return (dir_ / "table.csv").string() + ":" + std::to_string(line) + ": "; }

  scratch s_;
  fs::path dir_;
  std::string good_;
  std::vector<std::string> lines_;
};

TEST_F(table_csv, TheShippedFileLoads) { EXPECT_EQ(error_with({}), "(accepted)"); }

TEST_F(table_csv, DecodedValueThatIsNotANumber) {
  EXPECT_TRUE(has(error_with({{3, 4, "GARBAGE"}}), at(3) + "drift = 'GARBAGE': expected a decimal number ("));
  EXPECT_TRUE(has(error_with({{4, 5, ""}}), at(4) + "noise = '': expected a decimal number ("));
  EXPECT_TRUE(has(error_with({{5, 6, "nan"}}), at(5) + "fluct = 'nan': expected a decimal number ("));
  EXPECT_TRUE(has(error_with({{2, 7, "0x1p-20"}}), at(2) + "g_s = '0x1p-20': expected a decimal number ("));
}

TEST_F(table_csv, DecodedValueThatDisagreesWithItsRawColumn) {
  // Line 3 (state 0, voltage 1): drift -0.0499999998 from drift_raw -53687091.
  EXPECT_EQ(fields(3)[4], "-0.0499999998");
  EXPECT_EQ(error_with({{3, 4, "-0.05"}}),
            at(3) + "drift = '-0.05': expected -0.0499999998 (drift_raw in Q1.30, to 9 significant digits)");
  EXPECT_EQ(error_with({{3, 8, "-53687092"}}),
            at(3) + "drift = '-0.0499999998': expected -0.0500000007 (drift_raw in Q1.30, to 9 significant digits)");
  EXPECT_TRUE(has(error_with({{4, 5, "1"}}), at(4) + "noise = '1': expected "));
  EXPECT_TRUE(has(error_with({{5, 6, "1"}}), at(5) + "fluct = '1': expected "));
  EXPECT_EQ(
      error_with({{6, 7, "2e-06"}}),
      at(6) + "g_s = '2e-06': expected 1e-06 (g_raw in Q11.20 microsiemens, in siemens, to 9 significant digits)");
  // The same values written otherwise are the same values.
  EXPECT_EQ(error_with({{3, 4, "-4.99999998e-2"}, {6, 7, "0.000001"}}), "(accepted)");
}

TEST_F(table_csv, GridColumnsMustMatchTheIndices) {
  EXPECT_EQ(fields(3)[2], "0");
  EXPECT_EQ(error_with({{3, 2, "0.125"}}),
            at(3) + "s = '0.125': expected 0 (the state of i_s = 0, to 9 significant digits)");
  EXPECT_EQ(error_with({{3, 3, "-6"}}),
            at(3) + "v_v = '-6': expected -4 (the voltage of i_v = 1, to 9 significant digits)");
}

TEST_F(table_csv, GRawMustBeTheSameOnEveryRowOfAState) {
  // g_raw edited alone: its g_s no longer agrees.
  EXPECT_TRUE(has(error_with({{4, 11, "1048577"}}), at(4) + "g_s = '1e-06': expected 1.00000095e-06"));
  // g_raw and g_s edited together in one row: the state's other rows disagree.
  EXPECT_EQ(
      error_with({{4, 7, "1.00000095e-06"}, {4, 11, "1048577"}}),
      at(4) + "g_raw = '1048577': expected 1048576, the g_raw of state i_s = 0 on line 2 (g is one value per state)");
}

TEST_F(table_csv, SamplesAndVisited) {
  EXPECT_EQ(error_with({{3, 12, "-1"}}), at(3) + "samples = '-1': expected an integer in [0, 9223372036854775807]");
  EXPECT_EQ(error_with({{3, 12, "1.5"}}), at(3) + "samples = '1.5': expected an integer in [0, 9223372036854775807]");
  EXPECT_EQ(error_with({{3, 13, "2"}}), at(3) + "visited = '2': expected an integer in [0, 1]");
  EXPECT_EQ(error_with({{3, 12, "17"}, {3, 13, "0"}}), "(accepted)");
}

TEST_F(table_csv, Header) {
  lines_[0] = "i_s,i_v,s,v,drift,noise,fluct,g_s,drift_raw,noise_raw,fluct_raw,g_raw,samples,visited";
  EXPECT_TRUE(has(error_with({}), at(1) + "header 'i_s,i_v,s,v,drift"));
}

// ---------------------------------------------------------------- what ships

TEST(InputFiles, EveryShippedTableLoadsInEveryFormat) {
  int loaded = 0;
  for (const char* root : {"tables", "tests/kat/tables"})
    for (const auto& entry : fs::directory_iterator(fs::path(IONRAIL_SOURCE_DIR) / root)) {
      if (!fs::exists(entry.path() / "table.json")) continue;
      std::uint64_t sum = 0;
      for (const auto& [format, file] : table_formats_files) {
        SCOPED_TRACE(entry.path().string() + " " + format);
        const auto t = model_io::load_table(entry.path().string(), model_io::parse_table_format(format));
        if (sum == 0) sum = t.checksum();
        EXPECT_EQ(t.checksum(), sum);
        (void)file;
      }
      ++loaded;
    }
  EXPECT_GE(loaded, 6);
}

}  // namespace
