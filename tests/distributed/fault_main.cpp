// The fault test's program (run_fault.cmake): every rank trains a small model
// under DistributedDataParallel; at step 3 rank 1 fails, by throwing an
// exception that leaves main (argv[1] = "throw") or by dying of SIGKILL
// ("kill"). The other ranks are then waiting in the gradient all_reduce; Note
// [Distributed faults] must end them, so the job exits non-zero and no rank
// prints "finished". With "hang", rank 1 stops answering (sleeps) and the
// others' waits time out (a 3 s group timeout here).
#include <csignal>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

int main(int argc, char** argv) {
  namespace dist = tapegrad::distributed;
  const char* mode = argc > 1 ? argv[1] : "throw";
  dist::init_process_group({.timeout = std::chrono::seconds(3)});
  const int rank = dist::get_rank();
  tapegrad::manual_seed(1);
  auto model = std::make_shared<tapegrad::nn::Sequential<float>>();
  model->push_back(std::make_shared<tapegrad::nn::Linear<float>>(8, 16));
  model->push_back(std::make_shared<tapegrad::nn::Linear<float>>(16, 1));
  tapegrad::nn::parallel::DistributedDataParallel<float> ddp(model);
  tapegrad::optim::SGD<float> opt(ddp.parameters(), {.lr = 0.01});
  for (int step = 0; step < 1000; ++step) {
    if (rank == 1 && step == 3) {
      if (std::strcmp(mode, "kill") == 0) std::raise(SIGKILL);
      if (std::strcmp(mode, "hang") == 0) std::this_thread::sleep_for(std::chrono::seconds(120));
      throw std::runtime_error("fault test: rank 1 fails at step 3");
    }
    auto x = tapegrad::randn<float>({4, 8});
    auto loss = ddp.forward(x).pow(2.0).mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  std::printf("rank %d finished\n", rank);
  dist::destroy_process_group();
  return 0;
}
