// io/optim_state.hpp: optim::save/optim::load, an optimizer's state_dict as a
// safetensors file. A checkpoint of model + optimizer resumes training bit for
// bit; files that are not optimizer states, or do not fit, are refused.
#include "io/io_ref.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace io_test;

namespace {

namespace optim = tapegrad::optim;

using Factory = std::function<std::unique_ptr<optim::Optimizer<float>>(const std::vector<tg::Tensor<float>>&)>;

// A Factory of Opt with the given options.
template <class Opt, class Options>
Factory factory(Options o) {
  return [o](const std::vector<tg::Tensor<float>>& ps) -> std::unique_ptr<optim::Optimizer<float>> {
    return std::make_unique<Opt>(ps, o);
  };
}

// Five steps of cross-entropy on a fixed batch.
template <class Model>
void train(Model& model, optim::Optimizer<float>& opt, int steps) {
  const auto x = (tg::arange<float>(24).reshape({4, 2, 3}) * 0.125f - 1.0f).tanh();
  const auto y = tg::tensor<int64_t>({0, 2, 1, 2});
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    nn::functional::cross_entropy(model(x), y).backward();
    opt.step();
  }
}

}  // namespace

TEST_CASE("optim::save/optim::load: a model + optimizer checkpoint resumes training bit for bit, for all eight "
          "optimizers") {
  const std::vector<std::pair<const char*, Factory>> optimizers{
      {"SGD", factory<optim::SGD<float>>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true})},
      {"Adam", factory<optim::Adam<float>>(optim::AdamOptions{.lr = 0.01, .amsgrad = true})},
      {"AdamW", factory<optim::AdamW<float>>(optim::AdamWOptions{})},
      {"RMSprop", factory<optim::RMSprop<float>>(optim::RMSpropOptions{.momentum = 0.9, .centered = true})},
      {"Adagrad", factory<optim::Adagrad<float>>(optim::AdagradOptions{.initial_accumulator_value = 0.1})},
      {"Adadelta", factory<optim::Adadelta<float>>(optim::AdadeltaOptions{})},
      {"NAdam", factory<optim::NAdam<float>>(optim::NAdamOptions{})},
      {"RAdam", factory<optim::RAdam<float>>(optim::RAdamOptions{})},
  };
  TempDir dir;
  // (no structured bindings: clang before 16 cannot capture them in CAPTURE)
  for (const auto& named : optimizers) {
    const char* name = named.first;
    const Factory& make = named.second;
    CAPTURE(name);
    tg::manual_seed(3);
    auto model = small_mlp();
    auto opt = make(model.parameters());
    train(model, *opt, 5);
    nn::save(model, dir.file("model.safetensors"));
    optim::save(opt->state_dict(), dir.file("opt.safetensors"));
    train(model, *opt, 5);

    tg::manual_seed(4);  // other initial values, replaced by the checkpoint's
    auto resumed = small_mlp();
    auto opt2 = make(resumed.parameters());
    opt2->set_lr(0.5);
    nn::load(resumed, dir.file("model.safetensors"));
    opt2->load_state_dict(optim::load<float>(dir.file("opt.safetensors")));
    train(resumed, *opt2, 5);
    const auto got = resumed.parameters(), want = model.parameters();
    for (size_t i = 0; i < want.size(); ++i) CHECK(bytes_of(got[i]) == bytes_of(want[i]));
    CHECK(opt2->lr() == opt->lr());
  }
}

TEST_CASE("optim::save/optim::load: the file holds PyTorch's state keys and the param group; the optimizer "
          "overloads read like nn::save/nn::load") {
  TempDir dir;
  const std::string path = dir.file("adam.safetensors");
  tg::manual_seed(5);
  auto model = small_mlp();
  optim::Adam<float> opt(model.parameters(), {.lr = 0.003, .betas = {0.8, 0.95}});
  train(model, opt, 2);
  optim::save(opt, path);
  std::map<std::string, std::string> metadata;
  std::vector<std::string> names;
  for (const auto& [n, t] : io::load_safetensors(path, &metadata)) names.push_back(n);
  std::sort(names.begin(), names.end());
  CHECK(names.size() == 12);  // 4 parameters x exp_avg, exp_avg_sq, step
  CHECK(names[0] == "state.0.exp_avg");
  CHECK(names[2] == "state.0.step");
  CHECK(metadata["format"] == "tapegrad.optim.state_dict");
  CHECK(metadata["param_groups.0"] ==
        "amsgrad=0;betas=0.80000000000000004,0.94999999999999996;eps=1e-08;lr=0.0030000000000000001;maximize=0;"
        "params=0,1,2,3;weight_decay=0");
  optim::Adam<float> other(model.parameters());
  optim::load(other, path);
  CHECK(other.options().betas == std::array<double, 2>{0.8, 0.95});
  CHECK(other.lr() == 0.003);
  CHECK(other.state(3).step == 2);
  CHECK(bytes_of(other.state(3).exp_avg_sq) == bytes_of(opt.state(3).exp_avg_sq));
}

TEST_CASE("optim::load: a model file, a malformed group, a badly named tensor and the wrong dtype are errors") {
  TempDir dir;
  tg::manual_seed(6);
  auto model = small_mlp();
  nn::save(model, dir.file("model.safetensors"));
  CHECK_THROWS_WITH_AS(optim::load<float>(dir.file("model.safetensors")),
                       ("optim::load: " + dir.file("model.safetensors") +
                        " is not an optimizer state file (its metadata has no format = tapegrad.optim.state_dict; a "
                        "model saved by nn::save?)")
                           .c_str(),
                       tg::IOError);
  const std::map<std::string, std::string> meta{{"format", "tapegrad.optim.state_dict"},
                                                {"param_groups.0", "lr=0.1;params=0,x"}};
  io::save_safetensors(dir.file("bad_group.safetensors"), {}, meta);
  CHECK_THROWS_WITH_AS(optim::load<float>(dir.file("bad_group.safetensors")),
                       ("optim::load: " + dir.file("bad_group.safetensors") +
                        ": malformed value 'x' of 'params' in param_groups.0")
                           .c_str(),
                       tg::IOError);
  io::save_safetensors(dir.file("bad_name.safetensors"), {{"state.a.step", tg::zeros<float>({})}},
                       {{"format", "tapegrad.optim.state_dict"}, {"param_groups.0", "lr=0.1;params=0"}});
  CHECK_THROWS_WITH_AS(optim::load<float>(dir.file("bad_name.safetensors")),
                       ("optim::load: " + dir.file("bad_name.safetensors") +
                        " has a tensor 'state.a.step' that is not named state.<parameter index>.<key>")
                           .c_str(),
                       tg::IOError);
  optim::SGD<double> sgd(model.to<double>()->parameters(), {.lr = 0.1});
  optim::save(sgd, dir.file("sgd64.safetensors"));
  CHECK_NOTHROW(optim::load<double>(dir.file("sgd64.safetensors")));
  io::save_safetensors(dir.file("f64.safetensors"), {{"state.0.momentum_buffer", tg::zeros<double>({5, 6})}},
                       {{"format", "tapegrad.optim.state_dict"}, {"param_groups.0", "lr=0.1;params=0"}});
  CHECK_THROWS_WITH_AS(optim::load<float>(dir.file("f64.safetensors")),
                       ("optim::load: " + dir.file("f64.safetensors") +
                        ": tensor 'state.0.momentum_buffer' has dtype float64, expected float32")
                           .c_str(),
                       tg::DTypeError);
}
