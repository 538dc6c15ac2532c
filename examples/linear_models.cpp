// The regression tutorial (shared/seeds/003) in C++: linear regression with
// mv, float32 precision and allclose, nn::Linear(2, 1) under manual_seed,
// sigmoid and its derivative, the AND gate by logistic regression, and
// softmax: its overflow, the max-subtraction fix, and each dim of a (2, 3, 4)
// tensor.
//
//   linear_models                    run the tour
//   linear_models --csv sigmoid.csv  also write x, sigmoid(x), sigmoid'(x)
//   linear_models --help             this text
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;

namespace {

const char* kUsage = R"(Usage: linear_models [--csv FILE] [--points N] [--seed N]

The PyTorch regression tutorial with tapegrad: a linear-regression table with
mv, float32 precision and allclose, nn::Linear(2, 1) with and without bias,
sigmoid and its derivative, the AND gate learned by logistic regression, and
softmax along each dim of a (2, 3, 4) tensor.

Options:
  --csv FILE   write the sigmoid curve as CSV: x, sigmoid(x), sigmoid'(x)
               (the derivative by autograd) on linspace(-10, 10, N)
  --points N   points on the curve (default 400, as the tutorial)
  --seed N     manual_seed for nn::Linear (default 250, as the tutorial)
  --help       this text
)";

void section(const char* title) { std::cout << "\n== " << title << " ==\n"; }

// The tutorial's table: z = -0.2 + 0.15 x1 + 0.15 x2, the bias as column 0.
void linear_regression() {
  section("linear regression with mv: z = -0.2 + 0.15 x1 + 0.15 x2");
  auto x = tg::tensor<float>({{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}});
  auto z = tg::tensor<float>({-0.2f, -0.05f, -0.05f, 0.1f});
  auto w = tg::tensor<float>({-0.2f, 0.15f, 0.15f});
  auto zhat = tg::mv(x, w);
  std::cout << "zhat = mv(x, w) =\n" << zhat << "\n";
  // PyTorch refuses mv of an int64 matrix and a float vector at run time
  // ("expected scalar type Long but found Float"); tapegrad refuses to
  // compile it. tg::mv(tg::tensor<int64_t>({{1, 0, 0}}), w) gives:
  //   error: static assertion failed: matmul/mm/mv/dot/bmm: both operands must
  //   have the same dtype (PyTorch raises 'expected scalar type ... but found
  //   ...'); convert one with .to<T>()
  // (tests/compile_fail/mv_mixed_dtypes.cpp checks it), so integer data is
  // converted first:
  auto xi = tg::tensor<int64_t>({{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}});
  std::cout << "mv(xi.to<float>(), w) == zhat: " << std::boolalpha << tg::equal(tg::mv(xi.to<float>(), w), zhat)
            << "\n";

  section("float32 precision: == versus allclose");
  std::cout << "zhat == z: " << (zhat == z) << "\n";
  std::cout << std::setprecision(30);
  for (int64_t i = 0; i < 4; ++i)
    std::cout << "  zhat[" << i << "] = " << zhat[i].item() << "   z[" << i << "] = " << z[i].item() << "\n";
  std::cout << std::setprecision(6);
  std::cout << "allclose(zhat, z) (rtol 1e-5, atol 1e-8): " << tg::allclose(zhat, z) << "\n";
  auto zhat64 = tg::mv(x.to<double>(), tg::tensor<double>({-0.2, 0.15, 0.15}));
  std::cout << "in double the error is ~1e-17: max |zhat - z| = "
            << tg::abs(zhat64 - tg::tensor<double>({-0.2, -0.05, -0.05, 0.1})).max().item() << "\n";
}

void linear_layer(uint64_t seed) {
  section("nn::Linear(2, 1) under manual_seed");
  auto X = tg::tensor<float>({{0, 0}, {1, 0}, {0, 1}, {1, 1}});
  tg::manual_seed(seed);
  nn::Linear output(2, 1);
  std::cout << output << "\nweight = " << output.weight << "\nbias = " << output.bias << "\n";
  std::cout << "zhat = output(X) =\n" << output(X) << "\n";
  tg::manual_seed(seed);
  nn::Linear again(2, 1);
  std::cout << "the same seed gives the same layer: " << std::boolalpha << tg::equal(again.weight, output.weight)
            << "\n";
  nn::Linear<float> nobias(2, 1, /*bias=*/false);
  std::cout << nobias << "\nparameters: " << nobias.parameters().size() << " (weight only)\n";
  std::cout << "zhat = nobias(X) =\n" << nobias(X) << "\n";
}

// sigmoid on linspace(-10, 10, n) and its derivative from autograd, which
// equals s (1 - s) and peaks at 1/4 at x = 0.
bool sigmoid_curve(const std::string& csv, int64_t n) {
  section("sigmoid and its derivative");
  auto x = tg::linspace<double>(-10, 10, n);
  x.requires_grad_();
  auto s = tg::sigmoid(x);
  s.sum().backward();
  const auto ds = x.grad();
  const double worst = tg::no_grad([&] { return tg::abs(ds - s * (1.0 - s)).max().item(); });
  std::cout << "sigmoid(0) = " << tg::sigmoid(tg::tensor<double>(0.0)).item() << ", sigmoid(+-10) = "
            << tg::sigmoid(tg::tensor<double>({-10.0, 10.0})) << "\n";
  std::cout << "max sigmoid'(x) = " << ds.max().item() << " (at x = " << x.detach()[ds.argmax().item()].item()
            << ")\n";
  std::cout << "max |autograd - s(1 - s)| = " << worst << "\n";
  if (csv.empty()) return true;
  std::ofstream out(csv);
  if (!out) {
    std::cerr << "linear_models: cannot write '" << csv << "'\n";
    return false;
  }
  out << "x,sigmoid,sigmoid_derivative\n" << std::setprecision(17);
  const auto xv = x.detach().to_vector(), sv = s.detach().to_vector(), dv = ds.to_vector();
  for (size_t i = 0; i < xv.size(); ++i) out << xv[i] << ',' << sv[i] << ',' << dv[i] << '\n';
  std::cout << "wrote " << xv.size() << " points to " << csv << "\n";
  return static_cast<bool>(out);
}

void and_gate(uint64_t seed) {
  section("the AND gate");
  // The tutorial's fixed weights: sigmoid(mv(X, w)) >= 0.5 is already AND.
  auto X3 = tg::tensor<float>({{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}});
  auto sigma = tg::sigmoid(tg::mv(X3, tg::tensor<float>({-0.2f, 0.15f, 0.15f})));
  std::cout << "w = [-0.2, 0.15, 0.15]: sigma = " << sigma << ", andhat = " << (sigma >= 0.5f).to<float>() << "\n";

  // Learned: logistic regression, Linear(2, 1) + sigmoid, BCE loss and SGD.
  auto X = tg::tensor<float>({{0, 0}, {1, 0}, {0, 1}, {1, 1}});
  auto y = tg::tensor<float>({{0}, {0}, {0}, {1}});
  tg::manual_seed(seed);
  nn::Linear dense(2, 1);
  optim::SGD opt(dense.parameters(), {.lr = 1.0});
  nn::BCEWithLogitsLoss<float> loss_fn;  // sigmoid + BCE, stable
  auto predict = [&] { return tg::no_grad([&] { return (tg::sigmoid(dense(X)) > 0.5f).to<float>(); }); };
  // The tutorial's cell: manual_seed(250), Linear(2, 1), y = [int(x) for x in
  // sigmoid(dense(X)) > 0.5]. tapegrad draws PyTorch's weights, so this prints
  // PyTorch's [1, 1, 0, 1]: the untrained layer is not yet an AND gate.
  std::cout << "the tutorial's cell (untrained): weight = " << dense.weight << ", sigmoid(dense(X)) = "
            << tg::no_grad([&] { return tg::sigmoid(dense(X)).view({4}); }) << ", y = " << predict().view({4})
            << "\n";
  int step = 0;
  for (; step < 1000; ++step) {
    opt.zero_grad();
    auto loss = loss_fn(dense(X), y);
    loss.backward();
    opt.step();
    if (step % 100 == 0) std::cout << "  step " << std::setw(4) << step << "  loss " << loss.item() << "\n";
    if (step >= 200 && tg::equal(predict(), y)) break;
  }
  std::cout << "after " << step + 1 << " steps: sigmoid(dense(X)) = "
            << tg::no_grad([&] { return tg::sigmoid(dense(X)).view({4}); }) << ", y = " << predict().view({4})
            << (tg::equal(predict(), y) ? "  (AND)" : "  (not learned)") << "\n";
  std::cout << "weight = " << dense.weight << ", bias = " << dense.bias << "\n";
}

void softmax_demo() {
  section("softmax: overflow and the max-subtraction fix");
  auto big = tg::tensor<float>({1000.0f, 1010.0f, 1020.0f});
  auto naive = tg::exp(big) / tg::exp(big).sum();
  std::cout << "exp(z) / exp(z).sum() for z = [1000, 1010, 1020]: " << naive << "\n";
  std::cout << "softmax(z, 0) (subtracts max(z) first):          " << tg::softmax(big, 0) << "\n";

  section("softmax along each dim of a (2, 3, 4) tensor");
  auto z = tg::tensor<float>({{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}}, {{5, 6, 7, 8}, {5, 6, 7, 8}, {5, 6, 7, 8}}});
  for (int64_t d : {2, 1, 0}) {
    auto s = tg::F::softmax(z, d);
    std::cout << "softmax(z, dim=" << d << ") =\n" << s << "\nsums along dim " << d << " =\n" << s.sum(d) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv;
  int64_t points = 400;
  uint64_t seed = 250;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    try {
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--csv" && has_value) {
        csv = argv[++i];
      } else if (arg == "--points" && has_value) {
        points = std::stoll(argv[++i]);
        if (points < 2) throw std::invalid_argument("points");
      } else if (arg == "--seed" && has_value) {
        seed = std::stoull(argv[++i]);
      } else {
        std::cerr << "linear_models: unknown or incomplete argument '" << arg << "'\n" << kUsage;
        return 2;
      }
    } catch (const std::exception&) {
      std::cerr << "linear_models: bad value for " << arg << "\n" << kUsage;
      return 2;
    }
  }
  try {
    linear_regression();
    linear_layer(seed);
    if (!sigmoid_curve(csv, points)) return 1;
    and_gate(seed);
    softmax_demo();
  } catch (const tg::Error& e) {
    std::cerr << "linear_models: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
