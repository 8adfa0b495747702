/* N threads, each doing the same fixed amount of CPU work: with N CPUs the wall time
   should not grow with N (bench/run.sh compares 2 threads to 1, natively and in the
   sandbox). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *spin(void *arg) {
    unsigned long x = (unsigned long)arg;
    for (long i = 0; i < 300000000L; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return (void *)x;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1;
    pthread_t t[64];
    if (n < 1 || n > 64)
        return 2;
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, spin, (void *)i);
    unsigned long sum = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (unsigned long)r;
    }
    return sum == 42; /* keeps the work from being optimized out */
}
