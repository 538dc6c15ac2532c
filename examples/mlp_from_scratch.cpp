// The MLP tutorial (shared/seeds/001, d2l's "multilayer perceptrons"): first
// the model written by hand, then the same model as nn::Sequential.
//
//   W1 [784, 256], b1 [256], W2 [256, 10], b2 [10]   leaves with requires_grad
//   relu(x) = maximum(x, 0)
//   net(X)  = relu(X @ W1 + b1) @ W2 + b2
//   loss    = cross_entropy, optimizer SGD lr 0.1, batch 256, 10 epochs
//
// on Fashion-MNIST, then
//
//   Sequential(Flatten, Linear(784, 256), ReLU, Linear(256, 10))
//
// with the same seed and hyper-parameters. Both models start from the same
// numbers (the Linear weights are W1 and W2 transposed, since nn::Linear
// stores [out, in] and computes x @ W^T) and see the same batches, so the two
// columns printed side by side agree to float rounding: the by-hand model and
// nn::Sequential are the same computation.
//
// Initialisation: randn * 0.01 as d2l's book does (the seed's copy of it lost
// the "* 0.01"; with std 1 the logits start in the hundreds and SGD at lr 0.1
// does not recover). It equals the Sequential version's
// nn.init.normal_(std=0.01), bias 0.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/data.hpp>
#include <tapegrad/core/threads.hpp>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using Clock = std::chrono::steady_clock;

namespace {

const char* kUsage = R"(Usage: mlp_from_scratch [options]

Trains the d2l MLP (784 -> 256 -> ReLU -> 10, SGD lr 0.1, batch 256) twice on
Fashion-MNIST: once with its parameters written by hand, once as
nn::Sequential, and prints both accuracies side by side.

Options:
  --data DIR      directory with the four IDX files (default data/fashion-mnist)
  --epochs N      training epochs (default 10)
  --lr X          learning rate (default 0.1)
  --batch-size N  mini-batch size (default 256)
  --seed N        random seed (default 42)
  --threads N     threads for the matrix products (default: all cores)
  --help          this text
)";

struct Options {
  std::string data = "data/fashion-mnist";
  int64_t epochs = 10, batch_size = 256, seed = 42, threads = 0;
  double lr = 0.1;
};

struct EpochResult {
  double train_loss, test_acc;
};

// One model's training state: a forward function over its parameters, the
// optimizer and its own generator (so the two runs can be interleaved epoch by
// epoch and still draw the same initial values and shuffles).
struct Run {
  std::function<tg::Tensor<float>(const tg::Tensor<float>&)> forward;
  std::vector<tg::Tensor<float>> params;
  std::unique_ptr<optim::SGD<float>> opt;
  std::unique_ptr<tg::Generator> gen;
  std::unique_ptr<tg::data::DataLoader<float, int64_t, uint8_t>> loader;  // x = pixels / 255
};

EpochResult train_epoch(Run& r, const tg::data::MNIST& test) {
  double loss_sum = 0;
  int64_t seen = 0;
  for (auto& [x, y] : *r.loader) {
    auto loss = tg::F::cross_entropy(r.forward(x), y);
    r.opt->zero_grad();
    loss.backward();
    r.opt->step();
    loss_sum += static_cast<double>(loss.item()) * static_cast<double>(x.size(0));
    seen += x.size(0);
  }
  tg::NoGradGuard no_grad;
  const auto correct = tg::sum(tg::eq(r.forward(test.images()).argmax(1), test.labels())).item();
  return {loss_sum / static_cast<double>(seen), static_cast<double>(correct) / static_cast<double>(test.size())};
}

// The hand-initialised weights of both versions: randn * 0.01 (d2l), drawn
// from the run's generator in the same order.
std::pair<tg::Tensor<float>, tg::Tensor<float>> draw_weights(tg::Generator& gen) {
  auto w1 = tg::randn<float>({784, 256}, gen) * 0.01f;
  auto w2 = tg::randn<float>({256, 10}, gen) * 0.01f;
  return {w1, w2};
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") throw std::runtime_error("help");
    if (i + 1 >= argc) throw std::invalid_argument("unknown flag or missing value: '" + a + "'");
    const std::string v = argv[++i];
    size_t used = 0;
    auto as_int = [&](int64_t min) {
      int64_t x = 0;
      try { x = std::stoll(v, &used); } catch (...) { used = 0; }
      if (used != v.size() || x < min)
        throw std::invalid_argument(a + " expects an integer >= " + std::to_string(min) + ", got '" + v + "'");
      return x;
    };
    if (a == "--data") o.data = v;
    else if (a == "--epochs") o.epochs = as_int(1);
    else if (a == "--batch-size") o.batch_size = as_int(1);
    else if (a == "--seed") o.seed = as_int(0);
    else if (a == "--threads") o.threads = as_int(1);
    else if (a == "--lr") {
      double x = 0;
      try { x = std::stod(v, &used); } catch (...) { used = 0; }
      if (used != v.size() || !(x > 0 && x <= 100))
        throw std::invalid_argument("--lr expects a number in (0, 100], got '" + v + "'");
      o.lr = x;
    } else {
      throw std::invalid_argument("unknown flag '" + a + "'");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    opt = parse(argc, argv);
  } catch (const std::runtime_error&) {  // --help
    std::cout << kUsage;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mlp_from_scratch: " << e.what() << "\n\n" << kUsage;
    return 2;
  }
  try {
    const int threads = opt.threads > 0 ? static_cast<int>(opt.threads)
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    tg::set_num_threads(threads);  // tapegrad's kernels (its thread pool) and Eigen's
    const tg::data::MNIST train(opt.data, true), test(opt.data, false);
    std::printf("Fashion-MNIST from %s: %lld training, %lld test images\n", opt.data.c_str(),
                static_cast<long long>(train.size()), static_cast<long long>(test.size()));
    const auto seed = static_cast<uint64_t>(opt.seed);
    const tg::data::DataLoaderOptions lo{.batch_size = opt.batch_size, .shuffle = true};
    const optim::SGDOptions so{.lr = opt.lr};

    // 1. From scratch: four leaves, relu as maximum(x, 0), the net as a lambda.
    Run scratch;
    scratch.gen = std::make_unique<tg::Generator>(seed);
    const auto weights = draw_weights(*scratch.gen);
    // (named copies, not a structured binding: the lambda below captures them)
    const tg::Tensor<float> W1 = weights.first, W2 = weights.second;
    W1.requires_grad_();
    W2.requires_grad_();
    auto b1 = tg::zeros<float>({256}).requires_grad_();
    auto b2 = tg::zeros<float>({10}).requires_grad_();
    const auto zero = tg::tensor(0.0f);
    auto relu = [zero](const tg::Tensor<float>& x) { return tg::maximum(x, zero); };
    scratch.forward = [=](const tg::Tensor<float>& X) {
      auto H = relu(tg::matmul(X.reshape({-1, 784}), W1) + b1);
      return tg::matmul(H, W2) + b2;
    };
    scratch.params = {W1, b1, W2, b2};

    // 2. The concise version: nn::Sequential, the same starting numbers.
    Run concise;
    concise.gen = std::make_unique<tg::Generator>(seed);
    auto net = std::make_shared<nn::Sequential<float>>(nn::Flatten<float>(), nn::Linear<float>(784, 256),
                                                       nn::ReLU<float>(), nn::Linear<float>(256, 10));
    {
      auto [w1, w2] = draw_weights(*concise.gen);
      tg::NoGradGuard no_grad;
      auto& l1 = *(*net)[1].as<nn::Linear<float>>();
      auto& l2 = *(*net)[3].as<nn::Linear<float>>();
      l1.weight.copy_(w1.t());
      l2.weight.copy_(w2.t());
      l1.bias.zero_();
      l2.bias.zero_();
    }
    concise.forward = [net](const tg::Tensor<float>& X) { return (*net)(X); };
    concise.params = net->parameters();

    for (Run* r : {&scratch, &concise}) {
      r->opt = std::make_unique<optim::SGD<float>>(r->params, so);
      auto o = lo;
      o.generator = r->gen.get();
      r->loader = std::make_unique<tg::data::DataLoader<float, int64_t, uint8_t>>(train.pixels(), train.labels(), o,
                                                                                  255.0f);
    }

    std::cout << *net << "\n";
    std::printf("SGD lr %g, batch %lld, %lld epochs, seed %lld, %d thread%s\n\n", opt.lr,
                static_cast<long long>(opt.batch_size), static_cast<long long>(opt.epochs),
                static_cast<long long>(opt.seed), threads, threads == 1 ? "" : "s");
    std::printf("%5s | %-21s | %-21s | %s\n", "", "     from scratch", "    nn::Sequential", "");
    std::printf("%5s | %10s %10s | %10s %10s | %9s\n", "epoch", "train_loss", "test_acc", "train_loss", "test_acc",
                "acc diff");
    const auto t0 = Clock::now();
    EpochResult a{}, b{};
    for (int64_t epoch = 1; epoch <= opt.epochs; ++epoch) {
      a = train_epoch(scratch, test);
      b = train_epoch(concise, test);
      std::printf("%5lld | %10.4f %10.4f | %10.4f %10.4f | %+9.4f\n", static_cast<long long>(epoch), a.train_loss,
                  a.test_acc, b.train_loss, b.test_acc, b.test_acc - a.test_acc);
      std::fflush(stdout);
    }
    std::printf("\nfinal test accuracy: from scratch %.4f, nn::Sequential %.4f (difference %+.4f) in %.1f s\n",
                a.test_acc, b.test_acc, b.test_acc - a.test_acc,
                std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << "mlp_from_scratch: " << e.what() << "\n(fetch the data with tools/fetch-data.sh)\n";
    return 1;
  }
}
