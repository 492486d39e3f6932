// The sync method on CUDA. Every physical quantity comes from the same
// IONRAIL_HD functions the CPU solver calls (physics.hpp), in the same order,
// compiled without FMA contraction (--fmad=false), so for the same seed the
// trajectory, the counts and every accumulated observable equal the CPU's bit
// for bit.
//
// One step is three launches: `prepare` (one block: the target test; the
// step's plan (plan_step), field, rates and automatic dt when a refresh is
// due, thresholds for the planned dt; readout and
// Σ z q before the step), `sweep` (both parity half-sweeps: one thread per rail
// in device memory, or, when the rails fit in one wave of 32-rail tiles, the
// tiles in shared memory with several threads per rail; then a block
// histogram added to the global counts), and
// `finish` (one block: energy and charge accounting, time). The host launches
// batches of steps and reads the small status once per batch; positions come
// back only when the host asks for them.
#include <cub/block/block_reduce.cuh>
#include <cuda/functional>
#include <cuda_runtime.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ionrail/gpu/cuda_backend.hpp>
#include <ionrail/kmc/physics.hpp>
#include <ionrail/kmc/rail_model.hpp>

namespace ionrail::gpu {
namespace {

using namespace ionrail::kmc;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(e));
}

template <class T>
class device_array {
 public:
  device_array() = default;
  explicit device_array(const std::vector<T>& host) { upload(host); }
  device_array(const device_array&) = delete;
  device_array& operator=(const device_array&) = delete;
  ~device_array() { cudaFree(ptr_); }
  void allocate(std::size_t n) {
    if (n == size_) return;
    cudaFree(ptr_);
    ptr_ = nullptr;
    size_ = n;
    if (n) check(cudaMalloc(&ptr_, n * sizeof(T)), "cudaMalloc");
  }
  void upload(const std::vector<T>& host) {
    allocate(host.size());
    if (size_) check(cudaMemcpy(ptr_, host.data(), size_ * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  void download(std::vector<T>& host) const {
    host.resize(size_);
    if (size_) check(cudaMemcpy(host.data(), ptr_, size_ * sizeof(T), cudaMemcpyDeviceToHost), "download");
  }
  T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
  std::size_t size_ = 0;
};

struct step_status {
  double t = 0, dt = 0, voltage = 0, target = 0;
  double dt_natural = 0, next_natural = 0, step_end = 0, prepared_target = 0;  // as in sync_solver
  double energy = 0, conductance = 0, max_probability = 0, dt_min = 0, dt_max = 0;
  long long step = 0, charge_hops_total = 0, charge_before = 0;
  int prepared = 0, stop = 0, error = 0;
};

// Everything the one-thread kernels read; device pointers.
struct table_args {
  int sites, width, species, classes, combos, field_every, per_class_field;
  int automatic;
  double p_max, dt_max, current_per_hop_rate;
  double dv_max;     // largest drive change per automatic step (0: none)
  double rate_change_max;
  int drive_points;  // breakpoints plan_step follows: pwl_points when automatic, else 0
  field_params field;  // charge and fill point to device memory
  long long* counts;
  long long* group_scratch;
  double* site_scratch;  // used when `sites` doubles do not fit in shared memory
  double* bond_field;
  const double* rails_in_group;
  const hop_params* hop;
  const double* site_energy;  // classes × sites
  site_rates* rates;
  std::uint32_t* thr_right;
  std::uint32_t* thr_total;
  const double* pwl_times;
  const double* pwl_volts;
  int pwl_points;
  readout_hd readout;
  const int* combo_charge;
  step_status* status;
};

struct sweep_args {
  int rails, ions, width, species, stride, combos;
  std::uint64_t seed;
  std::uint16_t* q;
  const std::uint8_t* species_of;  // null with one species
  const std::uint8_t* class_of;    // null with one class
  const std::uint32_t* thr_right;
  const std::uint32_t* thr_total;
  long long* counts;
  const step_status* status;
};

// The table kernels run as one block: each table entry is computed by one
// thread from the same per-entry function the CPU loops call, and the
// reductions are maxima and integer sums, which do not depend on order. Only
// the Poisson solve (a running sum of doubles) runs on one thread, in the
// CPU's order.
constexpr int table_threads = 256;
using block_max = cub::BlockReduce<double, table_threads>;
using block_max_u32 = cub::BlockReduce<std::uint32_t, table_threads>;
using block_sum = cub::BlockReduce<long long, table_threads>;

__device__ long long block_total(block_sum::TempStorage& temp, long long mine) {
  const long long total = block_sum(temp).Sum(mine);  // valid in thread 0
  __syncthreads();                                     // temp is reused next
  return total;
}

__global__ void __launch_bounds__(table_threads) prepare_kernel(table_args a) {
  __shared__ union {
    block_max::TempStorage max;
    block_max_u32::TempStorage max_u32;
    block_sum::TempStorage sum;
  } temp;
  extern __shared__ double site_steps[];  // sites doubles, unless a.site_scratch is set
  __shared__ double voltage, dt, step_end, next_natural, t_mid, mean_s;
  __shared__ int state, again;  // state: 0 run, 1 stop or error
  step_status& s = *a.status;
  const int tid = static_cast<int>(threadIdx.x);
  const int L = a.sites, W = a.width, S = a.species, entries = a.combos * W;
  // The same decisions, in the same order, as sync_solver::prepare_step.
  const bool halted = s.stop || s.error || !(s.t < s.target);
  const bool plan = !s.prepared || s.prepared_target != s.target;
  const bool refresh = plan && s.step % a.field_every == 0;
  __syncthreads();  // every thread has read the status before thread 0 writes it
  if (halted) {
    if (tid == 0) s.stop = 1;
    return;
  }
  if (plan) {
    if (tid == 0) {
      const step_plan p = plan_step(s.t, s.dt_natural, s.target, a.pwl_times, a.pwl_volts, a.drive_points, a.dv_max,
                                        a.rate_change_max);
      dt = p.dt;
      step_end = p.end;
      t_mid = s.t + 0.5 * p.dt;
      next_natural = s.dt_natural;
    }
    __syncthreads();
    bool replanned = false;
    while (refresh) {
      if (tid == 0) voltage = s.voltage = piecewise_linear_at(a.pwl_times, a.pwl_volts, a.pwl_points, t_mid);
      __syncthreads();
      const double applied = applied_field(a.field, voltage);
      const bool space_charge = a.field.space_charge_v_per_m != 0.0;
      double* steps = a.site_scratch ? a.site_scratch : site_steps;
      const int groups = a.per_class_field ? a.classes : 1;
      for (int g = 0; g < groups; ++g) {
        if (space_charge) {
          for (int k = tid; k < S * L; k += table_threads)
            a.group_scratch[k] = group_site_count_at(a.counts, a.classes, S, L, W, a.per_class_field != 0, g, k);
          __syncthreads();
          for (int i = tid; i < L; i += table_threads)
            steps[i] = space_charge_step_at(a.field, a.group_scratch, a.rails_in_group[g], i);
          __syncthreads();
          if (tid == 0) mean_s = running_space_charge(steps, L);
          __syncthreads();
        }
        for (int b = tid; b < L - 1; b += table_threads)
          a.bond_field[g * (L - 1) + b] = bond_field_at(a.field, applied, space_charge ? steps[b] : 0.0, mean_s);
        __syncthreads();
      }
      double worst_rate = 0;
      for (int k = tid; k < entries; k += table_threads) {
        const site_rates r = rate_table_entry(a.hop, a.bond_field, a.site_energy, S, L, a.per_class_field != 0, k);
        a.rates[k] = r;
        const double sum = r.right + r.left;
        worst_rate = sum > worst_rate ? sum : worst_rate;
      }
      worst_rate = block_max(temp.max).Reduce(worst_rate, ::cuda::maximum<>{});
      if (tid == 0) {
        again = 0;
        if (a.automatic && !replanned) {
          // The natural step from these rates; V and the rates once more if
          // it moves the midpoint to another voltage (the step is not re-chosen).
          next_natural = automatic_step_for(worst_rate, a.p_max, s.dt_natural, a.dt_max);
          const step_plan p = plan_step(s.t, next_natural, s.target, a.pwl_times, a.pwl_volts, a.drive_points, a.dv_max,
                                        a.rate_change_max);
          const double mid = s.t + 0.5 * p.dt;
          again = p.dt != dt && piecewise_linear_at(a.pwl_times, a.pwl_volts, a.pwl_points, mid) != voltage;
          dt = p.dt;
          step_end = p.end;
          t_mid = mid;
        }
      }
      __syncthreads();
      if (!again) break;
      replanned = true;
    }
    std::uint32_t worst = 0;
    for (int k = tid; k < entries; k += table_threads) {
      const hop_thresholds t = thresholds_from_rates(a.rates[k], dt);
      a.thr_right[k] = t.right;
      a.thr_total[k] = t.total;
      worst = t.total > worst ? t.total : worst;
    }
    worst = block_max_u32(temp.max_u32).Reduce(worst, ::cuda::maximum<>{});
    if (tid == 0) {
      const double p = worst / 4294967296.0;
      s.max_probability = p > s.max_probability ? p : s.max_probability;
      s.dt = dt;
      s.step_end = step_end;
      s.next_natural = next_natural;
      if (worst == 0xFFFFFFFFu) s.error = 1;
    }
    __syncthreads();
  }
  if (tid == 0) {
    if (!s.error) {
      s.prepared = 1;
      s.prepared_target = s.target;
    }
    state = s.error;
  }
  __syncthreads();
  if (state) return;
  long long in_zone = 0, charge = 0;
  for (int k = tid; k < entries; k += table_threads) {
    in_zone += readout_ions_at(a.readout, a.counts, W, k);
    charge += charge_position_at(a.counts, a.combo_charge, W, k);
  }
  in_zone = block_total(temp.sum, in_zone);
  charge = block_total(temp.sum, charge);
  if (tid == 0) {
    s.conductance = readout_conductance_of(a.readout, in_zone);
    s.charge_before = charge;
  }
  for (int k = tid; k < entries; k += table_threads) a.counts[k] = 0;
}

// Shared by both sweep kernels. The rate-table row of ion `ion` of rail r.
__device__ __forceinline__ int table_offset(const sweep_args& a, int r, int ion) {
  const int c = a.class_of ? a.class_of[r] : 0;
  const int sp = a.species_of ? a.species_of[static_cast<std::size_t>(ion) * static_cast<std::size_t>(a.stride) + r] : 0;
  return (c * a.species + sp) * a.width;
}

// The four same-parity ions of one Philox draw of rail r. first[(ion + 1) *
// pitch] holds ion's position, with the wall sentinels at rows 0 and ions + 1
// (device memory: pitch = the row stride; a shared-memory tile: pitch = 32).
__device__ __forceinline__ void hop_group(const sweep_args& a, std::uint64_t step, std::uint32_t half, int r,
                                          std::uint32_t group, std::uint16_t* first, std::ptrdiff_t pitch) {
  const auto out = philox_draw(sync_hop_counter(a.seed, step, half, static_cast<std::uint32_t>(r), group));
  for (int w = 0; w < 4; ++w) {
    const int ion = static_cast<int>(half + 8 * group) + 2 * w;
    if (ion >= a.ions) break;
    std::uint16_t* cell = first + (ion + 1) * pitch;
    const std::uint16_t q = *cell;
    const int k = table_offset(a, r, ion) + q;
    *cell = hop_target(q, cell[-pitch], cell[pitch], out.v[w], __ldg(a.thr_right + k), __ldg(a.thr_total + k));
  }
}

template <bool SharedHistogram>
__device__ __forceinline__ void count_ion(const sweep_args& a, unsigned int* histogram, int k) {
  if (SharedHistogram)
    atomicAdd(histogram + k, 1u);
  else
    atomicAdd(reinterpret_cast<unsigned long long*>(a.counts + k), 1ull);
}

// Every thread of the block calls it: the block histogram into the counts.
template <bool SharedHistogram>
__device__ __forceinline__ void flush_histogram(const sweep_args& a, const unsigned int* histogram, int tid, int threads) {
  if (!SharedHistogram) return;
  __syncthreads();
  for (int i = tid; i < a.combos * a.width; i += threads)
    if (histogram[i]) atomicAdd(reinterpret_cast<unsigned long long*>(a.counts + i), static_cast<unsigned long long>(histogram[i]));
}

template <bool SharedHistogram>
__global__ void sweep_kernel(sweep_args a) {
  extern __shared__ unsigned int histogram[];
  const step_status& s = *a.status;
  if (s.stop || s.error) return;
  const int entries = a.combos * a.width;
  if (SharedHistogram) {
    for (int i = threadIdx.x; i < entries; i += blockDim.x) histogram[i] = 0;
    __syncthreads();
  }
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r < a.rails) {
    const std::ptrdiff_t stride = a.stride;
    const std::uint64_t step = static_cast<std::uint64_t>(s.step);
    for (std::uint32_t half = 0; half < 2; ++half)
      for (std::uint32_t group = 0; half + 8 * group < static_cast<std::uint32_t>(a.ions); ++group)
        hop_group(a, step, half, r, group, a.q + r, stride);
    for (int ion = 0; ion < a.ions; ++ion)
      count_ion<SharedHistogram>(a, histogram, table_offset(a, r, ion) + a.q[(ion + 1) * stride + r]);
  }
  flush_histogram<SharedHistogram>(a, histogram, static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x));
}

// The same sweep with a tile of 32 rails held in shared memory, for films of
// few rails: the ions of one parity are spread over blockDim.y threads per
// rail (one Philox draw, four ions, each), so there are up to eight times more
// threads than rails, and each position is read and written once per step.
// Ions of one parity never neighbour each other, so within a half sweep their
// hops are independent and the order of the threads cannot change the result:
// the draws are the same function of (step, half, rail, group).
constexpr int tile_rails = 32;

template <bool SharedHistogram>
__global__ void sweep_tile_kernel(sweep_args a) {
  extern __shared__ unsigned int tile_memory[];  // [histogram entries] then (ions + 2) × 32 positions
  const step_status& s = *a.status;
  if (s.stop || s.error) return;
  const int entries = a.combos * a.width;
  unsigned int* histogram = tile_memory;
  std::uint16_t* tile = reinterpret_cast<std::uint16_t*>(tile_memory + (SharedHistogram ? entries : 0));
  const int x = static_cast<int>(threadIdx.x), y = static_cast<int>(threadIdx.y), ny = static_cast<int>(blockDim.y);
  const int tid = y * tile_rails + x, threads = tile_rails * ny;
  const std::ptrdiff_t stride = a.stride;
  const std::uint64_t step = static_cast<std::uint64_t>(s.step);
  const int r = static_cast<int>(blockIdx.x) * tile_rails + x;
  const bool live = r < a.rails;
  if (SharedHistogram)
    for (int i = tid; i < entries; i += threads) histogram[i] = 0;
  for (int row = y; row < a.ions + 2; row += ny) tile[row * tile_rails + x] = live ? a.q[row * stride + r] : 0;
  __syncthreads();
  for (std::uint32_t half = 0; half < 2; ++half) {
    if (live)
      for (std::uint32_t group = static_cast<std::uint32_t>(y); half + 8 * group < static_cast<std::uint32_t>(a.ions);
           group += static_cast<std::uint32_t>(ny))
        hop_group(a, step, half, r, group, tile + x, tile_rails);
    __syncthreads();
  }
  if (live)
    for (int ion = y; ion < a.ions; ion += ny) {
      const std::uint16_t q = tile[(ion + 1) * tile_rails + x];
      a.q[(ion + 1) * stride + r] = q;
      count_ion<SharedHistogram>(a, histogram, table_offset(a, r, ion) + q);
    }
  flush_histogram<SharedHistogram>(a, histogram, tid, threads);
}

__global__ void __launch_bounds__(table_threads) finish_kernel(table_args a) {
  __shared__ block_sum::TempStorage temp;
  step_status& s = *a.status;
  if (s.stop || s.error) return;
  long long mine = 0;
  for (int k = static_cast<int>(threadIdx.x); k < a.combos * a.width; k += table_threads)
    mine += charge_position_at(a.counts, a.combo_charge, a.width, k);
  const long long after = block_total(temp, mine);
  if (threadIdx.x != 0) return;
  // The same operations, in the same order, as charge_ledger on the CPU.
  s.energy += s.conductance * s.voltage * s.voltage * s.dt;
  const long long moved = after - s.charge_before;
  s.charge_hops_total += moved;
  s.energy += a.current_per_hop_rate * static_cast<double>(moved) * s.voltage;
  s.step += 1;
  s.t = s.step_end;
  s.dt_natural = s.next_natural;
  s.prepared = 0;
  s.dt_min = s.step == 1 ? s.dt : (s.dt < s.dt_min ? s.dt : s.dt_min);
  s.dt_max = s.dt > s.dt_max ? s.dt : s.dt_max;
}

class cuda_sync_solver final : public solver {
 public:
  cuda_sync_solver(rail_model& model, const sim_params& sim, const voltage_source& source, charge_ledger& ledger,
                   run_info& info)
      : model_(model), ledger_(ledger), info_(info) {
    if (!cuda_available()) throw std::runtime_error("backend cuda: no CUDA device is available (" + device_description() + ")");
    info_.backend = "cuda";
    info_.device = device_description();
    info_.threads = 1;
    const auto& d = model_.device();
    const int L = d.sites, W = model_.table_width(), S = model_.species_count(), C = model_.class_count();

    const drive_breakpoints drive = source.breakpoints();
    if (drive.times_s.empty())
      throw std::invalid_argument("backend cuda: the voltage source must be constant or piecewise linear");
    const std::vector<double>& times = drive.times_s;
    const std::vector<double>& volts = drive.volts;
    pwl_times_.upload(times);
    pwl_volts_.upload(volts);

    const auto& pos = model_.positions();
    q_.upload(pos.q);
    if (!pos.species.empty()) species_.upload(pos.species);
    if (!pos.rail_class.empty()) classes_.upload(pos.rail_class);
    counts_.upload(model_.counts());
    std::vector<hop_params> hops;
    for (int k = 0; k < model_.combos(); ++k) hops.push_back(model_.hop(k));
    hop_.upload(hops);
    site_energy_.upload(model_.site_energies());
    rails_in_group_.upload(model_.rails_in_group());
    charge_.upload(model_.species_charge());
    fill_.upload(model_.species_fill());
    combo_charge_.upload(model_.combo_charges());
    group_scratch_.allocate(static_cast<std::size_t>(S) * L);
    // The running sum of the field reads its sites from shared memory when they fit.
    const std::size_t site_bytes = static_cast<std::size_t>(L) * sizeof(double);
    if (site_bytes <= shared_limit) {
      prepare_shared_bytes_ = site_bytes;
    } else {
      site_scratch_.allocate(static_cast<std::size_t>(L));
      table_.site_scratch = site_scratch_.get();
    }
    bond_field_.allocate(static_cast<std::size_t>(model_.field_groups()) * (L - 1));
    rates_.allocate(static_cast<std::size_t>(model_.combos()) * W);
    thr_right_.allocate(static_cast<std::size_t>(model_.combos()) * W);
    thr_total_.allocate(static_cast<std::size_t>(model_.combos()) * W);
    status_.allocate(1);

    // The same first step estimate as the CPU solver.
    const bool automatic = !(sim.dt_s > 0);
    host_status_.dt_natural = automatic ? model_.first_step_estimate(sim.p_max, source.voltage(0.0), sim.dt_max_s) : sim.dt_s;
    host_status_.dt = host_status_.dt_natural;
    info_.dt_automatic = automatic;
    upload_status();

    table_.sites = L;
    table_.width = W;
    table_.species = S;
    table_.classes = C;
    table_.combos = model_.combos();
    table_.field_every = sim.field_every;
    table_.per_class_field = d.field_per_class ? 1 : 0;
    table_.automatic = automatic ? 1 : 0;
    table_.p_max = sim.p_max;
    table_.dt_max = sim.dt_max_s;
    table_.dv_max = drive_change_bound_v(sim.rate_change_max, model_.log_rate_per_volt());
    table_.rate_change_max = sim.rate_change_max;
    table_.drive_points = automatic ? static_cast<int>(times.size()) : 0;
    table_.current_per_hop_rate = model_.current_per_hop_rate_a();
    table_.field = model_.field_parameters();
    table_.field.charge = charge_.get();
    table_.field.fill = fill_.get();
    table_.counts = counts_.get();
    table_.group_scratch = group_scratch_.get();
    table_.bond_field = bond_field_.get();
    table_.rails_in_group = rails_in_group_.get();
    table_.hop = hop_.get();
    table_.site_energy = site_energy_.get();
    table_.rates = rates_.get();
    table_.thr_right = thr_right_.get();
    table_.thr_total = thr_total_.get();
    table_.pwl_times = pwl_times_.get();
    table_.pwl_volts = pwl_volts_.get();
    table_.pwl_points = static_cast<int>(times.size());
    table_.readout = model_.readout();
    table_.combo_charge = combo_charge_.get();
    table_.status = status_.get();

    sweep_.rails = d.rails;
    sweep_.ions = model_.ions_per_rail();
    sweep_.width = W;
    sweep_.species = S;
    sweep_.stride = pos.stride;
    sweep_.combos = model_.combos();
    sweep_.seed = sim.seed;
    sweep_.q = q_.get();
    sweep_.species_of = pos.species.empty() ? nullptr : species_.get();
    sweep_.class_of = pos.rail_class.empty() ? nullptr : classes_.get();
    sweep_.thr_right = thr_right_.get();
    sweep_.thr_total = thr_total_.get();
    sweep_.counts = counts_.get();
    sweep_.status = status_.get();
    shared_bytes_ = static_cast<std::size_t>(model_.combos()) * W * sizeof(unsigned int);
    histogram_in_shared_ = shared_bytes_ <= shared_limit;
    const std::size_t tile_bytes = static_cast<std::size_t>(sweep_.ions + 2) * tile_rails * sizeof(std::uint16_t);
    tile_shared_bytes_ = (histogram_in_shared_ ? shared_bytes_ : 0) + tile_bytes;
    use_tile_ = tile_shared_bytes_ <= shared_limit;
    const int groups = (sweep_.ions + 7) / 8;
    tile_rows_ = groups < 1 ? 1 : (groups > 8 ? 8 : groups);
    if (use_tile_) {
      int sms = 0, per_sm = 0;
      check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), "multiprocessor count");
      const int threads = tile_rails * tile_rows_;
      if (histogram_in_shared_)
        check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, sweep_tile_kernel<true>, threads, tile_shared_bytes_),
              "occupancy");
      else
        check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, sweep_tile_kernel<false>, threads, tile_shared_bytes_),
              "occupancy");
      // Measured on an H200 (docs/performance.md): the tiles win while they
      // fit in one wave (10^4 rails: 9 µs per sweep against 19 µs; a thread
      // per rail leaves the chip mostly idle, each thread walking all its ions
      // through a chain of dependent loads) and lose beyond it (10^5 rails:
      // about 22 against 17 µs; 10^6 rails: 190 against 133 µs), where a
      // thread per rail keeps more loads in flight than tiles waiting at
      // their barriers.
      tile_blocks_ = (sweep_.rails + tile_rails - 1) / tile_rails;
      use_tile_ = tile_blocks_ <= sms * (per_sm > 0 ? per_sm : 1);
    }
  }

  void advance_to(double t_s) override {
    sync_status();
    stepping_ = false;
    host_status_.target = t_s;
    host_status_.stop = 0;
    upload_status();
    for (;;) {
      const double remaining = (t_s - host_status_.t) / host_status_.dt;
      const int batch = remaining > 4096 ? 4096 : (remaining < 1 ? 1 : static_cast<int>(remaining) + 1);
      for (int k = 0; k < batch; ++k) launch_step();
      status_dirty_ = true;
      sync_status();
      // The work limit is polled per batch, as the CPU solver polls it per
      // step; the stop flag is not (this backend cannot save a checkpoint,
      // so a signal ends the command).
      if (host_status_.stop || work_exhausted()) break;
    }
    sync_to_host_counts();
  }

  // Hop attempts, as the CPU sync solver counts them (brought up to date
  // from the device's step counter).
  double work_done() const override {
    sync_status();
    return info_.attempts;
  }

  // Steps without a target; the status goes up once, not per step, so
  // back-to-back steps run without host round trips.
  void step() override {
    if (!stepping_) {
      sync_status();
      host_status_.target = INFINITY;
      host_status_.stop = 0;
      upload_status();
      stepping_ = true;
    }
    launch_step();
    status_dirty_ = true;
  }

  double time_s() const override {
    sync_status();
    return host_status_.t;
  }

  void sync_counts() const override {
    sync_status();
    sync_to_host_counts();
  }

  void sync_to_host() const override {
    sync_counts();
    if (positions_dirty_) {
      q_.download(model_.positions().q);
      positions_dirty_ = false;
    }
  }

 private:
  void launch_step() {
    prepare_kernel<<<1, table_threads, prepare_shared_bytes_>>>(table_);
    if (use_tile_) {
      const dim3 threads(tile_rails, static_cast<unsigned>(tile_rows_));
      if (histogram_in_shared_)
        sweep_tile_kernel<true><<<tile_blocks_, threads, tile_shared_bytes_>>>(sweep_);
      else
        sweep_tile_kernel<false><<<tile_blocks_, threads, tile_shared_bytes_>>>(sweep_);
    } else {
      const int threads = 256;
      const int blocks = (sweep_.rails + threads - 1) / threads;
      if (histogram_in_shared_)
        sweep_kernel<true><<<blocks, threads, shared_bytes_>>>(sweep_);
      else
        sweep_kernel<false><<<blocks, threads>>>(sweep_);
    }
    finish_kernel<<<1, table_threads>>>(table_);
    check(cudaGetLastError(), "kernel launch");
    counts_dirty_ = positions_dirty_ = true;
  }

  void upload_status() {
    check(cudaMemcpy(status_.get(), &host_status_, sizeof host_status_, cudaMemcpyHostToDevice), "status upload");
  }

  // Brings the status back and carries it into the ledger and run info, the
  // way the CPU solver updates them step by step.
  void sync_status() const {
    if (!status_dirty_) return;
    check(cudaMemcpy(&host_status_, status_.get(), sizeof host_status_, cudaMemcpyDeviceToHost), "status download");
    status_dirty_ = false;
    if (host_status_.error) {
      std::ostringstream os;
      os << "sim.dt_s = " << host_status_.dt << " s: a hop probability (Γ+ + Γ−) dt reached 1 at t = " << host_status_.t
         << " s; use a smaller dt_s, or dt_s = 0 for the automatic step";
      throw std::domain_error(os.str());
    }
    const long long new_steps = host_status_.step - steps_seen_;
    for (long long k = 0; k < new_steps; ++k)
      info_.attempts += static_cast<double>(model_.rails()) * model_.ions_per_rail();
    steps_seen_ = host_status_.step;
    info_.steps = static_cast<std::uint64_t>(host_status_.step);
    if (host_status_.step > 0) info_.dt_s = host_status_.t / static_cast<double>(host_status_.step);
    info_.dt_min_s = host_status_.dt_min;
    info_.dt_max_s = host_status_.dt_max;
    info_.max_hop_probability = host_status_.max_probability;
    ledger_.energy_j = host_status_.energy;
    ledger_.interval_charge_hops += host_status_.charge_hops_total - hops_seen_;
    hops_seen_ = host_status_.charge_hops_total;
  }

  void sync_to_host_counts() const {
    if (!counts_dirty_) return;
    counts_.download(model_.counts());
    counts_dirty_ = false;
  }

  rail_model& model_;
  charge_ledger& ledger_;
  run_info& info_;
  device_array<std::uint16_t> q_;
  device_array<std::uint8_t> species_, classes_;
  device_array<long long> counts_, group_scratch_;
  device_array<double> site_scratch_;
  device_array<hop_params> hop_;
  device_array<double> site_energy_, rails_in_group_, fill_, bond_field_, pwl_times_, pwl_volts_;
  device_array<int> charge_, combo_charge_;
  device_array<site_rates> rates_;
  device_array<std::uint32_t> thr_right_, thr_total_;
  device_array<step_status> status_;
  table_args table_{};
  sweep_args sweep_{};
  // Dynamic shared memory stays within the 48 KiB every device gives without opting in.
  static constexpr std::size_t shared_limit = 40 * 1024;
  std::size_t shared_bytes_ = 0, prepare_shared_bytes_ = 0, tile_shared_bytes_ = 0;
  bool histogram_in_shared_ = false, use_tile_ = false;
  int tile_rows_ = 1, tile_blocks_ = 1;
  mutable step_status host_status_;
  mutable bool status_dirty_ = false, counts_dirty_ = false, positions_dirty_ = false;
  mutable long long steps_seen_ = 0, hops_seen_ = 0;
  bool stepping_ = false;
};

}  // namespace

bool cuda_available() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

std::string device_description() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(e);
  if (count == 0) return "no CUDA device";
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return "CUDA device 0 (properties unavailable)";
  std::ostringstream os;
  os << p.name << " (sm_" << p.major << p.minor << ", " << p.multiProcessorCount << " SMs, "
     << static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024 * 1024) << " GiB)";
  return os.str();
}

kmc::solver_factory cuda_sync_backend() {
  return [](rail_model& model, const sim_params& sim, const voltage_source& source, charge_ledger& ledger,
            run_info& info) -> std::unique_ptr<solver> {
    return std::make_unique<cuda_sync_solver>(model, sim, source, ledger, info);
  };
}

double timed_gpu_steps(kmc::engine& engine, int steps) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "event");
  check(cudaEventCreate(&stop), "event");
  check(cudaEventRecord(start), "event record");
  for (int k = 0; k < steps; ++k) engine.step();
  check(cudaEventRecord(stop), "event record");
  check(cudaEventSynchronize(stop), "event sync");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, start, stop), "event time");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms * 1e-3;
}

}  // namespace ionrail::gpu
