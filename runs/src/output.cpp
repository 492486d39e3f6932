#include <ionrail/runs/output.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include <ionrail/model_io/atomic_file.hpp>

namespace ionrail::runs {

json_doc json_number(double v, int digits) {
  if (!std::isfinite(v)) return nullptr;
  // strtod, not stod: a subnormal value is a number, not an out_of_range error.
  return std::strtod(fmt::format("{:.{}g}", v, digits).c_str(), nullptr);
}

json_doc parameters_json(const config::run_config& config) {
  return json_doc::parse(config::resolved_parameters_json(config));
}

std::string json_text(const json_doc& doc) { return doc.dump(2, ' ', false, json_doc::error_handler_t::replace); }

void write_json(const std::filesystem::path& file, const json_doc& doc) {
  model_io::write_file_atomic(file, json_text(doc) + "\n");
}

}  // namespace ionrail::runs
