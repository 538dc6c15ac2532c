#pragma once
// tapegrad's file formats, kept out of tapegrad.hpp so that translation units
// which do not read or write files do not pay for <filesystem> and <fstream>:
// safetensors (io::save_safetensors/load_safetensors, nn::save/nn::load,
// optim::save/optim::load) and NumPy's .npy (io::save_npy/load_npy).
#include "tapegrad.hpp"
#include "io/npy.hpp"
#include "io/safetensors.hpp"
#include "io/serialize.hpp"
#include "io/optim_state.hpp"
