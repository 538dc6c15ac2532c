#pragma once
// tapegrad: one include for the whole library. Layers, each including only
// those above it in this list:
//   core/    dtypes and promotion, Shape, errors, storage, random generator
//   tensor/  Tensor<T>, the strided loop and elementwise kernels, creation,
//            Eigen interop, printing
//   autograd/ the tape (Node, record), backward(), gradcheck; NoGradGuard is
//            in core/grad_mode.hpp
//   ops/     the ops users call: views, elementwise, reductions, matmul,
//            comparisons (each as free function and Tensor method); conv,
//            pool and norm in their own headers (reached through nn/conv.hpp)
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
#include "autograd/gradcheck.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "nn/module.hpp"
#include "nn/layers.hpp"
#include "nn/loss.hpp"
#include "nn/conv.hpp"
#include "optim/optimizer.hpp"
#include "optim/sgd.hpp"
#include "optim/adam.hpp"
#include "optim/lr_scheduler.hpp"
