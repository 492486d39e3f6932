#pragma once
// toml++ as the loader uses it: with exceptions (a parse error is a
// toml::parse_error the loader turns into a config_error).
#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>
#endif

#if !TOML_EXCEPTIONS
#error "ionrail::config needs toml++ built with exceptions"
#endif
