// Randomised differential test of tapegrad's gradients against torch.autograd
// (PyTorch 1.13): replays every program of tests/reference/fuzz_autograd.txt
// (random expression graphs of elementwise ops, reductions, the matmul family
// and views, and curated corner cases: kinks, ties, domain edges, retained
// intermediates, two backward passes) and of tests/reference/fuzz_nn.txt (nn
// functional losses and layers), both written by tools/gen_fuzz_autograd.py,
// whose docstring defines the program language.
//
// Each program runs through a small interpreter over type-erased values
// (float, double, and the bool/int64 inputs of where and the losses), so no
// code is instantiated per case: every op is instantiated for float and
// double once (add, sub, mul, div also for the two mixed pairs). For every
// case the output's dtype, shape and values, and the gradient of every leaf
// that requires grad and of every retained intermediate (or its absence,
// where PyTorch's .grad is None) must match PyTorch's; where PyTorch raised
// (a tensor saved for backward changed in place, a second backward through
// freed values, a class weight that requires grad) tapegrad must throw a
// tapegrad::Error.
//
// Tolerance: |got - want| <= rtol * (|want| + max |want| over the record),
// rtol 1e-10 for float64 cases and 1e-4 for cases with any float32 tensor
// (the record's max taken as at least 1 % of min(1, the case's largest value),
// for gradients that cancel to 0);
// NaN exactly where PyTorch has NaN, the same infinities. The generator keeps
// values computed by inexact ops away from kinks and domain edges and drops
// ill-conditioned cases, so a mismatch is a difference in semantics.
//
// Cases labelled bug=<label> hit a bug this fuzzer found, fixed since (the generator's
// known_bug() and curated cases name them); they run in the last test case
// (one of them crashed) and a failure names the label.
// Regenerate the files with: /usr/bin/python3 tools/gen_fuzz_autograd.py
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

using tapegrad_test::split;
using tapegrad_test::words;
using tapegrad_test::to_int;
using tapegrad_test::to_double;

namespace tg = tapegrad;
namespace F = tapegrad::nn::functional;
using tapegrad_test::RefTensor;

using Val = std::variant<tg::Tensor<float>, tg::Tensor<double>, tg::Tensor<bool>, tg::Tensor<int64_t>>;

// ---- parsing -----------------------------------------------------------------------------

tg::Shape to_shape(const std::string& s) {  // "2,-1,3"; "" is []
  tg::Shape out;
  if (s.empty()) return out;
  for (const auto& p : split(s, ',')) out.push_back(to_int(p));
  return out;
}

std::optional<int64_t> opt_int(const std::string& s) {
  return s == "_" ? std::nullopt : std::optional<int64_t>(to_int(s));
}

std::optional<double> opt_num(const std::string& s) {
  return s == "none" ? std::nullopt : std::optional<double>(to_double(s));
}

// One statement: `leaf <name> <view> <rg>` or `<op> %i %j ... key=value ...`.
struct Stmt {
  std::string op;
  std::vector<size_t> args;        // %i operands
  std::vector<std::string> words;  // other positional words (leaf name, view, rg)
  std::map<std::string, std::string> kv;
  std::string text;
  bool has(const std::string& k) const { return kv.count(k) != 0; }
  const std::string& get(const std::string& k) const {
    auto it = kv.find(k);
    if (it == kv.end()) throw std::runtime_error("fuzz program: no '" + k + "' in '" + text + "'");
    return it->second;
  }
  int64_t i(const std::string& k) const { return to_int(get(k)); }
  double d(const std::string& k) const { return to_double(get(k)); }
  bool flag(const std::string& k) const { return has(k) && get(k) == "1"; }
};

Stmt parse_stmt(const std::string& line) {
  Stmt s;
  s.text = line;
  const auto w = words(line);
  if (w.empty()) throw std::runtime_error("fuzz program: empty statement");
  s.op = w[0];
  for (size_t k = 1; k < w.size(); ++k) {
    if (w[k][0] == '%') {
      s.args.push_back(static_cast<size_t>(to_int(w[k].substr(1))));
    } else if (auto eq = w[k].find('='); eq != std::string::npos) {
      s.kv[w[k].substr(0, eq)] = w[k].substr(eq + 1);
    } else {
      s.words.push_back(w[k]);
    }
  }
  return s;
}

// ---- values ------------------------------------------------------------------------------
template <class T>
const tg::Tensor<T>& as(const Val& v, const Stmt& s) {
  if (const auto* p = std::get_if<tg::Tensor<T>>(&v)) return *p;
  throw std::runtime_error("fuzz program: operand of unexpected dtype in '" + s.text + "'");
}

// f(tensor) for a float or double value.
template <class Fn>
Val on_float(const Val& v, const Stmt& s, Fn&& fn) {
  if (const auto* p = std::get_if<tg::Tensor<float>>(&v)) return fn(*p);
  if (const auto* p = std::get_if<tg::Tensor<double>>(&v)) return fn(*p);
  throw std::runtime_error("fuzz program: expected a floating operand in '" + s.text + "'");
}

Val load_leaf(const RefTensor& r, const std::string& view, bool rg) {
  if (r.dtype == "float32") {
    auto t = tapegrad_test::laid_out<float>(r, view);
    if (rg) t.requires_grad_();
    return t;
  }
  if (r.dtype == "float64") {
    auto t = tapegrad_test::laid_out<double>(r, view);
    if (rg) t.requires_grad_();
    return t;
  }
  if (rg) throw std::runtime_error("fuzz program: a " + r.dtype + " leaf cannot require grad");
  if (r.dtype == "bool") return tapegrad_test::laid_out<bool>(r, view);
  if (r.dtype == "int64") return tapegrad_test::laid_out<int64_t>(r, view);
  throw std::runtime_error("fuzz program: unexpected leaf dtype " + r.dtype);
}

tg::nn::Reduction reduction(const Stmt& s) {
  const std::string& r = s.get("red");
  if (r == "mean") return tg::nn::Reduction::mean;
  if (r == "sum") return tg::nn::Reduction::sum;
  if (r == "none") return tg::nn::Reduction::none;
  throw std::runtime_error("fuzz program: unknown reduction " + r);
}

// cross_entropy (ce) or nll_loss of logits x, target operand 1, weight operand 2 when w=1.
template <class T>
Val loss_ce_nll(const Stmt& s, const std::vector<Val>& vals, const tg::Tensor<T>& x, bool ce) {
  tg::nn::CrossEntropyOptions<T> o;
  o.reduction = reduction(s);
  o.ignore_index = s.i("ignore");
  if (s.flag("w")) o.weight = as<T>(vals.at(s.args.at(2)), s);
  const auto& target = as<int64_t>(vals.at(s.args.at(1)), s);
  if (!ce) return F::nll_loss(x, target, o);
  o.label_smoothing = s.d("ls");
  return F::cross_entropy(x, target, o);
}

// ---- the registry (Note [Fuzz registries]) ---------------------------------------------
using Vals = std::vector<Val>;
template <class T>
using OpFn = Val (*)(const Stmt& s, const Vals& vals, const tg::Tensor<T>& x);

// Operand k of s as a tensor of dtype T.
template <class T>
const tg::Tensor<T>& arg(const Stmt& s, const Vals& vals, size_t k) { return as<T>(vals.at(s.args.at(k)), s); }

template <class T>
std::vector<tg::Tensor<T>> operands(const Stmt& s, const Vals& vals) {
  std::vector<tg::Tensor<T>> out;
  for (size_t a : s.args) out.push_back(as<T>(vals.at(a), s));
  return out;
}

// f(x, s) with the statement's scalar: int64_t (st=int) or double.
template <class T, class F>
Val with_scalar(const Stmt& s, const tg::Tensor<T>& x, F f) {
  if (s.get("st") == "int") return f(x, static_cast<int64_t>(s.i("s")));
  return f(x, s.d("s"));
}

// f(x, y), y operand 1 of either floating dtype (the mixed pairs of + - * /).
template <class T, class F>
Val mixed(const Stmt& s, const Vals& vals, const tg::Tensor<T>& x, F f) {
  return on_float(vals.at(s.args.at(1)), s, [&](const auto& y) -> Val { return f(x, y); });
}

// The dims= / dim= / neither forms of sum, mean, var and std.
template <class T, class Dims, class Dim, class All>
Val over(const Stmt& s, const tg::Tensor<T>& x, Dims dims, Dim dim, All all) {
  if (s.has("dims")) return dims(x, to_shape(s.get("dims")), s.flag("keep"));
  if (s.has("dim")) return dim(x, s.i("dim"), s.flag("keep"));
  return all(x);
}

// op name -> the tapegrad call; x is the statement's first floating operand
// (operand 0, or 1 for where/wheres, whose operand 0 is the condition).
template <class T>
tapegrad_test::Registry<OpFn<T>> registry() {
  using X = tg::Tensor<T>;
  using S = const Stmt&;
  using V = const Vals&;
  static constexpr tapegrad_test::Entry<OpFn<T>> r[] = {
      // [fuzz registry autograd: unary scalar binary compare where reduce matmul view nn other]
      {"neg", [](S, V, const X& x) -> Val { return -x; }},
      {"exp", [](S, V, const X& x) -> Val { return x.exp(); }},
      {"log", [](S, V, const X& x) -> Val { return tg::log(x); }},
      {"log1p", [](S, V, const X& x) -> Val { return x.log1p(); }},
      {"sqrt", [](S, V, const X& x) -> Val { return tg::sqrt(x); }},
      {"rsqrt", [](S, V, const X& x) -> Val { return x.rsqrt(); }},
      {"abs", [](S, V, const X& x) -> Val { return x.abs(); }},
      {"sigmoid", [](S, V, const X& x) -> Val { return tg::sigmoid(x); }},
      {"tanh", [](S, V, const X& x) -> Val { return x.tanh(); }},
      {"relu", [](S, V, const X& x) -> Val { return x.relu(); }},
      {"clamp", [](S s, V, const X& x) -> Val { return x.clamp(opt_num(s.get("lo")), opt_num(s.get("hi"))); }},
      {"contiguous", [](S, V, const X& x) -> Val { return x.contiguous(); }},
      {"clone", [](S, V, const X& x) -> Val { return x.clone(); }},
      {"to", [](S s, V, const X& x) -> Val {
         if (s.get("dt") == "f32") return x.template to<float>();
         return x.template to<double>();
       }},
      {"sadd", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return t + v; }); }},
      {"ssub", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return t - v; }); }},
      {"smul", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return t * v; }); }},
      {"sdiv", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return t / v; }); }},
      {"rsub", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return v - t; }); }},
      {"rdiv", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return v / t; }); }},
      {"spow", [](S s, V, const X& x) -> Val { return with_scalar(s, x, [](const X& t, auto v) -> Val { return t.pow(v); }); }},
      {"add", [](S s, V v, const X& x) -> Val { return mixed(s, v, x, [](const X& a, const auto& b) -> Val { return a + b; }); }},
      {"sub", [](S s, V v, const X& x) -> Val { return mixed(s, v, x, [](const X& a, const auto& b) -> Val { return a - b; }); }},
      {"mul", [](S s, V v, const X& x) -> Val { return mixed(s, v, x, [](const X& a, const auto& b) -> Val { return tg::mul(a, b); }); }},
      {"div", [](S s, V v, const X& x) -> Val { return mixed(s, v, x, [](const X& a, const auto& b) -> Val { return a / b; }); }},
      {"pow", [](S s, V v, const X& x) -> Val { return tg::pow(x, arg<T>(s, v, 1)); }},
      {"maximum", [](S s, V v, const X& x) -> Val { return tg::maximum(x, arg<T>(s, v, 1)); }},
      {"minimum", [](S s, V v, const X& x) -> Val { return x.minimum(arg<T>(s, v, 1)); }},
      {"gt", [](S s, V v, const X& x) -> Val { return x > arg<T>(s, v, 1); }},
      {"lt", [](S s, V v, const X& x) -> Val { return x < arg<T>(s, v, 1); }},
      {"ge", [](S s, V v, const X& x) -> Val { return tg::ge(x, arg<T>(s, v, 1)); }},
      {"le", [](S s, V v, const X& x) -> Val { return x <= arg<T>(s, v, 1); }},
      {"where", [](S s, V v, const X& x) -> Val { return tg::where(as<bool>(v.at(s.args.at(0)), s), x, arg<T>(s, v, 2)); }},
      {"wheres", [](S s, V v, const X& x) -> Val {
         const auto& cond = as<bool>(v.at(s.args.at(0)), s);
         return s.get("side") == "l" ? tg::where(cond, x, s.d("s")) : tg::where(cond, s.d("s"), x);
       }},
      {"sum", [](S s, V, const X& x) -> Val {
         return over(s, x, [](const X& t, const tg::Shape& d, bool k) { return tg::sum(t, d, k); },
                     [](const X& t, int64_t d, bool k) { return t.sum(d, k); }, [](const X& t) { return t.sum(); });
       }},
      {"mean", [](S s, V, const X& x) -> Val {
         return over(s, x, [](const X& t, const tg::Shape& d, bool k) { return tg::mean(t, d, k); },
                     [](const X& t, int64_t d, bool k) { return t.mean(d, k); }, [](const X& t) { return tg::mean(t); });
       }},
      {"prod", [](S s, V, const X& x) -> Val { return s.has("dim") ? x.prod(s.i("dim"), s.flag("keep")) : tg::prod(x); }},
      {"max", [](S s, V, const X& x) -> Val { return s.has("dim") ? x.max(s.i("dim"), s.flag("keep")).values : x.max(); }},
      {"min", [](S s, V, const X& x) -> Val {
         return s.has("dim") ? tg::min(x, s.i("dim"), s.flag("keep")).values : tg::min(x);
       }},
      {"var", [](S s, V, const X& x) -> Val {
         const int64_t c = s.i("corr");
         return over(s, x, [c](const X& t, const tg::Shape& d, bool k) { return tg::var(t, d, c, k); },
                     [c](const X& t, int64_t d, bool k) { return t.var(d, c, k); }, [c](const X& t) { return t.var(c); });
       }},
      {"std", [](S s, V, const X& x) -> Val {
         const int64_t c = s.i("corr");
         return over(s, x, [c](const X& t, const tg::Shape& d, bool k) { return tg::std(t, d, c, k); },
                     [c](const X& t, int64_t d, bool k) { return t.std(d, c, k); }, [c](const X& t) { return t.std(c); });
       }},
      {"logsumexp", [](S s, V, const X& x) -> Val { return x.logsumexp(s.i("dim"), s.flag("keep")); }},
      {"softmax", [](S s, V, const X& x) -> Val { return tg::softmax(x, s.i("dim")); }},
      {"log_softmax", [](S s, V, const X& x) -> Val { return x.log_softmax(s.i("dim")); }},
      {"matmul", [](S s, V v, const X& x) -> Val { return tg::matmul(x, arg<T>(s, v, 1)); }},
      {"mm", [](S s, V v, const X& x) -> Val { return x.mm(arg<T>(s, v, 1)); }},
      {"mv", [](S s, V v, const X& x) -> Val { return tg::mv(x, arg<T>(s, v, 1)); }},
      {"dot", [](S s, V v, const X& x) -> Val { return x.dot(arg<T>(s, v, 1)); }},
      {"bmm", [](S s, V v, const X& x) -> Val { return tg::bmm(x, arg<T>(s, v, 1)); }},
      {"outer", [](S s, V v, const X& x) -> Val { return tg::outer(x, arg<T>(s, v, 1)); }},
      {"addmm", [](S s, V v, const X& x) -> Val {
         return tg::addmm(x, arg<T>(s, v, 1), arg<T>(s, v, 2), s.d("beta"), s.d("alpha"));
       }},
      {"view", [](S s, V, const X& x) -> Val { return x.view(to_shape(s.get("shape"))); }},
      {"reshape", [](S s, V, const X& x) -> Val { return x.reshape(to_shape(s.get("shape"))); }},
      {"expand", [](S s, V, const X& x) -> Val { return x.expand(to_shape(s.get("shape"))); }},
      {"flatten", [](S s, V, const X& x) -> Val { return x.flatten(s.i("start"), s.i("end")); }},
      {"unsqueeze", [](S s, V, const X& x) -> Val { return x.unsqueeze(s.i("dim")); }},
      {"squeeze", [](S s, V, const X& x) -> Val { return s.has("dim") ? x.squeeze(s.i("dim")) : x.squeeze(); }},
      {"transpose", [](S s, V, const X& x) -> Val { return x.transpose(s.i("d0"), s.i("d1")); }},
      {"t", [](S, V, const X& x) -> Val { return x.t(); }},
      {"permute", [](S s, V, const X& x) -> Val { return x.permute(to_shape(s.get("dims"))); }},
      {"narrow", [](S s, V, const X& x) -> Val { return x.narrow(s.i("dim"), s.i("start"), s.i("len")); }},
      {"select", [](S s, V, const X& x) -> Val { return x.select(s.i("dim"), s.i("index")); }},
      {"slice", [](S s, V, const X& x) -> Val {
         return x.slice(s.i("dim"), opt_int(s.get("start")), opt_int(s.get("end")), s.i("step"));
       }},
      {"cat", [](S s, V v, const X&) -> Val { return tg::cat(operands<T>(s, v), s.i("dim")); }},
      {"stack", [](S s, V v, const X&) -> Val { return tg::stack(operands<T>(s, v), s.i("dim")); }},
      {"ce", [](S s, V v, const X& x) -> Val { return loss_ce_nll(s, v, x, true); }},
      {"nll", [](S s, V v, const X& x) -> Val { return loss_ce_nll(s, v, x, false); }},
      {"mse", [](S s, V v, const X& x) -> Val { return F::mse_loss(x, arg<T>(s, v, 1), reduction(s)); }},
      {"bce", [](S s, V v, const X& x) -> Val {
         return F::binary_cross_entropy(x, arg<T>(s, v, 1), s.flag("w") ? arg<T>(s, v, 2) : X(), reduction(s));
       }},
      {"bcel", [](S s, V v, const X& x) -> Val {
         size_t k = 2;
         X w, pw;
         if (s.flag("w")) w = arg<T>(s, v, k++);
         if (s.flag("pw")) pw = arg<T>(s, v, k++);
         return F::binary_cross_entropy_with_logits(x, arg<T>(s, v, 1), w, pw, reduction(s));
       }},
      {"linear", [](S s, V v, const X& x) -> Val {
         return F::linear(x, arg<T>(s, v, 1), s.args.size() > 2 ? arg<T>(s, v, 2) : X());
       }},
      {"dropout", [](S s, V, const X& x) -> Val { return F::dropout(x, s.d("p"), s.flag("train")); }},
      {"detach", [](S, V, const X& x) -> Val { return x.detach(); }},
      {"iadd", [](S s, V, const X& x) -> Val { return x.add_(s.d("s")); }},
      // [end fuzz registry]
  };
  return r;
}

Val eval(const Stmt& s, const Vals& vals) {
  for (size_t a : s.args)
    if (a >= vals.size()) throw std::runtime_error("fuzz program: operand out of range in '" + s.text + "'");
  const size_t first = s.op == "where" || s.op == "wheres" ? 1 : 0;
  return on_float(vals.at(s.args.at(first)), s, [&](const auto& x) -> Val {
    using T = typename std::decay_t<decltype(x)>::value_type;
    return tapegrad_test::lookup(registry<T>(), s.op, "fuzz autograd")(s, vals, x);
  });
}

// ---- running a case ------------------------------------------------------------------------
struct Case {
  std::string file, name, head_text, program;
  std::map<std::string, std::string> head;  // mode=, prec=, bug=
  std::vector<Stmt> stmts;
  std::string bug() const {
    auto it = head.find("bug");
    return it == head.end() ? "" : it->second;
  }
  bool f32() const { return head.at("prec") == "f32"; }
  const RefTensor& rec(const std::string& suffix) const { return tapegrad_test::ref(file, name + "." + suffix); }
  bool has(const std::string& suffix) const { return tapegrad_test::has_ref(file, name + "." + suffix); }
};

struct Run {
  std::map<std::string, std::pair<Val, bool>> leaves;  // name -> (tensor, requires grad)
  std::vector<Val> vals;
  std::vector<size_t> retained;
};

void build(const Case& c, Run& run) {
  run.vals.clear();
  run.retained.clear();
  for (const Stmt& s : c.stmts) {
    if (s.op == "leaf") {
      const std::string& name = s.words.at(0);
      if (!run.leaves.count(name)) {
        const bool rg = s.words.at(2) == "1";
        run.leaves.emplace(name, std::make_pair(load_leaf(c.rec(name), s.words.at(1), rg), rg));
      }
      run.vals.push_back(run.leaves.at(name).first);
      continue;
    }
    run.vals.push_back(eval(s, run.vals));
    if (s.flag("retain")) {
      on_float(run.vals.back(), s, [](const auto& t) -> Val { return t.retain_grad(); });
      run.retained.push_back(run.vals.size() - 1);
    }
  }
  if (run.vals.empty()) throw std::runtime_error("fuzz program: no statements");
}

// (out * w).sum().backward(retain) (`twice`: the same loss backward twice,
// the first time with `retain`), or out.backward(w) when `gradarg`.
void backprop(const Case& c, const Val& out, const std::string& w, bool retain, bool gradarg, bool twice = false) {
  const Stmt none;
  on_float(out, none, [&](const auto& o) -> Val {
    using T = typename std::decay_t<decltype(o)>::value_type;
    const auto wt = tapegrad_test::load<T>(c.file, c.name + "." + w);
    if (gradarg) {
      o.backward(wt, retain);
    } else {
      const auto loss = (o * wt).sum();
      loss.backward({}, retain);
      if (twice) loss.backward();
    }
    return o;
  });
}

// |got - want| <= rtol (|want| + scale), scale = max |want| over the record,
// but at least `floor`; NaN where want is NaN, the same infinities.
template <class T>
std::string compare(const tg::Tensor<T>& got, const RefTensor& want, double rtol, double floor) {
  std::ostringstream os;
  os.precision(12);
  if (!got.defined()) return "undefined where PyTorch has a tensor of shape " + [&] {
    std::ostringstream s;
    s << tapegrad_test::shape_of(want);
    return s.str();
  }();
  if (tg::dtype_name<T>() != want.dtype) os << "dtype " << tg::dtype_name<T>() << " != PyTorch's " << want.dtype << "; ";
  if (!(got.sizes() == tapegrad_test::shape_of(want))) {
    os << "shape " << got.sizes() << " != PyTorch's " << tapegrad_test::shape_of(want);
    return os.str();
  }
  os << tapegrad_test::tolerance_mismatches(got, want, rtol, floor, 4);
  return os.str();
}

std::string compare_val(const Val& v, const RefTensor& want, double rtol, double floor) {
  if (const auto* p = std::get_if<tg::Tensor<float>>(&v)) return compare(*p, want, rtol, floor);
  if (const auto* p = std::get_if<tg::Tensor<double>>(&v)) return compare(*p, want, rtol, floor);
  return "the value is not floating";
}

// The gradient of a floating value (undefined: no gradient) for comparison.
std::string check_grad(const Val& v, const Case& c, const std::string& suffix, double rtol, double floor,
                       const std::string& what) {
  bool defined = false;
  std::string mm;
  if (const auto* p = std::get_if<tg::Tensor<float>>(&v)) {
    defined = p->grad().defined();
    if (c.has(suffix)) mm = compare(p->grad(), c.rec(suffix), rtol, floor);
  } else if (const auto* q = std::get_if<tg::Tensor<double>>(&v)) {
    defined = q->grad().defined();
    if (c.has(suffix)) mm = compare(q->grad(), c.rec(suffix), rtol, floor);
  } else {
    return what + ": not floating; ";
  }
  if (!c.has(suffix)) return defined ? what + ": has a grad where PyTorch's is None; " : "";
  return mm.empty() ? "" : what + ": " + mm;
}

// Empty when tapegrad agrees with PyTorch on the case, else what differs.
std::string run_case(const Case& c) {
  const double rtol = c.f32() ? 1e-4 : 1e-10;
  const std::string mode = c.head.at("mode");
  Run run;
  try {
    build(c, run);
    if (mode == "sumw") {
      backprop(c, run.vals.back(), "w1", false, false);
    } else if (mode == "gradarg") {
      backprop(c, run.vals.back(), "w1", false, true);
    } else if (mode == "twice_retain") {
      backprop(c, run.vals.back(), "w1", true, false);
      backprop(c, run.vals.back(), "w2", false, false);
    } else if (mode == "twice_rebuild") {
      backprop(c, run.vals.back(), "w1", false, false);
      build(c, run);
      backprop(c, run.vals.back(), "w2", false, false);
    } else if (mode == "twice_noretain") {
      backprop(c, run.vals.back(), "w1", false, false, true);
    } else {
      throw std::runtime_error("fuzz program: unknown mode " + mode);
    }
  } catch (const tg::Error& e) {
    if (c.has("err")) return "";
    return std::string("tapegrad threw where PyTorch gives values: ") + e.what();
  }
  if (c.has("err")) return "PyTorch raised (" + c.rec("err").text + ") but tapegrad did not throw";
  // A record's scale is at least 1 % of min(1, the largest magnitude of the
  // case's inputs and expected values): a gradient that cancels to 0 in
  // PyTorch may be left with a rounding residue of its terms' size here
  // (d(x / x)/dx = 1/x - x/x^2 gave 1.1e-16).
  double case_scale = 0;
  const auto& records = tapegrad_test::ref_file(c.file);
  for (auto it = records.lower_bound(c.name + "."); it != records.end(); ++it) {
    const auto& entry = *it;
    if (entry.first.rfind(c.name + ".", 0) != 0) break;
    for (double w : entry.second.values)
      if (std::isfinite(w)) case_scale = std::max(case_scale, std::abs(w));
  }
  const double floor = 0.01 * std::min(case_scale, 1.0);
  std::string out;
  const std::string o = compare_val(run.vals.back(), c.rec("out"), rtol, floor);
  if (!o.empty()) out += "out: " + o;
  for (const auto& [name, leaf] : run.leaves)
    if (leaf.second) out += check_grad(leaf.first, c, "g." + name, rtol, floor, "grad of leaf " + name);
  for (size_t k : run.retained)
    // std::string(...) + ...: "lit" + string&& trips GCC 12's -Wrestrict on aarch64 (bug 105329)
    out += check_grad(run.vals[k], c, std::string("r") + std::to_string(k), rtol, floor,
                      std::string("retained grad of %") + std::to_string(k));
  return out;
}

std::vector<Case> cases_of(const std::string& file, const std::string& prefix) {
  std::vector<Case> out;
  const std::string suffix = ".prog";
  for (const auto& entry : tapegrad_test::ref_file(file)) {
    const std::string& rname = entry.first;
    if (rname.rfind(prefix, 0) != 0 || rname.size() <= suffix.size() ||
        rname.compare(rname.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    Case c;
    c.file = file;
    c.name = rname.substr(0, rname.size() - suffix.size());
    c.program = entry.second.text;
    const auto lines = split(c.program, '\n');
    c.head_text = lines.at(0);
    const auto head = words(c.head_text);
    if (head.empty() || head[0] != "graph") throw std::runtime_error(c.name + ": bad program head");
    for (size_t k = 1; k < head.size(); ++k) {
      const auto eq = head[k].find('=');
      c.head[head[k].substr(0, eq)] = eq == std::string::npos ? "" : head[k].substr(eq + 1);
    }
    for (size_t k = 1; k < lines.size(); ++k)
      if (!lines[k].empty()) c.stmts.push_back(parse_stmt(lines[k]));
    out.push_back(std::move(c));
  }
  return out;
}

// Runs the cases and reports each mismatch as a failed check naming the case,
// its bug label and what differs; returns how many ran.
size_t run_cases(const std::vector<Case>& cases, const std::string& what) {
  int failed = 0;
  std::map<std::string, int> by_label;
  for (const Case& c : cases) {
    std::string mm;
    try {
      mm = run_case(c);
    } catch (const std::exception& e) {
      mm = std::string("TEST HARNESS: ") + e.what();
    }
    if (mm.empty()) continue;
    ++failed;
    const std::string label = c.bug().empty() ? "unlabelled" : c.bug();
    ++by_label[label];
    FAIL_CHECK(c.name << " [" << label << "] " << mm << "\nprogram:\n" << c.program);
  }
  std::ostringstream summary;
  summary << what << ": " << cases.size() << " cases, " << failed << " mismatches";
  for (const auto& [label, n] : by_label) summary << "; " << label << ": " << n;
  MESSAGE(summary.str());
  return cases.size();
}

// The cases of `file` whose names start with `prefix`, without a bug label.
size_t replay(const std::string& file, const std::string& prefix) {
  std::vector<Case> cases = cases_of(file, prefix);
  cases.erase(std::remove_if(cases.begin(), cases.end(), [](const Case& c) { return !c.bug().empty(); }),
              cases.end());
  return run_cases(cases, file + " " + prefix + "*");
}

}  // namespace

TEST_CASE("fuzz autograd: random expression graphs match torch.autograd") {
  CHECK(replay("fuzz_autograd.txt", "g") >= 400);
}

TEST_CASE("fuzz autograd: curated kinks, ties, edges and accumulation match torch.autograd") {
  CHECK(replay("fuzz_autograd.txt", "k") >= 200);
}

TEST_CASE("fuzz nn: random losses and layers match torch.nn.functional") {
  CHECK(replay("fuzz_nn.txt", "n") >= 380);
}

TEST_CASE("fuzz nn: curated loss corners match torch.nn.functional") {
  CHECK(replay("fuzz_nn.txt", "m") >= 90);
}

// Last, so that a case that crashes (BUG-matmul-backward-empty-k divides by
// zero) cannot hide the results of the others; its cases run at the very end.
TEST_CASE("fuzz autograd and nn: the cases of the bugs this fuzzer found match PyTorch") {
  std::vector<Case> cases;
  for (const char* file : {"fuzz_autograd.txt", "fuzz_nn.txt"})
    for (Case& c : cases_of(file, ""))
      if (!c.bug().empty()) cases.push_back(std::move(c));
  std::stable_partition(cases.begin(), cases.end(),
                        [](const Case& c) { return c.bug() != "BUG-matmul-backward-empty-k"; });
  CHECK(run_cases(cases, "bug-labelled cases") >= 20);
}
