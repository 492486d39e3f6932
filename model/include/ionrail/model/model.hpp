#pragma once
// The whole compact model: formats, table, device, step, reference, batch.
// Embedded/CUDA code that needs only the step includes step.hpp (no <vector>).
#include "ionrail/model/batch.hpp"
#include "ionrail/model/device.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/reference.hpp"
#include "ionrail/model/rng.hpp"
#include "ionrail/model/step.hpp"
#include "ionrail/model/table.hpp"
#include "ionrail/model/table_view.hpp"
