#include "batch_steps.hpp"

#include <ionrail/model/dispatch.hpp>

namespace ionrail::circuits::detail {

IONRAIL_HOT_CLONES void step_devices(const model::table_view& t, model::device_batch& b, const std::int16_t* v) noexcept {
  model::step_batch(t, b, v);
}

IONRAIL_HOT_CLONES void read_devices(const model::table_view& t, const model::device_batch& b, const std::int16_t* v,
                                     std::int64_t* out) noexcept {
  model::read_current_batch(t, b, v, out);
}

IONRAIL_HOT_CLONES void step_devices_span(const model::table_view& t, model::device_batch& b, std::size_t i0,
                                          std::size_t n, const std::int16_t* v) noexcept {
  const model::detail::step_consts c = model::detail::make_consts(t);
  for (std::size_t k = 0; k < n; k += model::detail::batch_block) {
    const std::size_t len = n - k < model::detail::batch_block ? n - k : model::detail::batch_block;
    model::detail::step_block(c, b, i0 + k, len, v + k);
  }
}

IONRAIL_HOT_CLONES void read_devices_span(const model::table_view& t, const model::device_batch& b, std::size_t i0,
                                          std::size_t n, const std::int16_t* v, std::int64_t* out) noexcept {
  const model::detail::step_consts c = model::detail::make_consts(t);
  const std::int32_t* __restrict s = b.state.data() + i0;
  const std::int32_t* __restrict f = b.fluct.data() + i0;
  const std::int32_t* __restrict off = b.g_offset.data() + i0;
  for (std::size_t i = 0; i < n; ++i) out[i] = std::int64_t{model::detail::conductance_raw(c, s[i], f[i], off[i])} * v[i];
}

}  // namespace ionrail::circuits::detail
