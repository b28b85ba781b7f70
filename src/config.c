/* \summary: the configuration of one run: defaults */
#include "mqttdump/config.h"
#include "mqttdump/report.h"

#include <string.h>

void mqttdump_config_init(struct mqttdump_config *c)
{
	memset(c, 0, sizeof *c);
	c->max_buffer = 16u << 20;
	c->max_memory = (size_t)256 << 20;
	c->max_flows = 262144;
	c->flow_timeout = 3600;
	c->reorder_time = 10;
	c->select.type = -1;
	c->payload_max = 256;
	c->lang = "en";
	c->diagram_kind = DIAGRAM_TEXT;
	c->diagram_max = 2000;
	c->eve_max_msg_len = 1u << 20; /* Suricata's defaults */
	c->eve_max_tx = 1024;
	c->serve_history = 10000;
	c->replay_speed = -1;
}

int mqttdump_config_default_ports(struct mqttdump_config *c)
{
	static const uint16_t ws[] = { 8080, 9001 };

	if (!c->ports.n && port_set_add(&c->ports, 1883) < 0)
		return -1;
	if (!c->tls_ports.n && port_set_add(&c->tls_ports, 8883) < 0)
		return -1;
	if (!c->ws_ports.n && port_set_add_array(&c->ws_ports, ws, 2) < 0)
		return -1;
	return 0;
}

void mqttdump_config_free(struct mqttdump_config *c)
{
	if (!c)
		return;
	port_set_free(&c->ports);
	port_set_free(&c->tls_ports);
	port_set_free(&c->ws_ports);
}
