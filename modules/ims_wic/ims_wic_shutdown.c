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
 * releases the lock before the destroy functions run. A child that died
 * while holding the lock (it crashed, so the node is stopping) would make
 * the wait endless: it is bounded, and the stop goes on without the lock,
 * as it did before.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../../core/dprint.h"
#include "../../core/events.h"
#include "../../core/mem/shm.h"

#include "ims_wic_mod.h"

/* seconds the main process waits for the shared-memory lock at stop */
#define WIC_SHUTDOWN_LOCK_WAIT_S 2

static sr_corecb_void_f previous_app_shutdown;
static sigjmp_buf lock_wait_over;

static void lock_wait_alarm(int signo)
{
	siglongjmp(lock_wait_over, 1);
}

/* 1 when the lock is held, 0 when the wait ran out. Leaving the lock's
 * futex wait by the alarm is harmless: cleanup() sets the lock free
 * whatever state it is in, and a live holder's release only wakes nobody. */
static int shm_lock_bounded(unsigned seconds)
{
	struct sigaction on_alarm, saved;
	unsigned saved_alarm;
	volatile int locked = 0;

	memset(&on_alarm, 0, sizeof(on_alarm));
	on_alarm.sa_handler = lock_wait_alarm;
	sigemptyset(&on_alarm.sa_mask);
	if(sigaction(SIGALRM, &on_alarm, &saved) != 0)
		return 0;
	saved_alarm = alarm(seconds);
	if(sigsetjmp(lock_wait_over, 1) == 0) {
		shm_global_lock();
		locked = 1;
	}
	alarm(0);
	sigaction(SIGALRM, &saved, NULL);
	if(saved_alarm)
		alarm(saved_alarm);
	return locked;
}

static void wic_app_shutdown(void)
{
	if(previous_app_shutdown)
		previous_app_shutdown();
	if(shm_lock_bounded(WIC_SHUTDOWN_LOCK_WAIT_S)) {
		LM_DBG("shared memory locked until the children have exited\n");
		return;
	}
	LM_WARN("a process has held the shared-memory lock for %d s: "
			"stopping without it\n",
			WIC_SHUTDOWN_LOCK_WAIT_S);
}

int wic_shutdown_init(void)
{
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
}
