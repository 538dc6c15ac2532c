#pragma once
// Eigen interop, the C++ counterpart of the tutorials' from_numpy()/.numpy():
// from_eigen copies an Eigen matrix into a tensor; as_eigen maps a 2-D tensor
// as an Eigen matrix without copying (writes go to the tensor).
#include <Eigen/Core>

#include "tensor.hpp"

namespace tapegrad {

template <Element T>
using EigenMatrixMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                                  Eigen::Unaligned, Eigen::OuterStride<>>;

/// A 2-D tensor [rows, cols] holding a copy of an Eigen matrix or array
/// expression (any storage order).
template <class Derived>
  requires Element<typename Derived::Scalar>
Tensor<typename Derived::Scalar> from_eigen(const Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  auto t = detail::make_empty<T>({static_cast<int64_t>(m.rows()), static_cast<int64_t>(m.cols())});
  EigenMatrixMap<T>(t.data_ptr(), m.rows(), m.cols(), Eigen::OuterStride<>(std::max<Eigen::Index>(m.cols(), 1))) =
      m.derived().matrix();
  return t;
}

/// A zero-copy Eigen view of a 2-D tensor whose rows are contiguous (any row
/// stride, so row slices work); call contiguous() first for other layouts.
/// The map does not keep the memory alive: the tensor must outlive it (see
/// the deleted overloads below).
template <Element T>
EigenMatrixMap<T> as_eigen(const Tensor<T>& t) {
  TAPEGRAD_CHECK(t.dim() == 2, ShapeError, "as_eigen: expected a 2-D tensor, got shape ", t.sizes());
  const int64_t r = t.sizes()[0], c = t.sizes()[1];
  TAPEGRAD_CHECK(c <= 1 || t.strides()[1] == 1, ShapeError,
                 "as_eigen: the rows of a tensor of shape ", t.sizes(), " with strides ", t.strides(),
                 " are not contiguous; call contiguous() first");
  const int64_t ld = r <= 1 ? std::max<int64_t>(c, 1) : t.strides()[0];
  TAPEGRAD_CHECK(ld >= c, ShapeError, "as_eigen: rows of a tensor of shape ", t.sizes(),
                 " with strides ", t.strides(), " overlap; call contiguous() first");
  return EigenMatrixMap<T>(t.data_ptr(), static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c),
                           Eigen::OuterStride<>(ld));
}
/// as_eigen of a temporary does not compile: the temporary (and, when it owns
/// its storage, the memory) is gone before the map is used. Name the tensor
/// first: `auto rows = t.slice(0, 1, 3); auto m = as_eigen(rows);`.
template <Element T>
EigenMatrixMap<T> as_eigen(Tensor<T>&& t) = delete;
template <Element T>
EigenMatrixMap<T> as_eigen(const Tensor<T>&& t) = delete;

}  // namespace tapegrad
