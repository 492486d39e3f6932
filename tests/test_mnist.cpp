// circuits/mnist: the IDX loader on data/mnist10k (shape, the README's class
// counts) and its refusals, each naming the file: missing, not gzip,
// truncated or corrupted gzip, wrong magic, sizes that disagree with the
// data, image and label counts that differ, a label over 9; and the seeded
// 8,000 / 2,000 split.
#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <ionrail/circuits/mnist.hpp>

namespace {

using namespace ionrail;
namespace fs = std::filesystem;

const std::string mnist_dir = std::string(IONRAIL_SOURCE_DIR) + "/data/mnist10k/";
const std::string images_file = mnist_dir + "images-idx3-ubyte.gz";
const std::string labels_file = mnist_dir + "labels-idx1-ubyte.gz";

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::vector<char> gunzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::vector<char> out;
  char buf[8192];
  int got = 0;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + got);
  gzclose(f);
  return out;
}

void write_gzip(const std::string& path, const std::vector<char>& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  gzclose(f);
}

// A scratch directory of its own per test (inside the build tree, TEST_TMPDIR).
std::string scratch(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("mnist_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string() + "/";
}

// load_mnist must throw std::invalid_argument whose message names `file` and contains `what`.
void expect_refusal(const std::string& images, const std::string& labels, const std::string& file,
                    const std::string& what) {
  try {
    circuits::load_mnist(images, labels);
    ADD_FAILURE() << "no error for " << file << " (" << what << ")";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(file + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST(Mnist, ShapeAndClassCountsOfTheShippedSet) {
  const circuits::mnist_set s = circuits::load_mnist(images_file, labels_file);
  EXPECT_EQ(s.count, 10000);
  EXPECT_EQ(s.rows, 28);
  EXPECT_EQ(s.cols, 28);
  ASSERT_EQ(s.images.size(), 10000u * 28 * 28);
  ASSERT_EQ(s.labels.size(), 10000u);
  EXPECT_EQ(*std::min_element(s.images.begin(), s.images.end()), 0);
  EXPECT_EQ(*std::max_element(s.images.begin(), s.images.end()), 255);
  std::array<int, 10> counts{};
  for (std::uint8_t l : s.labels) ++counts[l];
  // data/mnist10k/README.md
  EXPECT_EQ(counts, (std::array<int, 10>{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}));
}

TEST(Mnist, MissingAndNonGzipFilesAreRefusedByName) {
  const std::string d = scratch("missing");
  expect_refusal(d + "nowhere.gz", labels_file, d + "nowhere.gz", "cannot open");
  expect_refusal(images_file, d + "nowhere.gz", d + "nowhere.gz", "cannot open");
  write_bytes(d + "plain", gunzip_file(labels_file));
  expect_refusal(images_file, d + "plain", d + "plain", "not a gzip file");
}

TEST(Mnist, TruncatedOrCorruptedGzipIsRefusedByName) {
  const std::string d = scratch("gzip");
  const std::vector<char> raw = read_bytes(labels_file);
  ASSERT_GT(raw.size(), 40u);  // ~100 bytes: the labels are grouped by class
  write_bytes(d + "cut.gz", std::vector<char>(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(raw.size() / 2)));
  expect_refusal(images_file, d + "cut.gz", d + "cut.gz", "gzip data truncated or corrupted");
  // One byte flipped inside the deflate stream (past the 10-byte gzip header,
  // before the 8-byte trailer): a bad block or a CRC that does not match.
  std::vector<char> bad = raw;
  bad[raw.size() / 2] = static_cast<char>(bad[raw.size() / 2] ^ 0x5a);
  write_bytes(d + "flip.gz", bad);
  expect_refusal(images_file, d + "flip.gz", d + "flip.gz", "gzip data truncated or corrupted");
  // The images too: a cut in the middle of a large stream.
  const std::vector<char> img = read_bytes(images_file);
  write_bytes(d + "img_cut.gz", std::vector<char>(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(img.size() - 100)));
  expect_refusal(d + "img_cut.gz", labels_file, d + "img_cut.gz", "gzip data truncated or corrupted");
}

TEST(Mnist, HeaderDisagreementsAreRefusedByName) {
  const std::string d = scratch("header");
  const std::vector<char> labels = gunzip_file(labels_file);
  ASSERT_EQ(labels.size(), 8u + 10000u);
  // The images' magic on the labels.
  std::vector<char> v = labels;
  v[3] = 0x03;
  write_gzip(d + "magic.gz", v);
  expect_refusal(images_file, d + "magic.gz", d + "magic.gz", "IDX magic number 0x00000803, expected 0x00000801");
  // One label short of the header's count.
  v = labels;
  v.pop_back();
  write_gzip(d + "short.gz", v);
  expect_refusal(images_file, d + "short.gz", d + "short.gz", "header says 10000 = 10000 bytes, the file has 9999");
  // Shorter than a header.
  write_gzip(d + "stub.gz", std::vector<char>(labels.begin(), labels.begin() + 6));
  expect_refusal(images_file, d + "stub.gz", d + "stub.gz", "shorter than the IDX header (8 bytes)");
  // A consistent label file of 9,999: the counts differ (named on the images).
  v = labels;
  v.pop_back();
  v[7] = static_cast<char>(0x0f);  // 10000 = 0x2710 → 9999 = 0x270f
  write_gzip(d + "fewer.gz", v);
  expect_refusal(images_file, d + "fewer.gz", images_file, "10000 images but " + d + "fewer.gz has 9999 labels");
  // A label over 9.
  v = labels;
  v[8 + 123] = 10;
  write_gzip(d + "ten.gz", v);
  expect_refusal(images_file, d + "ten.gz", d + "ten.gz", "label 10 at index 123 outside 0-9");
  // Image sizes that disagree with the data: 27 rows declared.
  std::vector<char> images = gunzip_file(images_file);
  images[11] = 27;
  write_gzip(d + "rows.gz", images);
  expect_refusal(d + "rows.gz", labels_file, d + "rows.gz", "header says 10000 x 27 x 28 = 7560000 bytes, the file has 7840000");
  // Consistent files of another shape (1 x 1 images trained a 1-8-10
  // network reported as 28 x 28), and none at all.
  const std::vector<char> tiny_images = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7, 9};
  const std::vector<char> two_labels = {0, 0, 8, 1, 0, 0, 0, 2, 3, 4};
  write_gzip(d + "tiny.gz", tiny_images);
  write_gzip(d + "two.gz", two_labels);
  expect_refusal(d + "tiny.gz", d + "two.gz", d + "tiny.gz", "images of 1 x 1 pixels; MNIST's are 28 x 28");
  write_gzip(d + "none.gz", {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28});
  write_gzip(d + "nolabels.gz", {0, 0, 8, 1, 0, 0, 0, 0});
  expect_refusal(d + "none.gz", d + "nolabels.gz", d + "none.gz", "holds no images");
}

TEST(Mnist, SplitIsASeededShuffleOfFixedSizes) {
  const circuits::mnist_split a = circuits::split_mnist(10000, 2000, 1);
  ASSERT_EQ(a.train.size(), 8000u);
  ASSERT_EQ(a.test.size(), 2000u);
  std::vector<int> all(a.train);
  all.insert(all.end(), a.test.begin(), a.test.end());
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(all[static_cast<std::size_t>(i)], i);
  const circuits::mnist_split again = circuits::split_mnist(10000, 2000, 1);
  EXPECT_EQ(again.test, a.test);
  EXPECT_NE(circuits::split_mnist(10000, 2000, 2).test, a.test);
  // The set is grouped by class; the shuffle must mix them: each class's
  // share of the test set is hypergeometric (mean 2000 · n_c / 10000, sd
  // ≈ 12.7 for n_c = 1000), within 5 sd.
  const circuits::mnist_set s = circuits::load_mnist(images_file, labels_file);
  std::array<int, 10> n{}, in_test{};
  for (std::uint8_t l : s.labels) ++n[l];
  for (int i : a.test) ++in_test[s.labels[static_cast<std::size_t>(i)]];
  for (int c = 0; c < 10; ++c) {
    const double p = n[static_cast<std::size_t>(c)] / 10000.0;
    const double mean = 2000 * p, sd = std::sqrt(2000 * p * (1 - p) * 8000.0 / 9999.0);
    EXPECT_NEAR(in_test[static_cast<std::size_t>(c)], mean, 5 * sd) << "class " << c;
  }
  EXPECT_THROW(circuits::split_mnist(10000, 0, 1), std::invalid_argument);
  EXPECT_THROW(circuits::split_mnist(10000, 10000, 1), std::invalid_argument);
}

}  // namespace
