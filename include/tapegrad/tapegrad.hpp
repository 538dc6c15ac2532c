#pragma once
// tapegrad: one include for the library's layers 0 to 4 (core, kernels,
// tensor, autograd, ops, nn, optim, gradcheck). The layers, and the rule that
// a header includes only layers below its own, are stated in one place:
// README.md, section "Layout" (checked by the CTest test build/layers).
// data/ and io/ are opt-in: <tapegrad/data.hpp>, <tapegrad/io.hpp>.
#include "version.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/generator.hpp"
#include "core/grad_mode.hpp"
#include "core/shape.hpp"
#include "core/storage.hpp"
#include "core/threads.hpp"
#include "tensor/tensor.hpp"
#include "tensor/factory.hpp"
#include "tensor/eigen.hpp"
#include "tensor/print.hpp"
#include "ops/shape.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/matmul.hpp"
#include "ops/compare.hpp"
#include "autograd/engine.hpp"
#include "gradcheck.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "nn/module.hpp"
#include "nn/layers.hpp"
#include "nn/loss.hpp"
#include "optim/optimizer.hpp"
#include "optim/sgd.hpp"
#include "optim/adam.hpp"
#include "optim/lr_scheduler.hpp"
