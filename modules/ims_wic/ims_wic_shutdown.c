/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - stopping a busy node without corrupting shared memory.
 *
 * On SIGTERM the main process of Kamailio 5.6 signals every child, waits
 * for them, force-unlocks the shared-memory lock and runs every module's
 * destroy function, which frees the module's tables in shared memory
 * (shutdown_children() and cleanup() in main.c). A child _exit()s from its
 * signal handler wherever it is, also in the middle of a shm_malloc() or
 * shm_free(), with the allocator's free lists half changed: the main
 * process then walks them and dies of SIGSEGV, or loops until its shutdown
 * timeout aborts it. Kamailio accepts that race for a fast restart
 * (kamailio/kamailio#2433); a loaded eP-CSCF met it (issue 18).
 *
 * The core runs the app_shutdown callback in the main process just before
 * it signals the children. Holding the shared-memory lock from there on
 * means that no child is inside the allocator when it exits: it is either
 * before its operation (waiting for the lock) or after it. cleanup()
 * releases the lock before the destroy functions run. Both waits are
 * bounded:
 *  - getting the lock (2 s): a process that crashed while holding it would
 *    make the wait endless; the stop then goes on as before, with a WARNING;
 *  - holding it (5 s): a child whose exit itself allocates (an exit()
 *    running atexit handlers that free OpenSSL state into shared memory,
 *    snmpstats' AgentX child) would wait for the lock until the core's
 *    shutdown timeout kills everything; past 5 s the lock is released and
 *    such a child exits as it did before.
 * The main process is the only one left when the hold ends after cleanup()
 * began, so a release then (the timer is disarmed in mod_destroy, which
 * cleanup() runs) frees a lock nobody else takes.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../core/dprint.h"
#include "../../core/events.h"
#include "../../core/globals.h"
#include "../../core/mem/shm.h"

#include "ims_wic_mod.h"

/* seconds the main process waits for the shared-memory lock at stop */
#define WIC_SHUTDOWN_LOCK_WAIT_S 2
/* seconds it holds the lock at most while the children exit */
#define WIC_SHUTDOWN_LOCK_HOLD_S 5

static sr_corecb_void_f previous_app_shutdown;
static sigjmp_buf lock_wait_over;
static timer_t hold_timer;
static int hold_timer_armed;

static void lock_wait_alarm(int signo)
{
	siglongjmp(lock_wait_over, 1);
}

/* 1 when the lock is held, 0 when the wait ran out or could not be
 * bounded. Leaving the lock's futex wait by the alarm is harmless: the
 * lock's word is left at "contended", which cleanup()'s release (an
 * atomic store of 0 and a wake-up) handles like any other state. If the
 * alarm fires just after the lock was taken, 0 is returned with the lock
 * held: cleanup() releases it all the same. */
static int shm_lock_bounded(unsigned seconds)
{
	struct sigaction on_alarm, saved;
	volatile unsigned saved_alarm = 0;
	volatile int locked = 0;

	memset(&on_alarm, 0, sizeof(on_alarm));
	on_alarm.sa_handler = lock_wait_alarm;
	sigemptyset(&on_alarm.sa_mask);
	if(sigaction(SIGALRM, &on_alarm, &saved) != 0) {
		LM_WARN("cannot bound the wait for the shared-memory lock: %s\n",
				strerror(errno));
		return 0;
	}
	if(sigsetjmp(lock_wait_over, 1) == 0) {
		saved_alarm = alarm(seconds);
		shm_global_lock();
		locked = 1;
	}
	alarm(0);
	sigaction(SIGALRM, &saved, NULL);
	if(saved_alarm)
		alarm(saved_alarm);
	return locked;
}

/* runs in a thread of its own (SIGEV_THREAD), not in a signal handler */
static void hold_expired(union sigval unused)
{
	shm_global_unlock();
}

static int arm_hold_timer(unsigned seconds)
{
	struct sigevent ev;
	struct itimerspec when;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = hold_expired;
	if(timer_create(CLOCK_MONOTONIC, &ev, &hold_timer) != 0)
		return -1;
	memset(&when, 0, sizeof(when));
	when.it_value.tv_sec = seconds;
	if(timer_settime(hold_timer, 0, &when, NULL) != 0) {
		timer_delete(hold_timer);
		return -1;
	}
	hold_timer_armed = 1;
	return 0;
}

static void wic_app_shutdown(void)
{
	if(previous_app_shutdown)
		previous_app_shutdown();
	/* with -D the main process runs this from its signal handler, maybe
	 * inside an allocation of its own, and it has no children */
	if(dont_fork)
		return;
	if(!shm_lock_bounded(WIC_SHUTDOWN_LOCK_WAIT_S)) {
		LM_WARN("the shared-memory lock was not free within %d s (a process "
				"that crashed holding it, or that was signalled before the "
				"main process): stopping without it\n",
				WIC_SHUTDOWN_LOCK_WAIT_S);
		return;
	}
	if(arm_hold_timer(WIC_SHUTDOWN_LOCK_HOLD_S) < 0) {
		/* unbounded, a child that allocates while exiting would hang the
		 * stop: do not hold it */
		shm_global_unlock();
		LM_WARN("cannot bound the hold of the shared-memory lock: %s; "
				"stopping without it\n",
				strerror(errno));
		return;
	}
	LM_INFO("shared-memory lock held while the children exit (at most "
			"%d s)\n",
			WIC_SHUTDOWN_LOCK_HOLD_S);
}

int wic_shutdown_init(void)
{
#ifdef SHM_SAFE_MALLOC
	/* cleanup() does not release the lock in such a build: holding it
	 * would block the main process's own frees */
	return 0;
#else
	sr_corecb_t *cb = sr_corecb_get();

	if(cb == NULL) {
		LM_ERR("cannot reach the core's shutdown callback\n");
		return -1;
	}
	/* mod_init runs after every module's mod_register, where systemdops
	 * sets its own: keep it, and run it first */
	previous_app_shutdown = cb->app_shutdown;
	cb->app_shutdown = wic_app_shutdown;
	return 0;
#endif
}

void wic_shutdown_destroy(void)
{
	if(!hold_timer_armed)
		return;
	timer_delete(hold_timer);
	hold_timer_armed = 0;
}
