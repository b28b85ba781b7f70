/* \summary: a set of TCP ports (bitmap for membership, list for order) */
#include "mqttdump/ports.h"

#include <stdlib.h>
#include <string.h>

void port_set_init(struct port_set *s)
{
	memset(s, 0, sizeof *s);
}

int port_set_add(struct port_set *s, uint16_t port)
{
	if (port_set_has(s, port))
		return 0;
	if (s->n == s->cap) {
		/* at most 65,536 members: the doubling stops there */
		size_t cap = s->cap ? s->cap * 2 : 8;
		uint16_t *l = realloc(s->list, cap * sizeof *l);
		if (!l)
			return -1;
		s->list = l;
		s->cap = cap;
	}
	s->list[s->n++] = port;
	s->bits[port >> 6] |= 1ull << (port & 63);
	return 0;
}

int port_set_add_array(struct port_set *s, const uint16_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (port_set_add(s, p[i]) < 0)
			return -1;
	return 0;
}

int port_set_add_set(struct port_set *s, const struct port_set *from)
{
	return port_set_add_array(s, from->list, from->n);
}

void port_set_free(struct port_set *s)
{
	if (!s)
		return;
	free(s->list);
	port_set_init(s);
}
