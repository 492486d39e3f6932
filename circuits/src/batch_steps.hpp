#pragma once
// The circuits' device-batch loops, built once per x86-64 level and picked
// at load time (ionrail/model/dispatch.hpp); the same bits as calling
// model::step_batch / read_current_batch directly.
#include <cstddef>
#include <cstdint>

#include <ionrail/model/batch.hpp>

namespace ionrail::circuits::detail {

void step_devices(const model::table_view& t, model::device_batch& b, const std::int16_t* v) noexcept;
void read_devices(const model::table_view& t, const model::device_batch& b, const std::int16_t* v,
                  std::int64_t* out) noexcept;

// Devices [i0, i0 + n) of b only (v and out hold n entries): the same bits as
// the whole-batch calls give those devices, so that a caller may step or read
// disjoint spans on several threads.
void step_devices_span(const model::table_view& t, model::device_batch& b, std::size_t i0, std::size_t n,
                       const std::int16_t* v) noexcept;
void read_devices_span(const model::table_view& t, const model::device_batch& b, std::size_t i0, std::size_t n,
                       const std::int16_t* v, std::int64_t* out) noexcept;

}  // namespace ionrail::circuits::detail
