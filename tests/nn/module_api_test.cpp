// Writing a module the PyTorch way (issue 26): members registered by one
// call, called as fc1(x), default name(), handles that share, clone(),
// named_modules, requires_grad_, zero_grad, state_dict/load_state_dict with
// PyTorch's names and messages, Parameter, ModuleList/ModuleDict/ParameterList.
#include "nn/surface_ref.hpp"
#include <tapegrad/io.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
using surface::rec;

// PyTorch (tools/gen_ref_nn_surface.py):
//   class Net(nn.Module):
//       def __init__(self):
//           super().__init__()
//           self.fc1 = nn.Linear(4, 8); self.act = nn.GELU(); self.drop = nn.Dropout(0.25)
//           self.fc2 = nn.Linear(8, 3); self.norm = nn.LayerNorm(8); self.scale = nn.Parameter(torch.ones(3))
struct Net : nn::Module<float> {
  nn::Linear<> fc1{nullptr}, fc2{nullptr};
  nn::GELU<> act{nullptr};
  nn::Dropout<> drop{nullptr};
  nn::LayerNorm<> norm{nullptr};
  tg::Tensor<float> scale;

  Net() {
    fc1 = register_module("fc1", nn::Linear(4, 8));
    act = register_module("act", nn::GELU());
    drop = register_module("drop", nn::Dropout(0.25));
    fc2 = register_module("fc2", nn::Linear(8, 3));
    norm = register_module("norm", nn::LayerNorm(8));
    scale = register_parameter("scale", tg::ones<float>({3}));
  }
  tg::Tensor<float> forward(const tg::Tensor<float>& x) override { return fc2(drop(act(norm(fc1(x))))) * scale; }
  std::shared_ptr<nn::Module<float>> clone() const override {
    auto c = clone_as(*this);
    c->fc1 = c->child<nn::Linear<>>("fc1");
    c->act = c->child<nn::GELU<>>("act");
    c->drop = c->child<nn::Dropout<>>("drop");
    c->fc2 = c->child<nn::Linear<>>("fc2");
    c->norm = c->child<nn::LayerNorm<>>("norm");
    c->scale = c->parameter("scale");
    return c;
  }
};

// A module that overrides nothing but forward.
struct Bare : nn::Module<float> {
  nn::Linear<> fc{nullptr};
  Bare() { fc = register_module("fc", nn::Linear(2, 2)); }
  tg::Tensor<float> forward(const tg::Tensor<float>& x) override { return fc(x); }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
template <class List>
std::vector<std::string> names_of(const List& list) {
  std::vector<std::string> out;
  for (const auto& [n, v] : list) out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("Module: a struct with member layers prints, names its state and lists its modules as PyTorch") {
  Net net;
  CHECK(net.name() == "Net");
  CHECK(net.repr() == rec("repr.net").text);
  CHECK(names_of(net.state_dict()) == lines(rec("net.state_dict_keys").text));
  CHECK(names_of(net.named_modules()) == lines(rec("net.named_modules").text));
  CHECK(net.modules().size() == 6);
  CHECK(net.children().size() == 5);
  CHECK(Bare().name() == "Bare");
}

TEST_CASE("register_module: the returned member is the registered child, so fc1(x) uses its parameters") {
  Net net;
  const auto params = net.named_parameters();
  REQUIRE(params.size() == 7);
  CHECK(params[1].first == "fc1.weight");
  CHECK(params[1].second.is_same(net.fc1.weight));
  CHECK(net.named_children()[0].second->parameters()[0].is_same(net.fc1.weight));
  CHECK(params[0].second.is_same(net.scale));
  CHECK(net.scale.requires_grad());
  auto x = tg::randn<float>({2, 4});
  net.eval();
  auto y = net(x);
  CHECK(y.sizes() == tg::Shape{2, 3});
  CHECK(tg::allclose(y, net.fc2(tg::nn::functional::gelu(tg::nn::functional::layer_norm(net.fc1(x), {8}, net.norm.weight,
                                                                                         net.norm.bias))),
                     1e-6, 1e-6));
}

TEST_CASE("Module: copies of a handle share parameters and mode; eval() reaches the member Dropout") {
  Net net;
  CHECK(net.drop.is_training());
  net.eval();
  CHECK_FALSE(net.drop.is_training());
  CHECK_FALSE(net.named_children()[2].second->is_training());
  nn::Linear<> copy = net.fc1;
  CHECK(copy.weight.is_same(net.fc1.weight));
  tg::no_grad([&] { copy.bias.fill_(7.0f); });
  CHECK(net.state_dict()[2].second.to_vector() == std::vector<float>(8, 7.0f));
  Net other = net;
  CHECK(other.parameters()[3].is_same(net.parameters()[3]));
  other.train();
  CHECK(net.is_training());
  CHECK(net.drop.is_training());
}

TEST_CASE("clone: a deep copy with the same values, its own parameters and its members re-pointed") {
  Net net;
  net.eval();
  auto c = net.clone();
  auto* cn = c->as<Net>();
  REQUIRE(cn != nullptr);
  CHECK(c->repr() == net.repr());
  CHECK_FALSE(c->is_training());
  const auto a = net.parameters(), b = c->parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK_FALSE(a[i].is_same(b[i]));
    CHECK(tg::equal(a[i], b[i]));
    CHECK(b[i].requires_grad());
  }
  CHECK(cn->fc1.weight.is_same(b[1]));
  CHECK(cn->scale.is_same(b[0]));
  tg::no_grad([&] { net.fc1.weight.zero_(); });
  CHECK(tg::max(tg::abs(cn->fc1.weight)).item() > 0);
  CHECK_THROWS_WITH_AS(Bare().clone(),
                       "Bare: clone() is not implemented for this module; override clone() with clone_as(*this) and "
                       "re-point the members at the copy's children and parameters",
                       tg::ValueError);
}

TEST_CASE("register_module: a duplicate name, a dotted name, an empty handle and a module as its own child are errors") {
  Bare m;
  CHECK_THROWS_WITH_AS(m.register_module("fc", nn::ReLU()), "Bare: attribute 'fc' already exists", tg::ValueError);
  CHECK_THROWS_WITH_AS(m.register_parameter("fc", tg::ones<float>({1})), "Bare: attribute 'fc' already exists",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(m.register_module("a.b", nn::ReLU()),
                       "Bare: invalid name 'a.b' (must be non-empty and contain no '.')", tg::ValueError);
  CHECK_THROWS_WITH_AS(m.register_module("e", nn::Linear<>(nullptr)), "Bare: cannot register an empty module as 'e'",
                       tg::ValueError);
  nn::Linear<> empty{nullptr};
  CHECK(empty.is_empty());
  CHECK_THROWS_WITH_AS(empty.parameters(),
                       "Linear: the module is empty (made with nullptr); assign a module to it first", tg::ValueError);
  nn::Sequential<> seq;
  CHECK_THROWS_WITH_AS(seq.register_module("self", seq), "Sequential: cannot register a module as its own child 'self'",
                       tg::ValueError);
  CHECK(m.named_children().size() == 1);
}

TEST_CASE("named_modules: a module registered twice is listed once, under its first name") {
  auto shared = std::make_shared<nn::Linear<>>(2, 2);
  nn::Sequential<> seq({shared, std::make_shared<nn::ReLU<>>(), shared});
  CHECK(names_of(seq.named_modules()) == std::vector<std::string>{"", "0", "1"});
  CHECK(seq.named_modules()[0].second.get() == &seq);
}

TEST_CASE("requires_grad_ and zero_grad: freeze a module's parameters; drop or zero the gradients") {
  Net net;
  net.fc1.requires_grad_(false);
  CHECK_FALSE(net.fc1.weight.requires_grad());
  CHECK(net.fc2.weight.requires_grad());
  net(tg::randn<float>({3, 4})).sum().backward();
  CHECK_FALSE(net.fc1.weight.grad().defined());
  REQUIRE(net.fc2.weight.grad().defined());
  net.zero_grad();
  CHECK(tg::equal(net.fc2.weight.grad(), tg::zeros<float>({3, 8})));
  net.zero_grad(true);
  CHECK_FALSE(net.fc2.weight.grad().defined());
  CHECK(&net.requires_grad_(true) == &net);
  CHECK(net.fc1.weight.requires_grad());
  int visited = 0;
  net.eval().apply([&](nn::Module<float>& m) { visited += m.is_training() ? 100 : 1; });
  CHECK(visited == 6);
}

TEST_CASE("state_dict: detached tensors sharing the module's storage; load_state_dict copies by name") {
  Net a, b;
  auto sd = a.state_dict();
  CHECK_FALSE(sd[1].second.requires_grad());
  tg::no_grad([&] { sd[0].second.fill_(2.0f); });
  CHECK(a.scale.to_vector() == std::vector<float>{2, 2, 2});
  const auto keys = b.load_state_dict(a.state_dict());
  CHECK(keys.missing_keys.empty());
  CHECK(keys.unexpected_keys.empty());
  for (size_t i = 0; i < sd.size(); ++i) CHECK(tg::equal(a.state_dict()[i].second, b.state_dict()[i].second));
  CHECK_FALSE(b.fc1.weight.is_same(a.fc1.weight));
  CHECK(b.fc1.weight.requires_grad());
}

TEST_CASE("load_state_dict: missing, unexpected and mis-shaped keys give PyTorch's message; nothing is copied") {
  Net net;
  auto bad = net.state_dict();
  std::erase_if(bad, [](const auto& e) { return e.first == "fc2.bias"; });
  bad.emplace_back("extra", tg::zeros<float>({1}));
  for (auto& [n, t] : bad)
    if (n == "fc1.weight") t = tg::zeros<float>({8, 5});
  for (auto& [n, t] : bad)
    if (n == "scale") t = tg::full<float>({3}, 5.0f);
  CHECK_THROWS_WITH_AS(net.load_state_dict(bad), rec("net.load_error.strict").text.c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(net.load_state_dict(bad, false), rec("net.load_error.loose").text.c_str(), tg::ValueError);
  CHECK(net.scale.to_vector() == std::vector<float>{1, 1, 1});
  for (auto& [n, t] : bad)
    if (n == "fc1.weight") t = tg::zeros<float>({8, 4});
  const auto keys = net.load_state_dict(bad, false);
  CHECK(keys.missing_keys == std::vector<std::string>{"fc2.bias"});
  CHECK(keys.unexpected_keys == std::vector<std::string>{"extra"});
  CHECK(net.scale.to_vector() == std::vector<float>{5, 5, 5});
}

TEST_CASE("Module: a PyTorch-style model trains with SGD and saves/loads under PyTorch's names") {
  tg::manual_seed(3);
  Net net;
  tg::optim::SGD<float> opt(net.parameters(), {.lr = 0.3});
  const auto x = tg::randn<float>({32, 4});
  const auto y = tg::argmax(x.narrow(1, 0, 3), 1);  // learnable: the largest of the first three features
  auto step = [&] {
    opt.zero_grad();
    auto loss = tg::nn::functional::cross_entropy(net(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  net.eval();  // no dropout noise: the loss must fall
  const float first = step();
  float last = first;
  for (int i = 0; i < 60; ++i) last = step();
  CHECK(last < first * 0.5f);
  const auto path = (std::filesystem::temp_directory_path() / "tapegrad_module_api_net.safetensors").string();
  nn::save(net, path);
  const auto file = tg::io::load_safetensors(path);
  std::vector<std::string> saved = names_of(file);
  std::vector<std::string> expected = lines(rec("net.state_dict_keys").text);
  std::sort(saved.begin(), saved.end());
  std::sort(expected.begin(), expected.end());
  CHECK(saved == expected);
  Net fresh;
  fresh.eval();
  nn::load(fresh, path);
  std::filesystem::remove(path);
  CHECK(tg::equal(fresh(x), net(x)));
}

TEST_CASE("Parameter: a leaf that requires grad, printed as PyTorch prints one") {
  nn::Parameter<float> p(tg::tensor<float>({1.0f, 2.5f}));
  CHECK(p.requires_grad());
  CHECK(p.is_leaf());
  std::ostringstream os;
  os << p;
  CHECK(os.str() == rec("repr.parameter").text);
  CHECK_FALSE(nn::Parameter<float>(tg::ones<float>({2}), false).requires_grad());
  auto w = tg::ones<float>({2});
  w.requires_grad_();
  CHECK_THROWS_WITH_AS(nn::Parameter<float>(w * 2.0f),
                       "Parameter: the tensor must be a leaf (the result of an op needs detach() first)",
                       tg::ValueError);
}

TEST_CASE("ModuleList: holds modules under \"0\", \"1\", ..., prints as PyTorch and has no forward") {
  nn::ModuleList<> list(nn::Linear(2, 2), nn::ReLU(), nn::Dropout(0.1));
  CHECK(list.repr() == rec("repr.modulelist").text);
  CHECK(names_of(list.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias"});
  CHECK(list.size() == 3);
  CHECK(list[-1].name() == "Dropout");
  CHECK(list.at<nn::Linear<>>(0).in_features() == 2);
  CHECK_THROWS_WITH_AS(list.at<nn::Linear<>>(1), "ModuleList: module 1 is a ReLU, not the type asked for",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(list[3], "ModuleList: index 3 is out of range for 3 modules", tg::IndexError);
  CHECK_THROWS_WITH_AS(list(tg::ones<float>({2})),
                       "Module [ModuleList] is missing the required \"forward\" function", tg::ValueError);
  nn::ModuleList<> more;
  more.append(nn::Tanh()).extend(list);
  CHECK(more.size() == 4);
  CHECK(more.parameters()[0].is_same(list.parameters()[0]));
  int n = 0;
  for (auto& m : list) n += m.name().size() > 0;
  CHECK(n == 3);
  nn::ModuleList<> same = list;  // a copy is a handle, not a list holding the list
  CHECK(same.size() == 3);
  auto d = list.to<double>();
  CHECK(d->repr() == list.repr());
}

TEST_CASE("ModuleDict: modules by key in insertion order, printed as PyTorch; a missing key names it") {
  nn::ModuleDict<> dict;
  dict.insert("act", nn::GELU()).insert("out", nn::Linear(4, 1));
  CHECK(dict.repr() == rec("repr.moduledict").text);
  CHECK(names_of(dict.named_parameters()) == std::vector<std::string>{"out.weight", "out.bias"});
  CHECK(dict.keys() == std::vector<std::string>{"act", "out"});
  CHECK(dict.contains("out"));
  CHECK_FALSE(dict.contains("in"));
  CHECK(dict["out"].name() == "Linear");
  CHECK_THROWS_WITH_AS(dict["in"], "ModuleDict: no module with key 'in'", tg::IndexError);
  CHECK_THROWS_WITH_AS(dict.insert("act", nn::ReLU()), "ModuleDict: attribute 'act' already exists", tg::ValueError);
}

TEST_CASE("ParameterList: parameters under \"0\", \"1\", ..., printed as PyTorch; a struct registers it by value") {
  nn::ParameterList<> params{tg::ones<float>({3}), tg::ones<float>({2, 2})};
  CHECK(params.repr() == rec("repr.parameterlist").text);
  CHECK(params.size() == 2);
  CHECK(params[1].requires_grad());
  CHECK_THROWS_WITH_AS(params[2], "ParameterList: index 2 is out of range for 2 parameters", tg::IndexError);
  struct Holder : nn::Module<float> {
    nn::ParameterList<> ps;
    Holder() { ps = register_module("ps", nn::ParameterList<>{tg::zeros<float>({2})}); }
  } h;
  CHECK(names_of(h.state_dict()) == std::vector<std::string>{"ps.0"});
  h.ps.append(tg::ones<float>({1}));
  CHECK(names_of(h.state_dict()) == std::vector<std::string>{"ps.0", "ps.1"});
}
