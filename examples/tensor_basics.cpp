// The tensor tutorial (shared/seeds/004) in C++: creating tensors, matmul vs
// mm vs elementwise *, the Eigen round trip (the tutorial's from_numpy() /
// .numpy()), reshape/view/resize_, and a single neuron with the shape error a
// beginner meets first.
//
//   tensor_basics            run the tour
//   tensor_basics --help     this text
#include <cstring>
#include <iostream>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;

static void section(const char* title) { std::cout << "\n== " << title << " ==\n"; }

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "Usage: tensor_basics [--seed N]\n"
                   "Walks through the PyTorch tensor tutorial with tapegrad: randn/zeros/ones/eye,\n"
                   "matmul vs mm vs *, Eigen interop, reshape/view/resize_, and a single neuron.\n";
      return 0;
    }
    if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      tg::manual_seed(std::stoull(argv[++i]));
      continue;
    }
    std::cerr << "tensor_basics: unknown argument '" << argv[i] << "'\nUsage: tensor_basics [--seed N]\n";
    return 2;
  }

  section("creating tensors: randn, zeros, ones, eye");
  std::cout << "randn(2, 3) =\n" << tg::randn<float>({2, 3}) << "\n";
  std::cout << "zeros(2, 3) =\n" << tg::zeros<float>({2, 3}) << "\n";
  std::cout << "ones(2, 3) =\n" << tg::ones<float>({2, 3}) << "\n";
  std::cout << "eye(3) =\n" << tg::eye<float>(3) << "\n";

  section("matrix products: matmul, mm and elementwise *");
  auto a = tg::tensor<float>({{1, 0, 0}, {1, 1, 0}});
  auto b = tg::tensor<float>({{1, 2}, {3, 4}, {5, 6}});
  std::cout << "a @ b (matmul)  =\n" << tg::matmul(a, b) << "\n";
  std::cout << "mm(a, b)        =\n" << tg::mm(a, b) << "  (mm is 2-D only, no broadcasting)\n";
  std::cout << "a * a (elementwise) =\n" << a * a << "\n";
  auto batch = tg::ones<float>({4, 2, 3});
  std::cout << "matmul broadcasts a batch: [4, 2, 3] @ [3, 2] -> "
            << tg::matmul(batch, b).sizes() << "\n";

  section("Eigen round trip (the tutorial's from_numpy / .numpy)");
  Eigen::MatrixXf m(2, 2);
  m << 1, 2, 3, 4;
  auto t = tg::from_eigen(m);  // a copy
  std::cout << "from_eigen(m) =\n" << t << "\n";
  auto view = tg::as_eigen(t);  // no copy: writes go to the tensor
  view(0, 0) = 100;
  std::cout << "after as_eigen(t)(0, 0) = 100: t =\n" << t << "\n";

  section("reshape, view and resize_");
  auto x = tg::arange<float>(12);
  std::cout << "x = arange(12) =\n" << x << "\n";
  std::cout << "x.view({3, 4}) =\n" << x.view({3, 4}) << "\n";
  std::cout << "x.reshape({2, -1}) =\n" << x.reshape({2, -1}) << "\n";
  auto xt = x.view({3, 4}).t();
  try {
    xt.view({12});
  } catch (const tg::Error& e) {
    std::cout << "x.view({3, 4}).t().view({12}) throws: " << e.what() << "\n";
  }
  std::cout << "x.view({3, 4}).t().reshape({12}) copies instead =\n" << xt.reshape({12}) << "\n";
  auto r = x.clone();
  r.resize_({2, 2});
  std::cout << "x.clone().resize_({2, 2}) keeps the first 4 elements =\n" << r << "\n";

  section("a single neuron: sigmoid(x.matmul(w) + b)");
  auto input = tg::randn<float>({1, 10});
  auto w = tg::randn<float>({1, 10});
  auto bias = tg::randn<float>({1});
  try {
    auto y = (input.matmul(w) + bias).sigmoid();
    std::cout << y << "\n";
  } catch (const tg::Error& e) {
    std::cout << "with w of shape " << w.sizes() << ": " << e.what() << "\n";
  }
  auto y = (input.matmul(w.view({10, 1})) + bias).sigmoid();
  std::cout << "with w.view({10, 1}): output " << y << "\n";
  return 0;
}
