/* client.c — the judge's side of judge.h: the arena, the worker's start in a
 * sandbox, one call at a time with a time limit, and the memory the judge
 * shares on purpose (tl_shared_alloc). What this defends against, and how,
 * is the threat model at the top of tools/guard.
 *
 * The judge trusts nothing in the arena: a word it reads back is an answer,
 * never a pointer it writes through on its own account, and it keeps what it
 * needs to allocate shared memory (block sizes, free lists) in its own heap.
 */
#define _GNU_SOURCE
#define TL_STUBS_OUT_OF_LINE
#include "stubs.h"
#include "isa_env.h"
#include "handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the arena -------------------------------------------------------------- */

static int arena_fd = -1;
static size_t arena_size;
static tl_arena_layout lay;
static size_t scratch_used;

static tl_mailbox *mailbox(void)
{
    return (tl_mailbox *)TL_ARENA_BASE;
}

static int in_arena(const void *p)
{
    uintptr_t u = (uintptr_t)p;
    return u >= TL_ARENA_BASE && u < TL_ARENA_BASE + arena_size;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tiedlab judge: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(3);
}

/* TL_ARENA_MB, or 1 GiB, and never more than the address-space limit
 * leaves for the program itself (the worker maps it too). */
static size_t choose_arena_size(void)
{
    size_t mb = 1024;
    const char *e = getenv("TL_ARENA_MB");
    if (e && *e)
        mb = (size_t)strtoul(e, NULL, 10);
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        size_t limit_mb = (size_t)(rl.rlim_cur >> 20);
        if (limit_mb < 512)
            die("the address-space limit (%zu MiB) leaves no room for the shared memory", limit_mb);
        if (mb > limit_mb - 384)
            mb = limit_mb - 384;
    }
    if (mb < 64)
        mb = 64;
    return mb << 20;
}

static void arena_open(void)
{
    if (arena_fd >= 0)
        return;
    arena_size = choose_arena_size();
    arena_fd = memfd_create("tiedlab-arena", 0);
    /* the harness's file-size limit is soft: sizing the arena is no file
     * filling the disk, so it is lifted for this one call */
    struct rlimit fs, lifted;
    int have = getrlimit(RLIMIT_FSIZE, &fs) == 0;
    if (have) {
        lifted = fs;
        lifted.rlim_cur = fs.rlim_max;
        setrlimit(RLIMIT_FSIZE, &lifted);
    }
    int sized = arena_fd >= 0 && ftruncate(arena_fd, (off_t)arena_size) == 0;
    int why = errno;
    if (have)
        setrlimit(RLIMIT_FSIZE, &fs);
    if (!sized)
        die("cannot create the shared memory: %s", strerror(why));
    void *at = mmap((void *)TL_ARENA_BASE, arena_size, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_FIXED_NOREPLACE, arena_fd, 0);
    if (at != (void *)TL_ARENA_BASE)
        die("cannot map the shared memory at %#lx: %s", (unsigned long)TL_ARENA_BASE, strerror(errno));
    lay = tl_arena_layout_of(arena_size);
}

/* ---- failures ----------------------------------------------------------------- */

static void default_failure(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    exit(3);
}

static void (*on_failure)(const char *) = default_failure;
static int hung;
static char hang_note[512];

void tl_judge_on_failure(void (*fail)(const char *msg))
{
    on_failure = fail ? fail : default_failure;
}

int tl_judge_hung(void)
{
    return hung;
}

int tl_judged(void)
{
    return 1;
}

static void fail_call(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_call(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    on_failure(msg);
    /* a hook that returns (it should not) still must not go on with the call */
    default_failure(msg);
}

/* ---- the worker ----------------------------------------------------------------- */

static pid_t worker = -1;
static int rep_fd = -1, err_fd = -1;
static uint32_t seq;                        /* the last call's number */
static size_t relayed;                      /* bytes of the library's output shown */
static int err_open;                        /* its output pipe is still open */
enum { RELAY_LIMIT = 256 * 1024 };
static int sandbox_mode = -1;               /* 0 none, 1 bubblewrap */

/* Copies what the library printed to the judge's stderr (never its stdout,
 * where the judge's verdict goes), up to RELAY_LIMIT bytes. While a worker
 * starts, its words are kept instead (bubblewrap's reason for not running). */
static char startup_said[512];
static int starting;

static void relay_output(void)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(err_fd, buf, sizeof buf);
        if (n <= 0) {
            if (n == 0)
                err_open = 0;
            return;
        }
        if (starting) {
            size_t have = strlen(startup_said), room = sizeof startup_said - 1 - have;
            size_t k = (size_t)n < room ? (size_t)n : room;
            memcpy(startup_said + have, buf, k);
            startup_said[have + k] = 0;
            continue;
        }
        if (relayed < RELAY_LIMIT) {
            size_t keep = (size_t)n < RELAY_LIMIT - relayed ? (size_t)n : RELAY_LIMIT - relayed;
            if (write(2, buf, keep) < 0)
                return;
            relayed += keep;
            if (relayed >= RELAY_LIMIT)
                fputs("\n[the library printed more: cut here]\n", stderr);
        }
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Waits up to `secs` for one byte from the worker, relaying its output
 * meanwhile. Returns 1 (got it), 0 (the worker closed its end: it ended)
 * or -1 (time is up). */
static int await_byte(double secs, char *byte)
{
    double deadline = now() + secs;
    for (;;) {
        double left = deadline - now();
        if (left <= 0)
            return -1;
        struct pollfd p[2] = { { rep_fd, POLLIN, 0 }, { err_open ? err_fd : -1, POLLIN, 0 } };
        int ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        int r = poll(p, 2, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (p[1].revents)
            relay_output();
        if (p[0].revents) {
            ssize_t n = read(rep_fd, byte, 1);
            if (n == 1)
                return 1;
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                return 0;
        }
    }
}

static double call_limit(void)
{
    const char *e = getenv("TL_CALL_SECONDS");
    double s = e && *e ? strtod(e, NULL) : 60.0;
    return s > 0 ? s : 60.0;
}

static void close_pipes(void)
{
    close(rep_fd);
    close(err_fd);
    worker = -1;
}

/* How the worker ended, in words, once it closed its end; one that closed
 * its end and goes on running is stopped after a second. */
static void reap(char *out, size_t n)
{
    int st = 0;
    pid_t got = 0;
    for (int i = 0; i < 100 && (got = waitpid(worker, &st, WNOHANG)) == 0; i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (got == 0) {
        kill(worker, SIGKILL);
        got = waitpid(worker, &st, 0);
    }
    relay_output();
    if (got != worker)
        snprintf(out, n, "ended");
    else if (WIFSIGNALED(st))
        snprintf(out, n, "crashed with signal %s", sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
    else if (WIFEXITED(st) && sandbox_mode == 1 && WEXITSTATUS(st) > 128)   /* bubblewrap passes 128 + signal on */
        snprintf(out, n, "crashed with signal %s",
                 sigabbrev_np(WEXITSTATUS(st) - 128) ? sigabbrev_np(WEXITSTATUS(st) - 128) : "?");
    else if (WIFEXITED(st))
        snprintf(out, n, "stopped (exit status %d)", WEXITSTATUS(st));
    else
        snprintf(out, n, "ended");
    close_pipes();
}

static void kill_worker(void)
{
    kill(worker, SIGKILL);
    waitpid(worker, NULL, 0);
    relay_output();
    close_pipes();
}

static const char *worker_path(void)
{
    static char path[4096];
    const char *e = getenv("TL_WORKER");
    if (e && *e)
        return e;
    char self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("cannot find the worker: set TL_WORKER");
    self[n] = 0;
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(self, '/');
        if (!slash)
            break;
        *slash = 0;
        snprintf(path, sizeof path, "%s/worker", self);
        if (access(path, X_OK) == 0)
            return path;
    }
    die("no worker next to this program: build it (make) or set TL_WORKER");
}

/* TL_BWRAP names another bubblewrap (the suite points it at one that cannot
 * run, to see the judge fall back and say so). */
static const char *find_bwrap(void)
{
    static const char *const where[] = { "/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap" };
    const char *e = getenv("TL_BWRAP");
    if (e && *e)
        return access(e, X_OK) == 0 ? e : NULL;
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

/* bubblewrap: no network, no other process to see, nothing of the file
 * system but the system's libraries, read-only, a private empty /tmp, all
 * capabilities dropped, user nobody when the judge runs as root. */
static size_t bwrap_argv(const char **av, const char *bwrap, const char *path, const char *size)
{
    static const char *const top[] = { "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin" };
    static char links[6][256];
    size_t n = 0;
    av[n++] = bwrap;
    av[n++] = "--unshare-all";
    av[n++] = "--die-with-parent";
    av[n++] = "--new-session";
    av[n++] = "--cap-drop";
    av[n++] = "ALL";
    av[n++] = "--ro-bind";
    av[n++] = "/usr";
    av[n++] = "/usr";
    for (size_t i = 0; i < 6; i++) {
        struct stat st;
        if (lstat(top[i], &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            ssize_t k = readlink(top[i], links[i], sizeof links[i] - 1);
            if (k <= 0)
                continue;
            links[i][k] = 0;
            av[n++] = "--symlink";
            av[n++] = links[i];
        } else {
            av[n++] = "--ro-bind";
            av[n++] = top[i];
        }
        av[n++] = top[i];
    }
    av[n++] = "--ro-bind";
    av[n++] = path;
    av[n++] = "/tiedlab-worker";
    av[n++] = "--dev";
    av[n++] = "/dev";
    av[n++] = "--proc";
    av[n++] = "/proc";
    av[n++] = "--tmpfs";
    av[n++] = "/tmp";
    av[n++] = "--chdir";
    av[n++] = "/tmp";
    if (geteuid() == 0) {
        av[n++] = "--uid";
        av[n++] = "65534";
        av[n++] = "--gid";
        av[n++] = "65534";
    }
    av[n++] = "/tiedlab-worker";
    av[n++] = size;
    av[n] = NULL;
    return n;
}

/* In the child: the worker's fds, limits, and exec. Never returns. */
static void exec_worker(int sandboxed, int a_fd, int r_fd, int e_fd)
{
    /* fds 3 and 4 as judge.h says; stdout and stderr both go to the relay */
    int fds[2] = { dup(a_fd), dup(r_fd) };
    if (dup2(e_fd, 1) < 0 || dup2(e_fd, 2) < 0)
        _exit(127);
    for (int i = 0; i < 2; i++)
        if (fds[i] < 0 || dup2(fds[i], TL_WORKER_ARENA_FD + i) < 0)
            _exit(127);
    for (int fd = TL_WORKER_REP_FD + 1; fd < 1024; fd++)
        close(fd);
    setsid();
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct rlimit zero = { 0, 0 };
    setrlimit(RLIMIT_CORE, &zero);
    setrlimit(RLIMIT_FSIZE, &zero);          /* no file grows: its output is a pipe */
    if (!sandboxed)
        setrlimit(RLIMIT_NPROC, &zero);      /* starts no process (not as root) */
    char size[32];
    snprintf(size, sizeof size, "%zu", arena_size);
    const char *path = worker_path();
    char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
    const char *av[64];
    if (sandboxed) {
        const char *bwrap = find_bwrap();
        if (!bwrap)
            _exit(126);
        bwrap_argv(av, bwrap, path, size);
    } else {
        av[0] = path;
        av[1] = size;
        av[2] = NULL;
    }
    execve(av[0], (char *const *)av, env);
    _exit(127);
}

/* TL_SANDBOX: bwrap (required), none, or auto (bubblewrap when it runs here). */
static int want_sandbox(void)
{
    const char *e = getenv("TL_SANDBOX");
    if (!e || !*e || !strcmp(e, "auto"))
        return find_bwrap() ? 2 : 0;
    if (!strcmp(e, "bwrap"))
        return 1;
    if (!strcmp(e, "none"))
        return 0;
    die("TL_SANDBOX is auto, bwrap or none, got '%s'", e);
}

/* Starts a worker; returns 1 when it said it is ready, else 0 with what it
 * printed (bubblewrap's first line, say) in why. */
static int start_worker(int sandboxed, char *why, size_t nwhy)
{
    int r[2], e[2];
    if (pipe2(r, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
        die("cannot make pipes: %s", strerror(errno));
    tl_mailbox *mb = mailbox();
    mb->req = mb->rep = seq = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("cannot start the library's process: %s", strerror(errno));
    if (pid == 0)
        exec_worker(sandboxed, arena_fd, r[1], e[1]);
    close(r[1]);
    close(e[1]);
    worker = pid;
    rep_fd = r[0];
    err_fd = e[0];
    err_open = 1;
    fcntl(err_fd, F_SETFL, O_NONBLOCK);
    relayed = 0;
    starting = 1;
    startup_said[0] = 0;
    char b = 0;
    int got = await_byte(30.0, &b);
    starting = 0;
    if (got == 1 && b == 'R') {
        if (*startup_said)   /* what it printed while starting, shown after all */
            fputs(startup_said, stderr);
        return 1;
    }
    char how[128] = "did not answer within 30 s";
    if (got == -1)
        kill_worker();
    else
        reap(how, sizeof how);
    char *nl = strchr(startup_said, '\n');
    if (nl)
        *nl = 0;
    snprintf(why, nwhy, "%s", *startup_said ? startup_said : how);
    return 0;
}

/* Can bubblewrap run a program here, as this user? Asked once, of a
 * harmless program (never of the library, whose own failure to start must
 * not turn the sandbox off). Returns 1, or 0 with bubblewrap's words. */
static int bwrap_runs(char *why, size_t nwhy)
{
    const char *bwrap = find_bwrap();
    if (!bwrap) {
        snprintf(why, nwhy, "bubblewrap is not installed (sudo apt-get install bubblewrap)");
        return 0;
    }
    int e[2];
    if (pipe2(e, O_CLOEXEC))
        die("cannot make a pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("cannot start bubblewrap: %s", strerror(errno));
    if (pid == 0) {
        const char *av[64];
        char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(e[1], 2) < 0)
            _exit(127);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        bwrap_argv(av, bwrap, "/usr/bin/true", "0");
        execve(av[0], (char *const *)av, env);
        _exit(127);
    }
    close(e[1]);
    int st = 0;
    pid_t got = 0;
    for (int i = 0; i < 1000 && (got = waitpid(pid, &st, WNOHANG)) == 0; i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    ssize_t n = read(e[0], why, nwhy - 1);
    close(e[0]);
    why[n > 0 ? n : 0] = 0;
    char *nl = strchr(why, '\n');
    if (nl)
        *nl = 0;
    if (got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 1;
    if (!*why)
        snprintf(why, nwhy, "it did not run a program");
    return 0;
}

static void spawn(void)
{
    arena_open();
    if (sandbox_mode < 0) {
        /* a non-dumpable judge cannot be traced or read through /proc by a
         * process of the same user, such as an unsandboxed worker */
        prctl(PR_SET_DUMPABLE, 0);
        signal(SIGPIPE, SIG_IGN);   /* a dead worker is an answer, not the judge's end */
        int want = want_sandbox();
        char why[400];
        if (want && bwrap_runs(why, sizeof why)) {
            sandbox_mode = 1;
        } else if (want == 1) {
            die("TL_SANDBOX=bwrap, but bubblewrap cannot run here: %s", why);
        } else {
            sandbox_mode = 0;
            if (want == 2)
                fprintf(stderr, "tiedlab: no sandbox (%.300s); the library runs with time, memory, "
                        "file-size and process limits only\n", why);
        }
    }
    if (!start_worker(sandbox_mode, hang_note, sizeof hang_note)) {
        char why[sizeof hang_note];
        snprintf(why, sizeof why, "%s", hang_note);
        hang_note[0] = 0;
        fail_call("the library's process did not start: %s", why);
    }
    /* the session the harness asked for: TL_ISA names the kernel build */
    tl_isa_from_env();
}

/* ---- one call --------------------------------------------------------------------- */

void tl_call_begin(tl_call *c, uint32_t fn, const char *name)
{
    if (hung)
        fail_call("%s: not run: the library hung earlier (%s)", name, hang_note);
    if (worker < 0)
        spawn();
    c->mb = mailbox();
    c->name = name;
    c->nback = 0;
    c->nmapped = 0;
    memset(c->mb->a, 0, sizeof c->mb->a);
    c->mb->fn = fn;
    scratch_used = 0;
}

static void *scratch(tl_call *c, size_t n)
{
    size_t at = (scratch_used + 63) & ~(size_t)63;
    if (n > lay.shared - lay.scratch || at > lay.shared - lay.scratch - n)
        fail_call("test harness: %s: %zu bytes of arguments do not fit the shared memory", c->name, n);
    scratch_used = at + n;
    return (char *)TL_ARENA_BASE + lay.scratch + at;
}

size_t tl_n(size_t a, size_t b, size_t elem)
{
    size_t ab;
    if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, elem, &ab))
        return SIZE_MAX;
    return ab;
}

uint64_t tl_float_word(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

void tl_arg_copy(tl_call *c, unsigned i, const void *p, size_t bytes, size_t known, int back)
{
    if (!p || in_arena(p)) {
        c->mb->a[i] = (uint64_t)(uintptr_t)p;
        return;
    }
    /* never past the judge's buffer; the whole of it when the compiler knows
     * it (a little more than the call needs), so a library that reads or
     * writes past `bytes` meets the caller's own memory, as it would in one
     * process */
    size_t n = bytes < known ? bytes : known;
    if (known != (size_t)-1 && known > bytes)
        n = known - bytes > 65536 ? bytes + 65536 : known;
    /* the same memory passed twice (dH and H, say) stays one buffer */
    for (size_t k = 0; k < c->nmapped; k++) {
        const char *q = c->mapped[k].p;
        if ((const char *)p >= q && (const char *)p + n <= q + c->mapped[k].n) {
            c->mb->a[i] = (uint64_t)(uintptr_t)((char *)c->mapped[k].at + ((const char *)p - q));
            return;
        }
    }
    if (n == SIZE_MAX)
        fail_call("test harness: %s: argument %u has no size (a size overflows)", c->name, i);
    void *at = scratch(c, n ? n : 1);
    memcpy(at, p, n);
    c->mb->a[i] = (uint64_t)(uintptr_t)at;
    if (c->nmapped < TL_MAX_ARGS) {
        c->mapped[c->nmapped].p = p;
        c->mapped[c->nmapped].n = n;
        c->mapped[c->nmapped].at = at;
        c->nmapped++;
    }
    if (back) {
        c->back[c->nback].to = (void *)(uintptr_t)p;
        c->back[c->nback].from = at;
        c->back[c->nback].n = n;
        c->nback++;
    }
}

void tl_arg_keep(tl_call *c, unsigned i, const void *p, const char *what)
{
    if (p && !in_arena(p))
        fail_call("test harness: %s keeps a pointer to %s, so it must be shared memory (tl_shared_alloc)",
                  c->name, what);
    c->mb->a[i] = (uint64_t)(uintptr_t)p;
}

void tl_arg_handle(tl_call *c, unsigned i, const void *p, const char *what)
{
    if (p && !in_arena(p))
        fail_call("test harness: %s: %s is not something the library made", c->name, what);
    c->mb->a[i] = (uint64_t)(uintptr_t)p;
}

void tl_arg_str(tl_call *c, unsigned i, const char *s, size_t known)
{
    if (!s || in_arena(s)) {
        c->mb->a[i] = (uint64_t)(uintptr_t)s;
        return;
    }
    size_t n = strnlen(s, known < 4096 ? known : 4096);
    char *at = scratch(c, n + 1);
    memcpy(at, s, n);
    at[n] = 0;
    c->mb->a[i] = (uint64_t)(uintptr_t)at;
}

/* While a call runs: has the worker ended (its pipe closed), or is time up? */
static double call_deadline;
static int call_ended, call_late;

static int call_should_stop(void)
{
    struct pollfd p[2] = { { rep_fd, POLLIN, 0 }, { err_open ? err_fd : -1, POLLIN, 0 } };
    if (poll(p, 2, 0) > 0) {
        if (p[1].revents)
            relay_output();
        if (p[0].revents) {
            char b;
            if (read(rep_fd, &b, 1) <= 0)
                call_ended = 1;
        }
    }
    if (!call_ended && now() > call_deadline)
        call_late = 1;
    return call_ended || call_late;
}

void tl_call_run(tl_call *c)
{
    double secs = call_limit();
    tl_mailbox *mb = c->mb;
    uint32_t s = ++seq;
    call_deadline = now() + secs;
    call_ended = call_late = 0;
    __atomic_store_n(&mb->req, s, __ATOMIC_RELEASE);
    tl_futex_wake(&mb->req);
    tl_await_change(&mb->rep, s - 1, 256, 2L * 1000 * 1000, call_should_stop);
    if (call_late) {
        kill_worker();
        hung = 1;
        snprintf(hang_note, sizeof hang_note, "%s did not return within %g s", c->name, secs);
        fail_call("%s did not return within %g s (an infinite loop?)", c->name, secs);
    }
    if (call_ended) {
        char how[128];
        reap(how, sizeof how);
        fail_call("the library's process %s during %s", how, c->name);
    }
    for (size_t k = 0; k < c->nback; k++)
        memcpy(c->back[k].to, c->back[k].from, c->back[k].n);
}

const char *tl_call_str(tl_call *c)
{
    static char ring[8][TL_STR_BYTES];
    static unsigned next;
    char *s = ring[next++ % 8];
    memcpy(s, c->mb->str, TL_STR_BYTES - 1);
    s[TL_STR_BYTES - 1] = 0;
    return s;
}

/* ---- out-of-line stubs and tl_fail -------------------------------------------------- */

#define TL_STUB_BOS(p) ((size_t)-1)
#define TL_API(name, RET, RT, params, marshal, sargs) TL_STUB_BODY(name, RET, RT, params, marshal)
#include "api.def"
#undef TL_API

tl_err tl_fail(tl_err err, const char *fmt, ...)
{
    char msg[TL_STR_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_call c_;
    tl_call_begin(&c_, TL_FN_tl_fail, "tl_fail");
    I(0, err)
    S(1, msg)
    tl_call_run(&c_);
    return (tl_err)c_.mb->ret.i;
}

/* ---- memory the judge shares on purpose ------------------------------------------------ */

/* Power-of-two blocks from 64 bytes; the block sizes and free lists are in
 * the judge's own heap, so nothing the worker writes changes what the judge
 * hands out next. */
enum { MIN_SHIFT = 6, CLASSES = 40 };
static size_t shared_bump;
static struct { uintptr_t *p; size_t n, cap; } freelist[CLASSES];
static struct { uintptr_t p; unsigned cls; } *live;
static size_t live_cap, live_n;

static size_t live_slot(uintptr_t p)
{
    size_t h = (size_t)(p >> MIN_SHIFT) * 0x9E3779B97F4A7C15ULL;
    for (size_t k = h & (live_cap - 1);; k = (k + 1) & (live_cap - 1))
        if (live[k].p == p || live[k].p == 0)
            return k;
}

static void live_put(uintptr_t p, unsigned cls)
{
    if (2 * (live_n + 1) > live_cap) {
        size_t old = live_cap;
        __typeof__(live) was = live;
        live_cap = old ? 2 * old : 256;
        live = calloc(live_cap, sizeof *live);
        if (!live)
            die("out of memory");
        live_n = 0;
        for (size_t k = 0; k < old; k++)
            if (was[k].p && was[k].cls != (unsigned)-1) {
                live[live_slot(was[k].p)] = was[k];
                live_n++;
            }
        free(was);
    }
    size_t k = live_slot(p);
    if (!live[k].p)
        live_n++;
    live[k].p = p;
    live[k].cls = cls;
}

void *tl_shared_alloc(size_t bytes)
{
    arena_open();
    unsigned cls = 0;
    while (cls < CLASSES && ((size_t)1 << (cls + MIN_SHIFT)) < bytes)
        cls++;
    if (cls >= CLASSES)
        return NULL;
    size_t sz = (size_t)1 << (cls + MIN_SHIFT);
    uintptr_t p;
    if (freelist[cls].n) {
        p = freelist[cls].p[--freelist[cls].n];
    } else {
        size_t room = lay.heap - lay.shared;
        if (sz > room || shared_bump > room - sz)
            return NULL;
        p = TL_ARENA_BASE + lay.shared + shared_bump;
        shared_bump += sz;
    }
    live_put(p, cls);
    memset((void *)p, 0, bytes);
    return (void *)p;
}

void tl_shared_free(void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    if (!p || !live_cap)
        return;
    size_t k = live_slot(p);
    if (live[k].p != p || live[k].cls == (unsigned)-1)
        die("tl_shared_free: %p is not shared memory the judge allocated", ptr);
    unsigned cls = live[k].cls;
    live[k].cls = (unsigned)-1;   /* a tombstone: the slot stays taken */
    if (freelist[cls].n == freelist[cls].cap) {
        size_t cap = freelist[cls].cap ? 2 * freelist[cls].cap : 16;
        uintptr_t *np = realloc(freelist[cls].p, cap * sizeof *np);
        if (!np)
            die("out of memory");
        freelist[cls].p = np;
        freelist[cls].cap = cap;
    }
    freelist[cls].p[freelist[cls].n++] = p;
}

size_t tl_block_size(const void *p)
{
    uintptr_t u = (uintptr_t)p;
    if (arena_fd < 0 || u < TL_ARENA_BASE + lay.heap + sizeof(tl_heap_header) || u >= TL_ARENA_BASE + lay.end)
        return 0;
    tl_heap_header h;
    memcpy(&h, (const char *)p - sizeof h, sizeof h);
    if (h.magic != TL_HEAP_MAGIC || h.bytes > TL_ARENA_BASE + lay.end - u)
        return 0;
    return (size_t)h.bytes;
}
