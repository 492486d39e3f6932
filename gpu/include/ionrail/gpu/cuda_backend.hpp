#pragma once
// The CUDA backend of the sync method, reached through plain functions: this
// header includes no CUDA header, so host code builds without the toolkit's
// headers on its include path.
#include <memory>
#include <string>

#include <ionrail/kmc/engine.hpp>

namespace ionrail::gpu {

// A CUDA device is present and usable.
bool cuda_available();
// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)", or why there is none.
std::string device_description();

// The factory an engine takes to run the sync method on the GPU. The solver
// throws std::runtime_error when no GPU is present. For the same device,
// parameters and seed, the trajectory is bit-identical to the CPU solver's.
kmc::solver_factory cuda_sync_backend();

// Seconds of GPU time (CUDA events) that `steps` sync steps of this engine take.
double timed_gpu_steps(kmc::engine& engine, int steps);

}  // namespace ionrail::gpu
