#pragma once
// dst = A * B for matrices of integers held in doubles (Eigen expressions;
// dst already has A.rows() x B.cols()). Exact, by any algorithm and in any
// summation order, when sum_j |A_ij| |B_jk| < 2^53 for every entry: the
// callers (the bit-accurate model's fast path, the mesh's PE datapath) prove
// that bound. Tiny inner or outer dimensions use rank-1 updates or
// matrix-vector products instead of a GEMM, as in the float model.
#include <Eigen/Core>

namespace sheafsim::xd {

template <typename Dst, typename DA, typename DB>
void exact_product(Dst& dst, const DA& A, const DB& B) {
  if (A.cols() <= 4) {
    dst.noalias() = A.col(0) * B.row(0);
    for (Eigen::Index j = 1; j < A.cols(); ++j) dst.noalias() += A.col(j) * B.row(j);
  } else if (B.cols() <= 4) {
    for (Eigen::Index j = 0; j < B.cols(); ++j) dst.col(j).noalias() = A * B.col(j);
  } else {
    dst.noalias() = A * B;
  }
}

}  // namespace sheafsim::xd
