#pragma once
// The output layer of the commands (private to ionrail_app, which links
// nlohmann_json privately): JSON documents are built as values, never as
// text, so a path with a quote or a backslash is escaped like any string, and
// every file is written whole by model_io::write_file_atomic.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include <ionrail/config/run_config.hpp>

namespace ionrail::runs {

// Members stay in the order they are set: summaries read top to bottom.
using json_doc = nlohmann::ordered_json;

// `v` rounded to `digits` significant digits (each file keeps the precision
// it has always stated), or null when not finite.
json_doc json_number(double v, int digits = 10);

// The resolved parameters of a configuration (config::resolved_parameters_json) as a value.
json_doc parameters_json(const config::run_config& config);

// `doc` indented by two; bytes that are not UTF-8 (a path may hold any)
// become U+FFFD instead of failing the command after its work is done.
std::string json_text(const json_doc& doc);

// json_text(doc) and a newline, written with write_file_atomic.
void write_json(const std::filesystem::path& file, const json_doc& doc);

}  // namespace ionrail::runs
