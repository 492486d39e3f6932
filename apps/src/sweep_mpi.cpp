// `ionrail sweep` across ranks (built when IONRAIL_MPI is on). Dynamic work
// distribution without a master: rank 0 holds a point counter in an MPI
// window and every rank, rank 0 included, takes the next index with an
// atomic fetch-and-add until the points run out. A point's seed is a pure
// function of the base seed and its index, so who runs it does not matter.
// Each point's index and figures (sweep_row) are gathered to rank 0, which
// writes points.csv in index order.
// With --gpus-per-node N each rank sees only GPU (node-local rank mod N):
// CUDA_VISIBLE_DEVICES is set before the first CUDA call, so points with
// sim.backend = "auto" or "cuda" run one rank per GPU.
#include <mpi.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <ionrail/app/sweep.hpp>

#include <ionrail/runs/output_lock.hpp>
#include <ionrail/runs/staged_dir.hpp>

namespace ionrail::app {
using namespace ::ionrail::runs;  // the library these commands drive

int run_sweep_mpi(const std::string& path, sweep_options o) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Local MPI sub-communicator: the node-local rank picks the GPU. Set before
  // the points are checked: checking sim.backend = "cuda" asks CUDA for its
  // devices, after which CUDA_VISIBLE_DEVICES no longer counts.
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local_rank = 0;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_free(&node);
  if (o.gpus_per_node > 0)
    setenv("CUDA_VISIBLE_DEVICES", std::to_string(local_rank % o.gpus_per_node).c_str(), 1);
  int status = 0;
  std::string error;
  std::vector<sweep_row> mine;
  sweep_plan plan;
  std::unique_ptr<output_lock> lock;  // rank 0's, who alone writes DIR itself (the ranks lock their points)
  try {
    plan = load_sweep(path, o.overrides);
    // Rank 0 alone checks and prepares, all before the barrier every rank
    // passes before it takes a point: every point (and their work together)
    // before DIR is touched, then the finished points, then the leftovers of
    // killed ranks (remove_stale_point_partials says why that is safe here).
    if (rank == 0) {
      check_sweep_points(plan, o);
      lock = std::make_unique<output_lock>(o.out_dir);
      if (o.force) {
        refuse_to_remove(o.out_dir, o.out_dir);
        std::filesystem::remove_all(o.out_dir);
      }
      check_sweep_dir(o);
      check_finished_points(plan, o);
      remove_stale_point_partials(o);
      std::filesystem::create_directories(std::filesystem::path(o.out_dir) / "points");
    }
  } catch (const std::exception& e) {
    status = 1, error = e.what();
  }
  MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (status != 0) {
    if (!error.empty() && rank == 0) fmt::print(stderr, "ionrail: {}\n", error);
    MPI_Finalize();
    return 2;
  }
  if (rank == 0 && !o.quiet)
    fmt::print(stderr, "ionrail sweep: {} points over {} MPI ranks\n", plan.points.size(), size);

  long* counter = nullptr;
  MPI_Win win;
  MPI_Win_allocate(rank == 0 ? static_cast<MPI_Aint>(sizeof(long)) : 0, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD,
                   &counter, &win);
  if (rank == 0) *counter = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  const long one = 1;
  sweep_options single = o;
  single.jobs = 1;
  single.quiet = true;
  try {
    for (;;) {
      long next = 0;
      MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
      MPI_Fetch_and_op(&one, &next, MPI_LONG, 0, 0, MPI_SUM, win);
      MPI_Win_unlock(0, win);
      if (next >= static_cast<long>(plan.points.size())) break;
      const auto& p = plan.points[static_cast<std::size_t>(next)];
      mine.push_back(run_sweep_point(plan, single, p));
      if (!o.quiet) fmt::print(stderr, "ionrail sweep: rank {} finished point {}\n", rank, p.index);
    }
  } catch (const std::exception& e) {
    status = 1, error = e.what();
  }
  MPI_Win_free(&win);
  // Gather the rows to rank 0 as doubles: the index (exact below 2^53), then the figures.
  const std::size_t width = 1 + sweep_figures().size();
  std::vector<double> packed;
  for (const auto& r : mine) {
    packed.push_back(r.index);
    packed.insert(packed.end(), r.figures.begin(), r.figures.end());
  }
  int length = static_cast<int>(packed.size());
  std::vector<int> lengths(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<double> all;
  if (rank == 0) {
    int total = 0;
    for (int r = 0; r < size; ++r) offsets[static_cast<std::size_t>(r)] = total, total += lengths[static_cast<std::size_t>(r)];
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(packed.data(), length, MPI_DOUBLE, all.data(), lengths.data(), offsets.data(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  int failed = status;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (status != 0) fmt::print(stderr, "ionrail: rank {}: {}\n", rank, error);
  if (rank == 0 && failed == 0) {
    std::vector<sweep_row> rows;
    for (std::size_t k = 0; k + width <= all.size(); k += width)
      rows.push_back({static_cast<int>(all[k]), std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(k + 1),
                                                                    all.begin() + static_cast<std::ptrdiff_t>(k + width))});
    try {
      write_sweep_outputs(plan, o, rows);
      if (!o.quiet) fmt::print(stderr, "ionrail sweep: wrote {}\n", (std::filesystem::path(o.out_dir) / "points.csv").string());
    } catch (const std::exception& e) {  // a failed write ends the command, after MPI_Finalize
      fmt::print(stderr, "ionrail: error: {}\n", e.what());
      failed = 1;
    }
  }
  MPI_Finalize();
  return failed ? 1 : 0;
}

}  // namespace ionrail::app
