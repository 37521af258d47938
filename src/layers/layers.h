#pragma once
// The layers of the seed report, each in its own file under src/layers/.
// Shapes are per sample; the batch dimension n comes with each call.
#include "handgrad/layers/layer.h"

namespace handgrad {

// conv(out, k[, stride[, pad]]): (C, H, W) -> (O, Ho, Wo),
// Ho = (H + 2*pad - k) / stride + 1. Params: weight (O, C, k, k), bias (O).
template <class T>
class Conv2d final : public Layer<T> {
 public:
  Conv2d(int out_channels, int kernel, int stride = 1, int pad = 0)
      : o_(out_channels), k_(kernel), s_(stride), p_(pad) {}
  std::string spec() const override;
  Dims configure(const Dims& in) override;
  std::vector<ParamShape> param_shapes() const override;
  void init(T* params, Rng& rng, Init scheme) const override;
  void forward(const T* params, const T* in, T* out, int n) const override;
  void backward(const T* params, const T* in, const T* out, const T* dout, T* din, T* dparams,
                int n) const override;
  int kernel() const { return k_; }
  int stride() const { return s_; }
  int pad() const { return p_; }

 private:
  int o_, k_, s_, p_;
};

// relu: y = max(0, x), any shape.
template <class T>
class ReLU final : public Layer<T> {
 public:
  std::string spec() const override { return "relu"; }
  Dims configure(const Dims& in) override;
  void forward(const T* params, const T* in, T* out, int n) const override;
  void backward(const T* params, const T* in, const T* out, const T* dout, T* din, T* dparams,
                int n) const override;
};

// maxpool(k[, stride]): (C, H, W) -> (C, Ho, Wo), Ho = (H - k) / stride + 1
// (floor, as PyTorch without ceil_mode). stride defaults to k.
template <class T>
class MaxPool2d final : public Layer<T> {
 public:
  MaxPool2d(int kernel, int stride) : k_(kernel), s_(stride) {}
  std::string spec() const override;
  Dims configure(const Dims& in) override;
  void forward(const T* params, const T* in, T* out, int n) const override;
  void backward(const T* params, const T* in, const T* out, const T* dout, T* din, T* dparams,
                int n) const override;
  int kernel() const { return k_; }
  int stride() const { return s_; }

 private:
  int k_, s_;
};

// flatten: (C, H, W) -> (C*H*W), row-major, as torch.nn.Flatten.
template <class T>
class Flatten final : public Layer<T> {
 public:
  std::string spec() const override { return "flatten"; }
  Dims configure(const Dims& in) override;
  void forward(const T* params, const T* in, T* out, int n) const override;
  void backward(const T* params, const T* in, const T* out, const T* dout, T* din, T* dparams,
                int n) const override;
};

// linear(out): (I) -> (O), y = W x + b. Params: weight (O, I), bias (O).
template <class T>
class Linear final : public Layer<T> {
 public:
  explicit Linear(int out_features) : o_(out_features) {}
  std::string spec() const override { return "linear(" + std::to_string(o_) + ")"; }
  Dims configure(const Dims& in) override;
  std::vector<ParamShape> param_shapes() const override;
  void init(T* params, Rng& rng, Init scheme) const override;
  void forward(const T* params, const T* in, T* out, int n) const override;
  void backward(const T* params, const T* in, const T* out, const T* dout, T* din, T* dparams,
                int n) const override;

 private:
  int o_;
};

// identity: the seed's "linear activation", y = x.
template <class T>
class Identity final : public Layer<T> {
 public:
  std::string spec() const override { return "identity"; }
  Dims configure(const Dims& in) override;
  void forward(const T* params, const T* in, T* out, int n) const override;
  void backward(const T* params, const T* in, const T* out, const T* dout, T* din, T* dparams,
                int n) const override;
};

// Fills weight (w_count values) and bias (b_count values, right after the
// weight) for a layer with the given fans, following `scheme`.
template <class T>
void init_weight_bias(T* params, size_t w_count, size_t b_count, int fan_in, int fan_out, Rng& rng,
                      Init scheme);

}  // namespace handgrad
