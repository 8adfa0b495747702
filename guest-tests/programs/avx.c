/* avx: the same computation with 256-bit AVX (when the CPU has it) and with scalar code; the
 * output does not depend on which path ran, only on whether the results are right. */
// cflags: -mavx -lm
#include "common.h"
#include <immintrin.h>

#define N 1024
static double a[N], b[N], c[N], ref[N];
static float fa[N], fb[N], fc[N], fref[N];

__attribute__((noinline)) static void scalar(void) {
    for (int i = 0; i < N; i++) {
        ref[i] = a[i] * b[i] + a[i] / (b[i] + 1.0);
        fref[i] = fa[i] * fb[i] - fa[i];
    }
}

__attribute__((noinline)) static void vector(void) {
    for (int i = 0; i < N; i += 4) {
        __m256d x = _mm256_loadu_pd(&a[i]), y = _mm256_loadu_pd(&b[i]);
        __m256d r = _mm256_add_pd(_mm256_mul_pd(x, y),
                                  _mm256_div_pd(x, _mm256_add_pd(y, _mm256_set1_pd(1.0))));
        getppid(); /* a syscall while ymm registers hold live values */
        _mm256_storeu_pd(&c[i], r);
    }
    for (int i = 0; i < N; i += 8) {
        __m256 x = _mm256_loadu_ps(&fa[i]), y = _mm256_loadu_ps(&fb[i]);
        _mm256_storeu_ps(&fc[i], _mm256_sub_ps(_mm256_mul_ps(x, y), x));
    }
}

int main(void) {
    for (int i = 0; i < N; i++) {
        a[i] = i * 1.25 - 100;
        b[i] = (i % 17) * 0.5;
        fa[i] = (float)i / 7.0f;
        fb[i] = (float)(i % 5) + 0.25f;
    }
    scalar();
    if (__builtin_cpu_supports("avx")) {
        vector();
    } else {
        memcpy(c, ref, sizeof c);
        memcpy(fc, fref, sizeof fc);
    }
    YESNO("double results match scalar", memcmp(c, ref, sizeof c) == 0);
    YESNO("float results match scalar", memcmp(fc, fref, sizeof fc) == 0);
    double sum = 0;
    float fsum = 0;
    for (int i = 0; i < N; i++) {
        sum += ref[i];
        fsum += fref[i];
    }
    printf("sum = %.17g\nfsum = %.9g\n", sum, fsum);
    return 0;
}
