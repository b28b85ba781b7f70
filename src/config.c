/* \summary: the configuration of one run: defaults, the filter lists, topic filter rules */
#include "mqttdump/config.h"
#include "mqttdump/i18n.h"
#include "mqttdump/report.h"

#include <stdlib.h>
#include <string.h>

void mqttdump_config_init(struct mqttdump_config *c)
{
	memset(c, 0, sizeof *c);
	c->max_buffer = 16u << 20;
	c->max_memory = (size_t)256 << 20;
	c->max_flows = 262144;
	c->flow_timeout = 3600;
	c->reorder_time = 10;
	c->payload_max = 256;
	c->lang = "en";
	c->diagram_max = 2000;
	c->eve_max_msg_len = 1u << 20; /* Suricata's defaults */
	c->eve_max_tx = 1024;
	c->time_format = REPORT_TIME_RELATIVE;
	c->serve_history = 10000;
	c->replay_speed = -1;
}

static int in_any_set(const struct mqttdump_config *c, uint16_t port)
{
	return port_set_has(&c->ports, port) || port_set_has(&c->tls_ports, port) ||
	       port_set_has(&c->ws_ports, port);
}

/* Add a default port to s unless a set of c already names it. */
static int add_default(struct mqttdump_config *c, struct port_set *s, uint16_t port)
{
	return in_any_set(c, port) ? 0 : port_set_add(s, port);
}

int mqttdump_config_default_ports(struct mqttdump_config *c)
{
	if (c->no_default_ports)
		return 0;
	if (add_default(c, &c->ports, 1883) < 0 || add_default(c, &c->tls_ports, 8883) < 0 ||
	    add_default(c, &c->ws_ports, 8080) < 0 || add_default(c, &c->ws_ports, 9001) < 0)
		return -1;
	return 0;
}

/* Append s to a growing array of borrowed strings. */
static int push(const char *const **list, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		const char **l = realloc((void *)*list, nc * sizeof *l);
		if (!l)
			return -1;
		*list = l;
		*cap = nc;
	}
	((const char **)*list)[(*n)++] = s;
	return 0;
}

int mqttdump_config_add_topic(struct mqttdump_config *c, const char *filter)
{
	return push(&c->select.topics, &c->select.ntopics, &c->topics_cap, filter);
}

int mqttdump_config_add_client(struct mqttdump_config *c, const char *id)
{
	return push(&c->select.clients, &c->select.nclients, &c->clients_cap, id);
}

const char *mqttdump_topic_filter_error(const char *f)
{
	size_t n = strlen(f);

	/* "All Topic Names and Topic Filters MUST be at least one character long" */
	if (n == 0)
		return N_("a topic filter must be at least one character long [MQTT-4.7.3-1]");
	for (size_t i = 0; i < n; i++) {
		int starts = i == 0 || f[i - 1] == '/';
		int ends = i + 1 == n || f[i + 1] == '/';
		/* "The multi-level wildcard character MUST be specified either on its own or
		 * following a topic level separator. In either case it MUST be the last character
		 * specified in the Topic Filter" */
		if (f[i] == '#' && (!starts || i + 1 != n))
			return N_("'#' must stand alone as the last level of the filter ('a/#', '#') "
				  "[MQTT-4.7.1-1]");
		/* "The single-level wildcard can be used at any level in the Topic Filter,
		 * including first and last levels. Where it is used, it MUST occupy an entire
		 * level of the filter" */
		if (f[i] == '+' && (!starts || !ends))
			return N_("'+' must occupy a whole level of the filter ('a/+/b', '+') "
				  "[MQTT-4.7.1-2]");
	}
	return NULL;
}

void mqttdump_config_free(struct mqttdump_config *c)
{
	if (!c)
		return;
	port_set_free(&c->ports);
	port_set_free(&c->tls_ports);
	port_set_free(&c->ws_ports);
	free((void *)c->select.topics);
	free((void *)c->select.clients);
	c->select.topics = c->select.clients = NULL;
	c->select.ntopics = c->select.nclients = 0;
}
