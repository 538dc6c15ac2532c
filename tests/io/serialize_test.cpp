// io/serialize.hpp: nn::save/nn::load round trips, a model written by
// PyTorch, and bad files, which leave the model as it was.
#include "io/io_ref.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace io_test;

namespace {

// A module with a buffer, which nn::save/nn::load carry as well.
template <tg::FloatingElement T = float>
class Scaler : public nn::Cloneable<Scaler, T> {
 public:
  tg::Tensor<T> gain, count;
  Scaler() {
    gain = this->register_parameter("gain", tg::ones<T>({3}));
    count = this->register_buffer("count", tg::zeros<T>({}));
  }
  template <tg::FloatingElement U>
  explicit Scaler(const Scaler<U>& other) : Scaler() {
    this->convert_from(other);
  }
  tg::Tensor<T> forward(const tg::Tensor<T>& x) override { return x * gain; }
  std::string name() const override { return "Scaler"; }
};

}  // namespace

// ---- nn::save / nn::load ---------------------------------------------------------------------

TEST_CASE("nn::save/nn::load: a model's parameters round-trip under PyTorch's names") {
  TempDir dir;
  const std::string path = dir.file("mlp.safetensors");
  tg::manual_seed(1);
  auto a = small_mlp();
  tg::manual_seed(2);
  auto b = small_mlp();
  REQUIRE_FALSE(tg::equal(a.parameters()[0], b.parameters()[0]));
  nn::save(a, path);
  std::vector<std::string> names;
  for (const auto& [name, t] : io::load_safetensors(path)) names.push_back(name);
  CHECK(names == std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
  nn::load(b, path);
  for (size_t i = 0; i < 4; ++i) CHECK(tg::equal(a.parameters()[i], b.parameters()[i]));
  for (const auto& p : b.parameters()) {
    CHECK(p.requires_grad());  // still trainable leaves
    CHECK(p.is_leaf());
  }
  auto x = tg::rand<float>({2, 2, 3});
  CHECK(tg::equal(a(x), b(x)));
  // double models too
  auto ad = a.to<double>();
  auto bd = small_mlp().to<double>();
  nn::save(*ad, dir.file("mlp64.safetensors"));
  nn::load(*bd, dir.file("mlp64.safetensors"));
  CHECK(tg::equal(bd->parameters()[2], ad->parameters()[2]));
  // buffers as well
  Scaler<float> s1, s2;
  tg::no_grad([&] {
    s1.gain.fill_(2.5f);
    s1.count.fill_(7.0f);
  });
  nn::save(s1, dir.file("scaler.safetensors"));
  nn::load(s2, dir.file("scaler.safetensors"));
  CHECK(s2.gain.max().item() == 2.5f);
  CHECK(s2.count.item() == 7.0f);
}

TEST_CASE("nn::save/nn::load: metadata is written and read back, also when the shapes do not fit") {
  TempDir dir;
  const std::string path = dir.file("mlp.safetensors");
  auto a = small_mlp();
  nn::save(a, path, {{"dataset", "fashion"}, {"preset", "d2l"}});
  std::map<std::string, std::string> meta;
  nn::load(a, path, &meta);
  CHECK(meta == std::map<std::string, std::string>{{"dataset", "fashion"}, {"preset", "d2l"}});
  // a model of other shapes: the load fails, the metadata is there to explain why
  auto other = nn::Sequential(nn::Flatten(), nn::Linear(6, 4), nn::ReLU(), nn::Linear(4, 3));
  std::map<std::string, std::string> seen;
  CHECK_THROWS_AS(nn::load(other, path, &seen), tg::ShapeError);
  CHECK(seen.at("preset") == "d2l");
  // no metadata: an empty map
  nn::save(a, dir.file("plain.safetensors"));
  std::map<std::string, std::string> none;
  nn::load(a, dir.file("plain.safetensors"), &none);
  CHECK(none.empty());
}

TEST_CASE("nn::load: a model saved by PyTorch loads into the same Sequential and gives PyTorch's outputs") {
  const std::string path = nn_test::reference_file("torch_model.safetensors");
  std::map<std::string, std::string> meta;
  const auto tensors = io::load_safetensors(path, &meta);
  CHECK(meta == std::map<std::string, std::string>{{"format", "pt"}});
  CHECK(tensors.size() == 4);
  auto net = small_mlp();
  nn::load(net, path);
  for (const auto& np : net.named_parameters()) {
    const std::string& name = np.first;
    const auto& p = np.second;
    CAPTURE(name);
    NN_CHECK_REF(p, "torch_model." + name, nn_test::Tol{0, 0});
  }
  NN_CHECK_REF(net(nn_test::load<float>("torch_model.x")), "torch_model.out");
}

TEST_CASE("nn::load: wrong dtype, wrong shape, missing and unexpected tensors are errors that change nothing") {
  TempDir dir;
  auto net = small_mlp();
  const auto before = snapshot(net);

  const std::string f64 = dir.file("f64.safetensors");
  nn::save(*small_mlp().to<double>(), f64);
  CHECK_THROWS_WITH_AS(nn::load(net, f64), ("load: " + f64 + ": tensor '1.weight' has dtype float64, expected float32").c_str(),
                       tg::DTypeError);
  CHECK(unchanged(net, before));

  // the last tensor is the wrong one: the first three must not have been copied
  const std::string shape = dir.file("shape.safetensors");
  auto narrow = nn::Sequential(nn::Flatten(), nn::Linear(6, 5), nn::ReLU(), nn::Linear(5, 2));
  auto file = io::load_safetensors(nn_test::reference_file("torch_model.safetensors"));
  nn::save(narrow, shape);
  CHECK_THROWS_WITH_AS(nn::load(net, shape),
                       ("load: " + shape + ": tensor '3.weight' has shape [2, 5] but the model's has shape [3, 5]").c_str(),
                       tg::ShapeError);
  CHECK(unchanged(net, before));

  const std::string missing = dir.file("missing.safetensors");
  io::NamedTensors three(file.begin(), file.end());
  three.erase(three.begin() + 2);  // "3.bias"
  io::save_safetensors(missing, three);
  CHECK_THROWS_WITH_AS(nn::load(net, missing),
                       ("load: " + missing + " has no tensor '3.bias' (Sequential expects it with shape [3])").c_str(),
                       tg::IOError);
  CHECK(unchanged(net, before));

  const std::string extra = dir.file("extra.safetensors");
  io::NamedTensors five(file.begin(), file.end());
  five.emplace_back("4.weight", tg::zeros<float>({1}));
  io::save_safetensors(extra, five);
  CHECK_THROWS_WITH_AS(nn::load(net, extra),
                       ("load: " + extra + " has an unexpected tensor '4.weight' that Sequential does not have").c_str(),
                       tg::IOError);
  CHECK(unchanged(net, before));

  CHECK_THROWS_WITH_AS(nn::load(net, dir.file("nope.safetensors")),
                       ("load_safetensors: cannot open '" + dir.file("nope.safetensors") + "'").c_str(), tg::IOError);
  const std::string a_dir = dir.path().string();
  CHECK_THROWS_WITH_AS(nn::load(net, a_dir), ("load_safetensors: '" + a_dir + "' is not a regular file").c_str(),
                       tg::IOError);
  CHECK_THROWS_WITH_AS(tg::io::load_npy_any(a_dir), ("load_npy: '" + a_dir + "' is not a regular file").c_str(),
                       tg::IOError);
  CHECK(unchanged(net, before));
}
