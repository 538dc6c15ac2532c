// set_printoptions against PyTorch 1.13's torch.set_printoptions, sizes
// printed as torch.Size, grad_fn names and to_vector2d
// (tests/reference/surface2.txt).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/reference.hpp"

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

namespace {

constexpr const char* kFile = "surface2.txt";

template <tg::Element T>
tg::Tensor<T> rebuild_as(const RefTensor& r) {
  return tg::from_vector(r.as<T>(), tg::Shape(r.shape.begin(), r.shape.end()));
}

std::string print_record(const RefTensor& r, bool requires_grad) {
  if (r.dtype == "float32") {
    auto t = rebuild_as<float>(r);
    if (requires_grad) t.requires_grad_();
    return to_string(t);
  }
  if (r.dtype == "float64") return to_string(rebuild_as<double>(r));
  if (r.dtype == "int64") return to_string(rebuild_as<int64_t>(r));
  if (r.dtype == "int32") return to_string(rebuild_as<int32_t>(r));
  if (r.dtype == "bool") return to_string(rebuild_as<bool>(r));
  FAIL("unexpected dtype " << r.dtype);
  return {};
}

// The key=value lines of a .opts record as PrintOptions.
tg::PrintOptions parse_options(const std::string& text, std::string& profile) {
  tg::PrintOptions o;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "precision") o.precision = std::stoi(value);
    else if (key == "threshold") o.threshold = std::stoll(value);
    else if (key == "edgeitems") o.edgeitems = std::stoll(value);
    else if (key == "linewidth") o.linewidth = std::stoll(value);
    else if (key == "profile") profile = value, o.profile = profile;
    else if (key == "sci_mode" && value != "None") o.sci_mode = value == "True";
    else REQUIRE_MESSAGE(key == "sci_mode", "unknown option " << key);
  }
  return o;
}

// Restores PyTorch's defaults when a case ends, whatever it set.
struct DefaultsAfter {
  ~DefaultsAfter() { tg::set_printoptions({.profile = "default"}); }
};

}  // namespace

TEST_CASE("set_printoptions: prints as PyTorch under every recorded set of options") {
  DefaultsAfter restore;
  int checked = 0;
  for (const auto& entry : tapegrad_test::ref_file(kFile)) {  // (no structured bindings: clang 14's CAPTURE)
    const std::string& name = entry.first;
    const RefTensor& rec = entry.second;
    if (name.rfind("print.", 0) != 0 || !rec.is_str() || name.find('.', 6) != std::string::npos ||
        name == "print.defaults")
      continue;
    CAPTURE(name);
    std::string profile;
    tg::set_printoptions(parse_options(tapegrad_test::ref(kFile, name + ".opts").text, profile));
    CHECK(print_record(tapegrad_test::ref(kFile, name + ".in"), name == "print.requires_grad") == rec.text);
    tg::set_printoptions({.profile = "default"});
    ++checked;
  }
  CHECK(checked == 28);
}

TEST_CASE("set_printoptions: fields left unset keep their value, sci_mode does not") {
  DefaultsAfter restore;
  tg::set_printoptions({.precision = 2, .sci_mode = true});
  tg::set_printoptions({.linewidth = 100});
  const auto o = tg::get_printoptions();
  CHECK(*o.precision == 2);
  CHECK(*o.linewidth == 100);
  CHECK(*o.threshold == 1000);
  CHECK(*o.edgeitems == 3);
  CHECK_FALSE(o.sci_mode.has_value());
  CHECK(to_string(tg::tensor({1.125, 2.5})) == "tensor([1.12, 2.50])");
  tg::set_printoptions({.profile = "default"});
  CHECK(to_string(tg::tensor({1.125, 2.5})) == "tensor([1.1250, 2.5000])");
}

TEST_CASE("set_printoptions: the defaults are PyTorch's") {
  const auto o = tg::get_printoptions();
  std::string profile;
  const auto want = parse_options(tapegrad_test::ref(kFile, "print.defaults").text, profile);
  CHECK(o.precision == want.precision);
  CHECK(o.threshold == want.threshold);
  CHECK(o.edgeitems == want.edgeitems);
  CHECK(o.linewidth == want.linewidth);
  CHECK(o.sci_mode == want.sci_mode);
}

TEST_CASE("set_printoptions: rejects an unknown profile and a negative precision") {
  DefaultsAfter restore;
  CHECK_THROWS_WITH_AS(tg::set_printoptions({.profile = "long"}),
                       "set_printoptions: profile must be \"default\", \"short\" or \"full\", got \"long\"",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::set_printoptions({.precision = -1}),
                       "set_printoptions: precision must be non-negative, got -1", tg::ValueError);
}

// ---- grad_fn names ----------------------------------------------------------------
namespace {

struct GradFnInputs {
  tg::Tensor<float> x, w, b, m;
  tg::Tensor<int64_t> t;
};

// The expressions of tools/gen_ref_surface2.py's grad_fn_cases, spelled in tapegrad.
std::vector<std::pair<std::string, std::function<tg::Tensor<float>(const GradFnInputs&)>>> grad_fn_cases() {
  namespace F = tg::nn::functional;
  using I = GradFnInputs;
  return {
      {"linear_bias", [](const I& a) { return F::linear(a.x, a.w, a.b); }},
      {"linear_nobias", [](const I& a) { return F::linear(a.x, a.w); }},
      {"mm", [](const I& a) { return tg::mm(a.x, a.m); }},
      {"matmul_2d", [](const I& a) { return tg::matmul(a.x, a.m); }},
      {"t", [](const I& a) { return a.x.t(); }},
      {"transpose", [](const I& a) { return a.x.transpose(0, 1); }},
      {"view", [](const I& a) { return a.x.view({12}); }},
      {"reshape", [](const I& a) { return a.x.reshape({3, 4}); }},
      {"flatten", [](const I& a) { return a.x.flatten(); }},
      {"permute", [](const I& a) { return a.x.permute({1, 0}); }},
      {"unsqueeze", [](const I& a) { return a.x.unsqueeze(0); }},
      {"squeeze_dim", [](const I& a) { return a.x.unsqueeze(0).squeeze(0); }},
      {"expand", [](const I& a) { return a.b.expand({2, 5}); }},
      {"select", [](const I& a) { return a.x.select(0, 1); }},
      {"narrow", [](const I& a) { return a.x.narrow(1, 0, 2); }},
      {"cross_entropy", [](const I& a) { return F::cross_entropy(a.x, a.t); }},
      {"nll_loss", [](const I& a) { return F::nll_loss(a.x, a.t); }},
      {"log_softmax", [](const I& a) { return F::log_softmax(a.x, 1); }},
      {"softmax", [](const I& a) { return F::softmax(a.x, 1); }},
      {"mse_loss", [](const I& a) { return F::mse_loss(a.x, a.m.select(0, 0).expand({4, 3})); }},
      {"mean", [](const I& a) { return a.x.mean(); }},
      {"mean_dim", [](const I& a) { return a.x.mean(0); }},
      {"sum", [](const I& a) { return a.x.sum(); }},
      {"sum_dim", [](const I& a) { return a.x.sum(1); }},
      {"relu", [](const I& a) { return F::relu(a.x); }},
      {"sigmoid", [](const I& a) { return a.x.sigmoid(); }},
      {"tanh", [](const I& a) { return a.x.tanh(); }},
      {"exp", [](const I& a) { return a.x.exp(); }},
      {"log", [](const I& a) { return a.x.log(); }},
      {"sqrt", [](const I& a) { return a.x.sqrt(); }},
      {"abs", [](const I& a) { return a.x.abs(); }},
      {"neg", [](const I& a) { return -a.x; }},
      {"add", [](const I& a) { return a.x + a.m.select(0, 0); }},
      {"add_scalar", [](const I& a) { return a.x + 2; }},
      {"sub", [](const I& a) { return a.x - a.m.select(0, 0); }},
      {"sub_scalar", [](const I& a) { return a.x - 2; }},
      {"mul", [](const I& a) { return a.x * a.m.select(0, 0); }},
      {"mul_scalar", [](const I& a) { return a.x * 2; }},
      {"div", [](const I& a) { return a.x / a.m.select(0, 0); }},
      {"div_scalar", [](const I& a) { return a.x / 2; }},
      {"pow_scalar", [](const I& a) { return a.x.pow(2); }},
      {"pow_tensor", [](const I& a) { return a.x.pow(a.m.select(0, 0)); }},
      {"max", [](const I& a) { return a.x.max(); }},
      {"amax", [](const I& a) { return a.x.amax({1}); }},
      {"clamp", [](const I& a) { return a.x.clamp(-1, 1); }},
      {"cat", [](const I& a) { return tg::cat({a.x, a.m}); }},
      {"clone", [](const I& a) { return a.x.clone(); }},
      {"where", [](const I& a) { return tg::where(a.x > 0, a.x, a.m.select(0, 0)); }},
      {"leaky_relu", [](const I& a) { return F::leaky_relu(a.x); }},
      {"gelu", [](const I& a) { return F::gelu(a.x); }},
      {"silu", [](const I& a) { return F::silu(a.x); }},
      {"bmm", [](const I& a) { return tg::bmm(a.x.unsqueeze(0), a.m.unsqueeze(0)); }},
      {"gather", [](const I& a) { return a.x.gather(1, a.t.clamp(0, 2).unsqueeze(1)); }},
      {"index_select", [](const I& a) { return a.x.index_select(0, a.t); }},
      {"cumsum", [](const I& a) { return a.x.cumsum(0); }},
      {"logsumexp", [](const I& a) { return a.x.logsumexp(1); }},
      {"var", [](const I& a) { return a.x.var(); }},
      {"std", [](const I& a) { return a.x.std(); }},
      {"prod", [](const I& a) { return a.x.prod(); }},
      {"norm", [](const I& a) { return a.x.norm(); }},
      {"fmod_scalar", [](const I& a) { return a.x.fmod(2); }},
      {"fmod_tensor", [](const I& a) { return a.x.fmod(a.m.select(0, 0)); }},
      {"remainder_scalar", [](const I& a) { return a.x.remainder(2); }},
      {"remainder_tensor", [](const I& a) { return a.x.remainder(a.m.select(0, 0)); }},
      {"log1p", [](const I& a) { return a.x.log1p(); }},
      {"softsign", [](const I& a) { return F::softsign(a.x); }},
      {"smooth_l1_loss", [](const I& a) { return F::smooth_l1_loss(a.x, a.m.select(0, 0).expand({4, 3})); }},
      {"huber_loss", [](const I& a) { return F::huber_loss(a.x, a.m.select(0, 0).expand({4, 3})); }},
      {"masked_fill", [](const I& a) { return a.x.masked_fill(a.x > 0.5, 0.0); }},
      {"layer_norm", [](const I& a) { return F::layer_norm(a.x, {3}); }},
      {"min", [](const I& a) { return a.x.min(); }},
      {"squeeze", [](const I& a) { return a.x.unsqueeze(0).squeeze(); }},
      {"reshape_copy", [](const I& a) { return a.x.t().reshape({12}); }},
      {"binary_cross_entropy_with_logits",
       [](const I& a) {
         return F::binary_cross_entropy_with_logits(a.x, a.m.select(0, 0).detach().sigmoid().expand({4, 3}));
       }},
      {"pad_constant", [](const I& a) { return F::pad(a.x, {1, 2}); }},
      {"pad_reflect", [](const I& a) { return F::pad(a.x.unsqueeze(0), {1, 1}, "reflect"); }},
      {"pad_replicate", [](const I& a) { return F::pad(a.x.unsqueeze(0), {1, 1, 1, 1}, "replicate"); }},
      {"interpolate_nearest", [](const I& a) { return F::interpolate(a.x.unsqueeze(0), {}, 2.0); }},
      {"interpolate_bilinear", [](const I& a) { return F::interpolate(a.x.view({1, 1, 4, 3}), {}, 2.0, "bilinear", false); }},
      {"nansum_dim", [](const I& a) { return tg::nansum(a.x, {1}); }},
      {"matmul_1d_1d", [](const I& a) { return a.b.matmul(a.b); }},
      {"matmul_2d_1d", [](const I& a) { return a.x.matmul(a.m.select(0, 0)); }},
      {"matmul_1d_2d", [](const I& a) { return a.b.matmul(a.w); }},
      {"matmul_3d_2d", [](const I& a) { return a.x.view({2, 2, 3}).matmul(a.m); }},
      {"matmul_2d_3d", [](const I& a) { return a.x.matmul(a.m.expand({2, 3, 3})); }},
      {"matmul_2d_3d_row", [](const I& a) { return a.x.narrow(0, 0, 1).matmul(a.m.expand({2, 3, 3})); }},
      {"matmul_2d_3d_col", [](const I& a) { return a.x.matmul(a.m.narrow(1, 0, 1).expand({2, 3, 1})); }},
      {"matmul_2d_3d_transposed",
       [](const I& a) { return a.x.matmul(a.m.expand({2, 3, 3}).contiguous().transpose(1, 2)); }},
      {"matmul_2d_4d", [](const I& a) { return a.x.matmul(a.m.expand({2, 2, 3, 3})); }},
      {"matmul_3d_3d", [](const I& a) { return a.x.view({2, 2, 3}).matmul(a.m.expand({2, 3, 3})); }},
      {"matmul_4d_4d_broadcast", [](const I& a) { return a.x.view({2, 1, 2, 3}).matmul(a.m.expand({1, 2, 3, 3})); }},
      {"matmul_1d_3d", [](const I& a) { return a.m.select(0, 0).matmul(a.m.expand({2, 3, 3})); }},
      {"matmul_3d_1d", [](const I& a) { return a.x.view({2, 2, 3}).matmul(a.m.select(0, 0)); }},
      {"mv", [](const I& a) { return a.x.mv(a.m.select(0, 0)); }},
      {"dot", [](const I& a) { return tg::dot(a.b, a.b); }},
      {"flip", [](const I& a) { return a.x.flip({0}); }},
      {"flip_dims", [](const I& a) { return a.x.flip({0, 1}); }},
      {"flip_none", [](const I& a) { return a.x.flip({}); }},
      {"tril", [](const I& a) { return a.m.tril(); }},
      {"triu", [](const I& a) { return a.m.triu(1); }},
      {"adaptive_avg_pool2d_1x1", [](const I& a) { return F::adaptive_avg_pool2d(a.x.view({1, 1, 4, 3}), 1); }},
      {"adaptive_avg_pool2d_2x1", [](const I& a) { return F::adaptive_avg_pool2d(a.x.view({1, 1, 4, 3}), {2, 1}); }},
      {"adaptive_max_pool2d_1x1", [](const I& a) { return F::adaptive_max_pool2d(a.x.view({1, 1, 4, 3}), 1); }},
      {"avg_pool1d", [](const I& a) { return F::avg_pool1d(a.x.unsqueeze(0), 2); }},
      {"avg_pool2d", [](const I& a) { return F::avg_pool2d(a.x.view({1, 1, 4, 3}), 2); }},
      {"max_pool1d", [](const I& a) { return F::max_pool1d(a.x.unsqueeze(0), 2); }},
      {"max_pool2d", [](const I& a) { return F::max_pool2d(a.x.view({1, 1, 4, 3}), 2); }},
      {"div_trunc", [](const I& a) { return tg::div(a.x, a.m.select(0, 0), "trunc"); }},
      {"div_floor_scalar", [](const I& a) { return tg::div(a.x, 2, "floor"); }},
      {"celu", [](const I& a) { return F::celu(a.x); }},
      {"lerp_tensor", [](const I& a) { return tg::lerp(a.x, a.m.select(0, 0).expand({4, 3}), a.m.select(0, 1)); }},
      {"lerp_scalar", [](const I& a) { return tg::lerp(a.x, a.m.select(0, 0).expand({4, 3}), 0.3); }},
      {"addcmul", [](const I& a) { return tg::addcmul(a.x, a.m.select(0, 0), a.m.select(0, 1), 0.5); }},
      {"addcdiv", [](const I& a) { return tg::addcdiv(a.x, a.m.select(0, 0), a.m.select(0, 1), 0.5); }},
      {"stack", [](const I& a) { return tg::stack({a.x, a.x}); }},
      {"clamp_min", [](const I& a) { return a.x.clamp_min(0.5); }},
      {"clamp_max", [](const I& a) { return a.x.clamp_max(0.5); }},
      {"clamp_min_kw", [](const I& a) { return a.x.clamp(0.5); }},
      {"diag_1d", [](const I& a) { return tg::diag(a.b, 1); }},
      {"diag_2d", [](const I& a) { return tg::diag(a.x); }},
      {"masked_select", [](const I& a) { return a.x.masked_select(a.x > 0.5); }},
      {"repeat", [](const I& a) { return a.x.repeat({2, 1}); }},
      {"repeat_ones", [](const I& a) { return a.x.repeat({1, 1}); }},
      {"roll", [](const I& a) { return a.x.roll({1}, {0}); }},
      {"roll_flat", [](const I& a) { return a.x.roll({2}); }},
      {"split", [](const I& a) { return a.x.split(3)[1]; }},
      {"split_sizes", [](const I& a) { return a.x.split(std::vector<int64_t>{1, 3})[1]; }},
      {"chunk", [](const I& a) { return a.x.chunk(2, 1)[0]; }},
      {"unbind", [](const I& a) { return a.x.unbind(1)[2]; }},
      {"var_mean_var", [](const I& a) { return std::get<0>(tg::var_mean(a.x)); }},
      {"var_mean_mean", [](const I& a) { return std::get<1>(tg::var_mean(a.x, {1})); }},
      {"std_mean_std", [](const I& a) { return std::get<0>(tg::std_mean(a.x, {0})); }},
      {"std_mean_mean", [](const I& a) { return std::get<1>(tg::std_mean(a.x)); }},
      {"vector_norm", [](const I& a) { return tg::linalg::vector_norm(a.x); }},
      {"vector_norm_dim", [](const I& a) { return tg::linalg::vector_norm(a.x, 1, {1}); }},
      {"norm_p1_dim", [](const I& a) { return a.x.norm(1, {1}); }},
      {"dist", [](const I& a) { return tg::dist(a.x, a.m.select(0, 0)); }},
      {"cdist", [](const I& a) { return tg::cdist(a.x, a.w); }},
      {"pairwise_distance", [](const I& a) { return F::pairwise_distance(a.x, a.m.select(0, 0).expand({4, 3})); }},
      {"normalize", [](const I& a) { return F::normalize(a.x); }},
      {"interpolate_area_1x1", [](const I& a) { return F::interpolate(a.x.view({1, 1, 4, 3}), {1, 1}, {}, "area"); }},
      {"interpolate_area_1d_1", [](const I& a) { return F::interpolate(a.x.unsqueeze(0), {1}, {}, "area"); }},
  };
}

}  // namespace

TEST_CASE("grad_fn_name: names each op's node as PyTorch's grad_fn for the same expression") {
  tg::Generator g(5);
  GradFnInputs in{tg::rand<float>({4, 3}, g, {.requires_grad = true}), tg::randn<float>({5, 3}, g, {.requires_grad = true}),
                  tg::randn<float>({5}, g, {.requires_grad = true}), tg::rand<float>({3, 3}, g, {.requires_grad = true}),
                  tg::tensor({0, 2, 1, 2})};
  int checked = 0;
  for (const auto& c : grad_fn_cases()) {
    const std::string& name = c.first;
    CAPTURE(name);
    const auto y = c.second(in);
    CHECK(y.grad_fn_name() == tapegrad_test::ref(kFile, "gradfn." + name).text);
    ++checked;
  }
  CHECK(checked == 142);
  CHECK(in.x.to<double>().grad_fn_name() == tapegrad_test::ref(kFile, "gradfn.to_double").text);
}

// ---- sizes and tolist -----------------------------------------------------------------
TEST_CASE("sizes: streams as PyTorch prints torch.Size, errors keep [2, 3]") {
  for (const auto& c : std::vector<std::pair<std::string, tg::Shape>>{
           {"2x3", {2, 3}}, {"0d", {}}, {"0", {0}}, {"1x1x4", {1, 1, 4}}}) {
    const std::string& name = c.first;
    const tg::Shape& dims = c.second;
    CAPTURE(name);
    const auto x = tg::zeros<float>(dims);
    std::ostringstream os;
    os << x.sizes();
    CHECK(os.str() == tapegrad_test::ref(kFile, "size." + name).text);
    CHECK(to_string(x.shape()) == os.str());
    std::ostringstream plain;
    plain << dims;  // a Shape the user builds prints as error messages do
    CHECK(plain.str() == to_string(dims));
  }
  const auto x = tg::zeros<float>({2, 3});
  CHECK(to_string(tg::Shape(x.sizes())) == "[2, 3]");
  CHECK_THROWS_WITH_AS(x.view({4}), "view: shape [4] is invalid for input of size 6", tg::ShapeError);
  CHECK_THROWS_WITH_AS(x.unsqueeze(0).to_vector2d(), "to_vector2d: expected a 2-D tensor, got shape [1, 2, 3]",
                       tg::ShapeError);
  // A Size is a usable Shape: compared, copied, edited.
  tg::Shape s = x.sizes();
  s.push_back(1);
  CHECK(s == tg::Shape{2, 3, 1});
  CHECK(x.sizes() == tg::Shape{2, 3});
  CHECK(x.sizes().size() == 2);
}

TEST_CASE("to_vector2d: a 2-D tensor's rows as nested vectors, views included") {
  const auto x = tg::tensor({{1, 2, 3}, {4, 5, 6}});
  CHECK(x.to_vector2d() == std::vector<std::vector<int64_t>>{{1, 2, 3}, {4, 5, 6}});
  CHECK(x.t().to_vector2d() == std::vector<std::vector<int64_t>>{{1, 4}, {2, 5}, {3, 6}});
  CHECK(tg::zeros<float>({0, 3}).to_vector2d().empty());
  CHECK(tg::zeros<float>({2, 0}).to_vector2d() == std::vector<std::vector<float>>{{}, {}});
  CHECK_THROWS_WITH_AS(tg::tensor({1.5}).to_vector2d(), "to_vector2d: expected a 2-D tensor, got shape [1]",
                       tg::ShapeError);
}
