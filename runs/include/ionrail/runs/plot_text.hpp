#pragma once
// Words and units for plots: legends and axes name
// a configuration key the way a reader says it ("pulse voltage 2.5 V"),
// from the key's declaration in the schema, never as the raw key text.
#include <string>
#include <string_view>

namespace ionrail::runs {

// "protocol.voltage_v" → "voltage"; "species[0].fill" → "fill";
// "device.temperature_k" → "temperature". A key the schema does not know
// keeps its last part with underscores as spaces.
std::string key_words(std::string_view dotted_key);

// The key's unit as the schema declares it ("V", "s", "K"); "" for none.
std::string key_unit(std::string_view dotted_key);

// "voltage 2.5 V", "fill 0.3 ions per site", "seed 7".
std::string key_value_text(std::string_view dotted_key, double value);

// An axis label: "voltage (V)", or "seed" without a unit.
std::string key_axis_label(std::string_view dotted_key);

// Text for a gnuplot string in single quotes: ' doubled, control characters as spaces.
std::string gnuplot_quoted(std::string_view text);

}  // namespace ionrail::runs
