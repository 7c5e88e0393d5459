/* The mmap arena: mmpmk mmpcm mmapl mmprs mmpfr mmpst.
 *
 * Faults are the point of an mmap arena's guard page and of uncommitted
 * memory, so some tests fork: the child touches memory it must not, and the
 * parent checks that the child died of SIGSEGV. The child first sets
 * SIGSEGV back to its default action, so that AddressSanitizer's handler
 * does not turn the fault into a report and an exit code; under valgrind,
 * which runs the child too, the child dies of the same signal. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define PAGE ((size_t)4096)

/* Valgrind preloads its own libraries into the program it runs. */
static int under_valgrind(void) {
    const char *pre = getenv("LD_PRELOAD");
    return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

/* Resident memory of this process, from /proc/self/statm. */
static size_t rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Bytes of private writable memory this process has (VmData). */
static size_t vm_data(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmData:", 7) == 0)
            kb = (size_t)strtoull(line + 7, NULL, 10);
    fclose(f);
    return kb * KIB;
}

static arn_mmap_stats stats(arn_mmap m) {
    arn_mmap_stats st;
    memset(&st, 0xEE, sizeof st);
    CHECK(mmpst(m, &st) == 0);
    return st;
}

static int same_stats(arn_mmap_stats a, arn_mmap_stats b) {
    return a.reserved == b.reserved && a.committed == b.committed && a.used == b.used &&
           a.allocations == b.allocations && a.retain == b.retain;
}

/* ---- children ---------------------------------------------------------- */

/* Where a child says how far it got: it writes one byte to this pipe just
 * before the touch that must fault. */
static int progress_fd = -1;

static void reached_the_bad_touch(void) {
    char c = 'k';
    if (write(progress_fd, &c, 1) != 1)
        _exit(3);
}

/* Runs `body` in a child; returns its wait status, and in *reached whether
 * it reported reaching its bad touch. */
static int in_child(void (*body)(void), int *reached) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        progress_fd = fds[1];
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        harness_case_failed = 0;
        body();
        fflush(NULL);
        _exit(harness_case_failed ? 1 : 0);
    }
    close(fds[1]);
    char c = 0;
    *reached = read(fds[0], &c, 1) == 1 && c == 'k';
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

static void expect_segv(void (*body)(void)) {
    int reached = 0;
    int status = in_child(body, &reached);
    if (TRACKED) {
        /* A checker may report a touch of poisoned memory first. */
        CHECK(!WIFEXITED(status) || WEXITSTATUS(status) != 0);
        return;
    }
    CHECK(reached);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    if (!WIFSIGNALED(status))
        fprintf(stderr, "  child exited with %d instead of faulting\n", WEXITSTATUS(status));
}

static void expect_clean_exit(void (*body)(void)) {
    int reached = 0;
    int status = in_child(body, &reached);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void touch_past_the_end(void) {
    /* A writable page mapped just before the arena usually lands right
     * above it (the kernel hands out addresses top down): without the guard
     * page, the touch past the end would then hit this page and succeed. */
    unsigned char *above = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    arn_mmap m = mmpmk(3 * PAGE, NULL);
    CHECK(mmpcm(m, 3 * PAGE) == 0);
    volatile unsigned char *p = mmapl(m, 3 * PAGE);
    CHECK(p != NULL && stats(m).committed == 3 * PAGE);
    /* Valgrind places mappings its own way. */
    CHECK(above != MAP_FAILED);
    if (!under_valgrind())
        CHECK((unsigned char *)p + 4 * PAGE == above);
    p[0] = 1;
    p[3 * PAGE - 1] = 1; /* the last byte is fine */
    reached_the_bad_touch();
    p[3 * PAGE] = 1; /* the guard page */
}

static void touch_uncommitted(void) {
    arn_mmap m = mmpmk(64 * KIB, NULL);
    volatile unsigned char *p = mmapl(m, 8);
    CHECK(p != NULL && stats(m).committed == PAGE);
    p[PAGE - 1] = 1; /* committed */
    reached_the_bad_touch();
    p[PAGE] = 1; /* reserved, not committed */
}

static void touch_after_reset(void) {
    arn_mmap m = mmpmk(64 * KIB, NULL);
    volatile unsigned char *p = mmapl(m, 2 * PAGE);
    p[PAGE] = 1;
    CHECK(mmprs(m) == 0 && stats(m).committed == 0);
    reached_the_bad_touch();
    p[PAGE] = 1; /* given back to the OS */
}

/* Linux counts private writable memory against RLIMIT_DATA and checks it
 * when mprotect makes memory writable: with the limit a little above what
 * the process uses, a large commit is refused with ENOMEM. */
static void commit_refused_by_the_os(void) {
    arn_mmap m = mmpmk(GIB, NULL);
    arn_mmap_opts eager = {0};
    eager.prefault = 1;
    arn_mmap p = mmpmk(GIB, &eager);
    unsigned char *first = mmapl(m, 10);
    CHECK(m != 0 && p != 0 && first != NULL);
    memset(first, 7, 10);
    arn_mmap_stats before = stats(m);

    struct rlimit lim;
    CHECK(getrlimit(RLIMIT_DATA, &lim) == 0);
    lim.rlim_cur = (rlim_t)(vm_data() + 64 * MIB);
    CHECK(setrlimit(RLIMIT_DATA, &lim) == 0);
    /* Valgrind emulates RLIMIT_DATA instead of setting it: see whether the
     * kernel enforces it before relying on it. */
    void *probe = mmap(NULL, 256 * MIB, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe != MAP_FAILED) {
        munmap(probe, 256 * MIB);
        CHECK(under_valgrind());
        fprintf(stderr, "note: RLIMIT_DATA not enforced (valgrind), refused commit untested\n");
        return;
    }

    CHECK(mmpcm(m, 512 * MIB) == ARN_E_SYSTEM);
    CHECK(strcmp(arnem(), "mmpcm: the system refused 536866816 bytes of memory: Cannot allocate memory (os error 12)") == 0);
    CHECK_ERR(ARN_E_SYSTEM, "mmpcm");
    CHECK(same_stats(stats(m), before));
    CHECK(mmapl(m, 256 * MIB) == NULL);
    CHECK_ERR(ARN_E_SYSTEM, "mmapl");
    CHECK(same_stats(stats(m), before));
    CHECK(first[0] == 7 && first[9] == 7);
    unsigned char *more = mmapl(m, MIB);
    CHECK(more == first + 16 + RED && all_zero(more, MIB));
    CHECK_INSIDE(stats(m).committed == MIB + PAGE);

    CHECK(mmpcm(p, 512 * MIB) == ARN_E_SYSTEM);
    CHECK_ERR(ARN_E_SYSTEM, "mmpcm");
    CHECK(stats(p).committed == 0);
    CHECK(mmpcm(p, MIB) == 0 && stats(p).committed == MIB);
    CHECK(mmpfr(m) == 0 && mmpfr(p) == 0);
}

/* ---- tests -------------------------------------------------------------- */

static void reserve_64_gib_and_use_a_little(void) {
    size_t size = 64 * GIB;
    size_t before = rss();
    arn_mmap m = mmpmk(size, NULL);
    if (m == 0 && under_valgrind()) {
        /* Valgrind caps a single client mapping below 64 GiB. */
        CHECK_ERR(ARN_E_SYSTEM, "mmpmk");
        fprintf(stderr, "note: valgrind caps mappings, reserving 16 GiB instead of 64\n");
        size = 16 * GIB;
        m = mmpmk(size, NULL);
    }
    CHECK(m != 0);
    arn_mmap_stats st = stats(m);
    CHECK(st.reserved == size && st.committed == 0 && st.used == 0);
    CHECK(st.allocations == 0 && st.retain == 0);
    CHECK(rss() < before + 8 * MIB);
    unsigned char *a = mmapl(m, 100);
    unsigned char *b = mmapl(m, 5000);
    unsigned char *c = mmapl(m, 8);
    CHECK(a && b && c);
    CHECK(b - a == 104 + RED && c - b == 5000 + RED);
    CHECK(all_zero(a, 100) && all_zero(b, 5000) && all_zero(c, 8));
    memset(a, 1, 100);
    memset(b, 2, 5000);
    st = stats(m);
    CHECK(st.committed == 2 * PAGE && st.used == 5112 + 3 * RED && st.allocations == 3);
    CHECK(rss() < before + 8 * MIB);
    CHECK(mmpfr(m) == 0);
}

static void alloc_commits_exactly_the_pages_it_needs(void) {
    arn_mmap m = mmpmk(MIB, NULL);
    unsigned char *p = mmapl(m, 1);
    CHECK(p != NULL && (uintptr_t)p % PAGE == 0);
    CHECK_INSIDE(stats(m).committed == PAGE && stats(m).used == 8);
    unsigned char *q = mmapl(m, PAGE - 8); /* ends exactly on the page */
    CHECK_INSIDE(q == p + 8 && stats(m).committed == PAGE);
    unsigned char *r = mmapl(m, 13);
    CHECK_INSIDE(r == p + PAGE && (uintptr_t)r % 8 == 0);
    CHECK_INSIDE(stats(m).committed == 2 * PAGE && stats(m).used == PAGE + 16);
    unsigned char *s = mmapl(m, 100000);
    CHECK(s != NULL && all_zero(s, 100000));
    CHECK_INSIDE(s == r + 16);
    CHECK_INSIDE(stats(m).committed == (PAGE + 16 + 100000 + PAGE - 1) / PAGE * PAGE);
    CHECK(stats(m).allocations == 4);
    CHECK(mmpfr(m) == 0);
}

static void commit_rounds_up_and_stays_within_the_reservation(void) {
    arn_mmap m = mmpmk(10 * PAGE, NULL);
    CHECK(mmpcm(m, 10000) == 0);
    CHECK(stats(m).committed == 3 * PAGE);
    CHECK(mmpcm(m, 100) == 0); /* less than committed: nothing to do */
    CHECK(mmpcm(m, 0) == 0);
    CHECK(stats(m).committed == 3 * PAGE);
    unsigned char *p = mmapl(m, 3 * PAGE);
    CHECK(p != NULL && all_zero(p, 3 * PAGE));
    memset(p, 0x33, 3 * PAGE);
    arn_mmap_stats before = stats(m);
    CHECK(mmpcm(m, 10 * PAGE + 1) == ARN_E_INVALID_ARGUMENT);
    CHECK(strcmp(arnem(), "mmpcm: invalid argument: commit of 40961 bytes exceeds the reservation of 40960") == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpcm");
    CHECK(mmpcm(m, SIZE_MAX) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpcm");
    CHECK(same_stats(stats(m), before));
    CHECK(mmpcm(m, 10 * PAGE) == 0 && stats(m).committed == 10 * PAGE);
    CHECK(p[3 * PAGE - 1] == 0x33);
    CHECK(mmpfr(m) == 0);
}

static void exhaustion_reports_the_numbers(void) {
    arn_mmap m = mmpmk(8000, NULL); /* reserves two pages */
    CHECK(stats(m).reserved == 8192);
    CHECK(mmapl(m, 8192) != NULL);
    arn_mmap_stats before = stats(m);
    CHECK(mmapl(m, 1) == NULL);
    CHECK(strcmp(arnem(), "mmapl: mmap arena out of memory: asked 1 bytes (8 with rounding and alignment), 0 left of 8192") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "mmapl");
    CHECK(same_stats(stats(m), before));
    CHECK(mmprs(m) == 0);
    CHECK(mmapl(m, 8193) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "mmapl");
    CHECK(stats(m).committed == 0 && stats(m).used == 0);
    unsigned char *all = mmapl(m, 8192);
    CHECK(all != NULL && all_zero(all, 8192));
    CHECK(mmpfr(m) == 0);
}

static void reset_gives_pages_back_beyond_retain(void) {
    arn_mmap_opts o = {0};
    o.retain = 64 * KIB;
    arn_mmap m = mmpmk(4 * MIB, &o);
    CHECK(stats(m).retain == 64 * KIB);
    unsigned char *p = mmapl(m, MIB);
    CHECK(p != NULL);
    CHECK_INSIDE(stats(m).committed == MIB);
    memset(p, 0xA5, MIB);
    CHECK(mmprs(m) == 0);
    arn_mmap_stats st = stats(m);
    CHECK(st.committed == 64 * KIB && st.used == 0 && st.allocations == 0);
    CHECK(st.reserved == 4 * MIB && st.retain == 64 * KIB);
    unsigned char *q = mmapl(m, MIB);
    CHECK(q == p && all_zero(q, MIB)); /* used memory reads back zero */
    CHECK_INSIDE(stats(m).committed == MIB);
    CHECK(stats(m).allocations == 1);
    memset(q, 1, MIB);
    CHECK(mmpfr(m) == 0);

    /* Retain is rounded up to pages. */
    o.retain = 64 * KIB + 1;
    m = mmpmk(MIB, &o);
    CHECK(stats(m).retain == 68 * KIB);
    CHECK(mmapl(m, MIB) != NULL && mmprs(m) == 0);
    CHECK(stats(m).committed == 68 * KIB);
    CHECK(mmpfr(m) == 0);

    /* A reset of an arena that committed less than it retains keeps it. */
    o.retain = 64 * KIB;
    m = mmpmk(MIB, &o);
    memset(mmapl(m, 100), 9, 100);
    CHECK(mmprs(m) == 0 && stats(m).committed == PAGE);
    CHECK(all_zero(mmapl(m, PAGE), PAGE));
    CHECK(mmpfr(m) == 0);
}

static void absurd_retain_is_clamped(void) {
    arn_mmap_opts o = {0};
    o.retain = SIZE_MAX; /* never give pages back */
    arn_mmap m = mmpmk(MIB, &o);
    CHECK(m != 0 && stats(m).retain == MIB);
    CHECK(mmpcm(m, MIB) == 0);
    memset(mmapl(m, 300000), 0x11, 300000);
    CHECK(mmprs(m) == 0);
    CHECK(stats(m).committed == MIB && stats(m).used == 0);
    CHECK(all_zero(mmapl(m, MIB), MIB));
    CHECK(mmpfr(m) == 0);
    o.retain = 2 * MIB; /* more than reserved */
    m = mmpmk(MIB, &o);
    CHECK(m != 0 && stats(m).retain == MIB);
    CHECK(mmpfr(m) == 0);
}

static void prefault_makes_committed_pages_resident(void) {
    arn_mmap_opts o = {0};
    o.prefault = 1;
    arn_mmap m = mmpmk(64 * MIB, &o);
    size_t before = rss();
    CHECK(mmpcm(m, 16 * MIB) == 0);
    size_t after = rss();
    CHECK(after >= before + 15 * MIB);
    if (after < before + 15 * MIB)
        fprintf(stderr, "  rss %zu -> %zu\n", before, after);
    CHECK(stats(m).committed == 16 * MIB);
    unsigned char *p = mmapl(m, 16 * MIB);
    CHECK(p != NULL && all_zero(p, 16 * MIB));
    CHECK(mmpfr(m) == 0);
}

static void huge_pages_align_the_reservation(void) {
    arn_mmap_opts o = {0};
    o.huge_pages = 1;
    for (int i = 0; i < 4; i++) {
        arn_mmap m = mmpmk(5 * MIB, &o);
        unsigned char *p = mmapl(m, 3 * MIB);
        CHECK(p != NULL && (uintptr_t)p % (2 * MIB) == 0);
        CHECK(all_zero(p, 3 * MIB));
        CHECK(stats(m).reserved == 5 * MIB);
        CHECK_INSIDE(stats(m).committed == 3 * MIB);
        memset(p, 1, 3 * MIB);
        CHECK(mmprs(m) == 0 && stats(m).committed == 0);
        CHECK(mmpfr(m) == 0);
    }
    o.huge_pages = 1;
    o.prefault = 1;
    o.no_guard_page = 1;
    o.retain = 4 * MIB;
    arn_mmap m = mmpmk(4 * MIB, &o);
    CHECK(mmpcm(m, 4 * MIB) == 0 && all_zero(mmapl(m, 4 * MIB), 4 * MIB));
    CHECK(mmpfr(m) == 0);
}

static void guard_page_and_uncommitted_memory_fault(void) {
    if (under_valgrind())
        fprintf(stderr, "note: valgrind reports the three faults below, which are the expected "
                        "ones\n");
    expect_segv(touch_past_the_end);
    expect_segv(touch_uncommitted);
    expect_segv(touch_after_reset);
}

static void the_system_refuses(void) {
    /* 1 PiB: without an address hint Linux maps below 128 TiB. */
    CHECK(mmpmk((size_t)1 << 50, NULL) == 0);
    /* The OS's reason follows; valgrind gives another errno than Linux. */
    const char *want = "mmpmk: the system refused 1125899906842624 bytes of memory: ";
    CHECK(strncmp(arnem(), want, strlen(want)) == 0 && strlen(arnem()) > strlen(want));
    CHECK_ERR(ARN_E_SYSTEM, "mmpmk");
    expect_clean_exit(commit_refused_by_the_os);
}

static void bad_sizes_and_options(void) {
    arn_mmap_opts no_guard = {0};
    no_guard.no_guard_page = 1;
    CHECK(mmpmk(0, NULL) == 0);
    CHECK(strcmp(arnem(), "mmpmk: invalid argument: mmap arena size 0") == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpmk");
    CHECK(mmpmk(SIZE_MAX, NULL) == 0); /* rounding overflows */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpmk");
    CHECK(mmpmk(SIZE_MAX - PAGE + 1, NULL) == 0); /* the guard page overflows */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpmk");
    CHECK(mmpmk(SIZE_MAX - PAGE + 1, &no_guard) == 0); /* above PTRDIFF_MAX */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpmk");
    _Alignas(8) unsigned char raw[sizeof(arn_mmap_opts) + 8] = {0};
    CHECK(mmpmk(PAGE, (const arn_mmap_opts *)(const void *)(raw + 1)) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpmk");

    arn_mmap m = mmpmk(PAGE, &no_guard);
    CHECK(m != 0);
    CHECK(mmapl(m, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmapl");
    CHECK(mmapl(m, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmapl");
    CHECK(mmapl(m, SIZE_MAX - 7) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "mmapl");
    CHECK(mmpst(m, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpst");
    _Alignas(8) unsigned char out[sizeof(arn_mmap_stats) + 8];
    memset(out, 0x77, sizeof out);
    CHECK(mmpst(m, (arn_mmap_stats *)(void *)(out + 1)) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mmpst");
    CHECK(out[1] == 0x77);
    arn_mmap_stats st = stats(m);
    CHECK(st.reserved == PAGE && st.committed == 0 && st.used == 0 && st.allocations == 0);
    CHECK(mmapl(m, PAGE) != NULL); /* still usable, all of it */
    CHECK(mmpfr(m) == 0);
}

static void handles(void) {
    arn_mmap_stats st;
    CHECK(mmapl(0, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mmapl");
    CHECK(mmpcm(0, 8) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mmpcm");
    CHECK(mmprs(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mmprs");
    CHECK(mmpfr(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mmpfr");
    CHECK(mmpst(0, &st) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mmpst");

    arn_arena a = arnmk(64);
    CHECK(mmapl(a, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "mmapl");
    CHECK(mmpcm(a, 8) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "mmpcm");
    CHECK(mmprs(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "mmprs");
    CHECK(mmpfr(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "mmpfr");
    CHECK(mmpst(a, &st) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "mmpst");

    arn_mmap m = mmpmk(MIB, NULL);
    char want[160];
    CHECK(arnal(m, 8) == NULL);
    snprintf(want, sizeof want, "arnal: wrong kind of handle %#llx: expected arena, got mmap arena",
             (unsigned long long)m);
    CHECK(strcmp(arnem(), want) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnal");
    CHECK(mmapl(m, 8) != NULL);
    CHECK(mmpfr(m) == 0);
    CHECK(mmapl(m, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mmapl");
    CHECK(mmpcm(m, 8) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mmpcm");
    CHECK(mmprs(m) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mmprs");
    CHECK(mmpst(m, &st) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mmpst");
    CHECK(mmpfr(m) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "mmpfr");

    /* The slot is reused; the old handle stays stale. */
    arn_mmap reused = mmpmk(MIB, NULL);
    CHECK((reused & 0xFFFFFF) == (m & 0xFFFFFF) && reused != m);
    CHECK(mmapl(m, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mmapl");
    CHECK(mmapl(reused, 8) != NULL);
    CHECK(arnal(a, 8) != NULL);
    CHECK(mmpfr(reused) == 0 && arnfr(a) == 0);
}

int main(void) {
    RUN(reserve_64_gib_and_use_a_little);
    RUN(alloc_commits_exactly_the_pages_it_needs);
    RUN(commit_rounds_up_and_stays_within_the_reservation);
    RUN(exhaustion_reports_the_numbers);
    RUN(reset_gives_pages_back_beyond_retain);
    RUN(absurd_retain_is_clamped);
    RUN(prefault_makes_committed_pages_resident);
    RUN(huge_pages_align_the_reservation);
    RUN(guard_page_and_uncommitted_memory_fault);
    RUN(the_system_refuses);
    RUN(bad_sizes_and_options);
    RUN(handles);
    return finish();
}
