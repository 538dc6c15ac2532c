// The doctest runner of the distributed tests: every rank runs the same test
// cases in the same order (they call collectives), inside one process group.
// Started as is (world size 1) or by mpirun / mpiexec (tests/CMakeLists.txt).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tapegrad/distributed.hpp>

int main(int argc, char** argv) {
  tapegrad::distributed::init_process_group();
  doctest::Context context(argc, argv);
  const int rc = context.run();
  // A failed check on one rank must fail the job: the exit codes are summed.
  tapegrad::Tensor<int32_t> failed = tapegrad::full<int32_t>({1}, rc != 0 ? 1 : 0);
  tapegrad::distributed::all_reduce(failed);
  tapegrad::distributed::destroy_process_group();
  return failed.item() != 0 ? 1 : 0;
}
