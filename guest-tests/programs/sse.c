/* sse: double/float arithmetic, rounding modes, vectorised loops and printf of doubles. */
// cflags: -lm
#include "common.h"
#include <fenv.h>
#include <float.h>
#include <math.h>

#define N 1000
static double xs[N], ys[N];
static float fs[N];

int main(void) {
    volatile double a = 1.0, b = 3.0, big = 1e308, tiny = 5e-324;
    printf("1/3 = %.17g\n", a / b);
    printf("sqrt(2) = %.17g\n", sqrt(2.0 * a));
    printf("overflow = %g, underflow = %g\n", big * 10, tiny / 2);
    printf("nan != nan: %d\n", (a - a) / (b - b) != (a - a) / (b - b));
    printf("%%a of 0.1 = %a\n", 0.1 * a);
    printf("%%e = %e, %%f = %f\n", 12345.6789 * a, -0.000123 * a);
    printf("DBL_EPSILON = %.17g, FLT_EPSILON = %.9g\n", DBL_EPSILON, FLT_EPSILON);
    volatile float fa = 1.0f, fb = 7.0f;
    printf("float 1/7 = %.9g\n", fa / fb);
    printf("(int)-2.7 = %d, lrint(2.5) = %ld, llround(-2.5) = %lld\n",
           (int)(-2.7 * a), lrint(2.5 * a), llround(-2.5 * a));

    /* rounding modes live in MXCSR: they must survive the syscalls printf makes */
    int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    const char *names[] = {"nearest", "upward", "downward", "towardzero"};
    for (int i = 0; i < 4; i++) {
        fesetround(modes[i]);
        volatile double q = a / b;
        getppid(); /* a syscall between setting the mode and reading it back */
        printf("round %s: 1/3 = %.17g, -1/3 = %.17g, mode kept = %d\n", names[i], q, -a / b,
               fegetround() == modes[i]);
    }
    fesetround(FE_TONEAREST);

    double dot = 0;
    for (int i = 0; i < N; i++) {
        xs[i] = i * 0.5;
        ys[i] = 1.0 / (i + 1);
        fs[i] = (float)i / 3.0f;
    }
    for (int i = 0; i < N; i++) dot += xs[i] * ys[i];
    float fsum = 0;
    for (int i = 0; i < N; i++) fsum += fs[i] * fs[i];
    printf("dot = %.17g\n", dot);
    printf("fsum = %.9g\n", fsum);
    printf("exp(1) = %.17g, log(10) = %.17g, sin(1) = %.17g\n", exp(a), log(10 * a), sin(a));
    return 0;
}
