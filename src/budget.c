/* \summary: the memory budget: what every stage holds, counted by kind */
#include "mqttdump/budget.h"

#include <stdlib.h>
#include <string.h>

void budget_init(struct budget *b, size_t limit)
{
	memset(b, 0, sizeof *b);
	b->limit = limit;
}

void budget_charge(struct budget *b, enum budget_kind kind, size_t n)
{
	if (!b || (unsigned)kind >= BUDGET_KINDS)
		return;
	b->used += n;
	b->kind_used[kind] += n;
	if (b->used > b->high)
		b->high = b->used;
	if (b->kind_used[kind] > b->kind_high[kind])
		b->kind_high[kind] = b->kind_used[kind];
}

void budget_release(struct budget *b, enum budget_kind kind, size_t n)
{
	if (!b || (unsigned)kind >= BUDGET_KINDS)
		return;
	if (n > b->kind_used[kind])
		n = b->kind_used[kind]; /* a stage's mistake must not wrap the count */
	b->kind_used[kind] -= n;
	b->used -= n;
}

void budget_resize(struct budget *b, enum budget_kind kind, size_t old, size_t new_size)
{
	if (new_size > old)
		budget_charge(b, kind, new_size - old);
	else
		budget_release(b, kind, old - new_size);
}

int budget_over(const struct budget *b)
{
	return b && b->limit && b->used > b->limit;
}

void budget_evicted(struct budget *b, enum budget_kind kind, uint64_t bytes)
{
	if (!b || (unsigned)kind >= BUDGET_KINDS)
		return;
	b->evictions[kind]++;
	b->evicted_bytes[kind] += bytes;
}

uint64_t budget_evictions(const struct budget *b)
{
	uint64_t n = 0;

	for (int k = 0; b && k < BUDGET_KINDS; k++)
		n += b->evictions[k];
	return n;
}

uint64_t budget_evicted_bytes(const struct budget *b)
{
	uint64_t n = 0;

	for (int k = 0; b && k < BUDGET_KINDS; k++)
		n += b->evicted_bytes[k];
	return n;
}

static uint64_t oom_count;
static const char *oom_first;

void mqttdump_oom(const char *what)
{
	if (!oom_count++)
		oom_first = what;
}

uint64_t mqttdump_oom_count(const char **first)
{
	if (first)
		*first = oom_first;
	return oom_count;
}

void *budget_malloc(size_t n, const char *what)
{
	void *p = malloc(n);

	if (!p)
		mqttdump_oom(what);
	return p;
}

void *budget_calloc(size_t k, size_t n, const char *what)
{
	void *p = calloc(k, n);

	if (!p)
		mqttdump_oom(what);
	return p;
}

void *budget_realloc(void *p, size_t n, const char *what)
{
	void *q = realloc(p, n);

	if (!q)
		mqttdump_oom(what);
	return q;
}

const char *budget_kind_name(enum budget_kind kind)
{
	static const char *const names[BUDGET_KINDS] = {
		[BUDGET_REASM] = "reassembly", [BUDGET_FRAMER] = "framer",
		[BUDGET_TRANSPORT] = "transport", [BUDGET_CONN] = "connections",
		[BUDGET_HOLD] = "output hold", [BUDGET_SESSION] = "sessions",
	};

	return (unsigned)kind < BUDGET_KINDS ? names[kind] : "?";
}
