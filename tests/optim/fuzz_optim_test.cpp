// Randomised differential test of the optimizers and lr schedulers against
// torch.optim (PyTorch 1.13, the single-tensor loops): replays every program
// of tests/reference/fuzz_optim.txt (tools/gen_fuzz_autograd.py documents the
// language). Each case builds SGD, Adam or AdamW over 1 to 3 parameters
// (float32 or float64, contiguous or not) with random options (momentum,
// dampening, Nesterov, weight decay, maximize, betas, eps, amsgrad),
// optionally a StepLR or CosineAnnealingLR, then runs a sequence of
// gradient assignments, backward passes that accumulate into .grad,
// zero_grad (zeroing or set_to_none), step() and scheduler.step(). The
// parameters, the optimizer's state (momentum buffer, exp_avg, exp_avg_sq,
// max_exp_avg_sq, step count) and the lr after every scheduler step must
// match PyTorch's.
//
// Tolerance: rtol 1e-10 (float64) / 1e-5 (float32) on |want| + the record's
// largest |want| (at least 1 % of min(1, the case's largest value)): float32 rounds
// differently where PyTorch's vectorised add fuses a multiply-add. The lrs
// are double arithmetic in PyTorch's order: rtol 1e-15.
//
// Compile time: the case runner is instantiated for float and double only.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

using tapegrad_test::words;

namespace tg = tapegrad;
namespace optim = tapegrad::optim;
using tapegrad_test::RefTensor;

const char* const kFile = "fuzz_optim.txt";


std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::map<std::string, std::string> key_values(const std::vector<std::string>& w, size_t from) {
  std::map<std::string, std::string> kv;
  for (size_t k = from; k < w.size(); ++k) {
    const auto eq = w[k].find('=');
    if (eq == std::string::npos) throw std::runtime_error("fuzz program: expected key=value, got '" + w[k] + "'");
    kv[w[k].substr(0, eq)] = w[k].substr(eq + 1);
  }
  return kv;
}

double num(const std::map<std::string, std::string>& kv, const std::string& k) {
  auto it = kv.find(k);
  if (it == kv.end()) throw std::runtime_error("fuzz program: no '" + k + "'");
  return std::strtod(it->second.c_str(), nullptr);
}

bool flag(const std::map<std::string, std::string>& kv, const std::string& k) { return num(kv, k) != 0; }

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }
bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }

// |got - want| <= rtol (|want| + scale), scale the largest |want| of the
// record but at least `floor`; NaN where want is NaN.
template <class T>
std::string compare(const tg::Tensor<T>& got, const RefTensor& want, double rtol, double floor,
                    const std::string& what) {
  if (!got.defined()) return what + ": undefined; ";
  std::ostringstream os;
  os.precision(12);
  if (!(got.sizes() == tapegrad_test::shape_of(want))) {
    os << what << ": shape " << got.sizes() << " != " << tapegrad_test::shape_of(want) << "; ";
    return os.str();
  }
  os << tapegrad_test::tolerance_mismatches(got, want, rtol, floor, 3, what);
  return os.str();
}

// ---- the registries (Note [Fuzz registries]) ----------------------------------------------
using KV = std::map<std::string, std::string>;

// A parameter's optimizer state as PyTorch names it, for the comparison.
template <class T>
struct State {
  std::vector<std::pair<const char*, tg::Tensor<T>>> tensors;  // "buf"; "exp_avg", "exp_avg_sq"[, "max_exp_avg_sq"]
  std::optional<int64_t> step;                                  // Adam's step count
};

// An optimizer of the fuzzer: how to build it from the head's options, and
// the state of its parameter k.
template <class T>
struct OptimizerEntry {
  std::unique_ptr<optim::Optimizer<T>> (*make)(const std::vector<tg::Tensor<T>>& params, const KV& kv);
  State<T> (*state)(const optim::Optimizer<T>& opt, size_t k);
};

template <class T, class Options>
State<T> adam_state(const optim::Optimizer<T>& opt, size_t k) {
  const auto& o = dynamic_cast<const optim::detail::AdamBase<T, Options>&>(opt);
  const auto& s = o.state(k);
  State<T> out{{{"exp_avg", s.exp_avg}, {"exp_avg_sq", s.exp_avg_sq}}, s.step};
  if (o.options().amsgrad) out.tensors.emplace_back("max_exp_avg_sq", s.max_exp_avg_sq);
  return out;
}

template <class T>
tapegrad_test::Registry<OptimizerEntry<T>> optimizers() {
  using P = const std::vector<tg::Tensor<T>>&;
  using Ptr = std::unique_ptr<optim::Optimizer<T>>;
  static constexpr tapegrad_test::Entry<OptimizerEntry<T>> r[] = {
      // [fuzz registry optim: optimizer]
      {"sgd", {[](P p, const KV& kv) -> Ptr {
                 return std::make_unique<optim::SGD<T>>(
                     p, optim::SGDOptions{.lr = num(kv, "lr"), .momentum = num(kv, "momentum"),
                                          .dampening = num(kv, "dampening"), .weight_decay = num(kv, "weight_decay"),
                                          .nesterov = flag(kv, "nesterov"), .maximize = flag(kv, "maximize")});
               },
               [](const optim::Optimizer<T>& opt, size_t k) {
                 return State<T>{{{"buf", dynamic_cast<const optim::SGD<T>&>(opt).state(k).momentum_buffer}}, {}};
               }}},
      {"adam", {[](P p, const KV& kv) -> Ptr {
                  return std::make_unique<optim::Adam<T>>(
                      p, optim::AdamOptions{.lr = num(kv, "lr"), .betas = {num(kv, "beta1"), num(kv, "beta2")},
                                            .eps = num(kv, "eps"), .weight_decay = num(kv, "weight_decay"),
                                            .amsgrad = flag(kv, "amsgrad"), .maximize = flag(kv, "maximize")});
                },
                adam_state<T, optim::AdamOptions>}},
      {"adamw", {[](P p, const KV& kv) -> Ptr {
                   return std::make_unique<optim::AdamW<T>>(
                       p, optim::AdamWOptions{.lr = num(kv, "lr"), .betas = {num(kv, "beta1"), num(kv, "beta2")},
                                              .eps = num(kv, "eps"), .weight_decay = num(kv, "weight_decay"),
                                              .amsgrad = flag(kv, "amsgrad"), .maximize = flag(kv, "maximize")});
                 },
                 adam_state<T, optim::AdamWOptions>}},
      // [end fuzz registry]
  };
  return r;
}

template <class T>
using SchedulerFn = std::unique_ptr<optim::LRScheduler<T>> (*)(optim::Optimizer<T>& opt, const KV& kv);

template <class T>
tapegrad_test::Registry<SchedulerFn<T>> schedulers() {
  using Ptr = std::unique_ptr<optim::LRScheduler<T>>;
  static constexpr tapegrad_test::Entry<SchedulerFn<T>> r[] = {
      // [fuzz registry optim: scheduler]
      {"step", [](optim::Optimizer<T>& o, const KV& kv) -> Ptr {
         return std::make_unique<optim::StepLR<T>>(o, static_cast<int64_t>(num(kv, "step_size")), num(kv, "gamma"));
       }},
      {"cosine", [](optim::Optimizer<T>& o, const KV& kv) -> Ptr {
         return std::make_unique<optim::CosineAnnealingLR<T>>(o, static_cast<int64_t>(num(kv, "T_max")),
                                                              num(kv, "eta_min"));
       }},
      // [end fuzz registry]
  };
  return r;
}

template <class T>
std::string run_typed(const std::string& name, const std::vector<std::string>& prog) {
  const double rtol = std::is_same_v<T, float> ? 1e-5 : 1e-10;
  const auto head = words(prog.at(0));
  const std::string kind = head.at(1);
  const auto kv = key_values(head, 2);
  std::vector<tg::Tensor<T>> params;
  std::vector<std::string> pnames;
  std::vector<std::string> sched;
  std::vector<std::vector<std::string>> body;
  for (size_t k = 1; k < prog.size(); ++k) {
    const auto w = words(prog[k]);
    if (w.at(0) == "scheduler") {
      sched = w;
    } else if (w.at(0) == "param") {
      auto p = tapegrad_test::laid_out<T>(rec(name + "." + w.at(1)), w.at(2));
      p.requires_grad_();
      params.push_back(p);
      pnames.push_back(w.at(1));
    } else {
      body.push_back(w);
    }
  }
  const OptimizerEntry<T> entry = tapegrad_test::lookup(optimizers<T>(), kind, "fuzz optim");
  const std::unique_ptr<optim::Optimizer<T>> opt = entry.make(params, kv);
  std::unique_ptr<optim::LRScheduler<T>> scheduler;
  if (!sched.empty()) scheduler = tapegrad_test::lookup(schedulers<T>(), sched.at(1), "fuzz optim")(*opt, key_values(sched, 2));
  std::vector<double> lrs;
  std::ostringstream err;
  for (const auto& w : body) {
    const std::string& op = w.at(0);
    if (op == "setgrad") {
      params.at(std::stoul(w.at(1))).mutable_grad() = tapegrad_test::load<T>(kFile, name + "." + w.at(2));
    } else if (op == "bwd") {
      const auto& p = params.at(std::stoul(w.at(1)));
      (p * tapegrad_test::load<T>(kFile, name + "." + w.at(2))).sum().backward();
    } else if (op == "zero_grad") {
      opt->zero_grad(w.at(1) == "1");
    } else if (op == "step") {
      opt->step();
    } else if (op == "sched") {
      scheduler->step();
      if (scheduler->get_last_lr() != opt->lr()) err << "get_last_lr() " << scheduler->get_last_lr() << " != lr() " << opt->lr() << "; ";
      lrs.push_back(opt->lr());
    } else {
      throw std::runtime_error("fuzz program: unknown statement " + op);
    }
  }
  // A state that cancels to 0 (buf = 0.9 * -0.75 + 0.9 * 0.75) keeps a
  // rounding residue where one side fuses a multiply-add (3e-8 in float32):
  // every record's scale is at least 1 % of min(1, the largest magnitude
  // among the case's records).
  double floor = 0;
  const auto& records = tapegrad_test::ref_file(kFile);
  for (auto it = records.lower_bound(name + "."); it != records.end() && it->first.rfind(name + ".", 0) == 0; ++it)
    if (it->second.is_float())
      for (double v : it->second.values)
        if (std::isfinite(v)) floor = std::max(floor, std::abs(v));
  floor = 0.01 * std::min(floor, 1.0);
  std::string out = err.str();
  for (size_t k = 0; k < params.size(); ++k) {
    const std::string base = name + "." + pnames[k];
    out += compare(params[k].detach(), rec(base + ".out"), rtol, floor, pnames[k]);
    const State<T> st = entry.state(*opt, k);
    for (const auto& [key, got] : st.tensors) {
      const std::string r = base + "." + key;
      if (has(r)) out += compare(got, rec(r), rtol, floor, pnames[k] + "." + key);
      else if (got.defined()) out += pnames[k] + "." + key + ": tapegrad has state where PyTorch has none; ";
    }
    if (st.step) {
      const int64_t steps = has(base + ".steps") ? rec(base + ".steps").ints.at(0) : 0;
      if (*st.step != steps) out += pnames[k] + ": step " + std::to_string(*st.step) + " != " + std::to_string(steps) + "; ";
    }
  }
  if (has(name + ".lr")) {
    const RefTensor& want = rec(name + ".lr");
    if (want.values.size() != lrs.size()) {
      out += "lr: " + std::to_string(lrs.size()) + " scheduler steps, PyTorch " + std::to_string(want.values.size()) + "; ";
    } else {
      for (size_t k = 0; k < lrs.size(); ++k)
        if (!(std::abs(lrs[k] - want.values[k]) <= 1e-15 * std::abs(want.values[k]))) {
          std::ostringstream os;
          os.precision(17);
          os << "lr after scheduler step " << k + 1 << ": " << lrs[k] << " != PyTorch's " << want.values[k] << "; ";
          out += os.str();
          break;
        }
    }
  }
  return out;
}

std::string run_case(const std::string& name, const std::string& text) {
  const auto prog = lines_of(text);
  const auto head = words(prog.at(0));
  if (head.size() < 3 || head[0] != "optim") throw std::runtime_error("fuzz program: bad head '" + prog.at(0) + "'");
  const auto kv = key_values(head, 2);
  if (kv.at("dtype") == "f32") return run_typed<float>(name, prog);
  return run_typed<double>(name, prog);
}

}  // namespace

TEST_CASE("fuzz optim: SGD, Adam, AdamW and the lr schedulers match torch.optim") {
  size_t n = 0;
  int failed = 0;
  const std::string suffix = ".prog";
  for (const auto& entry : tapegrad_test::ref_file(kFile)) {
    const std::string& rname = entry.first;
    if (rname.size() <= suffix.size() || rname.compare(rname.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string name = rname.substr(0, rname.size() - suffix.size());
    const std::string& text = entry.second.text;
    std::string mm;
    try {
      mm = run_case(name, text);
    } catch (const std::exception& e) {
      mm = std::string("threw: ") + e.what();
    }
    ++n;
    if (!mm.empty()) {
      ++failed;
      FAIL_CHECK(name << ": " << mm << "\nprogram:\n" << text);
    }
  }
  MESSAGE(std::string(kFile) << ": " << n << " cases, " << failed << " mismatches");
  CHECK(n >= 150);
}
