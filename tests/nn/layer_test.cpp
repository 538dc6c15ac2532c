// The layers of issue 26 (layers.hpp / functional_layer.hpp): Embedding,
// LayerNorm, Bilinear and Unflatten: values and gradients against PyTorch,
// gradcheck, reprs, clone/to<double>() and the error texts.
#include "nn/surface_ref.hpp"

#include <cmath>
#include <string>
#include <vector>

using namespace surface;

TEST_CASE_TEMPLATE("embedding: rows picked by index, gradients summed per row, none for padding_idx, as PyTorch", T,
                   float, double) {
  const auto idx = surface::load_index("embedding.idx");
  check_case<T>("embedding.plain", [&](const auto& v) { return F::embedding(idx, v[0]); }, {leaf<T>("embedding.w")});
  check_case<T>("embedding.pad", [&](const auto& v) { return F::embedding(idx, v[0], 1); }, {leaf<T>("embedding.w")});
  nn::Embedding<T> m(6, 3, 1);
  tg::no_grad([&] { m.weight.copy_(load<T>("embedding.w")); });
  SURFACE_CHECK(m(idx), "embedding.pad." + surface::tag<T>() + ".out", surface::tol<T>());
}

TEST_CASE("Embedding: N(0, 1) init with the padding row zeroed; reprs as PyTorch; bad indices are errors") {
  nn::Embedding<> e(10, 3, -1);
  CHECK(e.padding_idx() == 9);
  CHECK(tg::equal(e.weight[9], tg::zeros<float>({3})));
  CHECK(tg::max(tg::abs(e.weight)).item() > 0);
  CHECK(e.repr() == rec("repr.embedding_pad").text);
  CHECK(nn::Embedding(10, 3).repr() == rec("repr.embedding").text);
  CHECK(e(tg::zeros<int64_t>({2, 0})).sizes() == tg::Shape{2, 0, 3});
  CHECK_THROWS_WITH_AS(e(tg::tensor<int64_t>({1, 10})), "embedding: index 10 is out of range for 10 embeddings",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(static_cast<nn::Module<float>&>(e)(tg::ones<float>({2})),  // through the base: e(float) does not compile
                       "Embedding: expected an int64 tensor of indices, got a floating tensor of shape [2]",
                       tg::DTypeError);
  CHECK_THROWS_WITH_AS(nn::Embedding(10, 3, 10), "Embedding: padding_idx must be within num_embeddings",
                       tg::ValueError);
  auto c = e.clone();
  CHECK(c->as<nn::Embedding<>>()->weight.is_same(c->parameters()[0]));
  CHECK_FALSE(c->parameters()[0].is_same(e.weight));
  CHECK(e.to<double>()->repr() == e.repr());
}

TEST_CASE_TEMPLATE("layer_norm: over the last one or two dims, with and without affine, matches PyTorch", T, float,
                   double) {
  auto in = [] { return std::vector{leaf<T>("layernorm.x"), leaf<T>("layernorm.w"), leaf<T>("layernorm.b")}; };
  check_case<T>("layernorm.last", [](const auto& v) { return F::layer_norm(v[0], {4}, v[1][0], v[2][0]); }, in());
  check_case<T>("layernorm.two", [](const auto& v) { return F::layer_norm(v[0], {3, 4}, v[1], v[2], 1e-3); }, in());
  check_case<T>("layernorm.noaffine",
                [](const auto& v) { return nn::LayerNorm<T>(4, 1e-5, false)(v[0]); }, {leaf<T>("layernorm.x")});
}

TEST_CASE("LayerNorm: ones/zeros parameters, PyTorch's reprs, gradcheck and a shape error naming the sizes") {
  nn::LayerNorm<> ln(4);
  REQUIRE(ln.named_parameters().size() == 2);
  CHECK(ln.named_parameters()[1].first == "bias");
  CHECK(tg::equal(ln.weight, tg::ones<float>({4})));
  CHECK(tg::equal(ln.bias, tg::zeros<float>({4})));
  CHECK(ln.repr() == rec("repr.layernorm").text);
  nn::LayerNorm<> ln2(tg::Shape{3, 4}, 1e-6, false);
  CHECK(ln2.parameters().empty());
  CHECK(ln2.repr() == rec("repr.layernorm2").text);
  CHECK(ln2.to<double>()->repr() == ln2.repr());
  surface::check_gradcheck([](const auto& v) { return F::layer_norm(v[0].transpose(0, 1), {2, 4}, v[1], v[2], 1e-3); },
                           {load<double>("layernorm.x"), load<double>("layernorm.w").narrow(0, 0, 2),
                            load<double>("layernorm.b").narrow(0, 0, 2)});
  CHECK_THROWS_WITH_AS(ln(tg::ones<float>({2, 3})),
                       "layer_norm: expected input with shape [*, 4], but got input of size [2, 3]", tg::ShapeError);
}

TEST_CASE_TEMPLATE("bilinear: x1^T W x2 + b matches PyTorch in values and all four gradients", T, float, double) {
  check_case<T>("bilinear.out", [](const auto& v) { return F::bilinear(v[0], v[1], v[2], v[3]); },
                {leaf<T>("bilinear.x1"), leaf<T>("bilinear.x2"), leaf<T>("bilinear.w"), leaf<T>("bilinear.b")});
}

TEST_CASE("Bilinear: called with two inputs, U(-1/sqrt(in1), 1/sqrt(in1)) init, reprs, gradcheck and errors") {
  nn::Bilinear<> bil(2, 3, 4);
  CHECK(bil.repr() == rec("repr.bilinear").text);
  CHECK(nn::Bilinear(2, 3, 4, false).repr() == rec("repr.bilinear_nobias").text);
  CHECK(tg::max(tg::abs(bil.weight)).item() <= 1 / std::sqrt(2.0f));
  const auto x1 = load<float>("bilinear.x1"), x2 = load<float>("bilinear.x2");
  CHECK(bil(x1, x2).sizes() == tg::Shape{5, 4});
  CHECK(bil(x1.view({5, 1, 2}), x2.view({5, 1, 3})).sizes() == tg::Shape{5, 1, 4});
  surface::check_gradcheck([](const auto& v) { return F::bilinear(v[0].t().t(), v[1], v[2].transpose(1, 2).transpose(1, 2), v[3]); },
                           {load<double>("bilinear.x1"), load<double>("bilinear.x2"), load<double>("bilinear.w"),
                            load<double>("bilinear.b")});
  CHECK_THROWS_WITH_AS(static_cast<nn::Module<float>&>(bil)(x1), "Bilinear: forward takes two inputs (x1, x2), got one of shape [5, 2]", tg::ValueError);
  CHECK_THROWS_WITH_AS(bil(x2, x1),
                       "bilinear: inputs [5, 3] and [5, 2] do not fit weight [4, 2, 3] (expected [..., 2] and [..., 3] "
                       "with the same leading dims)",
                       tg::ShapeError);
}

TEST_CASE("Unflatten: splits one dim as PyTorch, prints as PyTorch and converts") {
  nn::Unflatten<> u(1, {2, 3});
  CHECK(u.repr() == rec("repr.unflatten").text);
  CHECK(u(tg::zeros<float>({4, 6, 5})).sizes() == tg::Shape{4, 2, 3, 5});
  CHECK(F::unflatten(tg::zeros<float>({4, 6}), -1, {-1, 2}).sizes() == tg::Shape{4, 3, 2});
  CHECK(u.to<double>()->repr() == u.repr());
}
