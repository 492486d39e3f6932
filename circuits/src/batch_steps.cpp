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

}  // namespace ionrail::circuits::detail
