#pragma once
// tapegrad distributed: data-parallel training across processes and machines
// on MPI, as torch.distributed and DistributedDataParallel. Not part of
// <tapegrad/tapegrad.hpp>: it needs MPI, so link the CMake target
// tapegrad::distributed and start the program with mpirun / mpiexec:
//   #include <tapegrad/tapegrad.hpp>
//   #include <tapegrad/distributed.hpp>
//   namespace dist = tapegrad::distributed;
//   dist::init_process_group();
//   auto ddp = std::make_shared<tapegrad::nn::parallel::DistributedDataParallel<float>>(model);
//   ... train ddp as the model; gradients are averaged in backward() ...
//   dist::destroy_process_group();
#include "distributed/process_group.hpp"
#include "distributed/collectives.hpp"
#include "distributed/ddp.hpp"
