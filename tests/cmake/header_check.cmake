# The header check (TAPEGRAD_HEADER_CHECK, included by tests/CMakeLists.txt):
# every public header is usable on its own. Each gets a program of its own
# that includes it (twice: include guards), calls one representative op of it
# and is linked (and run, as CTest test header/<header>, which checks the
# op's value): a definition the header only declares (a function template
# defined in a header it does not include) fails the link, which compiling
# alone does not catch. A header added to include/tapegrad/ without an entry
# below fails the configure step.
#
# tapegrad_header_use(<header> [DISTRIBUTED] [WITH <more headers>...] CODE <statements>)
#   <statements>: the body of main(), in namespace tapegrad (a using-directive);
#   WITH: headers the program includes after <header>, for an op whose use
#   needs a layer above it (requires_grad_() and backward() are autograd's);
#   DISTRIBUTED: the header needs MPI: its program links tapegrad::distributed
#   and exists only when that target does (TAPEGRAD_WITH_DISTRIBUTED); the
#   entry is required either way.

set(_tapegrad_header_uses "")
function(tapegrad_header_use header)
  cmake_parse_arguments(PARSE_ARGV 1 _u "DISTRIBUTED" "CODE" "WITH")
  string(MAKE_C_IDENTIFIER "${header}" _id)
  set(_tapegrad_header_mpi_${_id} "${_u_DISTRIBUTED}" PARENT_SCOPE)
  set(_tapegrad_header_with_${_id} "${_u_WITH}" PARENT_SCOPE)
  set(_tapegrad_header_code_${_id} "${_u_CODE}" PARENT_SCOPE)
  set(_tapegrad_header_uses ${_tapegrad_header_uses} "${header}" PARENT_SCOPE)
endfunction()

# ---- layer 0: core -------------------------------------------------------------
tapegrad_header_use(tapegrad/version.hpp CODE [[
  return version_major == TAPEGRAD_VERSION_MAJOR && version_string[0] != '\0' ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/allocator.hpp CODE [[
  void* p = detail::allocate_bytes(100);
  detail::deallocate_bytes(p, 100);
  return cached_bytes() <= cache_limit() ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/denormal.hpp CODE [[
  volatile float tiny = 1e-40f;  // a denormal float
  const bool flushes = set_flush_denormal(true);
  volatile float twice = tiny * 2.0f;  // volatile: done before the mode is restored (clang sinks it otherwise)
  set_flush_denormal(false);
  return flushes == (twice == 0.0f) ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/dtype.hpp CODE [[
  static_assert(std::is_same_v<promote_t<int32_t, float>, float>);
  return dtype_name<double>()[0] == 'f' ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/error.hpp CODE [[
  try {
    TAPEGRAD_CHECK(argc < 0, ValueError, "header check: ", argc);
  } catch (const Error& e) {
    return e.what()[0] == 'h' ? 0 : 1;
  }
  return 1;]])
tapegrad_header_use(tapegrad/core/generator.hpp CODE [[
  Generator gen(5489);  // std::mt19937's default seed: its first output is known
  return gen.random() == 3499211612u ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/grad_mode.hpp CODE [[
  NoGradGuard no_grad;
  return GradMode::is_enabled() ? 1 : 0;]])
tapegrad_header_use(tapegrad/core/libm.hpp CODE [[
  // e^0 = 1 and erf(0) = 0 exactly; log(e) within an ulp of 1
  return detail::libm::exp(0.0) == 1.0 && detail::libm::erf(0.0f) == 0.0f &&
         std::abs(detail::libm::log(2.718281828459045) - 1.0) < 1e-15 ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/libm_tables.hpp CODE [[
  // exp's table starts with 2^(0/N) = 1.0
  return detail::libm::tables::exp_tab[1] == 0x3ff0000000000000ULL ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/parallel.hpp CODE [[
  std::atomic<int64_t> sum{0};
  detail::parallel_for(4, 2, [&](int64_t i) { sum += i; });
  return sum == 6 ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/py_repr.hpp CODE [[
  return detail::py_float(2.0) == "2.0" && detail::py_float(1e-5) == "1e-05" ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/shape.hpp CODE [[
  const Shape s{2, 3};
  return shape_numel(s) == 6 && contiguous_strides(s) == Shape{3, 1} ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/storage.hpp CODE [[
  Storage<float> s(4);
  return s.size() == 4 ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/threads.hpp CODE [[
  return get_num_threads() > 0 ? 0 : 1;]])

# ---- layer 1: kernels, tensor -----------------------------------------------------
set(_tapegrad_gemm_call [[
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {};
  kernels::gemm<float>(2, 2, 2, 1.0f, a, 2, 1, b, 2, 1, 0.0f, c, 2, 1);
  return c[3] == 4 ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/conv.hpp CODE [[
  kernels::ConvGeometry g{.n = 1, .c = 1, .h = 2, .w = 2, .o = 1, .kh = 2, .kw = 2, .oh = 1, .ow = 1};
  const float x[4] = {1, 2, 3, 4};
  float col[4] = {};
  kernels::im2col(g, 1, x, col);  // the one 2x2 patch: x itself
  return col[3] == 4.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/gemm.hpp CODE "${_tapegrad_gemm_call}")
tapegrad_header_use(tapegrad/kernels/gemm_instantiate.hpp CODE "${_tapegrad_gemm_call}")
tapegrad_header_use(tapegrad/kernels/gemm_pack.hpp CODE [[
  return kernels::to_string(kernels::GemmIsa::avx2)[0] == 'a' ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/gemm_sparse.hpp CODE [[
  float a[4] = {}, b[4] = {}, c[4] = {};
  return kernels::detail::gemm_sparse(kernels::GemmIsa::generic, 2, 2, 2, 1.0f, a, 2, 1, b, 2, 1, 0.0f, c, 2, 1)
             ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/gemm_x86.hpp CODE [[
  return kernels::to_string(kernels::GemmIsa::generic)[0] == 'g' ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/interpolate.hpp CODE [[
  const auto taps = kernels::resample_taps("linear", 2, 3, true, -1.0);  // positions 0, 0.5, 1
  const float x[2] = {1, 3};
  float y[3] = {};
  kernels::resample_forward(taps, 1, 1, x, y);
  return y[1] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/norm.hpp CODE [[
  const float x[4] = {1, 2, 3, 4};
  double mean = 0, m2 = 0;
  kernels::plane_stats(1, 4, x, &mean, &m2);
  return mean == 2.5 && m2 == 5.0 ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/pad.hpp CODE [[
  kernels::PadGeometry g;
  g.in = {2};
  g.src = {{-1, 0, 1, 1}};  // one constant, then replicate on the right
  const float x[2] = {1, 2};
  float y[4] = {};
  kernels::pad_gather(g, x, 9.0f, y);
  return y[0] == 9.0f && y[3] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/pool.hpp CODE [[
  const float x[4] = {1, 4, 3, 2};
  float y = 0;
  int64_t idx = -1;
  kernels::max_pool2d_forward(kernels::PoolGeometry{.planes = 1, .h = 2, .w = 2, .oh = 1, .ow = 1, .kh = 2, .kw = 2},
                              x, &y, &idx);
  return y == 4.0f && idx == 1 ? 0 : 1;]])
tapegrad_header_use(tapegrad/kernels/sort.hpp CODE [[
  kernels::NetSlot w[3];  // three words in each of the 8 lanes, descending
  for (int i = 0; i < 3; ++i) w[i] = kernels::NetSlot{} + uint64_t(3 - i);
  kernels::net_sort(w, 3);
  return w[0][0] == 1 && w[2][7] == 3 ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/tensor.hpp CODE [[
  Tensor<float> t;
  return t.defined() ? 1 : 0;]])
tapegrad_header_use(tapegrad/tensor/factory.hpp CODE [[
  auto x = arange<float>(6);
  x.fill_(2.0f);
  return x.to_vector()[5] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/iterator.hpp CODE [[
  int64_t rows = 0;
  detail::for_each_strided<1>(Shape{2, 3}, {Shape{4, 1}},  // rows 4 apart: not merged
                              [&](const detail::Offsets<1>&, int64_t, const detail::Offsets<1>&) { ++rows; });
  return rows == 2 ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/map.hpp CODE [[
  auto x = detail::filled<float>({3}, 1.0f);
  auto y = detail::map2<float, float>(x, x, detail::Add{}, "add");
  return y.to_vector()[2] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/reduction.hpp CODE [[
  auto g = detail::filled<float>({2, 3}, 1.0f);
  return sum_to(g, Shape{1, 3}).to_vector()[0] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/eigen.hpp CODE [[
  Eigen::MatrixXf m = Eigen::MatrixXf::Ones(2, 3);
  const auto t = from_eigen(m);  // as_eigen of a temporary does not compile: it would dangle
  return as_eigen(t).sum() == 6.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/print.hpp CODE [[
  Tensor<float> t(std::make_shared<Storage<float>>(1), Shape{}, Shape{}, 0);
  *t.data_ptr() = 1.5f;
  std::ostringstream os;
  os << t;
  return os.str() == "tensor(1.5000)" ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/random.hpp CODE [[
  Generator gen(5489);  // first word 3499211612: its low 24 bits are 9550684
  Generator::Draws draws(gen);
  return detail::rng::uniform(draws, 0.0f, 1.0f) == 9550684 * 0x1.0p-24f ? 0 : 1;]])

# ---- layer 2: autograd ------------------------------------------------------------
tapegrad_header_use(tapegrad/autograd/node.hpp CODE [[
  auto x = ones<float>({2});
  auto y = x.detach();
  autograd::record(y, "HeaderCheckBackward",
                   [](const Tensor<float>& g, autograd::Needs) { return autograd::Grads<float>{g, {}, {}}; }, x);
  return y.grad_fn_name() == "HeaderCheckBackward" ? 0 : 1;]])
tapegrad_header_use(tapegrad/autograd/engine.hpp CODE [[
  auto x = ones<float>({2});
  x.requires_grad_();
  x.backward(ones<float>({2}));
  return x.grad().defined() ? 0 : 1;]])

# ---- layer 3: ops (with autograd/engine.hpp where the op's backward is the point) ---
tapegrad_header_use(tapegrad/ops/shape.hpp WITH tapegrad/autograd/engine.hpp CODE [[
  auto x = ones<float>({3});
  x.requires_grad_();
  x.expand({2, 3}).backward(ones<float>({2, 3}));
  return x.grad().to_vector()[0] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/elementwise.hpp WITH tapegrad/autograd/engine.hpp CODE [[
  auto a = ones<float>({2, 3}), b = ones<float>({3});
  a.requires_grad_();
  b.requires_grad_();
  add(a, b).backward(ones<float>({2, 3}));
  return b.grad().to_vector()[0] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/reduce.hpp WITH tapegrad/autograd/engine.hpp CODE [[
  auto x = ones<float>({2, 3});
  x.requires_grad_();
  x.sum().backward();
  return x.grad().to_vector()[5] == 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/matmul.hpp WITH tapegrad/autograd/engine.hpp CODE [[
  auto a = ones<float>({2, 3}), b = ones<float>({3, 2});
  a.requires_grad_();
  matmul(a, b).backward(ones<float>({2, 2}));
  return a.grad().to_vector()[0] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/compare.hpp CODE [[
  auto a = ones<float>({2});
  return allclose(a, a) && equal(a, a) ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/arith.hpp CODE [[
  const auto q = floor_divide(tensor<float>({-7.0f, 7.0f}), tensor<float>({2.0f, 2.0f}));
  return q.to_vector() == std::vector<float>{-4.0f, 3.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/sort.hpp CODE [[
  const auto [values, indices] = sort(tensor<float>({3.0f, 1.0f, 2.0f}));
  return values.to_vector()[0] == 1.0f && indices.to_vector()[0] == 1 ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/cumulative.hpp WITH tapegrad/autograd/engine.hpp CODE [[
  auto x = ones<float>({3});
  x.requires_grad_();
  cumsum(x, 0).backward(ones<float>({3}));
  return x.grad().to_vector() == std::vector<float>{3.0f, 2.0f, 1.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/reduce_extra.hpp CODE [[
  return amax(tensor<float>({{1.0f, 5.0f}, {7.0f, 2.0f}}), {1}).to_vector() == std::vector<float>{5.0f, 7.0f}
             ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/norm.hpp CODE [[
  return linalg::vector_norm(tensor<float>({3.0f, 4.0f})).item() == 5.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/index.hpp WITH tapegrad/autograd/engine.hpp CODE [[
  auto x = tensor<float>({10.0f, 20.0f, 30.0f});
  x.requires_grad_();
  auto y = gather(x, 0, tensor<int64_t>({2, 2}));
  y.backward(ones<float>({2}));
  return y.to_vector()[0] == 30.0f && x.grad().to_vector()[2] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/indexer.hpp CODE [[
  using namespace indexing;
  const auto x = arange<float>(6).reshape({2, 3});
  return x.index({Slice(), 2}).to_vector() == std::vector<float>{2.0f, 5.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/compose.hpp CODE [[
  const auto parts = chunk(arange<float>(5), 2);
  return parts.size() == 2 && parts[1].numel() == 2 && parts[1].to_vector()[0] == 3.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/conv.hpp CODE [[
  const auto y = conv2d(ones<float>({1, 1, 3, 3}), ones<float>({1, 1, 2, 2}));
  return y.shape() == Shape{1, 1, 2, 2} && y.to_vector()[0] == 4.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/interpolate.hpp CODE [[
  const auto y = interpolate(tensor<float>({{{1.0f, 2.0f}}}), {}, 2);  // nearest
  return y.to_vector() == std::vector<float>{1.0f, 1.0f, 2.0f, 2.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/pad.hpp CODE [[
  const auto y = pad(tensor<float>({{{1.0f, 2.0f, 3.0f}}}), {1, 1}, "circular");
  return y.to_vector() == std::vector<float>{3.0f, 1.0f, 2.0f, 3.0f, 1.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/pool.hpp CODE [[
  const auto y = max_pool2d(arange<float>(16).reshape({1, 1, 4, 4}), 2);
  return y.to_vector() == std::vector<float>{5.0f, 7.0f, 13.0f, 15.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/ops/normalization.hpp CODE [[
  const auto y = group_norm(arange<float>(4).reshape({1, 2, 2}), 1);  // mean 1.5, variance 1.25
  return std::abs(y.to_vector()[3] - 1.5f / std::sqrt(1.25f + 1e-5f)) < 1e-5f ? 0 : 1;]])

# ---- layer 4: nn, optim, and gradcheck above them ---------------------------------
tapegrad_header_use(tapegrad/nn/functional.hpp CODE [[
  auto logits = zeros<float>({2, 3});
  auto target = zeros<int64_t>({2});
  return F::cross_entropy(logits, target).item() > 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/init.hpp CODE [[
  auto w = empty<float>({4, 3});
  nn::init::kaiming_uniform_(w);
  return w.numel() == 12 ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/functional_activation.hpp CODE [[
  return nn::functional::leaky_relu(tensor<float>({-2.0f, 3.0f}), 0.5).to_vector() == std::vector<float>{-1.0f, 3.0f}
             ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/functional_layer.hpp CODE [[
  const auto weight = arange<float>(6).reshape({3, 2});
  return nn::functional::embedding(tensor<int64_t>({2}), weight).to_vector() == std::vector<float>{4.0f, 5.0f}
             ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/functional_loss.hpp CODE [[
  return nn::functional::l1_loss(tensor<float>({1.0f, -1.0f}), zeros<float>({2})).item() == 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/distance.hpp CODE [[
  const auto a = tensor<float>({{1.0f, 0.0f}}), b = tensor<float>({{0.0f, 2.0f}});
  return nn::functional::cosine_similarity(a, b).item() == 0.0f &&
                 nn::functional::cosine_similarity(b, b).item() == 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/padding.hpp CODE [[
  const auto y = nn::functional::pad(tensor<float>({{1.0f, 2.0f}}), {1, 1}, "replicate");  // [1, 2]: batched
  return y.to_vector() == std::vector<float>{1.0f, 1.0f, 2.0f, 2.0f} ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/module.hpp CODE [[
  struct Twice : nn::Module<float> {
    Tensor<float> forward(const Tensor<float>& x) override { return x; }
    std::string name() const override { return "Twice"; }
  } m;
  return m.parameters().empty() ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/layers.hpp CODE [[
  nn::Sequential<float> net{nn::Flatten<float>(), nn::ReLU<float>()};
  return net.forward(ones<float>({2, 2, 2})).numel() == 8 ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/activation.hpp CODE [[
  nn::LeakyReLU<float> act(0.5);
  return act.forward(tensor<float>({-4.0f})).item() == -2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/containers.hpp WITH tapegrad/nn/layers.hpp CODE [[
  nn::ModuleList<float> list(nn::Linear<float>(2, 3), nn::Linear<float>(3, 1));
  return list.size() == 2 && list.parameters().size() == 4 ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/conv.hpp CODE [[
  nn::Conv2d<float> conv(1, 2, 3, /*stride=*/1, /*padding=*/1);
  return conv.forward(ones<float>({1, 1, 4, 4})).shape() == Shape{1, 2, 4, 4} ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/upsample.hpp CODE [[
  nn::Upsample<float> up({}, 2, "bilinear", true);
  return up.forward(ones<float>({1, 1, 2, 2})).shape() == Shape{1, 1, 4, 4} ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/utils.hpp CODE [[
  auto w = ones<float>({4});
  w.requires_grad_();
  w.mutable_grad() = full<float>({4}, 2.0f);  // norm 4
  const auto total = nn::utils::clip_grad_norm_(std::vector<Tensor<float>>{w}, 1.0);
  return total.item() == 4.0f && w.grad().to_vector()[0] < 0.5f ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/loss.hpp CODE [[
  nn::MSELoss loss;
  return loss(ones<float>({2}), zeros<float>({2})).item() == 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/optimizer.hpp CODE [[
  struct Keep : optim::Optimizer<float> {
    Keep() : optim::Optimizer<float>({ones<float>({2}).requires_grad_()}, 0.1, "Keep") {}
    void step() override {}
  } opt;
  opt.zero_grad();
  return opt.lr() == 0.1 ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/sgd.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::SGD<float> opt({w}, {.lr = 0.5});
  w.sum().backward();
  opt.step();
  return w.to_vector()[0] == 0.5f ? 0 : 1;]] WITH tapegrad/ops/reduce.hpp)
tapegrad_header_use(tapegrad/optim/adam.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::Adam<float> opt({w}, {.lr = 0.1});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  return w.to_vector()[0] < 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/detail/step_kernels.hpp CODE [[
  float x[5] = {0.0f, 1.0f, 4.0f, 9.0f, 16.0f};
  optim::detail::sqrt_n(x, 5);
  auto a = full<float>({2}, 3.0f);
  optim::detail::zip_apply_sqrt([](float& v) { return v * v; }, [](float root, float& v) { v = v + root; }, a);
  return x[4] == 4.0f && a.to_vector()[1] == 6.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/common.hpp CODE [[
  return optim::detail::torch_addcmul(1.0f, 2.0f, 3.0f, 0.5f) == 4.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/state_dict.hpp CODE [[
  optim::StateDict<float> sd;
  sd.state[0]["step"] = full<float>({}, 1.0f);
  return sd.param_groups.empty() && sd.state.size() == 1 ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/optimizer_state.hpp WITH tapegrad/optim/adam.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::Adam<float> opt({w}, {.lr = 0.1});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  optim::Adam<float> other({w});
  other.load_state_dict(opt.state_dict());
  return other.state(0).step == 1 ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/rmsprop.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::RMSprop<float> opt({w}, {.momentum = 0.9, .centered = true});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  return w.to_vector()[0] < 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/adagrad.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::Adagrad<float> opt({w});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  return w.to_vector()[0] < 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/adadelta.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::Adadelta<float> opt({w});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  return w.to_vector()[0] < 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/nadam.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::NAdam<float> opt({w});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  return w.to_vector()[0] < 1.0f && opt.state(0).mu_product < 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/radam.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::RAdam<float> opt({w});
  w.mutable_grad() = ones<float>({2});
  opt.step();
  return w.to_vector()[0] < 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/optim/lr_scheduler.hpp WITH tapegrad/optim/sgd.hpp CODE [[
  auto w = ones<float>({2});
  w.requires_grad_();
  optim::SGD<float> opt({w}, {.lr = 1.0});
  optim::StepLR<float> sched(opt, 1, 0.5);
  sched.step();
  return opt.lr() == 0.5 ? 0 : 1;]])
tapegrad_header_use(tapegrad/gradcheck.hpp CODE [[
  auto x = ones<double>({2});
  x.requires_grad_();
  return gradcheck([](const std::vector<Tensor<double>>& in) { return in[0] * in[0]; }, {x}) ? 0 : 1;]])

# ---- layer 5: data, io --------------------------------------------------------------
tapegrad_header_use(tapegrad/data/idx.hpp CODE [[
  try {
    data::read_idx<uint8_t>("header-check-no-such-file");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])
tapegrad_header_use(tapegrad/data/mnist.hpp CODE [[
  try {
    data::MNIST train("header-check-no-such-dir");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])
tapegrad_header_use(tapegrad/data/dataloader.hpp CODE [[
  data::DataLoader loader(zeros<float>({4, 2}), zeros<int64_t>({4}), {.batch_size = 2});
  int batches = 0;
  for (const auto& batch : loader) batches += batch.x.numel() == 4;
  return batches == 2 ? 0 : 1;]])
tapegrad_header_use(tapegrad/data/distributed_sampler.hpp CODE [[
  data::DistributedSampler sampler(5, 1, 2, /*shuffle=*/false);  // rank 1 of 2: 1, 3, then the padding 0
  return sampler.indices().to_vector() == std::vector<int64_t>{1, 3, 0} ? 0 : 1;]])
tapegrad_header_use(tapegrad/io/any_tensor.hpp CODE [[
  io::AnyTensor t = ones<float>({2});
  return io::dtype_name(t)[0] == 'f' ? 0 : 1;]])
tapegrad_header_use(tapegrad/io/npy.hpp CODE [[
  try {
    io::load_npy<float>("header-check-no-such-file.npy");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])
tapegrad_header_use(tapegrad/io/safetensors.hpp CODE [[
  try {
    io::load_safetensors("header-check-no-such-file.safetensors");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])
tapegrad_header_use(tapegrad/io/optim_state.hpp CODE [[
  try {
    auto sd = optim::load<float>("header-check-no-such-file.safetensors");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])
tapegrad_header_use(tapegrad/io/serialize.hpp WITH tapegrad/nn/layers.hpp CODE [[
  nn::Sequential<float> net{nn::ReLU<float>()};
  try {
    nn::load(net, "header-check-no-such-file.safetensors");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])

# ---- layer 6: distributed (MPI; run as one process: a world of one rank) -----------
tapegrad_header_use(tapegrad/distributed/process_group.hpp DISTRIBUTED CODE [[
  distributed::init_process_group();
  const bool one = distributed::get_world_size() == 1 && distributed::get_rank() == 0;
  distributed::destroy_process_group();
  return one ? 0 : 1;]])
tapegrad_header_use(tapegrad/distributed/collectives.hpp DISTRIBUTED CODE [[
  distributed::init_process_group();
  auto t = full<float>({2}, 3.0f);
  distributed::all_reduce(t);  // one rank: the sum is t
  distributed::destroy_process_group();
  return t.to_vector()[1] == 3.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/distributed/ring.hpp DISTRIBUTED CODE [[
  distributed::init_process_group();
  auto t = full<float>({3}, 2.0f);
  {
    distributed::detail::RingAllReduce<float> ring;
    ring.start(t, 0);  // one rank: the sum is t, done at once
    ring.wait("header check");
  }
  distributed::destroy_process_group();
  return t.to_vector()[2] == 2.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/distributed/ddp.hpp DISTRIBUTED WITH tapegrad/nn/layers.hpp CODE [[
  distributed::init_process_group();
  int rc = 1;
  {
    nn::parallel::DistributedDataParallel<float> ddp(std::make_shared<nn::Linear<float>>(2, 1));
    auto y = ddp.forward(ones<float>({3, 2}));
    y.sum().backward();
    rc = ddp.parameters()[1].grad().to_vector()[0] == 3.0f ? 0 : 1;  // 3 rows of ones: every gradient is 3
  }
  distributed::destroy_process_group();
  return rc;]])

# ---- umbrellas --------------------------------------------------------------------------
tapegrad_header_use(tapegrad/tapegrad.hpp CODE [[
  manual_seed(0);
  nn::Linear<float> fc(3, 2);
  optim::SGD<float> opt(fc.parameters(), {.lr = 0.1});
  auto loss = F::cross_entropy(fc.forward(randn<float>({4, 3})), zeros<int64_t>({4}));
  loss.backward();
  opt.step();
  std::ostringstream os;
  os << loss;
  return os.str().find("grad_fn") != std::string::npos ? 0 : 1;]])
tapegrad_header_use(tapegrad/data.hpp WITH tapegrad/tapegrad.hpp CODE [[
  data::DataLoader loader(zeros<float>({4, 2}), zeros<int64_t>({4}), {.batch_size = 4});
  return loader.begin() != loader.end() ? 0 : 1;]])
tapegrad_header_use(tapegrad/distributed.hpp DISTRIBUTED WITH tapegrad/tapegrad.hpp CODE [[
  distributed::init_process_group();
  auto t = full<int32_t>({1}, 2);
  distributed::broadcast(t, 0);
  distributed::barrier();
  distributed::destroy_process_group();
  return t.item() == 2 ? 0 : 1;]])
tapegrad_header_use(tapegrad/io.hpp CODE [[
  try {
    io::load_npy<double>("header-check-no-such-file.npy");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])

# ---- the programs ---------------------------------------------------------------------
file(GLOB_RECURSE _headers CONFIGURE_DEPENDS RELATIVE "${PROJECT_SOURCE_DIR}/include"
     "${PROJECT_SOURCE_DIR}/include/tapegrad/*.hpp")
list(SORT _headers)
set(_missing "")
foreach(_h IN LISTS _headers)
  if(NOT _h IN_LIST _tapegrad_header_uses)
    list(APPEND _missing "${_h}")
  endif()
endforeach()
if(_missing)
  string(REPLACE ";" ", " _missing "${_missing}")
  message(FATAL_ERROR "tapegrad header check: no tapegrad_header_use() for ${_missing} in "
                      "tests/cmake/header_check.cmake; add one that calls an op of the header")
endif()

add_custom_target(tapegrad_header_check)
foreach(_h IN LISTS _tapegrad_header_uses)
  if(NOT _h IN_LIST _headers)
    message(FATAL_ERROR "tapegrad header check: ${_h} (tests/cmake/header_check.cmake) does not exist")
  endif()
  string(MAKE_C_IDENTIFIER "${_h}" _id)
  if(_tapegrad_header_mpi_${_id} AND NOT TAPEGRAD_WITH_DISTRIBUTED)
    continue()  # needs MPI, which this build has not found
  endif()
  set(_tu "${CMAKE_CURRENT_BINARY_DIR}/header_check/${_id}.cpp")
  set(_content "// ${_h} on its own (tests/cmake/header_check.cmake)\n")
  string(APPEND _content "#include <${_h}>\n#include <${_h}>  // and twice: include guards\n")
  foreach(_w IN LISTS _tapegrad_header_with_${_id})
    string(APPEND _content "#include <${_w}>\n")
  endforeach()
  string(APPEND _content "#include <atomic>\n#include <cmath>\n#include <memory>\n#include <sstream>\n"
                         "#include <string>\n#include <type_traits>\n#include <vector>\n\nusing namespace tapegrad;\n\n"
                         "int main(int argc, char**) {\n  (void)argc;\n${_tapegrad_header_code_${_id}}\n}\n")
  if(EXISTS "${_tu}")
    file(READ "${_tu}" _old)
  else()
    set(_old "")
  endif()
  if(NOT _old STREQUAL _content)
    file(WRITE "${_tu}" "${_content}")
  endif()
  add_executable(header_check_${_id} "${_tu}")
  tapegrad_private_target(header_check_${_id})
  # What this checks is the includes and the link, not generated code: -O0,
  # the cheapest level to compile, whatever the build's (it comes last on the
  # command line, so it wins over CMAKE_CXX_FLAGS_<CONFIG>).
  if(NOT MSVC)
    target_compile_options(header_check_${_id} PRIVATE -O0)
  endif()
  target_link_libraries(header_check_${_id} PRIVATE tapegrad::data)
  if(_tapegrad_header_mpi_${_id})
    target_link_libraries(header_check_${_id} PRIVATE tapegrad::distributed)
  endif()
  add_dependencies(tapegrad_header_check header_check_${_id})
  add_test(NAME "header/${_h}" COMMAND header_check_${_id})
  set_tests_properties("header/${_h}" PROPERTIES LABELS build)
endforeach()
