#include "sheafsim/mesh/pe_kernels.h"

#include <type_traits>
#include <utility>

#include "sheafsim/fixed/exact_double.h"

namespace sheafsim::mesh::pek {

namespace {

using xd::kLanes;
using xd::vd;

// ---- Tile products in doubles ------------------------------------------------------
// Every kernel below computes sums of products of integers held in doubles.
// The callers prove sum |x| |y| <= 2^53 over every sum (then every partial
// sum, in any order, is an integer below 2^53: exact, FMA contraction or not).

// P[s * ldp + i] = init[i] + sum_j M[j * ldm + i] X[s * ldx + j] for every lane i < R * kLanes
// (M and init padded with zeros: the padding lanes of P are 0). kMax: returns max |P|, else 0.
template <int R, bool kMax>
double product_kernel(const double* M, size_t ldm, const double* init, const double* X, size_t ldx, int inner, int B,
                      double* P, size_t ldp) {
  vd mx = vd{};
  vd ini[R];
  for (int r = 0; r < R; ++r) ini[r] = xd::load(init + r * kLanes);
  int s = 0;
  if constexpr (R <= 6) {  // two samples at a time: each weight vector loaded once for both
    for (; s + 2 <= B; s += 2) {
      vd acc0[R], acc1[R];
      for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = ini[r];
      const double* x0 = X + static_cast<size_t>(s) * ldx;
      const double* x1 = x0 + ldx;
      for (int j = 0; j < inner; ++j) {
        const vd a0 = xd::splat(x0[j]), a1 = xd::splat(x1[j]);
        const double* m = M + static_cast<size_t>(j) * ldm;
        for (int r = 0; r < R; ++r) {
          const vd w = xd::load(m + r * kLanes);
          acc0[r] += w * a0;
          acc1[r] += w * a1;
        }
      }
      double* p0 = P + static_cast<size_t>(s) * ldp;
      for (int r = 0; r < R; ++r) {
        xd::store(p0 + r * kLanes, acc0[r]);
        xd::store(p0 + ldp + r * kLanes, acc1[r]);
        if constexpr (kMax) mx = xd::vmax(mx, xd::vmax(xd::vabs(acc0[r]), xd::vabs(acc1[r])));
      }
    }
  }
  for (; s < B; ++s) {
    vd acc[R];
    for (int r = 0; r < R; ++r) acc[r] = ini[r];
    const double* x = X + static_cast<size_t>(s) * ldx;
    for (int j = 0; j < inner; ++j) {
      const vd a = xd::splat(x[j]);
      const double* m = M + static_cast<size_t>(j) * ldm;
      for (int r = 0; r < R; ++r) acc[r] += xd::load(m + r * kLanes) * a;
    }
    for (int r = 0; r < R; ++r) {
      xd::store(P + static_cast<size_t>(s) * ldp + r * kLanes, acc[r]);
      if constexpr (kMax) mx = xd::vmax(mx, xd::vabs(acc[r]));
    }
  }
  return xd::hmax(mx);
}

// One output row: P[s * ldp] = init + sum_j Wr[j] X[s * ldx + j], vectorised over j
// (Wr padded with zeros to C * kLanes; X's rows are read as whole vectors); the
// padding lanes P[s * ldp + 1 .. ldp) are set to 0.
// (ldp = padded(1) = kLanes: one vector per sample.)
template <int C>
void row_kernel(const double* Wr, double init, const double* X, size_t ldx, int B, double* P) {
  vd w[C];
  for (int c = 0; c < C; ++c) w[c] = xd::load(Wr + c * kLanes);
  for (int s = 0; s < B; ++s) {
    const double* x = X + static_cast<size_t>(s) * ldx;
    vd acc = w[0] * xd::load(x);
    for (int c = 1; c < C; ++c) acc += w[c] * xd::load(x + c * kLanes);
    double r = init;
    for (int l = 0; l < kLanes; ++l) r += acc[l];
    vd out = vd{};
    out[0] = r;
    xd::store(P + static_cast<size_t>(s) * kLanes, out);
  }
}

// H[j * ldh + i] = sum_s U[s * ldu + i] A[s * lda + j] for every lane i < R * kLanes
// (U's rows are read as whole vectors), and, when hb is set, hb[i] = sum_s U[s * ldu + i].
template <int R>
void hebbian_kernel(const double* U, size_t ldu, const double* A, size_t lda, int cols, int B, double* H, size_t ldh,
                    double* hb) {
  int j = 0;
  if constexpr (R <= 6) {
    for (; j + 2 <= cols; j += 2) {
      vd acc0[R] = {}, acc1[R] = {};
      for (int s = 0; s < B; ++s) {
        const double* a = A + static_cast<size_t>(s) * lda + j;
        const vd a0 = xd::splat(a[0]), a1 = xd::splat(a[1]);
        const double* u = U + static_cast<size_t>(s) * ldu;
        for (int r = 0; r < R; ++r) {
          const vd x = xd::load(u + r * kLanes);
          acc0[r] += x * a0;
          acc1[r] += x * a1;
        }
      }
      for (int r = 0; r < R; ++r) {
        xd::store(H + static_cast<size_t>(j) * ldh + r * kLanes, acc0[r]);
        xd::store(H + static_cast<size_t>(j + 1) * ldh + r * kLanes, acc1[r]);
      }
    }
  }
  for (; j < cols; ++j) {
    vd acc[R] = {};
    for (int s = 0; s < B; ++s) {
      const vd a = xd::splat(A[static_cast<size_t>(s) * lda + static_cast<size_t>(j)]);
      const double* u = U + static_cast<size_t>(s) * ldu;
      for (int r = 0; r < R; ++r) acc[r] += xd::load(u + r * kLanes) * a;
    }
    for (int r = 0; r < R; ++r) xd::store(H + static_cast<size_t>(j) * ldh + r * kLanes, acc[r]);
  }
  if (hb != nullptr) {
    vd acc[R] = {};
    for (int s = 0; s < B; ++s) {
      const double* u = U + static_cast<size_t>(s) * ldu;
      for (int r = 0; r < R; ++r) acc[r] += xd::load(u + r * kLanes);
    }
    for (int r = 0; r < R; ++r) xd::store(hb + r * kLanes, acc[r]);
  }
}

// Calls f(std::integral_constant<int, R>) for R = vectors in 1..kMaxVectors
// (anything else: kMaxVectors).
template <typename F, int... R>
void with_vectors_of(int vectors, F& f, std::integer_sequence<int, R...>) {
  if (!((vectors == R + 1 && (f(std::integral_constant<int, R + 1>{}), true)) || ...))
    f(std::integral_constant<int, kMaxVectors>{});
}
template <typename F>
void with_vectors(int vectors, F&& f) {
  with_vectors_of(vectors, f, std::make_integer_sequence<int, kMaxVectors - 1>{});
}
template <typename F>
double with_vectors_r(int vectors, F&& f) {
  double r = 0;
  with_vectors(vectors, [&](auto rv) { r = f(rv); });
  return r;
}
// The same for a small tile (R vectors of rows, K inner terms, R * K <= 8):
// the weights stay in registers for every sample.
template <int R, int K>
void small_kernel(const double* M, size_t ldm, const double* init, const double* X, size_t ldx, int B, double* P,
                  size_t ldp) {
  vd w[K][R], ini[R];
  for (int j = 0; j < K; ++j)
    for (int r = 0; r < R; ++r) w[j][r] = xd::load(M + static_cast<size_t>(j) * ldm + r * kLanes);
  for (int r = 0; r < R; ++r) ini[r] = xd::load(init + r * kLanes);
  for (int s = 0; s < B; ++s) {
    const double* x = X + static_cast<size_t>(s) * ldx;
    vd acc[R];
    for (int r = 0; r < R; ++r) acc[r] = ini[r];
    for (int j = 0; j < K; ++j) {
      const vd a = xd::splat(x[j]);
      for (int r = 0; r < R; ++r) acc[r] += w[j][r] * a;
    }
    for (int r = 0; r < R; ++r) xd::store(P + static_cast<size_t>(s) * ldp + r * kLanes, acc[r]);
  }
}
template <int R, int K>
using Small = std::pair<std::integral_constant<int, R>, std::integral_constant<int, K>>;
// Calls f(Small<R, K>) for the (R, K) of the list (R * 10 + K codes); false otherwise.
template <typename F, int... RK>
bool with_small_of(int code, F& f, std::integer_sequence<int, RK...>) {
  return ((code == RK && (f(Small<RK / 10, RK % 10>{}), true)) || ...);
}
// Calls f(Small<R, K>) for 1 <= R, K <= 4 with R * K <= 8; false otherwise.
template <typename F>
bool with_small(int R, int K, F&& f) {
  if (R < 1 || R > 4 || K < 1 || K > 4) return false;
  return with_small_of(R * 10 + K, f, std::integer_sequence<int, 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 41, 42>{});
}
// P = init + M X (product_kernel's contract) by the smallest kernel that fits.
template <bool kMax>
double product(int R, const double* M, size_t ldm, const double* init, const double* X, size_t ldx, int inner, int B,
               double* P, size_t ldp) {
  if (!kMax && with_small(R, inner, [&](auto rk) {
        small_kernel<decltype(rk)::first_type::value, decltype(rk)::second_type::value>(M, ldm, init, X, ldx, B, P, ldp);
      }))
    return 0;
  return with_vectors_r(R, [&](auto rv) { return product_kernel<decltype(rv)::value, kMax>(M, ldm, init, X, ldx, inner, B, P, ldp); });
}

}  // namespace

int vectors(int n) { return (n + kLanes - 1) / kLanes; }

double tile_product(bool want_max, int R, const double* M, size_t ldm, const double* init, const double* X,
                    size_t ldx, int inner, int B, double* P, size_t ldp) {
  return want_max ? product<true>(R, M, ldm, init, X, ldx, inner, B, P, ldp)
                  : product<false>(R, M, ldm, init, X, ldx, inner, B, P, ldp);
}

void row_product(int C, const double* Wr, double init, const double* X, size_t ldx, int B, double* P) {
  with_vectors(C, [&](auto cv) { row_kernel<decltype(cv)::value>(Wr, init, X, ldx, B, P); });
}

void hebbian_product(int R, const double* U, size_t ldu, const double* A, size_t lda, int cols, int B, double* H,
                     size_t ldh, double* hb) {
  with_vectors(R, [&](auto rv) { hebbian_kernel<decltype(rv)::value>(U, ldu, A, lda, cols, B, H, ldh, hb); });
}

}  // namespace sheafsim::mesh::pek
