#ifndef SAQL_CRASH_GUARD_H
#define SAQL_CRASH_GUARD_H
#include <stddef.h>
#include <stdint.h>

/// Opens `path` for the crash record and installs handlers for the fatal signals (SIGSEGV, SIGBUS,
/// SIGILL, SIGTRAP, SIGFPE, SIGABRT) on an alternate stack, so a stack overflow is caught too. The
/// handlers write the armed record, then pass the signal to the handler installed before them.
/// Returns 0; 1 when another guard in this process holds the handlers (only one job per process
/// is guarded); or -1 with errno set. Call it on the thread that processes events.
int saql_crash_guard_install(const char *path);

/// Arms the record written if the process crashes: the bytes are copied (at most 64 KiB are kept).
void saql_crash_guard_arm(const uint8_t *bytes, size_t count);

/// Nothing is written by a crash from now on, until the next arm.
void saql_crash_guard_disarm(void);

/// Arms the record written if the calling thread, read-ahead lane `lane` (0 to 3) of the event
/// thread, crashes; a crash on a thread that is no lane writes the record of ``saql_crash_guard_arm``.
void saql_crash_guard_arm_reader(int lane, const uint8_t *bytes, size_t count);

/// Nothing is written by a crash of lane `lane` from now on, until its next arm.
void saql_crash_guard_disarm_reader(int lane);

/// Restores the previous handlers and closes the record file. Only the guard that installed calls it.
void saql_crash_guard_uninstall(void);

#endif
