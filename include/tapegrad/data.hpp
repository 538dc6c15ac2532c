#pragma once
// tapegrad data: the IDX reader, MNIST / Fashion-MNIST and DataLoader.
// Not part of <tapegrad/tapegrad.hpp>: it adds zlib (for .gz files), so link
// the CMake target tapegrad::data, which brings zlib along:
//   #include <tapegrad/tapegrad.hpp>
//   #include <tapegrad/data.hpp>
//   tapegrad::data::MNIST train("data/mnist");
//   tapegrad::data::DataLoader loader(train.images(), train.labels(),
//                                     {.batch_size = 256, .shuffle = true});
#include "data/idx.hpp"
#include "data/mnist.hpp"
#include "data/dataloader.hpp"
