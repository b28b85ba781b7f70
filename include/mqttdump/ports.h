/*
 * ports.h - a set of TCP ports: membership in one bit test, members in the order they
 * were first added.
 *
 * Knows nothing of the other stages. Any of the 65,535 ports may be in a set (no cap);
 * a port added twice is kept once. The command line fills one set per kind of port (-p,
 * --tls-port, --ws-port); the engine joins them for reassembly; reassembly and the
 * transport stage keep their own copies.
 */
#ifndef MQTTDUMP_PORTS_H
#define MQTTDUMP_PORTS_H

#include <stddef.h>
#include <stdint.h>

struct port_set {
	uint64_t bits[65536 / 64]; /* bit p: port p is in the set */
	uint16_t *list;            /* the members, first added first (owned; NULL when empty) */
	size_t n, cap;
};

/* An empty set (also what a zeroed struct is). */
void port_set_init(struct port_set *s);
/* Add port. Returns 0 (also when it was there already), or -1 out of memory (the set is
 * unchanged). */
int port_set_add(struct port_set *s, uint16_t port);
/* Add the n ports of p, or every member of from, in their order. 0, or -1 out of memory
 * (the ports added before the failure stay). */
int port_set_add_array(struct port_set *s, const uint16_t *p, size_t n);
int port_set_add_set(struct port_set *s, const struct port_set *from);
/* Release the list; the set is empty after. Accepts NULL. */
void port_set_free(struct port_set *s);

/* 1 when port is in s, else 0. */
static inline int port_set_has(const struct port_set *s, uint16_t port)
{
	return (int)((s->bits[port >> 6] >> (port & 63)) & 1);
}

#endif
