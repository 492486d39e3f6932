# Flags for the project's own targets (never for generated or verilated code).
add_library(ionrail_warnings INTERFACE)
target_compile_options(ionrail_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror>)

# Physics must round the same way on every backend: no fused multiply-add
# unless written explicitly, no fast-math.
add_library(ionrail_strict_fp INTERFACE)
target_compile_options(ionrail_strict_fp INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off -fno-fast-math>)

# Libraries: tuned to the building machine only with IONRAIL_NATIVE (they
# then run on that kind of CPU only); otherwise portable, with the hot loops
# dispatched at load time (model/include/ionrail/model/dispatch.hpp).
add_library(ionrail_native INTERFACE)
if(IONRAIL_NATIVE)
  target_compile_options(ionrail_native INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  target_compile_definitions(ionrail_native INTERFACE IONRAIL_NO_CLONES)
endif()
# Benchmark and test-bench binaries (never installed) measure what a user's
# own code gets when it compiles the header-only model for its machine.
add_library(ionrail_bench_native INTERFACE)
if(NOT IONRAIL_FUZZ)
  target_compile_options(ionrail_bench_native INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
