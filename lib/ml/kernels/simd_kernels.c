/*
 * WebAssembly SIMD helpers for Quarry's tfjs wasm kernels (lib/ml/kernels). They run on the
 * tfjs-backend-wasm heap: the module imports tfjs's WebAssembly.Memory and gets byte offsets of
 * tensors, so nothing is copied across. They must not use the C stack or static data (the build
 * script, build_simd.ts, checks that the module touches no global), since both would land in
 * memory that belongs to tfjs.
 *
 * All loops run in a fixed order: results are bit-for-bit the same on every machine.
 *
 * Build: deno run -A lib/ml/kernels/build_simd.ts (needs clang-14 and wasm-ld-14).
 */

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* Zero-padded copy of x [N, H, W, C] into xp [N, Hp, Wp, C], x's pixel (0, 0) at (top, left). */
EXPORT(pad_nhwc)
void pad_nhwc(const float* x, float* xp, int N, int H, int W, int C, int top, int left, int Hp,
              int Wp) {
  __builtin_memset(xp, 0, sizeof(float) * N * Hp * Wp * C);
  for (int n = 0; n < N; n++) {
    for (int h = 0; h < H; h++) {
      const float* src = x + ((n * H + h) * W) * C;
      float* dst = xp + ((n * Hp + h + top) * Wp + left) * C;
      __builtin_memcpy(dst, src, sizeof(float) * W * C);
    }
  }
}

/*
 * Transposed im2col of a padded input xp [N, Hp, Wp, C] for a KHxKW filter with strides
 * (sh, sw): cols [KH*KW*C, N*OH*OW], row (kh, kw, c), column (n, oh, ow).
 */
EXPORT(im2col_t)
void im2col_t(const float* xp, float* cols, int N, int Hp, int Wp, int C, int KH, int KW, int OH,
              int OW, int sh, int sw) {
  const int M = N * OH * OW;
  if (sw == 1 && C % 4 == 0) {
    /* Four channels at a time: 4x4 blocks (4 pixels x 4 channels) transposed in registers. */
    for (int kh = 0; kh < KH; kh++) {
      for (int kw = 0; kw < KW; kw++) {
        for (int c = 0; c < C; c += 4) {
          float* r0 = cols + ((kh * KW + kw) * C + c) * M;
          float* r1 = r0 + M;
          float* r2 = r1 + M;
          float* r3 = r2 + M;
          int o = 0;
          for (int n = 0; n < N; n++) {
            for (int oh = 0; oh < OH; oh++) {
              const float* src = xp + ((n * Hp + oh * sh + kh) * Wp + kw) * C + c;
              int ow = 0;
              for (; ow + 4 <= OW; ow += 4, o += 4) {
                v128_t p0 = wasm_v128_load(src + (ow + 0) * C);
                v128_t p1 = wasm_v128_load(src + (ow + 1) * C);
                v128_t p2 = wasm_v128_load(src + (ow + 2) * C);
                v128_t p3 = wasm_v128_load(src + (ow + 3) * C);
                v128_t t0 = wasm_i32x4_shuffle(p0, p1, 0, 4, 1, 5);
                v128_t t1 = wasm_i32x4_shuffle(p0, p1, 2, 6, 3, 7);
                v128_t t2 = wasm_i32x4_shuffle(p2, p3, 0, 4, 1, 5);
                v128_t t3 = wasm_i32x4_shuffle(p2, p3, 2, 6, 3, 7);
                wasm_v128_store(r0 + o, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
                wasm_v128_store(r1 + o, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
                wasm_v128_store(r2 + o, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
                wasm_v128_store(r3 + o, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
              }
              for (; ow < OW; ow++, o++) {
                const float* p = src + ow * C;
                r0[o] = p[0];
                r1[o] = p[1];
                r2[o] = p[2];
                r3[o] = p[3];
              }
            }
          }
        }
      }
    }
    return;
  }
  if (sw == 1 && C == 1) {
    /* One channel: each (row, n, oh) is a contiguous run of OW pixels. */
    for (int kh = 0; kh < KH; kh++) {
      for (int kw = 0; kw < KW; kw++) {
        float* row = cols + (kh * KW + kw) * M;
        for (int n = 0; n < N; n++) {
          for (int oh = 0; oh < OH; oh++, row += OW) {
            __builtin_memcpy(row, xp + (n * Hp + oh * sh + kh) * Wp + kw, sizeof(float) * OW);
          }
        }
      }
    }
    return;
  }
  for (int kh = 0; kh < KH; kh++) {
    for (int kw = 0; kw < KW; kw++) {
      for (int c = 0; c < C; c++) {
        float* row = cols + ((kh * KW + kw) * C + c) * M;
        int o = 0;
        for (int n = 0; n < N; n++) {
          for (int oh = 0; oh < OH; oh++) {
            const float* src = xp + ((n * Hp + oh * sh + kh) * Wp + kw) * C + c;
            const int step = sw * C;
            for (int ow = 0; ow < OW; ow++) row[o++] = src[ow * step];
          }
        }
      }
    }
  }
}

/*
 * col2im: dx [N, H, W, C] = the sum, over output pixels m = (n, oh, ow) and filter taps
 * (kh, kw), of cols[m, (kh, kw, c)] at x pixel (oh*sh + kh - top, ow*sw + kw - left).
 */
EXPORT(col2im)
void col2im(const float* cols, float* dx, int N, int H, int W, int C, int KH, int KW, int OH,
            int OW, int sh, int sw, int top, int left) {
  __builtin_memset(dx, 0, sizeof(float) * N * H * W * C);
  const int K = KH * KW * C;
  for (int n = 0; n < N; n++) {
    for (int oh = 0; oh < OH; oh++) {
      for (int ow = 0; ow < OW; ow++) {
        const float* row = cols + ((n * OH + oh) * OW + ow) * K;
        for (int kh = 0; kh < KH; kh++) {
          const int ih = oh * sh + kh - top;
          if (ih < 0 || ih >= H) continue;
          for (int kw = 0; kw < KW; kw++) {
            const int iw = ow * sw + kw - left;
            if (iw < 0 || iw >= W) continue;
            const float* src = row + (kh * KW + kw) * C;
            float* dst = dx + ((n * H + ih) * W + iw) * C;
            int c = 0;
            for (; c + 4 <= C; c += 4) {
              wasm_v128_store(dst + c,
                              wasm_f32x4_add(wasm_v128_load(dst + c), wasm_v128_load(src + c)));
            }
            for (; c < C; c++) dst[c] += src[c];
          }
        }
      }
    }
  }
}

/*
 * Max-pool gradient: dx [N, H, W, C] (zeroed here) gets each dy [N, OH, OW, C] value at its
 * window's first maximum of x in row-major order (as tfjs's cpu backend), windows fh x fw with
 * strides (sh, sw) and padding (top, left); windows with no value above -inf get nothing.
 */
EXPORT(max_pool_grad)
void max_pool_grad(const float* x, const float* dy, float* dx, int N, int H, int W, int C, int OH,
                   int OW, int fh, int fw, int sh, int sw, int top, int left) {
  __builtin_memset(dx, 0, sizeof(float) * N * H * W * C);
  const v128_t lanes = wasm_i32x4_make(0, 1, 2, 3);
  for (int n = 0; n < N; n++) {
    for (int oh = 0; oh < OH; oh++) {
      int h0 = oh * sh - top;
      int h1 = h0 + fh;
      if (h0 < 0) h0 = 0;
      if (h1 > H) h1 = H;
      for (int ow = 0; ow < OW; ow++) {
        int w0 = ow * sw - left;
        int w1 = w0 + fw;
        if (w0 < 0) w0 = 0;
        if (w1 > W) w1 = W;
        const float* g = dy + ((n * OH + oh) * OW + ow) * C;
        int c = 0;
        /* Four channels at a time: lane-wise "strictly greater" keeps each lane's first max. */
        for (; c + 4 <= C; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              const int i = ((n * H + h) * W + w) * C + c;
              const v128_t v = wasm_v128_load(x + i);
              const v128_t greater = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, greater);
              where = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(i), lanes), where,
                                          greater);
            }
          }
          const int i0 = wasm_i32x4_extract_lane(where, 0);
          const int i1 = wasm_i32x4_extract_lane(where, 1);
          const int i2 = wasm_i32x4_extract_lane(where, 2);
          const int i3 = wasm_i32x4_extract_lane(where, 3);
          if (i0 >= 0) dx[i0] += g[c];
          if (i1 >= 0) dx[i1] += g[c + 1];
          if (i2 >= 0) dx[i2] += g[c + 2];
          if (i3 >= 0) dx[i3] += g[c + 3];
        }
        for (; c < C; c++) {
          float best = -__builtin_inff();
          int where = -1;
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              const int i = ((n * H + h) * W + w) * C + c;
              if (x[i] > best) {
                best = x[i];
                where = i;
              }
            }
          }
          if (where >= 0) dx[where] += g[c];
        }
      }
    }
  }
}

/*
 * Column sums: out[c] = sum over r of x[r, c] for x [rows, cols], accumulated in double precision
 * (as tfjs's cpu backend does) in row order, rounded once to float.
 */
EXPORT(sum_rows)
void sum_rows(const float* x, float* out, int rows, int cols) {
  int c = 0;
  for (; c + 4 <= cols; c += 4) {
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    for (int r = 0; r < rows; r++) {
      const v128_t v = wasm_v128_load(x + r * cols + c);
      lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));
      hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
    }
    out[c] = (float)wasm_f64x2_extract_lane(lo, 0);
    out[c + 1] = (float)wasm_f64x2_extract_lane(lo, 1);
    out[c + 2] = (float)wasm_f64x2_extract_lane(hi, 0);
    out[c + 3] = (float)wasm_f64x2_extract_lane(hi, 1);
  }
  for (; c < cols; c++) {
    double s = 0.0;
    for (int r = 0; r < rows; r++) s += x[r * cols + c];
    out[c] = (float)s;
  }
}

/*
 * Filter gradient of a one-channel convolution with horizontal stride 1, without im2col:
 * dw [KH, KW, 1, Cout] = sum over (n, oh, ow) of xp[n, oh*sh + kh, ow + kw] * dy[n, oh, ow, co],
 * xp [N, Hp, Wp] padded, with at least 4 readable floats after its end (taps are read five at a
 * time). Cout must be a multiple of 4. Tiles of 5 taps x 8 (or 4) output channels stay in
 * registers over one image; per-image sums are added into dw in image order.
 */
EXPORT(conv1_filter_grad)
void conv1_filter_grad(const float* xp, const float* dy, float* dw, int N, int Hp, int Wp, int KH,
                       int KW, int OH, int OW, int sh, int Cout) {
  __builtin_memset(dw, 0, sizeof(float) * KH * KW * Cout);
  for (int kh = 0; kh < KH; kh++) {
    for (int k0 = 0; k0 < KW; k0 += 5) {
      const int taps = KW - k0 < 5 ? KW - k0 : 5;
      int co = 0;
      for (; co + 8 <= Cout; co += 8) {
        for (int n = 0; n < N; n++) {
          v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
          v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0;
          for (int oh = 0; oh < OH; oh++) {
            const float* xr = xp + (n * Hp + oh * sh + kh) * Wp + k0;
            const float* dr = dy + ((n * OH + oh) * OW) * Cout + co;
            for (int ow = 0; ow < OW; ow++, xr++, dr += Cout) {
              const v128_t d0 = wasm_v128_load(dr);
              const v128_t d1 = wasm_v128_load(dr + 4);
              v128_t x = wasm_v128_load32_splat(xr);
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(x, d0));
              b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(x, d1));
              x = wasm_v128_load32_splat(xr + 1);
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(x, d0));
              b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(x, d1));
              x = wasm_v128_load32_splat(xr + 2);
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(x, d0));
              b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(x, d1));
              x = wasm_v128_load32_splat(xr + 3);
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(x, d0));
              b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(x, d1));
              x = wasm_v128_load32_splat(xr + 4);
              a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(x, d0));
              b4 = wasm_f32x4_add(b4, wasm_f32x4_mul(x, d1));
            }
          }
          float* d = dw + (kh * KW + k0) * Cout + co;
          wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a0));
          wasm_v128_store(d + 4, wasm_f32x4_add(wasm_v128_load(d + 4), b0));
          if (taps > 1) {
            d += Cout;
            wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a1));
            wasm_v128_store(d + 4, wasm_f32x4_add(wasm_v128_load(d + 4), b1));
          }
          if (taps > 2) {
            d += Cout;
            wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a2));
            wasm_v128_store(d + 4, wasm_f32x4_add(wasm_v128_load(d + 4), b2));
          }
          if (taps > 3) {
            d += Cout;
            wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a3));
            wasm_v128_store(d + 4, wasm_f32x4_add(wasm_v128_load(d + 4), b3));
          }
          if (taps > 4) {
            d += Cout;
            wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a4));
            wasm_v128_store(d + 4, wasm_f32x4_add(wasm_v128_load(d + 4), b4));
          }
        }
      }
      for (; co < Cout; co += 4) {
        for (int n = 0; n < N; n++) {
          v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
          for (int oh = 0; oh < OH; oh++) {
            const float* xr = xp + (n * Hp + oh * sh + kh) * Wp + k0;
            const float* dr = dy + ((n * OH + oh) * OW) * Cout + co;
            for (int ow = 0; ow < OW; ow++, xr++, dr += Cout) {
              const v128_t d0 = wasm_v128_load(dr);
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load32_splat(xr), d0));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load32_splat(xr + 1), d0));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load32_splat(xr + 2), d0));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load32_splat(xr + 3), d0));
              a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(wasm_v128_load32_splat(xr + 4), d0));
            }
          }
          float* d = dw + (kh * KW + k0) * Cout + co;
          wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a0));
          if (taps > 1) wasm_v128_store(d + Cout, wasm_f32x4_add(wasm_v128_load(d + Cout), a1));
          if (taps > 2) {
            wasm_v128_store(d + 2 * Cout, wasm_f32x4_add(wasm_v128_load(d + 2 * Cout), a2));
          }
          if (taps > 3) {
            wasm_v128_store(d + 3 * Cout, wasm_f32x4_add(wasm_v128_load(d + 3 * Cout), a3));
          }
          if (taps > 4) {
            wasm_v128_store(d + 4 * Cout, wasm_f32x4_add(wasm_v128_load(d + 4 * Cout), a4));
          }
        }
      }
    }
  }
}

/*
 * Forward convolution of a one-channel input (the first layer on grey images), where XNNPACK's
 * direct convolution is slow: out [N, OH, OW, Cout] = act(bias + sum over taps of
 * xp[n, oh*sh + kh, ow*sw + kw] * w[kh, kw, co]), xp [N, Hp, Wp] padded, Cout a multiple of 4,
 * bias null (0) or [Cout], relu if `relu`. Eight (then four, then one) output pixels share each filter load.
 */
EXPORT(conv1_forward)
void conv1_forward(const float* xp, const float* w, const float* bias, float* out, int N, int Hp,
                   int Wp, int KH, int KW, int OH, int OW, int sh, int sw, int Cout, int relu) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int n = 0; n < N; n++) {
    for (int oh = 0; oh < OH; oh++) {
      const float* xrow = xp + (n * Hp + oh * sh) * Wp;
      float* orow = out + ((n * OH + oh) * OW) * Cout;
      for (int co = 0; co < Cout; co += 4) {
        const v128_t b = bias ? wasm_v128_load(bias + co) : zero;
        int ow = 0;
        for (; ow + 8 <= OW; ow += 8) {
          v128_t a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
          const float* x0 = xrow + ow * sw;
          for (int kh = 0; kh < KH; kh++, x0 += Wp) {
            const float* wr = w + kh * KW * Cout + co;
            for (int kw = 0; kw < KW; kw++) {
              const v128_t wv = wasm_v128_load(wr + kw * Cout);
              const float* xk = x0 + kw;
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load32_splat(xk), wv));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load32_splat(xk + sw), wv));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 2 * sw), wv));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 3 * sw), wv));
              a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 4 * sw), wv));
              a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 5 * sw), wv));
              a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 6 * sw), wv));
              a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 7 * sw), wv));
            }
          }
          if (relu) {
            a0 = wasm_f32x4_max(a0, zero);
            a1 = wasm_f32x4_max(a1, zero);
            a2 = wasm_f32x4_max(a2, zero);
            a3 = wasm_f32x4_max(a3, zero);
            a4 = wasm_f32x4_max(a4, zero);
            a5 = wasm_f32x4_max(a5, zero);
            a6 = wasm_f32x4_max(a6, zero);
            a7 = wasm_f32x4_max(a7, zero);
          }
          float* o = orow + ow * Cout + co;
          wasm_v128_store(o, a0);
          wasm_v128_store(o + Cout, a1);
          wasm_v128_store(o + 2 * Cout, a2);
          wasm_v128_store(o + 3 * Cout, a3);
          wasm_v128_store(o + 4 * Cout, a4);
          wasm_v128_store(o + 5 * Cout, a5);
          wasm_v128_store(o + 6 * Cout, a6);
          wasm_v128_store(o + 7 * Cout, a7);
        }
        for (; ow + 4 <= OW; ow += 4) {
          v128_t a0 = b, a1 = b, a2 = b, a3 = b;
          const float* x0 = xrow + ow * sw;
          for (int kh = 0; kh < KH; kh++, x0 += Wp) {
            const float* wr = w + kh * KW * Cout + co;
            for (int kw = 0; kw < KW; kw++) {
              const v128_t wv = wasm_v128_load(wr + kw * Cout);
              const float* xk = x0 + kw;
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load32_splat(xk), wv));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load32_splat(xk + sw), wv));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 2 * sw), wv));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load32_splat(xk + 3 * sw), wv));
            }
          }
          if (relu) {
            a0 = wasm_f32x4_max(a0, zero);
            a1 = wasm_f32x4_max(a1, zero);
            a2 = wasm_f32x4_max(a2, zero);
            a3 = wasm_f32x4_max(a3, zero);
          }
          float* o = orow + ow * Cout + co;
          wasm_v128_store(o, a0);
          wasm_v128_store(o + Cout, a1);
          wasm_v128_store(o + 2 * Cout, a2);
          wasm_v128_store(o + 3 * Cout, a3);
        }
        for (; ow < OW; ow++) {
          v128_t a0 = b;
          const float* x0 = xrow + ow * sw;
          for (int kh = 0; kh < KH; kh++) {
            const float* wr = w + kh * KW * Cout + co;
            for (int kw = 0; kw < KW; kw++) {
              a0 = wasm_f32x4_add(
                  a0, wasm_f32x4_mul(wasm_v128_load32_splat(x0 + kw), wasm_v128_load(wr + kw * Cout)));
            }
            x0 += Wp;
          }
          if (relu) a0 = wasm_f32x4_max(a0, zero);
          wasm_v128_store(orow + ow * Cout + co, a0);
        }
      }
    }
  }
}

/*
 * One RMSProp step (tfjs's non-centered RMSPropOptimizer), fused: for each of the n elements,
 *   ms'  = ms * decay + (g * g) * (1 - decay)
 *   mom' = mom * momentum + (g * lr) / sqrt(ms' + eps)
 *   v'   = v - mom'
 * with every operation rounded to float in tfjs's order, so the result is bit-identical to its
 * chain of Square, Multiply, Add, Sqrt, RealDiv and Sub kernels. Outputs may not alias inputs.
 */
EXPORT(rmsprop)
void rmsprop(const float* v, const float* ms, const float* mom, const float* g, float* v_out,
             float* ms_out, float* mom_out, int n, float decay, float one_minus_decay, float lr,
             float momentum, float eps) {
  const v128_t vdecay = wasm_f32x4_splat(decay), vkeep = wasm_f32x4_splat(one_minus_decay);
  const v128_t vlr = wasm_f32x4_splat(lr), vmomentum = wasm_f32x4_splat(momentum);
  const v128_t veps = wasm_f32x4_splat(eps);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t msi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(ms + i), vdecay),
                                      wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vkeep));
    const v128_t step = wasm_f32x4_div(wasm_f32x4_mul(gi, vlr),
                                       wasm_f32x4_sqrt(wasm_f32x4_add(msi, veps)));
    const v128_t momi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mom + i), vmomentum), step);
    wasm_v128_store(ms_out + i, msi);
    wasm_v128_store(mom_out + i, momi);
    wasm_v128_store(v_out + i, wasm_f32x4_sub(wasm_v128_load(v + i), momi));
  }
  for (; i < n; i++) {
    const float msi = ms[i] * decay + (g[i] * g[i]) * one_minus_decay;
    const float momi = mom[i] * momentum + (g[i] * lr) / __builtin_sqrtf(msi + eps);
    ms_out[i] = msi;
    mom_out[i] = momi;
    v_out[i] = v[i] - momi;
  }
}

/*
 * ReLU's gradient: dx = dy * step(x) over n elements, step(x) = 1 where x > 0, NaN where x is
 * NaN, else 0: the product tfjs's gradient `mul(dy, cast(step(x)))` computes (so -0 where dy < 0
 * and x <= 0, NaN where dy is not finite and x <= 0).
 */
EXPORT(relu_grad)
void relu_grad(const float* dy, const float* x, float* dx, int n) {
  const v128_t one = wasm_f32x4_splat(1.0f), zero = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t xi = wasm_v128_load(x + i);
    const v128_t step = wasm_v128_bitselect(
        xi, wasm_v128_bitselect(one, zero, wasm_f32x4_gt(xi, zero)), wasm_f32x4_ne(xi, xi));
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), step));
  }
  for (; i < n; i++) dx[i] = dy[i] * (x[i] > 0.0f ? 1.0f : x[i] != x[i] ? x[i] : 0.0f);
}

/* Bias over the last axis: out [rows, C] = x [rows, C] + b [C] (one float addition each). */
EXPORT(add_bias)
void add_bias(const float* x, const float* b, float* out, int rows, int C) {
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    float* o = out + r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(xr + c), wasm_v128_load(b + c)));
    }
    for (; c < C; c++) o[c] = xr[c] + b[c];
  }
}

/*
 * The 4 x 8 register tile of conv_forward, gemm and conv1_pool_forward: accumulators a0..a3 (the
 * four rows times w0) and c0..c3 (times w1), declared by the caller. TILE4X8_STEP adds the
 * products of the values at p0..p3 with w0 and w1, row by row; TILE4X8_RELU takes the max with
 * +0 (as XNNPACK's clamp). Macros, not functions: the same code as written out in each kernel.
 */
#define TILE4X8_STEP(p0, p1, p2, p3, w0, w1)          \
  do {                                                 \
    v128_t s_ = wasm_v128_load32_splat(p0);            \
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s_, w0));   \
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(s_, w1));   \
    s_ = wasm_v128_load32_splat(p1);                   \
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s_, w0));   \
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(s_, w1));   \
    s_ = wasm_v128_load32_splat(p2);                   \
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s_, w0));   \
    c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(s_, w1));   \
    s_ = wasm_v128_load32_splat(p3);                   \
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s_, w0));   \
    c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(s_, w1));   \
  } while (0)
#define TILE4X8_RELU()              \
  do {                              \
    a0 = wasm_f32x4_pmax(zero, a0); \
    a1 = wasm_f32x4_pmax(zero, a1); \
    a2 = wasm_f32x4_pmax(zero, a2); \
    a3 = wasm_f32x4_pmax(zero, a3); \
    c0 = wasm_f32x4_pmax(zero, c0); \
    c1 = wasm_f32x4_pmax(zero, c1); \
    c2 = wasm_f32x4_pmax(zero, c2); \
    c3 = wasm_f32x4_pmax(zero, c3); \
  } while (0)

/*
 * The input pixel under output pixel i (0..3) of a block of conv_forward: without pooling, block
 * q covers output pixels 4q .. 4q+3 in row-major order (past the last one, the last one again);
 * with 2x2 pooling, block q is pooled pixel q and covers its window row by row.
 */
static inline const float* conv_pixel(const float* ximg, int q, int i, int pool, int OW, int P,
                                      int PW, int sh, int Wp, int C) {
  int oh, ow;
  if (pool) {
    oh = 2 * (q / PW) + (i >> 1);
    ow = 2 * (q % PW) + (i & 1);
  } else {
    const int p = 4 * q + i < P ? 4 * q + i : P - 1;
    oh = p / OW;
    ow = p % OW;
  }
  return ximg + (oh * sh * Wp + ow) * C;
}

/* One vector of output channels (co .. co+3) of conv_forward for one image, 2 blocks a time. */
static inline void conv_forward_v1(const float* ximg, const float* w, v128_t b, float* oimg,
                                   int Wp, int C, int KH, int KW, int OH, int OW, int sh,
                                   int Cout, int co, int relu, int pool) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const int P = OH * OW;
  const int PW = OW / 2;
  const int blocks = pool ? (OH / 2) * PW : (P + 3) / 4;
  const int wrow = C * Cout;
  for (int q = 0; q < blocks; q += 2) {
    const int r = q + 1 < blocks ? q + 1 : q;
#define PIXEL(b, i) conv_pixel(ximg, b, i, pool, OW, P, PW, sh, Wp, C)
    const float *q0 = PIXEL(q, 0), *q1 = PIXEL(q, 1), *q2 = PIXEL(q, 2), *q3 = PIXEL(q, 3);
    const float *q4 = PIXEL(r, 0), *q5 = PIXEL(r, 1), *q6 = PIXEL(r, 2), *q7 = PIXEL(r, 3);
#undef PIXEL
    v128_t a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    for (int kh = 0; kh < KH; kh++) {
      for (int kw = 0; kw < KW; kw++) {
        const int off = (kh * Wp + kw) * C;
        const float* wk = w + (kh * KW + kw) * wrow + co;
        for (int c = 0; c < C; c++, wk += Cout) {
          const v128_t wv = wasm_v128_load(wk);
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load32_splat(q0 + off + c), wv));
          a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load32_splat(q1 + off + c), wv));
          a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load32_splat(q2 + off + c), wv));
          a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load32_splat(q3 + off + c), wv));
          a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(wasm_v128_load32_splat(q4 + off + c), wv));
          a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(wasm_v128_load32_splat(q5 + off + c), wv));
          a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(wasm_v128_load32_splat(q6 + off + c), wv));
          a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(wasm_v128_load32_splat(q7 + off + c), wv));
        }
      }
    }
    if (relu) {
      a0 = wasm_f32x4_pmax(zero, a0);
      a1 = wasm_f32x4_pmax(zero, a1);
      a2 = wasm_f32x4_pmax(zero, a2);
      a3 = wasm_f32x4_pmax(zero, a3);
      a4 = wasm_f32x4_pmax(zero, a4);
      a5 = wasm_f32x4_pmax(zero, a5);
      a6 = wasm_f32x4_pmax(zero, a6);
      a7 = wasm_f32x4_pmax(zero, a7);
    }
    if (pool) {
      /* Maxima of non-negative numbers (relu outputs): exact, in any order. */
      wasm_v128_store(oimg + r * Cout + co,
                      wasm_f32x4_max(wasm_f32x4_max(a4, a5), wasm_f32x4_max(a6, a7)));
      wasm_v128_store(oimg + q * Cout + co,
                      wasm_f32x4_max(wasm_f32x4_max(a0, a1), wasm_f32x4_max(a2, a3)));
      continue;
    }
    const int p = 4 * q;
    float* o = oimg + p * Cout + co;
    wasm_v128_store(o, a0);
    if (p + 1 < P) wasm_v128_store(o + Cout, a1);
    if (p + 2 < P) wasm_v128_store(o + 2 * Cout, a2);
    if (p + 3 < P) wasm_v128_store(o + 3 * Cout, a3);
    if (p + 4 < P) wasm_v128_store(o + 4 * Cout, a4);
    if (p + 5 < P) wasm_v128_store(o + 5 * Cout, a5);
    if (p + 6 < P) wasm_v128_store(o + 6 * Cout, a6);
    if (p + 7 < P) wasm_v128_store(o + 7 * Cout, a7);
  }
}

/*
 * Forward convolution, horizontal stride 1, in XNNPACK's order for each output: out [N, OH, OW,
 * Cout] = act(bias + the products xp[n, oh*sh + kh, ow + kw, c] * w[kh, kw, c, co] added one at
 * a time, taps (kh, kw) in row-major order, channels c in order), xp [N, Hp, Wp, C] padded, bias
 * null (0) or [Cout], relu if `relu` (max with +0, as XNNPACK's clamp), Cout >= 4. With `pool`
 * (and relu), the output is that max-pooled 2x2 with stride 2 ("valid": [N, OH/2, OW/2, Cout]),
 * as tfjs's MaxPool of it would be: the maximum of the same bits. Blocks of 4 output pixels
 * (a pooling window) x 8 output channels share each filter and input load; a pair of
 * output-channel vectors runs over a whole image while its filter columns stay in cache.
 */
EXPORT(conv_forward)
void conv_forward(const float* xp, const float* w, const float* bias, float* out, int N, int Hp,
                  int Wp, int C, int KH, int KW, int OH, int OW, int sh, int Cout, int relu,
                  int pool) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const int P = OH * OW;
  const int PW = OW / 2;
  const int blocks = pool ? (OH / 2) * PW : (P + 3) / 4;
  const int wrow = C * Cout;
  for (int n = 0; n < N; n++) {
    const float* ximg = xp + n * Hp * Wp * C;
    float* oimg = out + n * (pool ? blocks : P) * Cout;
    int co = 0;
    for (; co + 8 <= Cout; co += 8) {
      const v128_t b0 = bias ? wasm_v128_load(bias + co) : zero;
      const v128_t b1 = bias ? wasm_v128_load(bias + co + 4) : zero;
      for (int q = 0; q < blocks; q++) {
        const float* x0p = conv_pixel(ximg, q, 0, pool, OW, P, PW, sh, Wp, C);
        const float* x1p = conv_pixel(ximg, q, 1, pool, OW, P, PW, sh, Wp, C);
        const float* x2p = conv_pixel(ximg, q, 2, pool, OW, P, PW, sh, Wp, C);
        const float* x3p = conv_pixel(ximg, q, 3, pool, OW, P, PW, sh, Wp, C);
        v128_t a0 = b0, a1 = b0, a2 = b0, a3 = b0, c0 = b1, c1 = b1, c2 = b1, c3 = b1;
        for (int kh = 0; kh < KH; kh++) {
          for (int kw = 0; kw < KW; kw++) {
            const int off = (kh * Wp + kw) * C;
            const float* x0 = x0p + off;
            const float* x1 = x1p + off;
            const float* x2 = x2p + off;
            const float* x3 = x3p + off;
            const float* wk = w + (kh * KW + kw) * wrow + co;
            for (int c = 0; c < C; c++, wk += Cout) {
              const v128_t w0 = wasm_v128_load(wk);
              const v128_t w1 = wasm_v128_load(wk + 4);
              TILE4X8_STEP(x0 + c, x1 + c, x2 + c, x3 + c, w0, w1);
            }
          }
        }
        if (relu) TILE4X8_RELU();
        if (pool) {
          /* Maxima of non-negative numbers (relu outputs): exact, in any order. */
          float* o = oimg + q * Cout + co;
          wasm_v128_store(o, wasm_f32x4_max(wasm_f32x4_max(a0, a1), wasm_f32x4_max(a2, a3)));
          wasm_v128_store(o + 4, wasm_f32x4_max(wasm_f32x4_max(c0, c1), wasm_f32x4_max(c2, c3)));
          continue;
        }
        const int p = 4 * q;
        float* o = oimg + p * Cout + co;
        wasm_v128_store(o, a0);
        wasm_v128_store(o + 4, c0);
        if (p + 1 < P) {
          wasm_v128_store(o + Cout, a1);
          wasm_v128_store(o + Cout + 4, c1);
        }
        if (p + 2 < P) {
          wasm_v128_store(o + 2 * Cout, a2);
          wasm_v128_store(o + 2 * Cout + 4, c2);
        }
        if (p + 3 < P) {
          wasm_v128_store(o + 3 * Cout, a3);
          wasm_v128_store(o + 3 * Cout + 4, c3);
        }
      }
    }
    /* The last channels one vector at a time; a partial vector is the last 4 channels, which
       recomputes a few with the same bits. */
    for (; co < Cout; co += 4) {
      const int c4 = co + 4 <= Cout ? co : Cout - 4;
      const v128_t b = bias ? wasm_v128_load(bias + c4) : zero;
      conv_forward_v1(ximg, w, b, oimg, Wp, C, KH, KW, OH, OW, sh, Cout, c4, relu, pool);
    }
  }
}

/*
 * Packs b [K, N] (N >= 4) for gemm: panel p (of ceil(N/4)) holds columns j0 .. j0+3, j0 =
 * min(4p, N-4), as [K, 4] at packed + 4*K*p. Writes panels p0 .. p1-1.
 */
EXPORT(gemm_pack)
void gemm_pack(const float* b, float* packed, int K, int N, int p0, int p1) {
  for (int p = p0; p < p1; p++) {
    const int j0 = 4 * p + 4 <= N ? 4 * p : N - 4;
    float* dst = packed + 4 * K * p;
    for (int k = 0; k < K; k++) wasm_v128_store(dst + 4 * k, wasm_v128_load(b + k * N + j0));
  }
}

/*
 * out [M, N] = act(bias + sum over k of a[m, k] * b[k, n], products added one at a time in k
 * order: XNNPACK's order for each output), b packed by gemm_pack, bias null (0) or [N], relu if
 * `relu` (max with +0, as XNNPACK's clamp). Blocks of 4 rows x 8 columns; rows in chunks of 64
 * that stay in cache while every panel of b passes them. Where M is not a multiple of 4, the last
 * block repeats row M-1 (the same values stored twice); a partial last panel recomputes the
 * columns it shares with the one before, with the same bits.
 */
EXPORT(gemm)
void gemm(const float* a, const float* packed, const float* bias, float* out, int M, int K, int N,
          int relu) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const int panels = (N + 3) / 4;
  for (int m0 = 0; m0 < M; m0 += 64) {
    const int m1 = m0 + 64 < M ? m0 + 64 : M;
    for (int p = 0; p < panels; p += 2) {
      const int pair = p + 1 < panels;
      const int j0 = 4 * p + 4 <= N ? 4 * p : N - 4;
      const int j1 = pair ? (4 * p + 8 <= N ? 4 * p + 4 : N - 4) : j0;
      const float* w0p = packed + 4 * K * p;
      const float* w1p = pair ? w0p + 4 * K : w0p;
      const v128_t b0 = bias ? wasm_v128_load(bias + j0) : zero;
      const v128_t b1 = bias ? wasm_v128_load(bias + j1) : zero;
      for (int m = m0; m < m1; m += 4) {
        const float* x0 = a + m * K;
        const float* x1 = a + (m + 1 < M ? m + 1 : M - 1) * K;
        const float* x2 = a + (m + 2 < M ? m + 2 : M - 1) * K;
        const float* x3 = a + (m + 3 < M ? m + 3 : M - 1) * K;
        v128_t a0 = b0, a1 = b0, a2 = b0, a3 = b0, c0 = b1, c1 = b1, c2 = b1, c3 = b1;
        for (int k = 0; k < K; k++) {
          const v128_t w0 = wasm_v128_load(w0p + 4 * k);
          const v128_t w1 = wasm_v128_load(w1p + 4 * k);
          TILE4X8_STEP(x0 + k, x1 + k, x2 + k, x3 + k, w0, w1);
        }
        if (relu) TILE4X8_RELU();
        /* Rows past M-1 repeat it: store them in reverse so that row M-1's last write is its own. */
        float* o = out + m * N;
        const int last = M - 1 - m;
        const int n1 = 1 < last ? 1 : last, n2 = 2 < last ? 2 : last, n3 = 3 < last ? 3 : last;
        wasm_v128_store(o + n3 * N + j0, a3);
        wasm_v128_store(o + n3 * N + j1, c3);
        wasm_v128_store(o + n2 * N + j0, a2);
        wasm_v128_store(o + n2 * N + j1, c2);
        wasm_v128_store(o + n1 * N + j0, a1);
        wasm_v128_store(o + n1 * N + j1, c1);
        wasm_v128_store(o + j0, a0);
        wasm_v128_store(o + j1, c0);
      }
    }
  }
}

/*
 * conv1_forward with stride 1 and relu, max-pooled 2x2 with stride 2 ("valid") in the same pass:
 * out [N, OH/2, OW/2, Cout], Cout a multiple of 4. A block computes one pooling window (2x2
 * convolution outputs, the same bits as conv1_forward) for 8 channels, or, for the last 4
 * channels, two windows, and stores their maxima (exact: relu outputs are non-negative). Where
 * OW/2 is odd, the last two-window block computes its one window twice.
 */
EXPORT(conv1_pool_forward)
void conv1_pool_forward(const float* xp, const float* w, const float* bias, float* out, int N,
                        int Hp, int Wp, int KH, int KW, int OH, int OW, int Cout) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const int PH = OH / 2, PW = OW / 2;
  for (int n = 0; n < N; n++) {
    for (int ph = 0; ph < PH; ph++) {
      const float* xrow = xp + (n * Hp + 2 * ph) * Wp;
      float* orow = out + ((n * PH + ph) * PW) * Cout;
      int co = 0;
      /* Pairs of output-channel vectors: one pooling window (2x2 outputs) x 8 channels. */
      for (; co + 8 <= Cout; co += 8) {
        const v128_t b0 = bias ? wasm_v128_load(bias + co) : zero;
        const v128_t b1 = bias ? wasm_v128_load(bias + co + 4) : zero;
        for (int pw = 0; pw < PW; pw++) {
          const float* x0 = xrow + 2 * pw;
          v128_t a0 = b0, a1 = b0, a2 = b0, a3 = b0, c0 = b1, c1 = b1, c2 = b1, c3 = b1;
          for (int kh = 0; kh < KH; kh++) {
            const float* wr = w + kh * KW * Cout + co;
            const float* r0 = x0 + kh * Wp;
            const float* r1 = r0 + Wp;
            for (int kw = 0; kw < KW; kw++) {
              const v128_t w0 = wasm_v128_load(wr + kw * Cout);
              const v128_t w1 = wasm_v128_load(wr + kw * Cout + 4);
              TILE4X8_STEP(r0 + kw, r0 + kw + 1, r1 + kw, r1 + kw + 1, w0, w1);
            }
          }
          const v128_t lo = wasm_f32x4_max(wasm_f32x4_max(a0, a1), wasm_f32x4_max(a2, a3));
          const v128_t hi = wasm_f32x4_max(wasm_f32x4_max(c0, c1), wasm_f32x4_max(c2, c3));
          wasm_v128_store(orow + pw * Cout + co, wasm_f32x4_max(lo, zero));
          wasm_v128_store(orow + pw * Cout + co + 4, wasm_f32x4_max(hi, zero));
        }
      }
      for (; co < Cout; co += 4) {
        const v128_t b = bias ? wasm_v128_load(bias + co) : zero;
        for (int pw = 0; pw < PW; pw += 2) {
          const int pr = pw + 1 < PW ? pw + 1 : pw;
          const float* xl = xrow + 2 * pw;
          const float* xr = xrow + 2 * pr;
          v128_t a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
          for (int kh = 0; kh < KH; kh++) {
            const float* wr = w + kh * KW * Cout + co;
            const float* l0 = xl + kh * Wp;
            const float* r0 = xr + kh * Wp;
            const float* l1 = l0 + Wp;
            const float* r1 = r0 + Wp;
            for (int kw = 0; kw < KW; kw++) {
              const v128_t wv = wasm_v128_load(wr + kw * Cout);
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load32_splat(l0 + kw), wv));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load32_splat(l0 + kw + 1), wv));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load32_splat(r0 + kw), wv));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load32_splat(r0 + kw + 1), wv));
              a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(wasm_v128_load32_splat(l1 + kw), wv));
              a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(wasm_v128_load32_splat(l1 + kw + 1), wv));
              a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(wasm_v128_load32_splat(r1 + kw), wv));
              a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(wasm_v128_load32_splat(r1 + kw + 1), wv));
            }
          }
          const v128_t left = wasm_f32x4_max(wasm_f32x4_max(a0, a1), wasm_f32x4_max(a4, a5));
          const v128_t right = wasm_f32x4_max(wasm_f32x4_max(a2, a3), wasm_f32x4_max(a6, a7));
          /* relu as conv1_forward's (max with +0); it commutes with the maxima. */
          wasm_v128_store(orow + pr * Cout + co, wasm_f32x4_max(right, zero));
          wasm_v128_store(orow + pw * Cout + co, wasm_f32x4_max(left, zero));
        }
      }
    }
  }
}

/*
 * Max-pool without padding: out [N, OH, OW, C] = the maximum of each fh x fw window (at most 9
 * values) of x [N, H, W, C] with strides (sh, sw), C >= 4 (four channels at a time; the last
 * vector is the last four channels, recomputing a few with the same bits). It repeats tfjs's
 * stock kernel (XNNPACK's 9-input max-pool for wasm on x86) operation for operation, so that
 * NaN and -0 come out the same too: inputs i0..i8 in column-major window order, the missing ones
 * i0 again, combined by pmax in its tree, then NaN clamped to -inf.
 */
EXPORT(max_pool)
void max_pool(const float* x, float* out, int N, int H, int W, int C, int OH, int OW, int fh,
              int fw, int sh, int sw) {
  const v128_t low = wasm_f32x4_splat(-__builtin_inff());
  const int taps = fh * fw;
  for (int n = 0; n < N; n++) {
    for (int oh = 0; oh < OH; oh++) {
      for (int ow = 0; ow < OW; ow++) {
        const float* win = x + ((n * H + oh * sh) * W + ow * sw) * C;
        float* o = out + ((n * OH + oh) * OW + ow) * C;
        for (int c0 = 0; c0 < C; c0 += 4) {
          const int c = c0 + 4 <= C ? c0 : C - 4;
          const v128_t i0 = wasm_v128_load(win + c);
#define IN(k) ((k) < taps ? wasm_v128_load(win + (((k) % fh) * W + (k) / fh) * C + c) : i0)
          const v128_t i1 = IN(1), i2 = IN(2), i3 = IN(3), i4 = IN(4), i5 = IN(5);
          const v128_t i6 = IN(6), i7 = IN(7), i8 = IN(8);
#undef IN
          const v128_t m018 = wasm_f32x4_pmax(i8, wasm_f32x4_pmax(i1, i0));
          const v128_t m23 = wasm_f32x4_pmax(i3, i2), m45 = wasm_f32x4_pmax(i5, i4);
          const v128_t m67 = wasm_f32x4_pmax(i7, i6);
          const v128_t m = wasm_f32x4_pmax(wasm_f32x4_pmax(m67, m018), wasm_f32x4_pmax(m45, m23));
          wasm_v128_store(o + c, wasm_f32x4_pmax(low, m));
        }
      }
    }
  }
}

/* ReLU as tfjs's stock kernel: out = max(x, +0) over n floats (-0 gives +0, NaN stays NaN). */
EXPORT(relu)
void relu(const float* x, float* out, int n) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_max(wasm_v128_load(x + i), zero));
  for (; i < n; i++) out[i] = x[i] != x[i] ? x[i] : x[i] > 0.0f ? x[i] : 0.0f;
}
