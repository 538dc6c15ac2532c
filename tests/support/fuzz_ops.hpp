#pragma once
// The C++ side of the fuzz op table (tools/fuzz_ops.py): one registry entry
// per row of fuzz="ops", name -> the tapegrad call, which
// tests/ops/fuzz_ops_test.cpp runs for every case of tests/reference/fuzz_ops.txt.
//
// Adding an op to the fuzzer is one row in tools/fuzz_ops.py and one line
// here, then `/usr/bin/python3 tools/gen_fuzz_ops.py`. The names must match
// the table's: `tools/gen_fuzz_ops.py --check` and the test "fuzz ops: the
// registry holds exactly the table's ops" fail when they do not.
//
// Note [One registry for all dtypes]: an entry is a generic lambda over the
// inputs, stored once per dtype the fuzzer uses (float, double, int64_t) by
// registry<T>(). Rows fuzzed in floating dtypes only are wrapped in
// `floating`, so that the int64_t registry does not instantiate a call
// tapegrad refuses at compile time (a static_assert, as PyTorch refuses it
// at run time); the generator never asks for those.
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <tuple>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/tensor_check.hpp"

namespace tapegrad_test::fuzz {

namespace tg = tapegrad;

/// A case's params: the key=value words of its `.op` record, typed.
struct Params {
  const OpCase& c;
  std::string str(const std::string& k) const { return c.get(k); }
  int64_t i(const std::string& k) const { return to_int(c.get(k)); }
  double d(const std::string& k) const { return to_double(c.get(k)); }
  bool b(const std::string& k) const { return c.get(k) == "1"; }
  std::optional<double> opt(const std::string& k) const {
    return c.get(k) == "none" ? std::nullopt : std::optional<double>(d(k));
  }
  tg::Shape dims(const std::string& k) const {
    tg::Shape out;
    if (!c.get(k).empty())
      for (const std::string& v : split(c.get(k), ',')) out.push_back(to_int(v));
    return out;
  }
};

/// An op's outputs, in the order of the row's `outs`.
using Outs = std::vector<AnyTensor>;
template <class T>
using OpFn = std::function<Outs(const std::vector<tg::Tensor<T>>& x, const Params& p)>;

template <class... Ts>
Outs outs(const Ts&... t) { return Outs{AnyTensor(t)...}; }
template <class T>
Outs outs(const tg::ValuesIndices<T>& r) { return outs(r.values, r.indices); }
template <class A, class B>
Outs outs(const std::tuple<A, B>& r) { return outs(std::get<0>(r), std::get<1>(r)); }

/// f as the entry of a row fuzzed in floating dtypes only (Note [One registry for all dtypes]).
template <class T, class F>
OpFn<T> floating(F f) {
  if constexpr (tg::FloatingElement<T>) return f;
  else return [](const std::vector<tg::Tensor<T>>&, const Params&) -> Outs {
    throw std::logic_error("fuzz table: a floating-only op asked for an integer dtype");
  };
}

/// The registry: row name -> the tapegrad call, x the inputs (laid out), p the params.
template <class T>
const std::map<std::string, OpFn<T>>& registry() {
  static const std::map<std::string, OpFn<T>> r = {
      // [fuzz registry ops]
      {"div_rounding", [](const auto& x, const Params& p) { return outs(tg::div(x[0], x[1], p.str("mode"))); }},
      {"floor_divide", [](const auto& x, const Params&) { return outs(tg::floor_divide(x[0], x[1])); }},
      {"remainder", [](const auto& x, const Params&) { return outs(tg::remainder(x[0], x[1])); }},
      {"fmod", [](const auto& x, const Params&) { return outs(tg::fmod(x[0], x[1])); }},
      {"copysign", floating<T>([](const auto& x, const Params&) { return outs(tg::copysign(x[0], x[1])); })},
      {"lerp_scalar", floating<T>([](const auto& x, const Params& p) { return outs(tg::lerp(x[0], x[1], p.d("weight"))); })},
      {"lerp", floating<T>([](const auto& x, const Params&) { return outs(tg::lerp(x[0], x[1], x[2])); })},
      {"addcmul", floating<T>([](const auto& x, const Params& p) { return outs(tg::addcmul(x[0], x[1], x[2], p.d("value"))); })},
      {"addcdiv", floating<T>([](const auto& x, const Params& p) { return outs(tg::addcdiv(x[0], x[1], x[2], p.d("value"))); })},
      {"floor", [](const auto& x, const Params&) { return outs(tg::floor(x[0])); }},
      {"ceil", [](const auto& x, const Params&) { return outs(tg::ceil(x[0])); }},
      {"trunc", [](const auto& x, const Params&) { return outs(tg::trunc(x[0])); }},
      {"frac", floating<T>([](const auto& x, const Params&) { return outs(tg::frac(x[0])); })},
      {"round", floating<T>([](const auto& x, const Params& p) { return outs(tg::round(x[0], p.i("decimals"))); })},
      {"sign", [](const auto& x, const Params&) { return outs(tg::sign(x[0])); }},
      {"nan_to_num", floating<T>([](const auto& x, const Params& p) {
         return outs(tg::nan_to_num(x[0], p.d("nan"), p.opt("posinf"), p.opt("neginf")));
       })},
      {"sort", [](const auto& x, const Params& p) { return outs(tg::sort(x[0], p.i("dim"), p.b("descending"), true)); }},
      {"argsort", [](const auto& x, const Params& p) { return outs(tg::argsort(x[0], p.i("dim"), p.b("descending"), true)); }},
      {"topk", [](const auto& x, const Params& p) {
         return outs(tg::topk(x[0], p.i("k"), p.i("dim"), p.b("largest")).values);
       }},
      {"cumsum", [](const auto& x, const Params& p) { return outs(tg::cumsum(x[0], p.i("dim"))); }},
      {"cumprod", [](const auto& x, const Params& p) { return outs(tg::cumprod(x[0], p.i("dim"))); }},
      {"cummax", [](const auto& x, const Params& p) { return outs(tg::cummax(x[0], p.i("dim"))); }},
      {"cummin", [](const auto& x, const Params& p) { return outs(tg::cummin(x[0], p.i("dim"))); }},
      {"logcumsumexp", floating<T>([](const auto& x, const Params& p) { return outs(tg::logcumsumexp(x[0], p.i("dim"))); })},
      {"amax", [](const auto& x, const Params& p) { return outs(tg::amax(x[0], p.dims("dims"), p.b("keepdim"))); }},
      {"amin", [](const auto& x, const Params& p) { return outs(tg::amin(x[0], p.dims("dims"), p.b("keepdim"))); }},
      {"logsumexp_dims", floating<T>([](const auto& x, const Params& p) {
         return outs(tg::logsumexp(x[0], p.dims("dims"), p.b("keepdim")));
       })},
      {"nansum", [](const auto& x, const Params& p) { return outs(tg::nansum(x[0], p.dims("dims"), p.b("keepdim"))); }},
      {"nanmean", floating<T>([](const auto& x, const Params& p) { return outs(tg::nanmean(x[0], p.dims("dims"), p.b("keepdim"))); })},
      {"var_mean", floating<T>([](const auto& x, const Params& p) {
         return outs(tg::var_mean(x[0], p.dims("dims"), p.i("correction"), p.b("keepdim")));
       })},
      {"std_mean", floating<T>([](const auto& x, const Params& p) {
         return outs(tg::std_mean(x[0], p.dims("dims"), p.i("correction"), p.b("keepdim")));
       })},
      {"vector_norm", floating<T>([](const auto& x, const Params& p) {
         return outs(tg::linalg::vector_norm(x[0], p.d("ord"), p.dims("dims"), p.b("keepdim")));
       })},
      {"norm", floating<T>([](const auto& x, const Params& p) { return outs(tg::norm(x[0], p.d("p"), p.dims("dims"), p.b("keepdim"))); })},
      // [end fuzz registry]
  };
  return r;
}

}  // namespace tapegrad_test::fuzz
