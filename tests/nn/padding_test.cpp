// The padding modules (ZeroPad2d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
// ReplicationPad1d/2d/3d, CircularPad1d/2d/3d): PyTorch's printed form and
// outputs (tests/reference/pad.txt, tools/gen_ref_interp.py).
#include "support/conv_ref.hpp"

#include <string>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;

const char* const kFile = "pad.txt";

/// m's output on module.x seen as [N, C, *] with D trailing dims, against record module.<name>.
template <class M>
void check_module(M m, const std::string& name, int d) {
  CAPTURE(name);
  CHECK(m.repr() == conv_test::rec("repr." + name, kFile).text);
  CHECK(m.clone()->repr() == m.repr());
  auto x = conv_test::load<double>("module.x", kFile);  // [1, 2, 3, 4, 5]
  for (int k = 3; k > d; --k) x = x.select(0, 0);
  CHECK(conv_test::mismatch(m(x), "module." + name, kFile) == "");
}

TEST_CASE("ZeroPad2d, ConstantPad, ReflectionPad, ReplicationPad: print and pad as PyTorch") {
  check_module(nn::ZeroPad2d<double>(2), "zeropad2d", 2);
  check_module(nn::ZeroPad2d<double>({1, 2, 3, -1}), "zeropad2d_tuple", 2);
  check_module(nn::ConstantPad1d<double>(2, 3.5), "constantpad1d", 1);
  check_module(nn::ConstantPad2d<double>({1, 0, 2, 1}, -1.0), "constantpad2d", 2);
  check_module(nn::ConstantPad3d<double>(1, 0.0), "constantpad3d", 3);
  check_module(nn::ReflectionPad1d<double>({1, 2}), "reflectionpad1d", 1);
  check_module(nn::ReflectionPad2d<double>(1), "reflectionpad2d", 2);
  check_module(nn::ReflectionPad3d<double>(1), "reflectionpad3d", 3);
  check_module(nn::ReplicationPad1d<double>(3), "replicationpad1d", 1);
  check_module(nn::ReplicationPad2d<double>({1, 1, 2, 0}), "replicationpad2d", 2);
  check_module(nn::ReplicationPad3d<double>(1), "replicationpad3d", 3);
}

TEST_CASE("CircularPad1d/2d/3d: F::pad circular, printed as PyTorch 2.1's") {
  const auto x = tg::arange<float>(6).reshape({1, 2, 3});
  nn::CircularPad1d<> pad1({2, 1});
  CHECK(pad1.repr() == "CircularPad1d((2, 1))");
  CHECK(pad1(x).to_vector() == tg::pad(x, {2, 1}, "circular").to_vector());
  nn::CircularPad2d<> pad2(1);
  CHECK(pad2.repr() == "CircularPad2d((1, 1, 1, 1))");
  CHECK(pad2(x.unsqueeze(0)).sizes() == tg::Shape{1, 1, 4, 5});
  nn::CircularPad3d<> pad3({1, 0, 0, 0, 0, 1});
  CHECK(pad3(x.reshape({1, 1, 1, 2, 3})).sizes() == tg::Shape{1, 1, 2, 2, 4});
  CHECK_THROWS_WITH_AS(pad2(x),
                       "pad: Invalid padding size, expected 2 but got 4 (circular padding needs a batched input [N, C, "
                       "*], got input[1, 2, 3])",
                       tg::ShapeError);
}

}  // namespace
