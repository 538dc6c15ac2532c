// The first tutorial (shared/seeds/000): one layer written by hand, no
// nn::Linear: weights = randn(784, 10) / sqrt(784), bias = zeros(10),
// model(x) = log_softmax(x @ weights + bias) with log_softmax spelled out as
// x - x.exp().sum(-1).log().unsqueeze(-1), trained with the negative
// log-likelihood written as the tutorial writes it,
// -input[range(target.shape[0]), target].mean(), by manual SGD updates under
// no_grad.
//
//   first_network [--data DIR] [--epochs N] [--lr X] [--batch-size N]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <tapegrad/data.hpp>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;

int main(int argc, char** argv) {
  std::string data = "data/mnist";
  int64_t epochs = 2, bs = 64;
  double lr = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << "Usage: first_network [--data DIR] [--epochs N] [--lr X] [--batch-size N]\n"
                   "Trains the first tutorial's one-layer network on MNIST (default data/mnist).\n";
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "first_network: unknown or incomplete argument '" << a << "'\nUsage: first_network --help\n";
      return 2;
    }
    const std::string v = argv[++i];
    try {
      if (a == "--data") data = v;
      else if (a == "--epochs") epochs = std::stoll(v);
      else if (a == "--lr") lr = std::stod(v);
      else if (a == "--batch-size") bs = std::stoll(v);
      else throw std::invalid_argument(a);
    } catch (const std::exception&) {
      std::cerr << "first_network: bad argument '" << a << " " << v << "'\nUsage: first_network --help\n";
      return 2;
    }
  }
  try {
    tg::manual_seed(0);
    tg::data::MNIST train(data, true), test(data, false);

    auto weights = tg::randn<float>({784, 10}) / std::sqrt(784.0f);
    weights.requires_grad_();
    auto bias = tg::zeros<float>({10}).requires_grad_();
    auto log_softmax = [](const tg::Tensor<float>& x) { return x - x.exp().sum(-1).log().unsqueeze(-1); };
    auto model = [&](const tg::Tensor<float>& xb) { return log_softmax(tg::matmul(xb, weights) + bias); };
    // -input[range(n), target].mean(): row i's log-probability of its class
    // (the same as -input.gather(1, target.unsqueeze(1)).mean())
    auto nll = [](const tg::Tensor<float>& input, const tg::Tensor<int64_t>& target) {
      return -input.index({tg::arange(target.size(0)), target}).mean();
    };

    tg::data::DataLoader loader(train.images(), train.labels(), {.batch_size = bs, .shuffle = true});
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      double loss_sum = 0;
      int64_t batches = 0;
      for (auto& [xb, yb] : loader) {
        auto loss = nll(model(xb), yb);
        loss.backward();
        {
          tg::NoGradGuard no_grad;  // the update rule w = w - lr * dJ/dw
          weights.sub_(weights.grad() * static_cast<float>(lr));
          bias.sub_(bias.grad() * static_cast<float>(lr));
          weights.grad().zero_();
          bias.grad().zero_();
        }
        loss_sum += loss.item();
        ++batches;
      }
      tg::NoGradGuard no_grad;
      const auto correct = tg::sum(tg::eq(model(test.images()).argmax(1), test.labels())).item();
      std::printf("epoch %lld  loss %.4f  test accuracy %.4f\n", static_cast<long long>(epoch),
                  loss_sum / static_cast<double>(batches), static_cast<double>(correct) / static_cast<double>(test.size()));
    }
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << "first_network: " << e.what() << "\n(fetch the data with tools/fetch-data.sh)\n";
    return 1;
  }
}
