#pragma once
// IONRAIL_HD marks functions compiled for both host and CUDA device, so the
// physics is written once and called unchanged by every backend.
#if defined(__CUDACC__)
#define IONRAIL_HD __host__ __device__
#else
#define IONRAIL_HD
#endif
