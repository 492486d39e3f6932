#pragma once
// Every SystemC module of ionrail (docs/systemc.md).
#include "ionrail/sc/crossbar.hpp"
#include "ionrail/sc/crossbar_tile.hpp"
#include "ionrail/sc/lif_neuron.hpp"
#include "ionrail/sc/memristor.hpp"
#include "ionrail/sc/pulse_generator.hpp"
#include "ionrail/sc/tile_driver.hpp"
#include "ionrail/sc/types.hpp"
