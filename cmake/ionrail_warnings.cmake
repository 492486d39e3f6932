# Flags for the project's own targets (never for generated or verilated code).
add_library(ionrail_warnings INTERFACE)
target_compile_options(ionrail_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror>)

# Physics must round the same way on every backend: no fused multiply-add
# unless written explicitly, no fast-math.
add_library(ionrail_strict_fp INTERFACE)
target_compile_options(ionrail_strict_fp INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off -fno-fast-math>)

add_library(ionrail_native INTERFACE)
if(IONRAIL_NATIVE)
  target_compile_options(ionrail_native INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
