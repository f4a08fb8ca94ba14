// Issue 19 with raw syscalls, no JVM: a request handed to io-wq right after the submitting thread's last
// io_uring was torn down can be stranded (SQE consumed, no CQE, no iou-wrk thread) on kernels with io-wq
// "exit on idle" (6.18.y, 6.19+). See host-io/README.md, "Why every thread that submits to io_uring is kept".
//
//   gcc -O2 -pthread -o iowq_strand iowq_strand.c
//   head -c 100 /dev/urandom > /dev/shm/strand.raw
//   ./iowq_strand /dev/shm/strand.raw 30000 12 0   # 0: no keeper; 1: each thread first submits a NOP to a
//                                                  #    ring that is never closed (the engine's workaround)
// Exit 1 and the ring's fdinfo when a read is lost; 0 when the run ends without loss. Rare: on a loaded
// 2-vCPU 6.18.44 VM it lost a read after ~20 000 teardowns once in three 5-minute runs.
//
// Each runner thread (pinned to CPU 0; its io-wq pinned to CPU 1 with IORING_REGISTER_IOWQ_AFF) loops:
// short read past EOF (punted to io-wq on tmpfs) as the first request on a ring another thread made; wait
// for its CQE (10 s bound); close the ring; epoll_wait, which returns EINTR when the ring teardown's task_work
// (io_tctx_exit_cb -> io_uring_del_tctx_node -> io_wq_set_exit_on_idle) has run on this thread; spin 0-60 us.
// A ticker thread on CPU 1 interrupts the exiting worker often, widening its window.
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sched.h>
#include <semaphore.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>
#include <errno.h>
#include <dirent.h>

struct ring { int fd; char *sq; struct io_uring_sqe *sqes; struct io_uring_params p; size_t size; };

static void ring_open(struct ring *r) {
    memset(&r->p, 0, sizeof r->p);
    r->fd = syscall(__NR_io_uring_setup, 64, &r->p);
    if (r->fd < 0) { perror("io_uring_setup"); exit(2); }
    size_t sq = r->p.sq_off.array + r->p.sq_entries * 4, cq = r->p.cq_off.cqes + r->p.cq_entries * 16;
    r->size = sq > cq ? sq : cq; // IORING_FEAT_SINGLE_MMAP (5.4+)
    r->sq = mmap(0, r->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    r->sqes = mmap(0, r->p.sq_entries * 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (r->sq == MAP_FAILED || r->sqes == MAP_FAILED) { perror("mmap"); exit(2); }
    unsigned *array = (unsigned *)(r->sq + r->p.sq_off.array);
    for (unsigned i = 0; i < r->p.sq_entries; i++) array[i] = i;
}
static void ring_close(struct ring *r) {
    munmap(r->sqes, r->p.sq_entries * 64);
    munmap(r->sq, r->size);
    close(r->fd);
}
static struct io_uring_sqe *next_sqe(struct ring *r) {
    unsigned t = *(unsigned *)(r->sq + r->p.sq_off.tail), mask = *(unsigned *)(r->sq + r->p.sq_off.ring_mask);
    struct io_uring_sqe *s = &r->sqes[t & mask];
    memset(s, 0, sizeof *s);
    return s;
}
static void submit_one(struct ring *r) {
    unsigned *tail = (unsigned *)(r->sq + r->p.sq_off.tail);
    __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
    if (syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) != 1) { perror("io_uring_enter"); exit(2); }
}
static int wait_cqe(struct ring *r, long ms) { // 0: a CQE came; -1: none within ms
    unsigned *head = (unsigned *)(r->sq + r->p.cq_off.head), *tail = (unsigned *)(r->sq + r->p.cq_off.tail);
    struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    struct io_uring_getevents_arg arg = { .ts = (unsigned long)&ts };
    for (int tries = 0; tries < 2; tries++) {
        if (*head != __atomic_load_n(tail, __ATOMIC_ACQUIRE)) { __atomic_store_n(head, *head + 1, __ATOMIC_RELEASE); return 0; }
        syscall(__NR_io_uring_enter, r->fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    }
    return -1;
}
static void nop(struct ring *r) { next_sqe(r)->opcode = IORING_OP_NOP; submit_one(r); wait_cqe(r, 1000); }
static void pin(int cpu) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); sched_setaffinity(0, sizeof s, &s); }
static long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }

static const char *path; static long iterations; static int keep;
static struct ring keeper; static pthread_mutex_t keeper_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long teardowns;
struct runner { sem_t want, have; struct ring spare; int id; };

static void *maker(void *arg) { // rings made on another thread are not in the runner's task context
    struct runner *p = arg;
    for (;;) { sem_wait(&p->want); ring_open(&p->spare); nop(&p->spare); sem_post(&p->have); }
    return NULL;
}
static void *ticker(void *arg) {
    (void)arg; pin(1); prctl(PR_SET_TIMERSLACK, 1);
    struct timespec ts = { 0, 5000 };
    for (;;) clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    return NULL;
}
static void *run(void *arg) {
    struct runner *p = arg;
    int fd = open(path, O_RDONLY | O_CLOEXEC), epoll = epoll_create1(0);
    if (fd < 0) { perror(path); exit(2); }
    static __thread char buf[4096];
    unsigned seed = p->id * 7919 + getpid();
    pin(0);
    if (keep) { pthread_mutex_lock(&keeper_lock); nop(&keeper); pthread_mutex_unlock(&keeper_lock); }
    sem_post(&p->want); sem_wait(&p->have);
    struct ring r = p->spare;
    nop(&r); // gives this thread its io-wq, so its workers can be bound to CPU 1
    cpu_set_t cpu1; CPU_ZERO(&cpu1); CPU_SET(1, &cpu1);
    if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_IOWQ_AFF, &cpu1, sizeof cpu1) < 0) perror("IOWQ_AFF");
    for (long i = 0; i < iterations; i++) {
        struct io_uring_sqe *s = next_sqe(&r);
        s->opcode = IORING_OP_READ; s->fd = fd; s->addr = (unsigned long)buf; s->len = sizeof buf; s->off = 0;
        submit_one(&r);
        if (wait_cqe(&r, 10000)) { // 10 s: longer than any scheduling stall of a loaded VM and io-wq's 5 s idle timeout
            char me[32], comm[64], task[300]; int own = 0;
            snprintf(me, sizeof me, "iou-wrk-%ld\n", (long)syscall(SYS_gettid));
            DIR *d = opendir("/proc/self/task"); struct dirent *e;
            while ((e = readdir(d))) {
                snprintf(task, sizeof task, "/proc/self/task/%s/comm", e->d_name);
                FILE *c = fopen(task, "r");
                if (c && fgets(comm, sizeof comm, c) && !strcmp(comm, me)) own++;
                if (c) fclose(c);
            }
            closedir(d);
            printf("LOST: thread %d, after %ld teardowns: the read's SQE was consumed, no CQE in 10 s; io-wq workers of"
                   " this thread: %d\n", p->id, (long)teardowns, own);
            char f[64], line[128]; snprintf(f, sizeof f, "/proc/self/fdinfo/%d", r.fd);
            FILE *in = fopen(f, "r");
            while (in && fgets(line, sizeof line, in)) if (strstr(line, "Sq") == line || strstr(line, "Cq") == line) fputs(line, stdout);
            // punt one more request from this thread: it starts a worker, which finds the lost read queued too
            struct ring other; ring_open(&other); nop(&other);
            struct io_uring_sqe *t = next_sqe(&other); t->opcode = IORING_OP_FSYNC; t->fd = fd; submit_one(&other);
            printf("after one more request from the same thread: the lost read %s\n", wait_cqe(&r, 2000) ? "is still missing" : "completed");
            exit(1);
        }
        sem_post(&p->want); sem_wait(&p->have);
        ring_close(&r);
        r = p->spare;
        struct epoll_event ev;
        epoll_wait(epoll, &ev, 1, 200); // EINTR once the teardown's task_work ran here
        atomic_fetch_add(&teardowns, 1);
        long end = now_ns() + rand_r(&seed) % 60000;
        while (now_ns() < end) ;
    }
    return NULL;
}
int main(int argc, char **argv) {
    path = argc > 1 ? argv[1] : "/dev/shm/strand.raw";
    iterations = argc > 2 ? atol(argv[2]) : 30000;
    int threads = argc > 3 ? atoi(argv[3]) : 12;
    keep = argc > 4 ? atoi(argv[4]) : 0;
    if (keep) ring_open(&keeper);
    pthread_t t[256], tk;
    pthread_create(&tk, NULL, ticker, NULL);
    struct runner *rs = calloc(threads, sizeof *rs);
    for (int i = 0; i < threads && i < 256; i++) {
        rs[i].id = i; sem_init(&rs[i].want, 0, 0); sem_init(&rs[i].have, 0, 0);
        pthread_t m; pthread_create(&m, NULL, maker, &rs[i]);
        pthread_create(&t[i], NULL, run, &rs[i]);
    }
    for (int i = 0; i < threads && i < 256; i++) pthread_join(t[i], NULL);
    printf("no read lost in %ld teardowns (keeper %s)\n", (long)teardowns, keep ? "on" : "off");
    return 0;
}
