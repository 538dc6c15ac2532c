// Compile-time benchmark, Eigen side (bench/compile_time.sh): the same program
// as tapegrad_program.cpp written with <Eigen/Dense> alone.
#include <Eigen/Dense>
#include <iostream>

int main() {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Matrix a = Matrix::Constant(64, 64, 0.01f);
  Matrix b = Matrix::Constant(64, 64, 0.02f);
  Matrix c = a * b;
  Matrix d = (c + a).array().exp().matrix();
  std::cout << d.sum() << "\n";
  return 0;
}
