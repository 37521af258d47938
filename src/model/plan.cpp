// The plan: lowering, fusion and the forward/backward loops (plan.h).
#include "model/plan.h"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "core/team.h"
#include "kernels/kernels.h"

namespace handgrad {

namespace {

// Runs one op's pass in a team (op.h's TeamUse), keeping track of whether
// the members are in step, so that back-to-back barriers are not doubled.
class TeamCursor {
 public:
  explicit TeamCursor(const Team& t) : t_(t) {}
  template <class T, class F>
  void run(TeamUse use, const Pass<T>& p, F&& pass) {
    if (use != TeamUse::local) sync();
    if (use == TeamUse::none) {
      if (t_.lead()) {
        Pass<T> alone = p;
        alone.team = nullptr;
        pass(alone);
      }
      wrote();  // the lead did: everyone waits for it
      sync();
      return;
    }
    pass(p);
    synced_ = false;
  }
  void sync() {
    if (!synced_) t_.sync();
    synced_ = true;
  }
  // This member wrote its share of something the others may read.
  void wrote() { synced_ = false; }

 private:
  const Team& t_;
  bool synced_ = true;
};

// A layer's own forward and backward: for layers without a fast lowering,
// on the reference path, and for every double-precision network.
template <class T>
class RefOp final : public Op<T> {
 public:
  explicit RefOp(const Layer<T>& l) : l_(l) {}
  bool reference() const override { return true; }
  void forward(const Pass<T>& p, const T* in, OpBuffers<T>& w) const override {
    w.out.resize(this->out_size * p.n + kSlack);
    l_.forward(p, in, w.out.data());
    w.out_ptr = w.out.data();
  }
  void backward(const Pass<T>& p, const T* in, const T* dout, size_t, OpBuffers<T>& w, T* dparams,
                DinTarget<T>) const override {
    if (this->grad_in) w.din.resize(this->in_size * p.n);
    l_.backward(p, in, w.out.data(), dout, this->grad_in ? w.din.data() : nullptr, dparams);
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  const Layer<T>& l_;
};

// This thread's CPU time: the breakdown stays meaningful on a loaded machine.
double now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// What one now()-to-now() interval costs by itself, subtracted per op.
double timer_overhead() {
  static const double o = [] {
    double best = 1.0;
    for (int i = 0; i < 200; ++i) {
      const double t0 = now();
      best = std::min(best, now() - t0);
    }
    return best;
  }();
  return o;
}

}  // namespace

template <class T>
Plan<T>::Plan(const Network<T>& net, PlanOptions o) : net_(net), k_(o.kernels) {
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer<T>& l = net.layer(i);
    std::unique_ptr<Op<T>> op = k_ ? l.lower(*k_) : nullptr;
    if (!op) op = std::make_unique<RefOp<T>>(l);
    op->first = op->last = op->layer = static_cast<int>(i);
    op->name = l.spec();
    op->in_size = numel(l.in_dims());
    op->out_size = numel(l.out_dims());
    op->param_off = net.param_offset(i);
    op->buffer_off = net.buffer_offset(i);
    ops_.push_back(std::move(op));
  }
  if (o.fuse) fuse();
  // dL/d(input) only matters if some op before has parameters.
  bool params_before = false;
  for (auto& op : ops_) {
    op->grad_in = params_before || o.all_input_grads;
    for (int l = op->first; l <= op->last; ++l) {
      params_before = params_before || !net.layer(l).tensors().empty();
    }
  }
  ops_.front()->first_op = true;
  connect();
}

// Folds pointwise activations into the neighbour that offers to absorb them.
template <class T>
void Plan<T>::fuse() {
  for (size_t i = 0; i + 1 < ops_.size();) {
    Op<T>& a = *ops_[i];
    Op<T>& b = *ops_[i + 1];
    if (a.pointwise() && b.absorb(*a.pointwise(), true)) {
      b.first = a.first;
      b.in_size = a.in_size;
      b.name = a.name + "+" + b.name;
      ops_.erase(ops_.begin() + static_cast<long>(i));
    } else if (b.pointwise() && a.absorb(*b.pointwise(), false)) {
      a.last = b.last;
      a.out_size = b.out_size;
      a.name += "+" + b.name;
      ops_.erase(ops_.begin() + static_cast<long>(i) + 1);
    } else {
      ++i;
    }
  }
}

// Hands strided planes between neighbours that both offer it.
template <class T>
void Plan<T>::connect() {
  planes_in_.assign(ops_.size(), false);
  for (size_t i = 0; i + 1 < ops_.size(); ++i) {
    const auto planes = ops_[i]->strided_output();
    if (planes && ops_[i + 1]->reads_strided_input()) {
      ops_[i]->use_strided_output();
      ops_[i + 1]->set_input_planes(*planes);
      planes_in_[i + 1] = true;
    }
  }
  for (size_t i = 1; i < ops_.size(); ++i) {
    if (ops_[i]->strided_din() && ops_[i - 1]->reads_strided_dout()) ops_[i]->use_strided_din();
  }
}

template <class T>
Pass<T> Plan<T>::pass(size_t i, const T* params, T* buffers, const RunInfo& run, int n,
                      Workspace<T>& ws) const {
  const Op<T>& op = *ops_[i];
  Pass<T> p;
  p.params = params + op.param_off;
  p.buffers = buffers ? buffers + op.buffer_off : nullptr;
  p.saved = &ws.ops[i].saved;
  p.mode = run.mode;
  p.seed = layer_key(run.seed, static_cast<uint64_t>(op.layer));
  p.first_sample = run.first_sample;
  p.n = n;
  p.team = run.team;
  return p;
}

// The network's input step; x itself when there is none.
template <class T>
const T* Plan<T>::network_input(const T* x, int n, Workspace<T>& ws) const {
  const InputNorm& norm = net_.input_norm();
  if (norm.empty()) return x;
  const size_t m = static_cast<size_t>(n) * numel(net_.input_dims());
  ws.input.resize(m + kSlack);
  std::copy(x, x + m, ws.input.data());
  norm.apply(ws.input.data(), static_cast<size_t>(n));
  return ws.input.data();
}

// The network's input step over this member's samples.
template <class T>
const T* Plan<T>::team_input(const T* x, int n, const Team& team, Workspace<T>& ws) const {
  const InputNorm& norm = net_.input_norm();
  if (norm.empty()) return x;
  const size_t per = numel(net_.input_dims());
  ws.input.resize(static_cast<size_t>(n) * per + kSlack);
  const auto [b, e] = team.share(n);
  std::copy(x + b * per, x + e * per, ws.input.data() + b * per);
  norm.apply(ws.input.data() + b * per, static_cast<size_t>(e - b));
  return ws.input.data();
}

template <class T>
const T* Plan<T>::team_forward(const T* params, T* buffers, const T* x, int n, const RunInfo& run,
                               Workspace<T>& ws) const {
  TeamCursor cur(*run.team);
  const T* in = team_input(x, n, *run.team, ws);
  cur.wrote();
  for (size_t i = 0; i < ops_.size(); ++i) {
    const Op<T>& op = *ops_[i];
    cur.run(op.team_forward(), pass(i, params, buffers, run, n, ws),
            [&](const Pass<T>& p) { op.forward(p, in, ws.ops[i]); });
    in = ws.ops[i].out_ptr;
  }
  return in;
}

// As backward(), but no op's din_ptr is reset first: a member could reset it
// after another has set it. A team op sets it whenever it is read.
template <class T>
void Plan<T>::team_backward(const T* params, T* buffers, const T* x, const T* dlogits, int n,
                            const RunInfo& run, Workspace<T>& ws, T* grads) const {
  TeamCursor cur(*run.team);
  const T* x0 = net_.input_norm().empty() ? x : ws.input.data();
  const T* dout = dlogits;
  size_t dplane = 0;
  for (size_t i = ops_.size(); i-- > 0;) {
    const Op<T>& op = *ops_[i];
    OpBuffers<T>& w = ws.ops[i];
    const T* in = i == 0 ? x0 : ws.ops[i - 1].out_ptr.get();
    DinTarget<T> into;
    if (planes_in_[i]) into = ops_[i - 1]->dout_target(ws.ops[i - 1], n);
    cur.run(op.team_backward(), pass(i, params, buffers, run, n, ws), [&](const Pass<T>& p) {
      op.backward(p, in, dout, dplane, w, grads + op.param_off, into);
    });
    if (!op.alias()) {
      dout = w.din_ptr;
      dplane = w.din_plane;
    }
  }
  cur.sync();  // every member's gradients are in
}

template <class T>
const T* Plan<T>::forward(const T* params, T* buffers, const T* x, int n, const RunInfo& run,
                          Workspace<T>& ws, Times* t) const {
  if (run.team) return team_forward(params, buffers, x, n, run, ws);
  ws.ops.resize(ops_.size());
  const T* in = network_input(x, n, ws);
  for (size_t i = 0; i < ops_.size(); ++i) {
    const double t0 = t ? now() : 0.0;
    ops_[i]->forward(pass(i, params, buffers, run, n, ws), in, ws.ops[i]);
    in = ws.ops[i].out_ptr;
    if (t) t->fwd[i] += now() - t0 - timer_overhead();
  }
  return in;
}

template <class T>
void Plan<T>::backward(const T* params, T* buffers, const T* x, const T* dlogits, int n,
                       const RunInfo& run, Workspace<T>& ws, T* grads, T* dinput, Times* t) const {
  if (run.team) return team_backward(params, buffers, x, dlogits, n, run, ws, grads);
  const T* x0 = net_.input_norm().empty() ? x : ws.input.data();
  const T* dout = dlogits;
  size_t dplane = 0;
  for (size_t i = ops_.size(); i-- > 0;) {
    const double t0 = t ? now() : 0.0;
    const Op<T>& op = *ops_[i];
    OpBuffers<T>& w = ws.ops[i];
    const T* in = i == 0 ? x0 : ws.ops[i - 1].out_ptr.get();
    DinTarget<T> into;
    if (planes_in_[i]) into = ops_[i - 1]->dout_target(ws.ops[i - 1], n);
    w.din_ptr = nullptr;
    op.backward(pass(i, params, buffers, run, n, ws), in, dout, dplane, w, grads + op.param_off,
                into);
    if (!op.alias()) {
      dout = w.din_ptr;
      dplane = w.din_plane;
    }
    if (t) t->bwd[i] += now() - t0 - timer_overhead();
  }
  if (dinput) {
    const size_t m = static_cast<size_t>(n) * numel(net_.input_dims());
    std::copy(dout, dout + m, dinput);
    net_.input_norm().chain(dinput, static_cast<size_t>(n));
  }
}

template <class T>
double Plan<T>::loss_and_grad(const T* params, T* buffers, const T* x, const int* labels, int n,
                              int batch_total, const LossDef& loss, const RunInfo& run,
                              Workspace<T>& ws, T* grads, T* dinput, Times* t) const {
  const T* logits = forward(params, buffers, x, n, run, ws, t);
  const int k = net_.num_classes();
  double sum = 0.0;
  // In a team the lead alone computes the loss, between two barriers.
  const Team& team = run.team ? *run.team : solo_team();
  team.sync();
  if (team.lead()) {
    ws.dlogits.resize(static_cast<size_t>(n) * k);
    sum = loss(logits, labels, n, k, ws.dlogits.data(), batch_total);
  }
  team.sync();
  backward(params, buffers, x, ws.dlogits.data(), n, run, ws, grads, dinput, t);
  return sum;
}

template class Plan<float>;
template class Plan<double>;

}  // namespace handgrad
