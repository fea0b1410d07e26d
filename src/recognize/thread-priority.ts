/**
 * A recognizer worker's own scheduling priority. On Linux the nice value and the scheduling policy
 * belong to each thread, so a pool's thorough worker can run below the live screens. The kernel
 * then gives the screens the CPU first, and thorough looks only get what the cameras leave spare,
 * however fast or slow the CPU is. Pacing the looks alone cannot promise that: a look of ~0.4 s on
 * one CPU takes ~0.8 s on another.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The weakest priority: at CPU contention, about 1.5% of a core against a thread at nice 0. */
export const BACKGROUND_NICE = 19;

/** Linux's SCHED_IDLE policy number, as /proc/<tid>/stat gives it. */
export const SCHED_IDLE = 5;

/** This thread's kernel id, from /proc/thread-self (Linux 3.17+), or null where it cannot be read. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** A thread's scheduling policy (field 41 of /proc/<tid>/stat), or null where it cannot be read. */
export function threadPolicy(tid: number): number | null {
  try {
    const policy = Number(
      readFileSync(`/proc/${tid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[38],
    );
    return Number.isInteger(policy) ? policy : null;
  } catch {
    return null;
  }
}

/**
 * Puts a thread under SCHED_IDLE with util-linux's `chrt` (Node has no sched_setscheduler). Beyond
 * nice 19's small share, the kernel counts a core that runs only SCHED_IDLE threads as free when it
 * places a waking thread, so a screen that wakes for a frame takes the thorough look's core at
 * once instead of queueing behind the other screen (`npm run bench -- cameras`, real frames, no
 * read hot, three runs each: frame→read p99 72-76 ms against 72-94 at nice 19 alone). Lowering a
 * thread's own policy needs no privilege; the unit's system call filter allows it and
 * `RestrictRealtime=` only forbids the real-time policies. False where chrt is missing or refused.
 */
export function idleSchedule(tid: number): boolean {
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return false;
  }
  return threadPolicy(tid) === SCHED_IDLE;
}

/**
 * Lowers the calling thread's priority to `nice` (never raises it: a unit started at a lower
 * priority stays there) and, where it can, its policy to SCHED_IDLE. Threads it starts afterwards
 * inherit both. Returns the thread's id, the nice value it now runs at and whether it runs under
 * SCHED_IDLE, or null where the thread cannot be told apart from the process (not Linux) or the
 * kernel refused the nice value.
 */
export function lowerThreadPriority(
  nice = BACKGROUND_NICE,
): { tid: number; nice: number; idle: boolean } | null {
  const tid = threadId();
  if (tid === null) return null;
  try {
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return { tid, nice: getPriority(tid), idle: idleSchedule(tid) };
  } catch {
    return null;
  }
}
