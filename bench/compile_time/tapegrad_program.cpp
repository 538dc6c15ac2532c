// Compile-time benchmark, tapegrad side (bench/compile_time.sh): two tensors,
// matmul, add, exp, sum, print. eigen_program.cpp is the same with Eigen alone.
#include <iostream>
#include <tapegrad/tapegrad.hpp>

int main() {
  auto a = tapegrad::full<float>({64, 64}, 0.01f);
  auto b = tapegrad::full<float>({64, 64}, 0.02f);
  auto c = tapegrad::matmul(a, b);
  auto d = tapegrad::exp(c + a);
  std::cout << tapegrad::sum(d).item() << "\n";
  return 0;
}
