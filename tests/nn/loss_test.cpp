// The losses of functional_loss.hpp / loss.hpp and the cross_entropy /
// nll_loss extensions of issue 26 ([N, C, d1, ...] inputs, [C] inputs,
// probability targets, pos_weight): values and gradients against PyTorch,
// gradcheck, the module forms and the error texts.
#include "nn/surface_ref.hpp"
#include "support/reference.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace surface;
using tapegrad::nn::Reduction;

const std::vector<std::pair<std::string, Reduction>> kReductions = {
    {"none", Reduction::none}, {"mean", Reduction::mean}, {"sum", Reduction::sum}};

}  // namespace

TEST_CASE_TEMPLATE("l1_loss, smooth_l1_loss, huber_loss: values and gradients match PyTorch, at d = 0 and d = beta too",
                   T, float, double) {
  auto in = [] { return std::vector{leaf<T>("loss.input"), leaf<T>("loss.target")}; };
  for (const auto& entry : kReductions) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& r = entry.second;
    check_case<T>("l1." + name, [r](const auto& v) { return F::l1_loss(v[0], v[1], r); }, in());
    check_case<T>("smooth_l1." + name, [r](const auto& v) { return F::smooth_l1_loss(v[0], v[1], r); }, in());
    check_case<T>("huber." + name, [r](const auto& v) { return F::huber_loss(v[0], v[1], r); }, in());
  }
  check_case<T>("smooth_l1.beta0.5", [](const auto& v) { return nn::SmoothL1Loss<T>(Reduction::mean, 0.5)(v[0], v[1]); },
                in());
  check_case<T>("huber.delta2", [](const auto& v) { return nn::HuberLoss<T>(Reduction::mean, 2.0)(v[0], v[1]); }, in());
  check_case<T>("l1.mean", [](const auto& v) { return nn::L1Loss<T>()(v[0], v[1]); }, in());
}

TEST_CASE_TEMPLATE("kl_div: every reduction with probability and log-probability targets matches PyTorch", T, float,
                   double) {
  const std::vector<std::pair<std::string, F::KLDivReduction>> reds = {{"none", F::KLDivReduction::none},
                                                                       {"mean", F::KLDivReduction::mean},
                                                                       {"sum", F::KLDivReduction::sum},
                                                                       {"batchmean", F::KLDivReduction::batchmean}};
  for (const auto& entry : reds) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& r = entry.second;
    check_case<T>("kl." + name, [r](const auto& v) { return F::kl_div(v[0], v[1], r); },
                  {leaf<T>("kl.input"), leaf<T>("kl.target")});
    check_case<T>("kl_log." + name, [r](const auto& v) { return nn::KLDivLoss<T>(r, true)(v[0], v[1]); },
                  {leaf<T>("kl.input"), leaf<T>("kl.logtarget")});
  }
}

TEST_CASE_TEMPLATE("cross_entropy and nll_loss: [N, C, d1, d2] inputs with per-position targets match PyTorch", T,
                   float, double) {
  const auto target = surface::load_index("ce4d.t");
  for (const auto& entry : kReductions) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& r = entry.second;
    check_case<T>("ce4d." + name, [&, r](const auto& v) { return F::cross_entropy(v[0], target, {.reduction = r}); },
                  {leaf<T>("ce4d.x")});
    check_case<T>("nll4d." + name, [&, r](const auto& v) { return F::nll_loss(v[0], target, {.reduction = r}); },
                  {leaf<T>("ce4d.x")});
  }
  check_case<T>("ce4d.weighted_smooth",
                [&](const auto& v) {
                  return nn::CrossEntropyLoss<T>({.label_smoothing = 0.2, .weight = load<T>("ce4d.w")})(v[0], target);
                },
                {leaf<T>("ce4d.x")});
  check_case<T>("ce1d.mean", [](const auto& v) { return F::cross_entropy(v[0], tg::full<int64_t>({}, 2)); },
                {leaf<T>("ce1d.x")});
}

TEST_CASE_TEMPLATE("cross_entropy: probability targets, with label smoothing and a class weight, match PyTorch", T,
                   float, double) {
  for (const auto& entry : kReductions) {
    const Reduction r = entry.second;
    check_case<T>("ceprob." + entry.first,
                  [r](const auto& v) { return F::cross_entropy(v[0], v[1], {.reduction = r}); },
                  {leaf<T>("ceprob.x"), leaf<T>("ceprob.t")});
  }
  check_case<T>("ceprob.smooth",
                [](const auto& v) { return nn::CrossEntropyLoss<T>({.label_smoothing = 0.1})(v[0], v[1]); },
                {leaf<T>("ceprob.x"), leaf<T>("ceprob.t")});
  check_case<T>("ceprob4.mean",
                [](const auto& v) { return F::cross_entropy(v[0], v[1], {.weight = load<T>("ce4d.w")}); },
                {leaf<T>("ceprob4.x"), leaf<T>("ceprob4.t")});
}

TEST_CASE_TEMPLATE("binary_cross_entropy_with_logits: a per-class pos_weight matches PyTorch", T, float, double) {
  check_case<T>("bcel.pos_weight",
                [](const auto& v) {
                  return nn::BCEWithLogitsLoss<T>(tg::Tensor<T>(), Reduction::mean, load<T>("bcel.pw"))(v[0], v[1]);
                },
                {leaf<T>("bcel.x"), leaf<T>("bcel.y")});
}

TEST_CASE_TEMPLATE("margin_ranking, cosine_embedding and triplet_margin losses match PyTorch", T, float, double) {
  for (const auto& entry : kReductions) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& r = entry.second;
    if (name == "sum") continue;
    check_case<T>("mrl." + name, [r](const auto& v) { return nn::MarginRankingLoss<T>(0.5, r)(v[0], v[1], v[2]); },
                  {leaf<T>("mrl.x1"), leaf<T>("mrl.x2"), leaf<T>("mrl.y")});
    check_case<T>("cel." + name,
                  [r](const auto& v) { return nn::CosineEmbeddingLoss<T>(-0.2, r)(v[0], v[1], v[2]); },
                  {leaf<T>("cel.x1"), leaf<T>("cel.x2"), load<T>("cel.y")});
  }
  auto in = [] { return std::vector{leaf<T>("tml.a"), leaf<T>("tml.p"), leaf<T>("tml.n")}; };
  check_case<T>("tml.default",
                [](const auto& v) { return F::triplet_margin_loss(v[0], v[1], v[2], 1.0, 2, 1e-6, false, Reduction::none); },
                in());
  check_case<T>("tml.p1_swap",
                [](const auto& v) {
                  return nn::TripletMarginLoss<T>({.margin = 2.0, .p = 1, .swap = true})(v[0], v[1], v[2]);
                },
                in());
  check_case<T>("tml.p3", [](const auto& v) { return nn::TripletMarginLoss<T>({.margin = 1.5, .p = 3})(v[0], v[1], v[2]); },
                in());
}

TEST_CASE("losses: gradcheck in double, including a non-contiguous input") {
  using surface::check_gradcheck;
  auto x = load<double>("loss.input"), t = load<double>("loss.target");
  // away from the kinks d = 0 and d = beta that the PyTorch records cover
  t(0, 0) = t(0, 0) + 0.3;
  t(0, 1) = t(0, 1) + 0.2;
  for (auto r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    check_gradcheck([r](const auto& v) { return F::l1_loss(v[0], v[1], r); }, {x.clone(), t.clone()});
    check_gradcheck([r](const auto& v) { return F::smooth_l1_loss(v[0].t(), v[1].t(), r, 0.5); }, {x.clone(), t.clone()});
    check_gradcheck([r](const auto& v) { return F::huber_loss(v[0], v[1], r, 2.0); }, {x.clone(), t.clone()});
  }
  check_gradcheck([](const auto& v) { return F::kl_div(v[0], v[1], F::KLDivReduction::batchmean, true); },
                  {load<double>("kl.input"), load<double>("kl.logtarget")});
  const auto ce_t = surface::load_index("ce4d.t");
  check_gradcheck([&](const auto& v) { return F::cross_entropy(v[0], ce_t); }, {load<double>("ce4d.x")});
  check_gradcheck([&](const auto& v) { return F::nll_loss(v[0].transpose(2, 3).contiguous(), ce_t.transpose(1, 2).contiguous()); },
                  {load<double>("ce4d.x")});
  check_gradcheck([](const auto& v) { return F::cross_entropy(v[0], v[1], {.label_smoothing = 0.1}); },
                  {load<double>("ceprob.x"), load<double>("ceprob.t")});
  check_gradcheck([](const auto& v) { return F::margin_ranking_loss(v[0], v[1], load<double>("mrl.y"), 0.1); },
                  {load<double>("mrl.x1") + 0.05, load<double>("mrl.x2")});
  check_gradcheck([](const auto& v) { return F::cosine_embedding_loss(v[0], v[1], load<double>("cel.y"), -0.2); },
                  {load<double>("cel.x1"), load<double>("cel.x2")});
  check_gradcheck([](const auto& v) { return F::triplet_margin_loss(v[0], v[1], v[2], 1.5, 3); },
                  {load<double>("tml.a"), load<double>("tml.p"), load<double>("tml.n")});
}

TEST_CASE("losses: empty inputs reduce as PyTorch (mean of nothing is nan, sum is 0)") {
  auto e = tg::zeros<double>({0, 3});
  CHECK(std::isnan(F::l1_loss(e, e).item()));
  CHECK(F::huber_loss(e, e, Reduction::sum).item() == 0);
  CHECK(F::smooth_l1_loss(e, e, Reduction::none).sizes() == tg::Shape{0, 3});
}

TEST_CASE("losses: shape mismatches and bad options are errors naming the loss") {
  auto a = tg::zeros<float>({3, 4}), b = tg::zeros<float>({3, 1});
  CHECK_THROWS_WITH_AS(F::l1_loss(a, b), "l1_loss: target shape [3, 1] must match input shape [3, 4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::huber_loss(a, a, Reduction::mean, 0.0), "huber_loss: delta must be positive, got 0",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(F::smooth_l1_loss(a, a, Reduction::mean, -1.0),
                       "smooth_l1_loss: beta must be non-negative, got -1", tg::ValueError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(tg::zeros<float>({2, 3, 4}), tg::zeros<int64_t>({2, 5})),
                       "cross_entropy: expected input [C], [N, C] or [N, C, d1, ...] and target [], [N] or "
                       "[N, d1, ...], got input [2, 3, 4] and target [2, 5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(a, b), "cross_entropy: probability targets must have the input's shape, got "
                                               "input [3, 4] and target [3, 1]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::margin_ranking_loss(a, a, b),
                       "margin_ranking_loss: input1, input2 and target must have the same shape, got [3, 4], [3, 4] "
                       "and [3, 1]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::cosine_embedding_loss(a, a, a),
                       "cosine_embedding_loss: expected inputs [N, D] or [D] and target [N] or [], got [3, 4], [3, 4] "
                       "and [3, 4]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::triplet_margin_loss(a, a, a, 0.0),
                       "triplet_margin_loss: margin must be greater than 0, got 0", tg::ValueError);
}

TEST_CASE("loss modules: repr and operator<< print as PyTorch's, without the options") {
  auto want = [](const std::string& c) { return tapegrad_test::ref("loss_repr.txt", "repr." + c).text; };
  const auto w = tg::ones<float>({3});
  CHECK(nn::CrossEntropyLoss().repr() == want("cross_entropy"));
  CHECK(nn::CrossEntropyLoss<float>({.reduction = Reduction::sum, .ignore_index = 1, .label_smoothing = 0.1, .weight = w})
            .repr() == want("cross_entropy_opts"));
  CHECK(nn::NLLLoss().repr() == want("nll"));
  CHECK(nn::NLLLoss<float>({.reduction = Reduction::none, .ignore_index = 0}).repr() == want("nll_opts"));
  CHECK(nn::MSELoss().repr() == want("mse"));
  CHECK(nn::MSELoss(Reduction::sum).repr() == want("mse_sum"));
  CHECK(nn::BCELoss().repr() == want("bce"));
  CHECK(nn::BCELoss(w, Reduction::sum).repr() == want("bce_weight"));
  CHECK(nn::BCEWithLogitsLoss().repr() == want("bce_logits"));
  CHECK(nn::BCEWithLogitsLoss(tg::Tensor<float>(), Reduction::mean, w).repr() == want("bce_logits_pos_weight"));
  CHECK(nn::L1Loss().repr() == want("l1"));
  CHECK(nn::L1Loss(Reduction::none).repr() == want("l1_none"));
  CHECK(nn::SmoothL1Loss().repr() == want("smooth_l1"));
  CHECK(nn::SmoothL1Loss(Reduction::mean, 0.5).repr() == want("smooth_l1_beta"));
  CHECK(nn::HuberLoss().repr() == want("huber"));
  CHECK(nn::HuberLoss(Reduction::mean, 2.0).repr() == want("huber_delta"));
  CHECK(nn::KLDivLoss().repr() == want("kl_div"));
  CHECK(nn::KLDivLoss(F::KLDivReduction::batchmean, true).repr() == want("kl_div_opts"));
  CHECK(nn::MarginRankingLoss().repr() == want("margin_ranking"));
  CHECK(nn::MarginRankingLoss(0.5).repr() == want("margin_ranking_margin"));
  CHECK(nn::CosineEmbeddingLoss().repr() == want("cosine_embedding"));
  CHECK(nn::CosineEmbeddingLoss(0.2).repr() == want("cosine_embedding_margin"));
  CHECK(nn::TripletMarginLoss().repr() == want("triplet_margin"));
  CHECK(nn::TripletMarginLoss({.margin = 2.0, .p = 1, .swap = true}).repr() == want("triplet_margin_opts"));
  std::ostringstream os;
  os << nn::CrossEntropyLoss<double>() << ' ' << nn::HuberLoss<double>(Reduction::sum, 3.0);
  CHECK(os.str() == want("cross_entropy") + " " + want("huber"));
}
