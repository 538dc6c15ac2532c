# The header check (TAPEGRAD_HEADER_CHECK, included by tests/CMakeLists.txt):
# every public header is usable on its own. Each gets a program of its own
# that includes it (twice: include guards), calls one representative op of it
# and is linked (and run, as CTest test header/<header>, which checks the
# op's value): a definition the header only declares (a function template
# defined in a header it does not include) fails the link, which compiling
# alone does not catch. A header added to include/tapegrad/ without an entry
# below fails the configure step.
#
# tapegrad_header_use(<header> [WITH <more headers>...] CODE <statements>)
#   <statements>: the body of main(), in namespace tapegrad (a using-directive);
#   WITH: headers the program includes after <header>, for an op whose use
#   needs a layer above it (requires_grad_() and backward() are autograd's).

set(_tapegrad_header_uses "")
function(tapegrad_header_use header)
  cmake_parse_arguments(PARSE_ARGV 1 _u "" "CODE" "WITH")
  string(MAKE_C_IDENTIFIER "${header}" _id)
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
  Generator gen(7);
  return gen.next_u64() != Generator(8).next_u64() ? 0 : 1;]])
tapegrad_header_use(tapegrad/core/grad_mode.hpp CODE [[
  NoGradGuard no_grad;
  return GradMode::is_enabled() ? 1 : 0;]])
tapegrad_header_use(tapegrad/core/parallel.hpp CODE [[
  std::atomic<int64_t> sum{0};
  detail::parallel_for(4, 2, [&](int64_t i) { sum += i; });
  return sum == 6 ? 0 : 1;]])
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
  return as_eigen(from_eigen(m)).sum() == 6.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/tensor/print.hpp CODE [[
  Tensor<float> t(std::make_shared<Storage<float>>(1), Shape{}, Shape{}, 0);
  *t.data_ptr() = 1.5f;
  std::ostringstream os;
  os << t;
  return os.str() == "tensor(1.5000)" ? 0 : 1;]])

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

# ---- layer 4: nn, optim, and gradcheck above them ---------------------------------
tapegrad_header_use(tapegrad/nn/functional.hpp CODE [[
  auto logits = zeros<float>({2, 3});
  auto target = zeros<int64_t>({2});
  return F::cross_entropy(logits, target).item() > 1.0f ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/init.hpp CODE [[
  auto w = empty<float>({4, 3});
  nn::init::kaiming_uniform_(w);
  return w.numel() == 12 ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/module.hpp CODE [[
  struct Twice : nn::Module<float> {
    Tensor<float> forward(const Tensor<float>& x) override { return x; }
    std::string name() const override { return "Twice"; }
  } m;
  return m.parameters().empty() ? 0 : 1;]])
tapegrad_header_use(tapegrad/nn/layers.hpp CODE [[
  nn::Sequential<float> net{nn::Flatten<float>(), nn::ReLU<float>()};
  return net.forward(ones<float>({2, 2, 2})).numel() == 8 ? 0 : 1;]])
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
tapegrad_header_use(tapegrad/io/serialize.hpp WITH tapegrad/nn/layers.hpp CODE [[
  nn::Sequential<float> net{nn::ReLU<float>()};
  try {
    nn::load(net, "header-check-no-such-file.safetensors");
  } catch (const IOError&) {
    return 0;
  }
  return 1;]])

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
  set(_tu "${CMAKE_CURRENT_BINARY_DIR}/header_check/${_id}.cpp")
  set(_content "// ${_h} on its own (tests/cmake/header_check.cmake)\n")
  string(APPEND _content "#include <${_h}>\n#include <${_h}>  // and twice: include guards\n")
  foreach(_w IN LISTS _tapegrad_header_with_${_id})
    string(APPEND _content "#include <${_w}>\n")
  endforeach()
  string(APPEND _content "#include <atomic>\n#include <sstream>\n#include <string>\n#include <type_traits>\n"
                         "#include <vector>\n\nusing namespace tapegrad;\n\n"
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
  target_link_libraries(header_check_${_id} PRIVATE tapegrad::data)
  add_dependencies(tapegrad_header_check header_check_${_id})
  add_test(NAME "header/${_h}" COMMAND header_check_${_id})
  set_tests_properties("header/${_h}" PROPERTIES LABELS build)
endforeach()
