/*
 * budget.h - one memory budget (--max-memory) over everything that grows with the traffic.
 *
 * Knows nothing of the stages. Each stage keeps owning its state and tells the budget what
 * that state costs, by kind (budget_charge when it allocates, budget_release when it frees:
 * the same kind, the same bytes); the budget only counts. Between two frames the engine
 * asks whether the count is over the limit and, while it is, has the stages give up what
 * they hold (engine.c states the order). Every such loss is reported by the stage that
 * evicts (a gap, an event) and counted here with budget_evicted.
 *
 * A NULL budget is valid everywhere and counts nothing: stages built without one (unit
 * tests) behave as before.
 */
#ifndef MQTTDUMP_BUDGET_H
#define MQTTDUMP_BUDGET_H

#include <stddef.h>
#include <stdint.h>

/* What the memory is held for. */
enum budget_kind {
	BUDGET_REASM = 0,   /* out-of-order segments held by reassembly (their real cost) */
	BUDGET_FRAMER,      /* partial MQTT packets, undecided bytes, version queues, aliases */
	BUDGET_TRANSPORT,   /* TLS records and handshake messages, HTTP heads */
	BUDGET_CONN,        /* per-connection state of reassembly, transport and framer */
	BUDGET_HOLD,        /* the engine's copies of frames held to keep output in order */
	BUDGET_SESSION,     /* session tracking: sessions, open transactions, topics */
	BUDGET_KINDS
};

struct budget {
	size_t limit;                        /* bytes; 0: no limit (counted all the same) */
	size_t used, high;                   /* now, and the most at once */
	size_t kind_used[BUDGET_KINDS];
	size_t kind_high[BUDGET_KINDS];
	uint64_t evictions[BUDGET_KINDS];    /* things given up to stay within the limit */
	uint64_t evicted_bytes[BUDGET_KINDS];/* stream bytes (or held bytes) they cost */
};

/* A budget of limit bytes (0: unlimited), nothing used. */
void budget_init(struct budget *b, size_t limit);
/* n more bytes held for kind. Never refuses: what the limit decides is the engine's. */
void budget_charge(struct budget *b, enum budget_kind kind, size_t n);
/* n bytes of kind freed (at most what was charged: a larger n is clamped). */
void budget_release(struct budget *b, enum budget_kind kind, size_t n);
/* From old to new bytes for kind: a charge or a release of the difference. */
void budget_resize(struct budget *b, enum budget_kind kind, size_t old, size_t new_size);
/* 1 when a limit is set and more than it is used. */
int budget_over(const struct budget *b);
/* One thing of kind given up for the budget; bytes: what it cost the output (the stream
 * bytes not decoded) or, when nothing was lost, what it freed. */
void budget_evicted(struct budget *b, enum budget_kind kind, uint64_t bytes);
/* Everything evicted, every kind together. */
uint64_t budget_evictions(const struct budget *b);
uint64_t budget_evicted_bytes(const struct budget *b);
/* The name of a kind ("reassembly", "framer", ...). */
const char *budget_kind_name(enum budget_kind kind);

/* Allocation failures, for the whole process: a module that could not allocate, and so
 * lost or left out something it would have reported, says so here (what: the module, a
 * static string). main.c tells the user at the end and exits non-zero: the output is
 * incomplete. Not thread-safe (mqttdump has one thread). */
void mqttdump_oom(const char *what);
/* How many were noted; *first (when not NULL): the first one's what, or NULL. */
uint64_t mqttdump_oom_count(const char **first);
/* malloc, calloc and realloc that note a failure (mqttdump_oom(what)); the stages use
 * them for everything they allocate, so that no failure goes unreported. */
void *budget_malloc(size_t n, const char *what);
void *budget_calloc(size_t k, size_t n, const char *what);
void *budget_realloc(void *p, size_t n, const char *what);

#endif
