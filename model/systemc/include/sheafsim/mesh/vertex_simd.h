#pragma once
// Vectorised register writes of a vertex unit (vertex_datapath.h) for the
// deterministic rounding modes, over a chunk of n x B registers stored
// densely. The vertex unit calls them only under the bounds stated at each
// kernel (checked from the formats and this step's magnitudes, fast64.h);
// otherwise it takes the 64-bit or __int128 path, which compute the same bits.
// Integers are held in doubles and rounded with one add (biased doubles): the
// primitives, round_biased and fit are those of sheafsim/fixed/exact_double.h,
// shared with the bit-accurate model; vertex_unit.cpp checks
// xd::exact_doubles_ok() before taking these paths.
#include <cstddef>
#include <cstdint>

#include "sheafsim/fixed/exact_double.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::mesh::simd {

using namespace xd;

// Blocks of doubles (and the vertex units' registers) are stored [s * ld + i]
// with ld = padded(n), the rows rounded up to whole vectors, and kLanes
// values of slack after the last row, so that kernels may load whole vectors
// from any row's start (the extra lanes are finite values and are ignored).
inline size_t padded(int n) { return (static_cast<size_t>(n) + kLanes - 1) / kLanes * kLanes; }
inline size_t padded_size(int n, int B) { return padded(n) * static_cast<size_t>(B) + kLanes; }

struct Counts {
  std::int64_t sat = 0, sat_a = 0, lost = 0, lost_a = 0;
  double max_abs = 0;  // max |u| (residuals), raw
};

// Stores the first `len` lanes of v (len <= kLanes) to p.
inline void storei_n(std::int64_t* p, vm v, std::ptrdiff_t len) {
  if (len == kLanes) {
    storei(p, v);
  } else {
    std::int64_t t[kLanes];
    storei(t, v);
    store_part(p, t, len);
  }
}

// Rows [0, n) of the B columns of a column-major int64 matrix (column stride
// ldm) into out[s * ld + i] as doubles. Returns a bound on max |v|: the OR
// over all values v of v ^ (v >> 63), plus 1 (fast::mag_bound); when that is
// at most 2^51 the doubles are exact, and then the bound returned is the
// exact max |v| measured on them.
inline fx::uwide gather_doubles(const std::int64_t* M, std::ptrdiff_t ldm, std::ptrdiff_t n, std::ptrdiff_t B,
                                double* out, std::ptrdiff_t ld) {
  vm bnd = vm{};
  vd mx = vd{};
  std::uint64_t tail = 0;
  double tail_mx = 0;
  const vm magic = splati(kMagicBits);
  const vd Md = splat(kMagic);
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    const std::int64_t* col = M + s * ldm;
    double* dst = out + s * ld;
    std::ptrdiff_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const vm v = loadi(col + i);
      bnd |= v ^ (v >> 63);
      const vd d = bits_d(v + magic) - Md;  // exact for |v| < 2^51
      mx = vmax(mx, vabs(d));
      store(dst + i, d);
    }
    for (; i < n; ++i) {
      const std::int64_t v = col[i];
      tail |= static_cast<std::uint64_t>(v ^ (v >> 63));
      dst[i] = static_cast<double>(v);
      tail_mx = std::max(tail_mx, std::fabs(dst[i]));
    }
  }
  for (int l = 0; l < kLanes; ++l) tail |= static_cast<std::uint64_t>(bnd[l]);
  const fx::uwide bound = static_cast<fx::uwide>(tail) + 1;
  if (bound > (fx::uwide{1} << 51)) return bound;
  return static_cast<fx::uwide>(std::max(hmax(mx), tail_mx));
}

// A chunk of a vertex unit: n registers per sample for B samples, its inputs
// stored [s * ld + i] (ld = padded(n); the padding lanes hold 0, which gives 0
// and counts nothing), its new stalks written to columns of the state matrix.
struct Chunk {
  std::ptrdiff_t n = 0, ld = 0, B = 0;
};

// ---- The residual write ----------------------------------------------------------------
// u = fit(round(acc 2^-d)), acc = z zs - p (zs = 2^fw; p the sum of the
// partial sums; the caller proved |z zs| + |p| < min(2^50, 2^(acc_bits - 1)):
// exact, no accumulator wrap), for all ld * B lanes. Writes u as doubles.
template <fx::Quant Q, fx::Overflow O, bool kFit>
Counts residual(const double* z, double zs, const double* p, double* ud, std::ptrdiff_t total, double scale,
                const Range R) {
  vm sat = vm{};
  const vd M = splat(kMagic), sc = splat(scale), vzs = splat(zs);
  vd hi = M, lo = M;
  for (std::ptrdiff_t i = 0; i < total; i += kLanes) {  // total: whole vectors (padded rows)
    vd r = round_biased<Q>(M, (load(z + i) * vzs - load(p + i)) * sc);
    if constexpr (kFit) r = fit<O>(r, R, sat);
    hi = vmax(hi, r);
    lo = vmin(lo, r);
    store(ud + i, r - M);
  }
  Counts c;
  c.sat = hsum(sat);
  c.max_abs = std::max(hmax(hi) - kMagic, kMagic - hmin(lo));
  return c;
}

// ---- The hidden neuron's step (vertex::hidden_update) ------------------------------------
// z' = fit(round(z + wz)), a' = fit(round(a + wa)) with q = a - m z, m = [z >= 0],
// wz = u cu - m q cq = -s g_z 2^-dz, wa = q cqa + p cw = -s g_a 2^-da (the
// caller's bounds: s |g_z|, s |g_a| and every product below 2^53, |z + wz|,
// |a + wa| < 2^50, no accumulator wrap of g_a, s != 0 so that wz != 0 iff g_z != 0).
struct HiddenParams {
  double cu, cq, cqa, cw;
  Range R;
};
// Reads z, a, u, p ([s * ld + i], doubles) and writes the new stalks to
// Zo[s * ldz + i], Ao[s * lda + i], i < n. (The largest change is measured
// afterwards from the old and new values, only when asked: VertexUnit::max_change.)
template <fx::Quant Q, fx::Overflow O, bool kFit>
Counts hidden(const double* Z, const double* A, const double* U, const double* P, const Chunk& ch,
              const HiddenParams& prm, std::int64_t* Zo, std::ptrdiff_t ldz, std::int64_t* Ao, std::ptrdiff_t lda) {
  vm sat_z = vm{}, sat_a = vm{}, lost_z = vm{}, lost_a = vm{};
  const vd cu = splat(prm.cu), cq = splat(prm.cq), cqa = splat(prm.cqa), cw = splat(prm.cw), M = splat(kMagic);
  const Range R = prm.R;
  const std::ptrdiff_t n = ch.n, ld = ch.ld, B = ch.B;  // locals: the stores could alias ch otherwise
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    const std::ptrdiff_t row = s * ld;
    for (std::ptrdiff_t i = 0; i < n; i += kLanes) {
      const std::ptrdiff_t k = row + i;
      const vd zb = load(Z + k) + M, ab = load(A + k) + M;  // biased: exact, |z|, |a| < 2^50
      const vd u = load(U + k), p = load(P + k);
      const vd q = ab - vmax(zb, M);  // a - max(z, 0) = a - m z
      const vd wz = u * cu - select(opaque(zb >= M), q) * cq;
      const vd wa = q * cqa + p * cw;
      vd zn = round_biased<Q>(zb, wz), an = round_biased<Q>(ab, wa);
      if constexpr (kFit) {
        zn = fit<O>(zn, R, sat_z);
        an = fit<O>(an, R, sat_a);
      }
      lost_z -= opaque(wz != 0.0) & opaque(zn == zb);
      lost_a -= opaque(wa != 0.0) & opaque(an == ab);
      const std::ptrdiff_t len = std::min<std::ptrdiff_t>(kLanes, n - i);
      storei_n(Zo + s * ldz + i, unbias(zn), len);
      storei_n(Ao + s * lda + i, unbias(an), len);
    }
  }
  Counts c;
  c.sat = hsum(sat_z);
  c.sat_a = hsum(sat_a);
  c.lost = hsum(lost_z);
  c.lost_a = hsum(lost_a);
  return c;
}

// ---- The identity output neuron's step (vertex::output_update) ----------------------------
// z' = fit(round(z + w)), w = u cu + (z - y) cy = -s g 2^-d (Y null: inference,
// g_out = 0) under the same kind of bounds. Writes Zo[s * ldz + i], i < n.
template <fx::Quant Q, fx::Overflow O, bool kFit>
Counts output(const double* Z, const double* Y, const double* U, const Chunk& ch, double cu, double cy,
              const Range R, std::int64_t* Zo, std::ptrdiff_t ldz) {
  vm sat = vm{}, lost = vm{};
  const vd vcu = splat(cu), vcy = splat(cy), M = splat(kMagic);
  const std::ptrdiff_t n = ch.n, ld = ch.ld, B = ch.B;
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    const std::ptrdiff_t row = s * ld;
    for (std::ptrdiff_t i = 0; i < n; i += kLanes) {
      const std::ptrdiff_t k = row + i;
      const vd z = load(Z + k), zb = z + M;
      vd w = load(U + k) * vcu;
      if (Y != nullptr) w += (z - load(Y + k)) * vcy;
      vd zn = round_biased<Q>(zb, w);
      if constexpr (kFit) zn = fit<O>(zn, R, sat);
      lost -= opaque(w != 0.0) & opaque(zn == zb);
      storei_n(Zo + s * ldz + i, unbias(zn), std::min<std::ptrdiff_t>(kLanes, n - i));
    }
  }
  Counts c;
  c.sat = hsum(sat);
  c.lost = hsum(lost);
  return c;
}

}  // namespace sheafsim::mesh::simd
