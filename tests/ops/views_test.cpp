// Views: shape, strides, storage offset, values, contiguity and storage
// sharing of every case in tests/reference/views.txt (PyTorch), the view
// errors, reshape's copy-only-when-needed rule, edge cases (0-d, size-0 dims,
// negative dims, views of views) and resize_.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <functional>
#include <string>
#include <vector>

#include "support/reference.hpp"

using namespace tapegrad;
using tapegrad_test::ref;

namespace {

const tapegrad_test::RefTensor& vref(const std::string& name) { return ref("views.txt", name); }

Shape ref_shape(const tapegrad_test::RefTensor& r) { return Shape(r.shape.begin(), r.shape.end()); }
Shape ref_ints(const tapegrad_test::RefTensor& r) { return Shape(r.ints.begin(), r.ints.end()); }

template <Element T>
std::vector<T> values(std::initializer_list<T> v) { return std::vector<T>(v); }

// The bases of views.txt, rebuilt the way gen_reference.py builds them (and checked against it).
Tensor<float> make_x() { return arange<float>(24).view({2, 3, 4}); }
Tensor<float> make_squeeze_a() { return arange<float>(3).view({1, 3, 1}); }
Tensor<float> make_expand_a() { return tensor<float>({{1}, {2}, {3}}); }

// Everything views.txt records for one case.
void check_view_case(const std::string& name, const Tensor<float>& y, const Tensor<float>& base) {
  INFO("case: ", name);
  const auto& out = vref(name + ".out");
  REQUIRE(y.sizes() == ref_shape(out));
  CHECK(y.to_vector() == out.as<float>());
  CHECK(y.strides() == ref_ints(vref(name + ".strides")));
  CHECK(y.storage_offset() == vref(name + ".offset").ints.at(0));
  CHECK(y.is_contiguous() == (vref(name + ".contiguous").ints.at(0) != 0));
  CHECK(shares_storage(y, base) == (vref(name + ".shares").ints.at(0) != 0));
}

// PyTorch's text for the same error (views.txt) and ours share `gist`.
void check_same_gist(const std::string& record, const std::string& ours, const std::string& gist) {
  INFO("record: ", record, "; ours: ", ours);
  CHECK(vref(record).text.find(gist) != std::string::npos);
  CHECK(ours.find(gist) != std::string::npos);
}

template <class F>
std::string error_text(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("views: the bases match views.txt") {
  auto x = make_x();
  CHECK(x.sizes() == ref_shape(vref("x")));
  CHECK(x.to_vector() == vref("x").as<float>());
  CHECK(make_squeeze_a().to_vector() == vref("squeeze.a").as<float>());
  CHECK(make_squeeze_a().sizes() == ref_shape(vref("squeeze.a")));
  CHECK(make_expand_a().sizes() == ref_shape(vref("expand.a")));
  CHECK(make_expand_a().to_vector() == vref("expand.a").as<float>());
}

TEST_CASE("views: every case of views.txt has PyTorch's shape, strides, offset, values and sharing") {
  const auto x = make_x();
  const auto s = make_squeeze_a();
  const auto e = make_expand_a();
  using Make = std::function<Tensor<float>()>;
  struct Case {
    const char* name;
    Make make;
    const Tensor<float>* base;
  };
  const std::vector<Case> cases = {
      {"view_4x6", [&] { return x.view({4, 6}); }, &x},
      {"view_m1", [&] { return x.view({-1}); }, &x},
      {"view_2xm1x2", [&] { return x.view({2, -1, 2}); }, &x},
      {"view_slice", [&] { return x.slice(1, 1).view({2, 8}); }, &x},  // x[:, 1:, :]
      {"reshape_t", [&] { return x.transpose(0, 1).reshape({6, 4}); }, &x},
      {"reshape_contig", [&] { return x.reshape({4, 6}); }, &x},
      {"flatten1", [&] { return x.flatten(1); }, &x},
      {"flatten_all", [&] { return x.flatten(); }, &x},
      {"unsqueeze0", [&] { return x.unsqueeze(0); }, &x},
      {"unsqueeze_m1", [&] { return x.unsqueeze(-1); }, &x},
      {"unsqueeze1", [&] { return x.unsqueeze(1); }, &x},
      {"squeeze_all", [&] { return s.squeeze(); }, &s},
      {"squeeze_d0", [&] { return s.squeeze(0); }, &s},
      {"squeeze_d1", [&] { return s.squeeze(1); }, &s},
      {"squeeze_dm1", [&] { return s.squeeze(-1); }, &s},
      {"transpose02", [&] { return x.transpose(0, 2); }, &x},
      {"transpose12", [&] { return x.transpose(1, 2); }, &x},
      {"permute201", [&] { return x.permute({2, 0, 1}); }, &x},
      {"expand_3x4", [&] { return e.expand({3, 4}); }, &e},
      {"expand_2x3x4", [&] { return e.expand({2, 3, 4}); }, &e},
      {"expand_m1x4", [&] { return e.expand({-1, 4}); }, &e},
      {"narrow_1_1_2", [&] { return x.narrow(1, 1, 2); }, &x},
      {"select_1_2", [&] { return x.select(1, 2); }, &x},
      {"select_0_m1", [&] { return x.select(0, -1); }, &x},
      // x[:, ::2, 1:3]
      {"slice", [&] { return x.slice(1, std::nullopt, std::nullopt, 2).slice(2, 1, 3); }, &x},
      // x[-1, 1:, ::3]
      {"slice_neg", [&] { return x[-1].slice(0, 1).slice(1, std::nullopt, std::nullopt, 3); }, &x},
      // x.transpose(0, 2)[1:3, :, 0]
      {"transpose_then_slice", [&] { return x.transpose(0, 2).slice(0, 1, 3).select(2, 0); }, &x},
      {"contiguous_of_t", [&] { return x.transpose(0, 2).contiguous(); }, &x},
  };
  for (const auto& c : cases) check_view_case(c.name, c.make(), *c.base);
  // The bases were not changed by any of it.
  CHECK(x.to_vector() == vref("x").as<float>());
}

TEST_CASE("view: errors carry tapegrad's messages, with PyTorch's gist") {
  const auto x = make_x();
  const auto xt = x.transpose(1, 2);
  const auto s = make_squeeze_a();
  const auto e = make_expand_a();

  CHECK_THROWS_WITH_AS(xt.view({-1}),
                       "view: shape [24] is incompatible with input shape [2, 4, 3] and strides [12, 1, 4]; use "
                       "reshape()",
                       ShapeError);
  check_same_gist("view_err.transposed_m1", error_text([&] { xt.view({-1}); }), "reshape");

  CHECK_THROWS_WITH_AS(x.view({5, 5}), "view: shape [5, 5] is invalid for input of size 24", ShapeError);
  check_same_gist("view_err.5x5", error_text([&] { x.view({5, 5}); }), "is invalid for input of size 24");

  CHECK_THROWS_WITH_AS(x.view({-1, -1}), "view: only one dimension can be inferred, got shape [-1, -1]", ValueError);
  check_same_gist("view_err.m1xm1", error_text([&] { x.view({-1, -1}); }), "only one dimension can be inferred");

  CHECK_THROWS_WITH_AS(x.view({7, -1}), "view: shape [7, -1] is invalid for input of size 24", ShapeError);
  check_same_gist("view_err.7xm1", error_text([&] { x.view({7, -1}); }), "is invalid for input of size 24");

  CHECK_THROWS_WITH_AS(e.expand({2, 4}),
                       "expand: the expanded size of the tensor (2) must match the existing size (3) at "
                       "non-singleton dimension 0; target [2, 4], tensor [3, 1]",
                       ShapeError);
  check_same_gist("view_err.expand_bad", error_text([&] { e.expand({2, 4}); }),
                  "expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 0");

  CHECK_THROWS_WITH_AS(s.squeeze(3), "squeeze: dimension out of range (expected to be in range of [-3, 2], but got 3)",
                       IndexError);
  check_same_gist("view_err.squeeze_out_of_range", error_text([&] { s.squeeze(3); }),
                  "out of range (expected to be in range of [-3, 2], but got 3)");

  CHECK_THROWS_WITH_AS(x.permute({0, 0, 1}), "permute: repeated dim 0 in [0, 0, 1]", ValueError);
  CHECK(vref("view_err.permute_dup").text.find("duplicate dims") != std::string::npos);

  // More of view's checks.
  CHECK_THROWS_WITH_AS(x.view({-2, 12}), "view: invalid shape dimension -2 in shape [-2, 12]", ValueError);
  CHECK_THROWS_WITH_AS(zeros<float>({0, 3}).view({-1, 0}), "view: shape [-1, 0] is invalid for input of size 0",
                       ShapeError);
}

TEST_CASE("reshape: copies only when the strides need it") {
  auto x = make_x();
  CHECK(shares_storage(x.reshape({4, 6}), x));
  CHECK(shares_storage(x.reshape({-1}), x));
  CHECK(shares_storage(x.slice(1, 1).reshape({2, 8}), x));  // non-contiguous but viewable
  CHECK(shares_storage(x.transpose(0, 2).reshape({4, 3, 2}), x));  // same shape: a view
  auto copied = x.transpose(1, 2).reshape({-1});
  CHECK_FALSE(shares_storage(copied, x));
  CHECK(copied.is_contiguous());
  CHECK(copied.to_vector() == x.transpose(1, 2).to_vector());
  // The copy is independent, the view is not.
  auto viewed = x.reshape({24});
  x(0, 0, 0) = -5;
  CHECK(viewed(0) == -5);
  CHECK(copied(0) == 0);
  // A 0-d tensor reshapes to any one-element shape and back.
  auto s = tensor<float>(7.0f);
  CHECK(s.reshape({1, 1}).sizes() == Shape{1, 1});
  CHECK(s.reshape({1, 1}).reshape({}).item() == 7.0f);
  CHECK(shares_storage(s.reshape({1}), s));
  CHECK_THROWS_WITH_AS(x.reshape({5, -1}), "reshape: shape [5, -1] is invalid for input of size 24", ShapeError);
}

TEST_CASE("flatten: merges a range of dims, 0-d becomes [1]") {
  auto x = make_x();
  CHECK(x.flatten(0, 1).sizes() == Shape{6, 4});
  CHECK(x.flatten(-2, -1).sizes() == Shape{2, 12});
  CHECK(x.flatten(1, 1).is_same(x));  // nothing to merge: x itself (as PyTorch)
  CHECK(tensor<float>(3.0f).flatten().sizes() == Shape{1});
  CHECK(zeros<float>({2, 0, 3}).flatten().sizes() == Shape{0});
  auto ft = x.transpose(0, 2).flatten();  // needs a copy
  CHECK_FALSE(shares_storage(ft, x));
  CHECK(ft.to_vector() == x.transpose(0, 2).contiguous().to_vector());
  CHECK_THROWS_WITH_AS(x.flatten(2, 1), "flatten: start_dim (2) cannot come after end_dim (1)", ValueError);
  CHECK_THROWS_WITH_AS(x.flatten(0, 3),
                       "flatten: dimension out of range (expected to be in range of [-3, 2], but got 3)", IndexError);
}

TEST_CASE("unsqueeze/squeeze: insert and drop size-1 dims, including on 0-d tensors") {
  auto x = make_x();
  CHECK(x.unsqueeze(3).sizes() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(-4).sizes() == Shape{1, 2, 3, 4});
  CHECK(x.unsqueeze(2).squeeze(2).strides() == x.strides());
  CHECK(x.unsqueeze(0).unsqueeze(-1).squeeze().sizes() == x.sizes());
  CHECK_THROWS_WITH_AS(x.unsqueeze(4), "unsqueeze: dimension out of range (expected to be in range of [-4, 3], but got 4)",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.unsqueeze(-5),
                       "unsqueeze: dimension out of range (expected to be in range of [-4, 3], but got -5)", IndexError);

  auto s = tensor<float>(1.5f);
  CHECK(s.unsqueeze(0).sizes() == Shape{1});
  CHECK(s.unsqueeze(-1).sizes() == Shape{1});
  CHECK(s.unsqueeze(0).strides() == Shape{1});
  CHECK(s.squeeze().dim() == 0);
  CHECK(s.squeeze(0).dim() == 0);
  CHECK(s.squeeze(-1).dim() == 0);
  CHECK_THROWS_WITH_AS(s.squeeze(1), "squeeze: dimension out of range (expected to be in range of [-1, 0], but got 1)",
                       IndexError);
  // A size-0 dim is not squeezed.
  CHECK(zeros<float>({1, 0, 1}).squeeze().sizes() == Shape{0});
  CHECK(zeros<float>({0, 1}).squeeze(0).sizes() == Shape{0, 1});
}

TEST_CASE("transpose/t/permute: accept negative dims; t() refuses more than 2-D") {
  auto x = make_x();
  auto a = x.transpose(-1, -3);
  CHECK(a.sizes() == Shape{4, 3, 2});
  CHECK(a.strides() == Shape{1, 4, 12});
  CHECK(x.transpose(1, 1).strides() == x.strides());
  CHECK(x.permute({-1, 0, 1}).strides() == x.permute({2, 0, 1}).strides());
  CHECK(x.permute({0, 1, 2}).to_vector() == x.to_vector());
  auto m = arange<float>(6).view({2, 3});
  CHECK(m.t().sizes() == Shape{3, 2});
  CHECK(m.t().t().strides() == m.strides());
  CHECK(m.t()(2, 1) == 5);
  auto v = arange<float>(3);
  CHECK(v.t().sizes() == Shape{3});
  CHECK(shares_storage(v.t(), v));
  auto s = tensor<float>(2.0f);
  CHECK(s.t().dim() == 0);
  CHECK(s.transpose(0, -1).dim() == 0);
  CHECK(s.permute({}).dim() == 0);
  CHECK_THROWS_WITH_AS(x.t(), "t: expects a tensor with <= 2 dimensions, but got shape [2, 3, 4] (3-D); use transpose() or permute()",
                       ShapeError);
  CHECK_THROWS_WITH_AS(x.transpose(0, 3),
                       "transpose: dimension out of range (expected to be in range of [-3, 2], but got 3)", IndexError);
  CHECK_THROWS_WITH_AS(x.permute({0, 1}), "permute: number of dims don't match: got [0, 1] for a tensor of shape [2, 3, 4]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(x.permute({0, 1, 3}),
                       "permute: dimension out of range (expected to be in range of [-3, 2], but got 3)", IndexError);
  CHECK_THROWS_WITH_AS(x.permute({0, -1, 2}), "permute: repeated dim 2 in [0, -1, 2]", ValueError);
}

TEST_CASE("expand: broadcasts size-1 dims with stride 0 and adds leading dims") {
  auto s = tensor<float>(4.0f);
  auto big = s.expand({2, 3});
  CHECK(big.sizes() == Shape{2, 3});
  CHECK(big.strides() == Shape{0, 0});
  CHECK(big.to_vector() == std::vector<float>(6, 4.0f));
  auto row = tensor<float>({1, 2, 3});
  auto rows = row.expand({2, 3});
  CHECK(rows.strides() == Shape{0, 1});
  CHECK_FALSE(rows.is_contiguous());
  CHECK(rows.to_vector() == values<float>({1, 2, 3, 1, 2, 3}));
  CHECK(tensor<float>({5}).expand({0}).sizes() == Shape{0});
  CHECK(row.expand_as(zeros<double>({4, 3})).sizes() == Shape{4, 3});
  // A write to the base shows in every expanded position.
  row(1) = 20;
  CHECK(rows(1, 1) == 20);
  CHECK(rows(0, 1) == 20);
  CHECK_THROWS_WITH_AS(row.expand({-1, 3}),
                       "expand: -1 is not allowed in a leading, non-existing dimension (0); target [-1, 3]", ValueError);
  CHECK_THROWS_WITH_AS(make_expand_a().expand({4}),
                       "expand: the number of sizes provided (1) must be greater or equal to the number of dimensions "
                       "in the tensor (2); target [4], tensor [3, 1]",
                       ShapeError);
}

TEST_CASE("narrow/select/slice/x[i]: negative arguments, clamping and errors") {
  auto x = make_x();
  SUBCASE("narrow") {
    auto n = x.narrow(-1, -2, 2);  // last two columns
    CHECK(n.sizes() == Shape{2, 3, 2});
    CHECK(n.storage_offset() == 2);
    CHECK(n(0, 0, 0) == 2);
    CHECK(x.narrow(0, 2, 0).sizes() == Shape{0, 3, 4});
    CHECK_THROWS_WITH_AS(x.narrow(0, 3, 0), "narrow: start (3) is out of range for dimension 0 of size 2", IndexError);
    CHECK_THROWS_WITH_AS(x.narrow(0, 1, 2), "narrow: start (1) + length (2) exceeds dimension size (2) of shape [2, 3, 4]",
                         IndexError);
    CHECK_THROWS_WITH_AS(x.narrow(1, 0, -1), "narrow: start (0) + length (-1) exceeds dimension size (3) of shape [2, 3, 4]",
                         IndexError);
    CHECK_THROWS_WITH_AS(tensor<float>(1.0f).narrow(0, 0, 1), "narrow: cannot be applied to a 0-dim tensor", ShapeError);
  }
  SUBCASE("select and x[i]") {
    CHECK(x.select(-1, -1).to_vector() == values<float>({3, 7, 11, 15, 19, 23}));
    CHECK(x[-1].storage_offset() == 12);
    CHECK(x[1][2][3].item() == 23);
    CHECK(x[0][-1].to_vector() == values<float>({8, 9, 10, 11}));
    CHECK(arange<float>(3)[1].dim() == 0);
    CHECK_THROWS_WITH_AS(x.select(1, 3), "select: index 3 out of range for tensor of shape [2, 3, 4] at dimension 1",
                         IndexError);
    CHECK_THROWS_WITH_AS(x.select(1, -4), "select: index -4 out of range for tensor of shape [2, 3, 4] at dimension 1",
                         IndexError);
    CHECK_THROWS_WITH_AS(x[2], "select: index 2 out of range for tensor of shape [2, 3, 4] at dimension 0", IndexError);
    CHECK_THROWS_WITH_AS(tensor<float>(1.0f)[0], "index: invalid index of a 0-dim tensor", IndexError);
    CHECK_THROWS_WITH_AS(tensor<float>(1.0f).select(0, 0), "select: cannot select from a 0-dim tensor", IndexError);
    CHECK_THROWS_WITH_AS(zeros<float>({0, 2})[0], "select: index 0 out of range for tensor of shape [0, 2] at dimension 0",
                         IndexError);
  }
  SUBCASE("slice") {
    CHECK(x.slice(2, -100, 100).sizes() == x.sizes());  // bounds clamp as in Python
    CHECK(x.slice(2, 3, 1).sizes() == Shape{2, 3, 0});  // end before start: empty
    CHECK(x.slice(2, -1).to_vector() == values<float>({3, 7, 11, 15, 19, 23}));
    auto st = x.slice(-1, std::nullopt, std::nullopt, 3);  // columns 0 and 3
    CHECK(st.sizes() == Shape{2, 3, 2});
    CHECK(st.strides() == Shape{12, 4, 3});
    CHECK(st[0][0].to_vector() == values<float>({0, 3}));
    CHECK(x.slice(0, 5).sizes() == Shape{0, 3, 4});
    CHECK_THROWS_WITH_AS(x.slice(0, 0, 2, 0), "slice: step must be positive, got 0", ValueError);
    CHECK_THROWS_WITH_AS(x.slice(0, 0, 2, -1), "slice: step must be positive, got -1", ValueError);
    CHECK_THROWS_WITH_AS(tensor<float>(1.0f).slice(0), "slice: cannot be applied to a 0-dim tensor", IndexError);
    CHECK_THROWS_WITH_AS(x.slice(3), "slice: dimension out of range (expected to be in range of [-3, 2], but got 3)",
                         IndexError);
  }
}

TEST_CASE("views: tensors with a size-0 dim") {
  auto z = zeros<float>({0, 3});
  CHECK(z.is_contiguous());
  CHECK(z.view({3, 0}).sizes() == Shape{3, 0});
  CHECK(z.view({-1, 3}).sizes() == Shape{0, 3});
  CHECK(z.view({2, -1, 3}).sizes() == Shape{2, 0, 3});
  CHECK(z.reshape({0}).sizes() == Shape{0});
  CHECK(z.t().sizes() == Shape{3, 0});
  CHECK(z.unsqueeze(1).sizes() == Shape{0, 1, 3});
  CHECK(z.expand({2, 0, 3}).sizes() == Shape{2, 0, 3});
  CHECK(z.narrow(1, 1, 2).sizes() == Shape{0, 2});
  CHECK(z.select(1, 2).sizes() == Shape{0});
  CHECK(z.permute({1, 0}).to_vector().empty());
  CHECK(z.t().contiguous().numel() == 0);
  CHECK(z.transpose(0, 1).reshape({-1}).sizes() == Shape{0});
}

TEST_CASE("views: offsets and strides compose through views of views") {
  auto x = make_x();
  auto v = x[1];                 // offset 12
  auto w = v.narrow(0, 1, 2);    // rows 1..2 of x[1]: offset 16
  auto u = w.select(1, 2);       // column 2: offset 18, shape [2], stride 4
  CHECK(v.storage_offset() == 12);
  CHECK(w.storage_offset() == 16);
  CHECK(u.storage_offset() == 18);
  CHECK(u.sizes() == Shape{2});
  CHECK(u.strides() == Shape{4});
  CHECK(u.to_vector() == values<float>({18, 22}));
  auto tt = x.transpose(0, 2).slice(0, 1).slice(0, 1);  // two slices: offset 2
  CHECK(tt.storage_offset() == 2);
  CHECK(tt.sizes() == Shape{2, 3, 2});
  CHECK(tt(0, 0, 1) == 14);
  auto back = x.permute({1, 2, 0}).permute({2, 0, 1});
  CHECK(back.strides() == x.strides());
  CHECK(back.is_contiguous());
}

TEST_CASE_TEMPLATE("views: writing through a view changes the base", T, float, double) {
  auto x = arange<T>(24).view({2, 3, 4});
  x.select(1, 2).fill_(T(-1));  // x[:, 2, :]
  CHECK(x(0, 2, 3) == T(-1));
  CHECK(x(1, 2, 0) == T(-1));
  CHECK(x(1, 1, 3) == T(7 + 12));
  x.transpose(0, 2)(3, 1, 1) = T(100);  // x[1, 1, 3]
  CHECK(x(1, 1, 3) == T(100));
  x.view({-1})(0) = T(50);
  CHECK(x(0, 0, 0) == T(50));
  x.slice(2, std::nullopt, std::nullopt, 2).copy_(zeros<T>({2, 3, 2}));  // even columns
  CHECK(x(0, 0, 0) == T(0));
  CHECK(x(0, 0, 1) == T(1));
  CHECK(x(1, 1, 2) == T(0));
  auto flat = x.flatten();  // a view: sees later writes too
  x(1, 2, 3) = T(9);
  CHECK(flat(23) == T(9));
  x.unsqueeze(0).squeeze(0)[0][0].add_(T(1));
  CHECK(x(0, 0, 1) == T(2));
}

TEST_CASE("resize_: shrinks and grows as views.txt records, keeping the first elements") {
  auto t = arange<float>(6).view({2, 3});
  CHECK(t.to_vector() == vref("resize.a").as<float>());
  const auto& ret = t.resize_({3, 2});
  CHECK(ret.is_same(t));
  CHECK(t.sizes() == ref_shape(vref("resize_3x2.out")));
  CHECK(t.to_vector() == vref("resize_3x2.out").as<float>());
  CHECK(t.strides() == ref_ints(vref("resize_3x2.strides")));

  t.resize_({1, 4});  // shrink: the storage keeps its 6 elements
  CHECK(t.sizes() == ref_shape(vref("resize_1x4.out")));
  CHECK(t.to_vector() == vref("resize_1x4.out").as<float>());
  CHECK(t.strides() == ref_ints(vref("resize_1x4.strides")));
  CHECK(t.storage()->size() == 6);

  auto old_view = t.view({4});
  const float* old_data = t.data_ptr();
  t.resize_({2, 4});  // grow beyond 6 elements
  CHECK(t.sizes() == ref_ints(vref("resize_2x4.shape")));
  CHECK(t.strides() == ref_ints(vref("resize_2x4.strides")));
  const auto v = t.to_vector();
  CHECK(std::vector<float>(v.begin(), v.begin() + 6) == vref("resize_2x4.first6").as<float>());
  // PyTorch leaves the new elements uninitialised; tapegrad zero-fills them.
  CHECK(v[6] == 0.0f);
  CHECK(v[7] == 0.0f);
  CHECK(t.storage()->size() == 8);
  // Views of the old storage see the new memory (the storage object is shared).
  CHECK(t.data_ptr() != old_data);
  CHECK(old_view.data_ptr() == t.data_ptr());
  t(0, 1) = 42;
  CHECK(old_view(1) == 42);
}

TEST_CASE("resize_: grows from the view's storage offset; rejects negative sizes") {
  auto x = make_x();
  auto v = x.narrow(0, 1, 1);  // offset 12
  v.resize_({2, 3, 4});        // needs 12 + 24 elements
  CHECK(v.storage()->size() == 36);
  CHECK(v.storage_offset() == 12);
  const auto vals = v.to_vector();
  for (int i = 0; i < 12; ++i) CHECK(vals[static_cast<size_t>(i)] == static_cast<float>(12 + i));
  for (int i = 12; i < 24; ++i) CHECK(vals[static_cast<size_t>(i)] == 0.0f);
  CHECK(x.to_vector() == vref("x").as<float>());  // x sees the same (copied) values
  CHECK_THROWS_WITH_AS(x.resize_({-1}), "resize_: negative dimension -1 in shape [-1]", ValueError);
  auto e = zeros<float>({0});
  e.resize_({2, 2});
  CHECK(e.to_vector() == std::vector<float>(4, 0.0f));
  CHECK(e.numel() == 4);
}

TEST_CASE("resize_: a non-contiguous view becomes contiguous, with the new numel") {
  // Debian's python3-torch 1.13.1: torch.arange(6.).view(2, 3).t() is_contiguous() False, numel 6;
  // .resize_(4) -> True, 4, [0., 1., 2., 3.]; .resize_(2, 0) -> numel 0, True
  auto t = arange<float>(0, 6).view({2, 3}).t();
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.numel() == 6);
  t.resize_({4});
  CHECK(t.is_contiguous());
  CHECK(t.numel() == 4);
  CHECK(t.to_vector() == std::vector<float>{0, 1, 2, 3});
  t.resize_({2, 0});
  CHECK(t.numel() == 0);
  CHECK(t.is_contiguous());
}

TEST_CASE("resize_: from_blob memory can shrink but not grow") {
  float buf[6] = {0, 1, 2, 3, 4, 5};
  auto t = from_blob(buf, {6});
  t.resize_({2, 2});
  CHECK(t.to_vector() == values<float>({0, 1, 2, 3}));
  t.resize_({3, 2});  // fits the blob's 6 elements
  CHECK(t.data_ptr() == buf);
  CHECK_THROWS_WITH_AS(t.resize_({7}), "resize_: trying to resize storage that is not resizable (memory from from_blob)",
                       ValueError);
  CHECK(t.sizes() == Shape{3, 2});  // unchanged by the failed resize
  CHECK(t.data_ptr() == buf);
}

// cat and stack against views.txt (gen_reference.py: a, b, c and x as rebuilt here).
TEST_CASE("cat, stack: values as PyTorch's, for every dim and with empty 1-D tensors left out") {
  const auto a = arange<float>(6).view({2, 3}), b = arange<float>(6, 14).view({2, 4}),
             c = arange<float>(14, 20).view({2, 3}), x = make_x();
  const auto check = [](const std::string& name, const Tensor<float>& y) {
    INFO("case: ", name);
    const auto& out = vref(name + ".out");
    REQUIRE(y.sizes() == ref_shape(out));
    CHECK(y.is_contiguous());
    CHECK(y.to_vector() == out.as<float>());
  };
  check("cat_ab_1", cat({a, b}, 1));
  check("cat_ac_0", cat({a, c}, 0));
  check("cat_aca_m1", cat({a, c, a}, -1));
  check("cat_empty1d_a", cat({zeros<float>({0}), a, zeros<float>({0})}, 1));
  check("cat_x_x_1", cat({x, x}, 1));
  check("cat_ac_0", cat(std::vector<Tensor<float>>{a.t().t(), c.t().contiguous().t()}, 0));  // strided inputs
  check("stack_ac_0", stack({a, c}, 0));
  check("stack_ac_1", stack({a, c}, 1));
  check("stack_ac_m1", stack({a, c}, -1));
  check("stack_scalars", stack({tensor<float>(1.0f), tensor<float>(2.0f)}));
  // a copy, not a view of the inputs
  const auto y = cat({a, c});
  CHECK_FALSE(shares_storage(y, a));
  // integer tensors too, and a single tensor is a copy of it
  CHECK(cat({arange<int64_t>(3), arange<int64_t>(2)}).to_vector() == values<int64_t>({0, 1, 2, 0, 1}));
  CHECK(cat({a}).to_vector() == a.to_vector());
  CHECK(cat({a, zeros<float>({2, 0})}, 1).sizes() == Shape{2, 3});
}

TEST_CASE("cat, stack: errors name the op, the dims and the shapes, with PyTorch's wording") {
  const auto a = arange<float>(6).view({2, 3}), b = arange<float>(6, 14).view({2, 4}), x = make_x();
  const auto s = [](auto&& f) { return error_text(f); };
  check_same_gist("cat_err.empty", s([] { cat(std::vector<Tensor<float>>{}); }), "expected a non-empty list of");
  const std::string sizes = s([&] { cat({a, b}, 0); });
  CHECK(sizes == "cat: sizes of tensors must match except in dimension 0: expected size 3 but got size 4 for "
                 "tensor number 1 in the list (shapes [2, 3] and [2, 4])");
  check_same_gist("cat_err.sizes", sizes, "of tensors must match except in dimension 0");
  check_same_gist("cat_err.sizes", sizes, "xpected size 3 but got size 4 for tensor number 1 in the list");
  check_same_gist("cat_err.ndim", s([&] { cat({a, x}, 0); }), "same number of dimensions: got 2 and 3");
  check_same_gist("cat_err.zero_dim", s([] { cat({tensor<float>(1.0f), tensor<float>(2.0f)}); }),
                  "zero-dimensional tensor (at position 0) cannot be concatenated");
  check_same_gist("cat_err.dim_range", s([&] { cat({a, a}, 2); }),
                  "imension out of range (expected to be in range of [-2, 1], but got 2)");
  check_same_gist("stack_err.empty", s([] { stack(std::vector<Tensor<float>>{}); }), "non-empty");
  check_same_gist("stack_err.sizes", s([&] { stack({a, b}); }),
                  "expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1");
  check_same_gist("stack_err.dim_range", s([&] { stack({a, a}, 3); }),
                  "imension out of range (expected to be in range of [-3, 2], but got 3)");
  CHECK_THROWS_AS(cat({a, b}, 0), ShapeError);
  CHECK_THROWS_AS(cat({a, a}, 2), IndexError);
}

// Note [Cat backward]: 7 inputs take a tree of nodes (a node has 3 edges).
TEST_CASE("cat: gradients of 1 to 7 inputs as PyTorch's, through the tree of backward nodes") {
  std::vector<Tensor<float>> parts;
  for (int i = 0; i < 7; ++i) parts.push_back(full<float>({i % 3 + 1, 2}, static_cast<float>(i)).requires_grad_());
  const auto y = cat(parts, 0);
  (y * arange<float>(0, static_cast<double>(y.numel())).view(y.sizes())).sum().backward();
  for (int i = 0; i < 7; ++i) {
    CAPTURE(i);
    const auto& want = vref("cat_grad." + std::to_string(i));
    REQUIRE(parts[static_cast<size_t>(i)].grad().defined());
    CHECK(parts[static_cast<size_t>(i)].grad().sizes() == ref_shape(want));
    CHECK(parts[static_cast<size_t>(i)].grad().to_vector() == want.as<float>());
  }
  // every count from 1 to 7, along dim 1
  for (size_t n = 1; n <= 7; ++n) {
    CAPTURE(n);
    std::vector<Tensor<double>> in;
    for (size_t i = 0; i < n; ++i) in.push_back(randn<double>({2, static_cast<int64_t>(i % 2 + 1)}).requires_grad_());
    const auto r = gradcheck([](const std::vector<Tensor<double>>& v) { return cat(v, 1); }, in);
    CHECK_MESSAGE(r.ok, r.message);
  }
  // inputs that do not require grad get none; the others theirs
  const auto p = ones<float>({1, 2}).requires_grad_(), q = ones<float>({2, 2}), e = zeros<float>({0}).requires_grad_();
  const auto r = full<float>({1, 2}, 2.0f).requires_grad_();
  (cat({p, q, e, r, p}) * arange<float>(0, 10).view({5, 2})).sum().backward();
  CHECK_FALSE(q.grad().defined());
  REQUIRE(e.grad().defined());  // an empty 1-D tensor is left out, and gets a [0] gradient (as PyTorch)
  CHECK(e.grad().sizes() == Shape{0});
  CHECK(p.grad().to_vector() == values<float>({0 + 8, 1 + 9}));  // rows 0 and 4
  CHECK(r.grad().to_vector() == values<float>({6, 7}));
}

TEST_CASE("stack: gradients flow back to every input") {
  const auto a = randn<double>({2, 3}).requires_grad_(), b = randn<double>({2, 3}).requires_grad_();
  for (int64_t d : {0, 1, 2, -1}) {
    CAPTURE(d);
    const auto r = gradcheck([d](const std::vector<Tensor<double>>& v) { return stack(v, d); },
                             std::vector<Tensor<double>>{a, b});
    CHECK_MESSAGE(r.ok, r.message);
  }
}
