#pragma once
// One step of an execution plan: a layer (or a few fused) as the plan runs
// it. The plan (src/model/plan.cpp) knows ops only through this interface:
// it asks each layer for its lowering (Layer::lower), then fuses neighbours
// through the hooks below, never by asking which layer is which.
//
// forward:  in (n, in_size) -> w.out_ptr (n, out_size)
// backward: dout (n, out_size), image planes dout_plane apart (0 = dense);
//   *adds* dL/d(params) to dparams; when grad_in, puts dL/d(input) in
//   w.din_ptr / w.din_plane, or into `into` when the plan gives a target.
#include <functional>
#include <optional>
#include <string>

#include "core/team.h"
#include "handgrad/layers/layer.h"
#include "handgrad/layers/workspace.h"

namespace handgrad {

// A pointwise activation y = f(x) that a neighbour can fold into its own
// pass. An activation op offers one (Op::pointwise); a max-pool absorbs a
// non-decreasing one on either side, since max(f(a), f(b)) = f(max(a, b)).
// The kernels are functions, not bare pointers, so that an activation with
// an argument (leaky_relu's slope) binds it.
struct Pointwise {
  const char* name = "";
  bool relu = false;      // ReLU: the pool kernels apply it themselves
  bool monotone = false;  // non-decreasing
  // y (m) = f(x); may work in place.
  std::function<void(const float* x, float* y, size_t m)> fwd;
  // din (m) = dout * f'(x), computed from y = f(x); empty if f' needs x.
  std::function<void(const float* y, const float* dout, float* din, size_t m)> bwd;
};

// Where the plan wants an op's dL/d(input) written: into the producer's own
// buffer, in the producer's layout.
template <class T>
struct DinTarget {
  T* data = nullptr;
  Planes planes;
};

// How an op takes part in a team pass (src/core/team.h). Members share the
// batch's samples with Team::share(n) in every op, so an op that reads only
// its own samples of its input (forward) or of dout (backward) can start
// without waiting for the others.
enum class TeamUse {
  none,   // the lead runs it alone, with barriers before and after
  local,  // every member runs it on its own samples (syncing inside if it must)
  whole,  // every member runs it, reading every sample: a barrier before
};

// The samples [begin, end) of p.n that this thread computes.
template <class T>
std::pair<int, int> my_samples(const Pass<T>& p) {
  return p.team ? p.team->share(p.n) : std::pair<int, int>{0, p.n};
}
template <class T>
const Team& team_of(const Pass<T>& p) {
  return p.team ? *p.team : solo_team();
}

template <class T>
class Op {
 public:
  virtual ~Op() = default;

  std::string name;        // "conv(4,5)", "relu+maxpool(2)"
  int first = 0, last = 0;  // the network layers [first, last] it computes
  int layer = 0;            // the layer it was lowered from (fusion keeps it): its randomness key
  size_t in_size = 0, out_size = 0;  // floats per sample
  size_t param_off = 0, buffer_off = 0;
  bool grad_in = false;   // an op before has parameters: compute dL/d(input)
  bool first_op = false;  // reads the caller's input (no readable slack after it)

  virtual void forward(const Pass<T>& p, const T* in, OpBuffers<T>& w) const = 0;
  virtual void backward(const Pass<T>& p, const T* in, const T* dout, size_t dout_plane,
                        OpBuffers<T>& w, T* dparams, DinTarget<T> into) const = 0;

  // Team passes; the default: the lead alone. A team op writes only its own
  // share and sets w's pointers to the same values on every member.
  virtual TeamUse team_forward() const { return TeamUse::none; }
  virtual TeamUse team_backward() const { return TeamUse::none; }

  // The layer's plain reference pass, not a fast kernel (tests and the bench
  // check that a network does not fall back to it).
  virtual bool reference() const { return false; }

  // --- fusion hooks; the defaults decline everything
  // A pointwise activation a neighbour may absorb (nullptr: none).
  virtual const Pointwise* pointwise() const { return nullptr; }
  // Folds activation `a` in (before: it comes first); keep a copy, the plan
  // then drops a's op.
  virtual bool absorb(const Pointwise& /*a*/, bool /*before*/) { return false; }
  // The output is the input itself (flatten): dout passes through unchanged.
  virtual bool alias() const { return false; }
  // Forward hand-off: the producer offers its output as strided planes; a
  // consumer that reads them then writes its dL/d(input) straight into the
  // producer's dout_target() in backward.
  virtual std::optional<Planes> strided_output() const { return std::nullopt; }
  virtual void use_strided_output() {}
  virtual bool reads_strided_input() const { return false; }
  virtual void set_input_planes(Planes /*p*/) {}
  virtual DinTarget<T> dout_target(OpBuffers<T>& /*w*/, int /*n*/) const { return {}; }
  // Backward hand-off: the consumer offers dL/d(input) as strided planes to
  // a producer that reads its dout so.
  virtual std::optional<Planes> strided_din() const { return std::nullopt; }
  virtual void use_strided_din() {}
  virtual bool reads_strided_dout() const { return false; }
};

}  // namespace handgrad
