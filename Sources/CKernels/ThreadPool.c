// A fixed pool of worker threads for fine-grained parallel kernels. A recurrent layer runs one
// small GEMM per time step (tens of microseconds each), so handing work to a sleeping thread
// (futex wake-up, several microseconds) would eat much of the gain: workers spin on a generation
// counter for a while after each task and only then block on a condition variable. Spinning
// only pays while every thread has a core of its own: the pool never grows past the number of
// online CPUs, and a worker left out of a task sleeps at once.
#include "CKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_WORKERS = 63, SPIN_ROUNDS = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   // guards sleeping and worker start
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER; // one task at a time
static int started;
static atomic_ulong generation;
static atomic_int pending;
static atomic_int sleepers;
static _Thread_local int inside_task;   // set while this thread runs a task's part
static st_task current_task;
static void *current_context;
static int current_count;

// Blocks until a task newer than `seen` is posted.
static void sleep_past(unsigned long seen) {
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&sleepers, 1);
    while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &lock);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&lock);
}

static void *worker_main(void *arg) {
    int index = (int)(long)arg;
    unsigned long seen = 0;
    int spin = 1;   // a worker left out of the last task sleeps rather than spin against the others
    for (;;) {
        for (int spins = 0; atomic_load_explicit(&generation, memory_order_acquire) == seen;) {
            if (spin && ++spins < SPIN_ROUNDS) CPU_RELAX(); else sleep_past(seen);
        }
        seen = atomic_load_explicit(&generation, memory_order_acquire);
        spin = index < current_count;
        if (spin) {
            inside_task = 1;
            current_task(current_context, index, current_count);
            inside_task = 0;
        }
        atomic_fetch_sub_explicit(&pending, 1, memory_order_release);
    }
    return NULL;
}

static int ensure_workers(int wanted) {
    // Read once: glibc's sysconf opens a file in /sys for this on every call.
    static long cpus = 0;
    if (cpus == 0) cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus >= 1 && wanted > cpus - 1) wanted = (int)cpus - 1;
    if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
    while (started < wanted) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (void *)(long)(started + 1)) != 0) break;
        pthread_detach(thread);
        started += 1;
    }
    return started;
}

void st_parallel(st_task task, void *context, int count) {
    // A task that starts another (a callback inside a long task, say) runs it alone: the pool's
    // threads are busy with the outer one.
    if (count <= 1 || inside_task) { task(context, 0, 1); return; }
    pthread_mutex_lock(&submit);
    int workers = ensure_workers(count - 1);
    if (count > workers + 1) count = workers + 1;
    if (count <= 1) {
        pthread_mutex_unlock(&submit);
        task(context, 0, 1);
        return;
    }
    current_task = task;
    current_context = context;
    current_count = count;
    atomic_store(&pending, workers);
    atomic_fetch_add(&generation, 1);
    if (atomic_load(&sleepers) > 0) {
        // Taking the lock orders this wake-up after a worker's check-then-wait.
        pthread_mutex_lock(&lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&lock);
    }
    inside_task = 1;
    task(context, 0, count);
    inside_task = 0;
    for (int spins = 0; atomic_load_explicit(&pending, memory_order_acquire) > 0; spins++) {
        if (spins < SPIN_ROUNDS) CPU_RELAX(); else sched_yield();
    }
    pthread_mutex_unlock(&submit);
}

struct st_signal { atomic_long value; };

st_signal *st_signal_create(void) {
    st_signal *signal = malloc(sizeof *signal);
    if (!signal) abort();
    atomic_init(&signal->value, 0);
    return signal;
}

void st_signal_destroy(st_signal *signal) { free(signal); }

void st_signal_post(st_signal *signal, long value) {
    atomic_store_explicit(&signal->value, value, memory_order_release);
}

// Spins, then yields, then naps: a long wait (a slow consumer of sampled text, say) should not
// hold a core at full load.
void st_signal_wait(st_signal *signal, long value) {
    for (long spins = 0; atomic_load_explicit(&signal->value, memory_order_acquire) < value; spins++) {
        if (spins < SPIN_ROUNDS) CPU_RELAX();
        else if (spins < 2 * SPIN_ROUNDS) sched_yield();
        else nanosleep(&(struct timespec){.tv_nsec = 50000}, NULL);
    }
}
