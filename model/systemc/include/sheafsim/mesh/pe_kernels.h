#pragma once
// The register-blocked double kernels of the C++ PE datapath
// (pe_datapath.cpp): sums of products of integers held in doubles. Every
// caller proves sum |x| |y| <= 2^53 over every sum, so every partial sum, in
// any order, is an integer below 2^53: exact, FMA contraction or not. Blocks
// are stored column by column with a leading dimension of whole vectors
// (xd::padded), padded with zeros.
#include <cstddef>

namespace sheafsim::mesh::pek {

// Tiles up to this many vectors of rows (rows <= kMaxVectors * xd::kLanes) use
// these kernels; larger ones Eigen's GEMM (xd::exact_product).
constexpr int kMaxVectors = 12;

// The vectors that hold n rows.
int vectors(int n);

// P[s * ldp + i] = init[i] + sum_j M[j * ldm + i] X[s * ldx + j] for every
// lane i < R * kLanes, R <= kMaxVectors vectors of rows (M and init padded
// with zeros: the padding lanes of P are 0), by the smallest kernel that fits.
// want_max: returns max |P|, else 0.
double tile_product(bool want_max, int R, const double* M, size_t ldm, const double* init, const double* X,
                    size_t ldx, int inner, int B, double* P, size_t ldp);

// One output row: P[s * kLanes] = init + sum_j Wr[j] X[s * ldx + j] for a row
// Wr of C <= kMaxVectors vectors (padded with zeros; X's rows are read as
// whole vectors); the padding lanes P[s * kLanes + 1 ..) are set to 0.
void row_product(int C, const double* Wr, double init, const double* X, size_t ldx, int B, double* P);

// H[j * ldh + i] = sum_s U[s * ldu + i] A[s * lda + j] for every lane
// i < R * kLanes (U's rows are read as whole vectors), and, when hb is set,
// hb[i] = sum_s U[s * ldu + i].
void hebbian_product(int R, const double* U, size_t ldu, const double* A, size_t lda, int cols, int B, double* H,
                     size_t ldh, double* hb);

}  // namespace sheafsim::mesh::pek
