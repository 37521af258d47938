#include "model/plan.h"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "layers/layers.h"
#include "handgrad/layers/loss.h"

namespace handgrad {

namespace {

template <class L>
const L* as(const Layer<float>& l) {
  return dynamic_cast<const L*>(&l);
}

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

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

FastNet::FastNet(const Network<float>& net, const KernelTable* k) : net_(net), k_(k) {
  const size_t L = net.num_layers();
  for (size_t i = 0; i < L; ++i) {
    const Layer<float>& l = net.layer(i);
    Op op{};
    op.first = op.last = static_cast<int>(i);
    op.name = l.spec();
    op.in_size = numel(l.in_dims());
    op.param_off = net.param_offset(i);
    op.kind = Kind::reference;
    const auto* conv = as<Conv2d<float>>(l);
    const auto* pool = as<MaxPool2d<float>>(l);
    const bool relu = as<ReLU<float>>(l) != nullptr;
    auto next_is = [&](auto* tag) {
      using L2 = std::remove_pointer_t<decltype(tag)>;
      return i + 1 < L && as<L2>(net.layer(i + 1)) != nullptr;
    };
    if (k_ && conv && conv->stride() == 1) {
      op.kind = Kind::conv;
      const Dims& d = l.in_dims();
      op.g = conv_geom(d[0], d[1], d[2], l.out_dims()[0], conv->kernel(), conv->pad());
      op.xs = static_cast<size_t>(op.g.C) * op.g.in_plane + round_up(op.g.K + kSlack, 16);
    } else if (k_ && (pool || (relu && next_is(static_cast<MaxPool2d<float>*>(nullptr))))) {
      const auto* p = pool ? pool : as<MaxPool2d<float>>(net.layer(i + 1));
      op.kind = Kind::pool;
      op.relu = relu;
      if (relu) {
        op.last = static_cast<int>(i + 1);
      } else if (next_is(static_cast<ReLU<float>*>(nullptr))) {
        op.relu = true;
        op.last = static_cast<int>(i + 1);
      }
      op.k = p->kernel();
      op.s = p->stride();
      const Dims& d = p->in_dims();
      op.C = d[0];
      op.H = d[1];
      op.W = d[2];
      op.Ho = p->out_dims()[1];
      op.Wo = p->out_dims()[2];
      if (op.last != op.first) op.name = l.spec() + "+" + net.layer(i + 1).spec();
    } else if (k_ && relu) {
      op.kind = Kind::relu;
    } else if (as<Flatten<float>>(l)) {
      op.kind = Kind::flatten;
    } else if (k_ && as<Linear<float>>(l)) {
      op.kind = Kind::linear;
      op.I = l.in_dims()[0];
      op.O = l.out_dims()[0];
    }
    op.out_size = numel(net.layer(op.last).out_dims());
    i = op.last;
    ops_.push_back(std::move(op));
  }
  bool params_before = false;
  for (Op& op : ops_) {
    op.grad_in = params_before;
    for (int l = op.first; l <= op.last; ++l) {
      params_before = params_before || !net.layer(l).param_shapes().empty();
    }
  }
  for (size_t i = 0; i + 1 < ops_.size(); ++i) {
    if (ops_[i].kind == Kind::conv && ops_[i + 1].kind == Kind::pool) {
      ops_[i].wide_out = ops_[i + 1].wide_in = true;
    }
  }
}

void FastNet::prepare(const float* /*params*/) {}

bool FastNet::direct_input(size_t i) const {
  // An unpadded conv reads the previous op's output in place: planes are
  // contiguous and every op output has kSlack readable floats after it.
  return ops_[i].g.pad == 0 && i > 0;
}

size_t FastNet::conv_stride(size_t i) const {
  const ConvGeom& g = ops_[i].g;
  return direct_input(i) ? static_cast<size_t>(g.C) * g.in_plane : ops_[i].xs;
}

const float* FastNet::conv_input(size_t i, const float* in, int n, OpWs& w) const {
  if (direct_input(i)) return in;
  const Op& op = ops_[i];
  const ConvGeom& g = op.g;
  w.xp.resize(op.xs * n);
  // Copy into the zero-padded planes (the borders stay zero from resize).
  for (int s = 0; s < n; ++s) {
    float* dst = w.xp.data() + s * op.xs;
    const float* src = in + static_cast<size_t>(s) * g.C * g.H * g.W;
    if (g.pad == 0) {
      std::memcpy(dst, src, sizeof(float) * g.C * g.H * g.W);
      continue;
    }
    for (int c = 0; c < g.C; ++c) {
      for (int y = 0; y < g.H; ++y) {
        std::memcpy(dst + static_cast<size_t>(c) * g.in_plane +
                        static_cast<size_t>(y + g.pad) * g.Wp + g.pad,
                    src + (static_cast<size_t>(c) * g.H + y) * g.W, sizeof(float) * g.W);
      }
    }
  }
  return w.xp.data();
}

void FastNet::op_forward(size_t i, const float* params, const float* in, int n,
                         Workspace& ws) const {
  const Op& op = ops_[i];
  OpWs& w = ws.ops[i];
  const float* p = params + op.param_off;
  switch (op.kind) {
    case Kind::conv: {
      const ConvGeom& g = op.g;
      const float* xp = conv_input(i, in, n, w);
      const size_t wide = static_cast<size_t>(n) * g.O * g.wide_plane;
      Buffer<float>& dst = op.wide_out ? w.out : w.wide;
      dst.resize(wide + kSlack);
      k_->conv_fwd(g, p, p + static_cast<size_t>(g.O) * g.C * g.K * g.K, xp, conv_stride(i),
                   dst.data(), n);
      if (!op.wide_out) {
        w.out.resize(op.out_size * n + kSlack);
        for (int pl = 0; pl < n * g.O; ++pl) {
          for (int y = 0; y < g.Ho; ++y) {
            std::memcpy(w.out.data() + (static_cast<size_t>(pl) * g.Ho + y) * g.Wo,
                        w.wide.data() + static_cast<size_t>(pl) * g.wide_plane + y * g.Wp,
                        sizeof(float) * g.Wo);
          }
        }
      }
      w.out_ptr = w.out.data();
      break;
    }
    case Kind::pool: {
      w.out.resize(op.out_size * n + kSlack);
      w.arg.resize(op.out_size * n);
      const int planes = n * op.C;
      if (op.wide_in) {
        const ConvGeom& g = ops_[i - 1].g;
        k_->maxpool_fwd(in, planes, op.H, g.Wp, g.wide_plane, op.k, op.s, op.relu, w.out.data(),
                        w.arg.data(), op.Ho, op.Wo);
      } else {
        k_->maxpool_fwd(in, planes, op.H, op.W, op.H * op.W, op.k, op.s, op.relu, w.out.data(),
                        w.arg.data(), op.Ho, op.Wo);
      }
      w.out_ptr = w.out.data();
      break;
    }
    case Kind::relu:
      w.out.resize(op.out_size * n + kSlack);
      k_->relu_fwd(in, w.out.data(), op.out_size * n);
      w.out_ptr = w.out.data();
      break;
    case Kind::flatten:
      w.out_ptr = in;
      break;
    case Kind::linear:
      w.out.resize(op.out_size * n + kSlack);
      k_->linear_fwd(n, op.O, op.I, in, p, p + static_cast<size_t>(op.O) * op.I, w.out.data());
      w.out_ptr = w.out.data();
      break;
    case Kind::reference:
      w.out.resize(op.out_size * n + kSlack);
      net_.layer(op.first).forward(p, in, w.out.data(), n);
      w.out_ptr = w.out.data();
      break;
  }
}

void FastNet::op_backward(size_t i, const float* params, const float* in, const float* dout,
                          int dout_stride, int n, Workspace& ws, float* grads) const {
  const Op& op = ops_[i];
  OpWs& w = ws.ops[i];
  w.din_ptr = nullptr;
  w.din_stride = 0;
  const float* p = params + op.param_off;
  float* gp = grads + op.param_off;
  // dL/d(input) only matters if some op before this one has parameters.
  const bool need_din = ops_[i].grad_in;
  switch (op.kind) {
    case Kind::conv: {
      const ConvGeom& g = op.g;
      w.dpad.resize(static_cast<size_t>(n) * g.O * g.dpad_plane + kSlack);
      if (!op.wide_out) {
        // Only the valid positions are written; the rest stay zero.
        for (int pl = 0; pl < n * g.O; ++pl) {
          for (int y = 0; y < g.Ho; ++y) {
            std::memcpy(
                w.dpad.data() + static_cast<size_t>(pl) * g.dpad_plane + g.dpad_margin + y * g.Wp,
                dout + (static_cast<size_t>(pl) * g.Ho + y) * g.Wo, sizeof(float) * g.Wo);
          }
        }
      }
      const float* xp = direct_input(i) ? in : w.xp.data();
      k_->conv_bwd_params(g, xp, conv_stride(i), w.dpad.data(), gp,
                          gp + static_cast<size_t>(g.O) * g.C * g.K * g.K, n);
      if (need_din) {
        w.dxw.resize(static_cast<size_t>(n) * g.C * g.din_plane + kSlack);
        k_->conv_bwd_input(g, p, w.dpad.data(), w.dxw.data(), n);
        if (g.pad == 0 && ops_[i - 1].kind == Kind::pool) {
          // The pool before reads the wide planes as they are (rows W apart).
          w.din_ptr = w.dxw.data();
          w.din_stride = g.din_plane;
          break;
        }
        w.din.resize(op.in_size * n);
        for (int pl = 0; pl < n * g.C; ++pl) {
          for (int y = 0; y < g.H; ++y) {
            std::memcpy(
                w.din.data() + (static_cast<size_t>(pl) * g.H + y) * g.W,
                w.dxw.data() + static_cast<size_t>(pl) * g.din_plane + (y + g.pad) * g.Wp + g.pad,
                sizeof(float) * g.W);
          }
        }
      }
      break;
    }
    case Kind::pool: {
      const int planes = n * op.C;
      const int dstride = dout_stride ? dout_stride : op.Ho * op.Wo;
      if (op.wide_in) {
        const ConvGeom& g = ops_[i - 1].g;
        OpWs& cw = ws.ops[i - 1];
        cw.dpad.resize(static_cast<size_t>(n) * g.O * g.dpad_plane + kSlack);
        k_->maxpool_bwd(dout, dstride, w.out.data(), w.arg.data(), planes, g.Ho, g.Wp, g.dpad_plane,
                        op.k, op.s, op.Ho, op.Wo, op.relu, cw.dpad.data() + g.dpad_margin);
      } else if (need_din) {
        w.din.resize(op.in_size * n);
        k_->maxpool_bwd(dout, dstride, w.out.data(), w.arg.data(), planes, op.H, op.W, op.H * op.W,
                        op.k, op.s, op.Ho, op.Wo, op.relu, w.din.data());
      }
      break;
    }
    case Kind::relu:
      if (need_din) {
        w.din.resize(op.in_size * n);
        k_->relu_bwd(w.out.data(), dout, w.din.data(), op.in_size * n);
      }
      break;
    case Kind::flatten:
      break;
    case Kind::linear: {
      const size_t wsize = static_cast<size_t>(op.O) * op.I;
      // dW (O, I) += dout^T (O, n) x (n, I); db += column sums of dout.
      k_->gemm(op.O, op.I, n, dout, 1, op.O, in, op.I, nullptr, gp, op.I, true);
      for (int b = 0; b < n; ++b) {
        for (int o = 0; o < op.O; ++o) gp[wsize + o] += dout[static_cast<size_t>(b) * op.O + o];
      }
      if (need_din) {
        w.din.resize(op.in_size * n);
        // din (n, I) = dout (n, O) W (O, I)
        k_->gemm(n, op.I, op.O, dout, op.O, 1, p, op.I, nullptr, w.din.data(), op.I, false);
      }
      break;
    }
    case Kind::reference:
      if (need_din) w.din.resize(op.in_size * n);
      net_.layer(op.first).backward(p, in, w.out.data(), dout, need_din ? w.din.data() : nullptr,
                                    gp, n);
      break;
  }
}

const float* FastNet::forward(const float* params, const float* x, int n, Workspace& ws,
                              Times* t) const {
  ws.ops.resize(ops_.size());
  const float* in = x;
  for (size_t i = 0; i < ops_.size(); ++i) {
    const double t0 = t ? now() : 0.0;
    op_forward(i, params, in, n, ws);
    in = ws.ops[i].out_ptr;
    if (t) t->fwd[i] += now() - t0 - timer_overhead();
  }
  return in;
}

void FastNet::backward(const float* params, const float* x, const float* dlogits, int n,
                       Workspace& ws, float* grads, Times* t) const {
  const float* dout = dlogits;
  int dstride = 0;
  for (size_t i = ops_.size(); i-- > 0;) {
    const double t0 = t ? now() : 0.0;
    const float* in = i == 0 ? x : ws.ops[i - 1].out_ptr;
    op_backward(i, params, in, dout, dstride, n, ws, grads);
    if (ops_[i].kind != Kind::flatten) {
      const OpWs& w = ws.ops[i];
      dout = w.din_ptr ? w.din_ptr : w.din.data();
      dstride = w.din_ptr ? w.din_stride : 0;
    }
    if (t) t->bwd[i] += now() - t0 - timer_overhead();
  }
}

double FastNet::loss_and_grad(const float* params, const float* x, const int* labels, int n,
                              int batch_total, Workspace& ws, float* grads, Times* t) const {
  const float* logits = forward(params, x, n, ws, t);
  const int k = net_.num_classes();
  ws.dlogits.resize(static_cast<size_t>(n) * k);
  const double loss = softmax_cross_entropy(logits, labels, n, k, ws.dlogits.data(), batch_total);
  backward(params, x, ws.dlogits.data(), n, ws, grads, t);
  return loss;
}

}  // namespace handgrad
