#pragma once
// The hot loops of the compiled libraries (the KMC sweep, the circuits' batch
// steps) are built for several x86-64 levels, and the dynamic loader picks
// the best one the CPU has (GCC target_clones, an ifunc): an installed
// library runs on any x86-64 and still uses AVX2 / AVX-512 where present.
// Every clone computes the same bits (the loops are integer arithmetic);
// flatten inlines the model's header functions into each clone.
// Off for builds tuned to the building machine (IONRAIL_NATIVE), other
// compilers, other CPUs and device code.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(__CUDACC__) && \
    !defined(IONRAIL_NO_CLONES)
#define IONRAIL_HOT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), flatten))
#else
#define IONRAIL_HOT_CLONES
#endif
