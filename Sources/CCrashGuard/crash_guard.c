// The poison-event guard's signal handler. It is C because a handler may only call
// async-signal-safe functions: it copies a preformatted record to a file descriptor opened in
// advance, then hands the signal on. Swift code cannot promise that (runtime calls, locks).
#include "crash_guard.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RECORD_MAX 65536
static const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
#define SIGNAL_COUNT (sizeof(signals) / sizeof(signals[0]))

static int record_fd = -1;
// Slot 0 is armed by the thread that processes events; slots 1 to READERS by the threads that
// read ahead (decode the next batches), whose thread ids are kept so a crash there writes its own record.
#define READERS 4
static uint8_t record[READERS + 1][RECORD_MAX];
static volatile sig_atomic_t record_count[READERS + 1];
static volatile pid_t reader_thread[READERS + 1];
static struct sigaction previous[SIGNAL_COUNT];
static void *alternate_stack = NULL;
// One guard at a time per process: a second install would save this handler as the "previous"
// one and loop on a crash, and two jobs cannot share one record.
static atomic_int installed = 0;
static volatile sig_atomic_t handling = 0;

// Hands the signal to the handler that was installed before this one, as if this one had not
// been there: a handler is called with the same information and context (and may return, having
// handled it: a JIT's trap, say); the default action is restored, so a fault raised by an
// instruction faults again when this handler returns and a signal that was sent is sent again.
// The handler is called rather than reinstalled, so a handler installed later (which chains to
// this one) stays in place.
static void pass_on(int sig, siginfo_t *info, void *context) {
    for (size_t i = 0; i < SIGNAL_COUNT; i++) {
        if (signals[i] != sig) continue;
        const struct sigaction *prev = &previous[i];
        if (prev->sa_flags & SA_SIGINFO) {
            if (prev->sa_sigaction != NULL) {
                prev->sa_sigaction(sig, info, context);
                return;
            }
        } else if (prev->sa_handler == SIG_IGN) {
            return;
        } else if (prev->sa_handler != SIG_DFL) {
            prev->sa_handler(sig);
            return;
        }
    }
    signal(sig, SIG_DFL);
    if (info == NULL || info->si_code <= 0) raise(sig);
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context) {
    // gettid is a plain system call, safe in a handler.
    pid_t self = (pid_t)syscall(SYS_gettid);
    int slot = 0;
    for (int i = 1; i <= READERS; i++) {
        if (reader_thread[i] == self) slot = i;
    }
    size_t count = (size_t)record_count[slot];
    // A second fault while writing the record must not loop: the default action ends the process.
    if (handling) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    handling = 1;
    if (record_fd >= 0 && count > 0) {
        uint8_t tail[4] = {(uint8_t)sig, (uint8_t)(sig >> 8), (uint8_t)(sig >> 16), (uint8_t)(sig >> 24)};
        ssize_t w = pwrite(record_fd, record[slot], count, 0);
        if (w == (ssize_t)count) w = pwrite(record_fd, tail, 4, (off_t)count);
        (void)ftruncate(record_fd, (off_t)count + 4);
        (void)fsync(record_fd);
    }
    pass_on(sig, info, context);
    // Back here, the earlier handler dealt with the signal and the process goes on.
    handling = 0;
}

int saql_crash_guard_install(const char *path) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&installed, &expected, 1)) return 1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        atomic_store(&installed, 0);
        return -1;
    }
    if (alternate_stack == NULL) {
        stack_t current;
        if (sigaltstack(NULL, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
            size_t size = 256 * 1024;
            alternate_stack = malloc(size);
            if (alternate_stack != NULL) {
                stack_t s = {.ss_sp = alternate_stack, .ss_size = size, .ss_flags = 0};
                (void)sigaltstack(&s, NULL);
            }
        }
    }
    for (int i = 0; i <= READERS; i++) record_count[i] = reader_thread[i] = 0;
    record_fd = fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < SIGNAL_COUNT; i++) (void)sigaction(signals[i], &action, &previous[i]);
    return 0;
}

static void arm(int slot, const uint8_t *bytes, size_t count) {
    if (count > RECORD_MAX) count = RECORD_MAX;
    record_count[slot] = 0;
    memcpy(record[slot], bytes, count);
    record_count[slot] = (sig_atomic_t)count;
}

void saql_crash_guard_arm(const uint8_t *bytes, size_t count) { arm(0, bytes, count); }

void saql_crash_guard_disarm(void) { record_count[0] = 0; }

void saql_crash_guard_arm_reader(int lane, const uint8_t *bytes, size_t count) {
    if (lane < 0 || lane >= READERS) return;
    reader_thread[lane + 1] = (pid_t)syscall(SYS_gettid);
    arm(lane + 1, bytes, count);
}

void saql_crash_guard_disarm_reader(int lane) {
    if (lane >= 0 && lane < READERS) record_count[lane + 1] = 0;
}

void saql_crash_guard_uninstall(void) {
    if (record_fd < 0) return;
    // A handler installed after this one (and chaining to it) stays: this one then only passes on.
    for (size_t i = 0; i < SIGNAL_COUNT; i++) {
        struct sigaction current;
        if (sigaction(signals[i], NULL, &current) == 0 && (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_fatal_signal) {
            (void)sigaction(signals[i], &previous[i], NULL);
        }
    }
    close(record_fd);
    record_fd = -1;
    for (int i = 0; i <= READERS; i++) record_count[i] = reader_thread[i] = 0;
    atomic_store(&installed, 0);
}
