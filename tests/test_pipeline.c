/* Unit tests for the port set and for the pipeline built from a configuration: the
 * registry's outputs give what the program gives (captures/expected/), their layout on
 * one stream, and no cap on the ports followed. */
#include <inttypes.h>
#include "mqttdump/capture.h"
#include "mqttdump/pipeline.h"
#include "mqttdump/tlscrypto.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(ports, empty_add_twice_order)
{
	struct port_set s;

	port_set_init(&s);
	cr_assert_eq(s.n, 0);
	cr_assert(!port_set_has(&s, 0) && !port_set_has(&s, 1883) && !port_set_has(&s, 65535));
	cr_assert_eq(port_set_add(&s, 9001), 0);
	cr_assert_eq(port_set_add(&s, 1883), 0);
	cr_assert_eq(port_set_add(&s, 9001), 0);
	cr_assert_eq(s.n, 2);
	cr_assert(s.list[0] == 9001 && s.list[1] == 1883);
	cr_assert(port_set_has(&s, 9001) && port_set_has(&s, 1883) && !port_set_has(&s, 1884));
	port_set_free(&s);
	cr_assert(s.n == 0 && !port_set_has(&s, 1883));
	port_set_free(NULL);
}

Test(ports, every_port_and_unions)
{
	struct port_set all, odd, u;

	port_set_init(&all);
	port_set_init(&odd);
	port_set_init(&u);
	for (uint32_t p = 65535; p >= 1; p--) {
		cr_assert_eq(port_set_add(&all, (uint16_t)p), 0);
		if (p & 1)
			cr_assert_eq(port_set_add(&odd, (uint16_t)p), 0);
	}
	cr_assert_eq(all.n, 65535);
	cr_assert(all.list[0] == 65535 && all.list[65534] == 1);
	cr_assert(!port_set_has(&all, 0));
	cr_assert_eq(port_set_add_set(&u, &odd), 0);
	cr_assert_eq(port_set_add_set(&u, &all), 0);
	cr_assert_eq(u.n, 65535);
	cr_assert(u.list[0] == 65535 && u.list[32767] == 1 && u.list[32768] == 65534);
	port_set_free(&all);
	port_set_free(&odd);
	port_set_free(&u);
}

struct run {
	struct pipeline *p;
	char *buf;
	size_t len;
	struct engine_stats st;
};

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	pipeline_packet(ctx, pkt);
}

/* captures/NAME.pcap through the pipeline of cfg; the standard output in r->buf. */
static void run_capture(const char *name, const struct mqttdump_config *cfg,
			const struct tls_keylog *kl, struct run *r)
{
	char path[512], err[512];
	FILE *out = open_memstream(&r->buf, &r->len);
	struct cap *c;
	struct pipeline_env env = { out, 6, 0, kl, NULL, NULL };

	snprintf(path, sizeof path, "%s/captures/%s.pcap", SOURCE_ROOT, name);
	cr_assert_not_null(c = cap_open_file(path, err, sizeof err), "%s", err);
	env.ts_digits = cap_ts_digits(c);
	cr_assert_not_null(r->p = pipeline_new(cfg, &env, err, sizeof err), "%s", err);
	cap_loop(c, on_packet, r->p, err, sizeof err);
	pipeline_finish(r->p);
	pipeline_stats(r->p, &r->st);
	cr_assert_eq(pipeline_free(r->p, err, sizeof err), 0, "%s", err);
	cap_close(c);
	fclose(out);
}

static char *slurp(const char *rel)
{
	char path[512];
	FILE *f;
	char *b;
	long n;

	snprintf(path, sizeof path, "%s/%s", SOURCE_ROOT, rel);
	cr_assert_not_null(f = fopen(path, "rb"), "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	return b;
}

static void config(struct mqttdump_config *c, unsigned outputs)
{
	mqttdump_config_init(c);
	c->outputs = outputs;
	cr_assert_eq(mqttdump_config_default_ports(c), 0);
}

/* The registry built by hand gives the program's goldens (-x and -V alone). */
Test(pipeline, outputs_as_the_program_prints_them)
{
	static const struct { unsigned outputs; const char *expected; } cases[] = {
		{ OUTPUT_BIT(OUTPUT_SUMMARY), "captures/expected/qos1.txt" },
		{ OUTPUT_BIT(OUTPUT_SUMMARY) | OUTPUT_BIT(OUTPUT_HEX),
		  "captures/expected/qos1.hex.txt" },
		{ OUTPUT_BIT(OUTPUT_TREE), "captures/expected/qos1.detail.txt" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mqttdump_config c;
		struct run r;
		char *want = slurp(cases[i].expected);
		config(&c, cases[i].outputs);
		run_capture("qos1", &c, NULL, &r);
		cr_assert_str_eq(r.buf, want, "%s", cases[i].expected);
		free(want);
		free(r.buf);
		mqttdump_config_free(&c);
	}
}

/* -V --explain -x on one stream: the tree, the sentences, a blank line, the dump, a blank
 * line: from the registry's layouts, not from flags given to each output. */
Test(pipeline, tree_explanation_dump_layout)
{
	struct mqttdump_config c;
	struct run r;
	const char *tree_end, *dump, *next;

	config(&c, OUTPUT_BIT(OUTPUT_TREE) | OUTPUT_BIT(OUTPUT_EXPLAIN) | OUTPUT_BIT(OUTPUT_HEX));
	run_capture("qos1", &c, NULL, &r);
	cr_assert(strncmp(r.buf, "Frame 4: ", 9) == 0, "%s", r.buf);
	cr_assert_not_null(tree_end = strstr(r.buf, "    Client ID: sub-q1\n      The client"));
	cr_assert_not_null(dump = strstr(tree_end, ".\n\n0000  "), "%s", r.buf);
	cr_assert_not_null(next = strstr(dump, "sub-q1\n\nFrame 6: "), "%s", r.buf);
	free(r.buf);
	mqttdump_config_free(&c);
}

/* 100 -p ports, the capture's broker port last: followed, as with it alone. Before the
 * port set, -p took at most 64 ports. */
Test(pipeline, a_hundred_broker_ports)
{
	struct mqttdump_config c;
	struct run r, one;

	config(&c, OUTPUT_BIT(OUTPUT_SUMMARY));
	port_set_free(&c.ports);
	for (uint16_t p = 20001; p <= 20099; p++)
		cr_assert_eq(port_set_add(&c.ports, p), 0);
	cr_assert_eq(port_set_add(&c.ports, 18830), 0);
	cr_assert_eq(c.ports.n, 100);
	run_capture("port18830", &c, NULL, &r);
	port_set_free(&c.ports);
	cr_assert_eq(port_set_add(&c.ports, 18830), 0);
	run_capture("port18830", &c, NULL, &one);
	cr_assert_gt(one.st.messages, 0);
	cr_assert_eq(r.st.messages, one.st.messages);
	cr_assert_str_eq(r.buf, one.buf);
	free(r.buf);
	free(one.buf);
	mqttdump_config_free(&c);
}

/* 100 -p ports and the TLS port: the TLS port is still followed and decrypted (before,
 * reassembly followed the first 64 ports of -p, --tls-port and --ws-port together, so
 * the TLS port was dropped without a word). */
Test(pipeline, a_hundred_broker_ports_and_tls)
{
	struct mqttdump_config c;
	struct run r;
	char path[512], err[256];
	struct tls_keylog *kl;

	snprintf(path, sizeof path, "%s/captures/tls12.keys", SOURCE_ROOT);
	cr_assert_not_null(kl = tls_keylog_load(path, err, sizeof err), "%s", err);
	config(&c, OUTPUT_BIT(OUTPUT_SUMMARY));
	port_set_free(&c.ports);
	for (uint16_t p = 20001; p <= 20100; p++)
		cr_assert_eq(port_set_add(&c.ports, p), 0);
	run_capture("tls12", &c, kl, &r);
	cr_assert_eq(r.st.messages, 55);
	cr_assert_eq(r.st.tls_decrypted > 0, 1);
	free(r.buf);
	mqttdump_config_free(&c);
	tls_keylog_free(kl);
}

/* Every output has a name; those with a file and those fed by sessions are the ones the
 * options say. */
Test(pipeline, registry_rows)
{
	for (int o = 0; o < OUTPUT_COUNT; o++) {
		const struct pipeline_output_info *i = pipeline_output_info((enum mqttdump_output)o);
		cr_assert(i && i->name && *i->name);
		cr_assert_eq(i->own_file, o == OUTPUT_DIAGRAM_SVG || o == OUTPUT_DIAGRAM_HTML ||
			     o == OUTPUT_TIMELINE);
		cr_assert_eq(i->needs_sessions, o == OUTPUT_TIMELINE || o == OUTPUT_STATS ||
			     o == OUTPUT_JSON || o == OUTPUT_INTERVAL || o == OUTPUT_SERVE);
	}
	cr_assert_null(pipeline_output_info(OUTPUT_COUNT));
}

/* Ports given add to the defaults; a default named in another kind stays that kind only;
 * --no-default-ports keeps only the given ones. */
Test(config, ports_add_to_the_defaults)
{
	struct mqttdump_config c;

	mqttdump_config_init(&c);
	cr_assert_eq(port_set_add(&c.tls_ports, 8884), 0);
	cr_assert_eq(port_set_add(&c.tls_ports, 1883), 0);
	cr_assert_eq(mqttdump_config_default_ports(&c), 0);
	cr_assert(port_set_has(&c.tls_ports, 8883) && port_set_has(&c.tls_ports, 8884));
	cr_assert(!port_set_has(&c.ports, 1883) && port_set_has(&c.tls_ports, 1883));
	cr_assert(port_set_has(&c.ws_ports, 8080) && port_set_has(&c.ws_ports, 9001));
	cr_assert_eq(c.ports.n + c.tls_ports.n + c.ws_ports.n, 5);
	mqttdump_config_free(&c);

	mqttdump_config_init(&c);
	c.no_default_ports = 1;
	cr_assert_eq(port_set_add(&c.ports, 1884), 0);
	cr_assert_eq(mqttdump_config_default_ports(&c), 0);
	cr_assert_eq(c.ports.n, 1);
	cr_assert_eq(c.tls_ports.n + c.ws_ports.n, 0);
	mqttdump_config_free(&c);
}

/* The topic filter rules of MQTT 3.1.1 / 5.0 section 4.7, with the spec's own examples. */
Test(config, topic_filter_rules)
{
	static const struct { const char *f, *rule; } cases[] = {
		{ "sport/tennis/player1/#", NULL }, { "sport/#", NULL }, { "#", NULL },
		{ "sport/tennis/#", NULL }, { "+", NULL }, { "+/tennis/#", NULL },
		{ "sport/+/player1", NULL }, { "/+", NULL }, { "+/+", NULL }, { "a//b", NULL },
		{ "sport/tennis#", "[MQTT-4.7.1-1]" }, { "sport/tennis/#/ranking", "[MQTT-4.7.1-1]" },
		{ "#/a", "[MQTT-4.7.1-1]" }, { "sport+", "[MQTT-4.7.1-2]" },
		{ "a+/b", "[MQTT-4.7.1-2]" }, { "a/+b", "[MQTT-4.7.1-2]" },
		{ "", "[MQTT-4.7.3-1]" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = mqttdump_topic_filter_error(cases[i].f);
		if (!cases[i].rule)
			cr_assert_null(why, "\"%s\": %s", cases[i].f, why);
		else
			cr_assert(why && strstr(why, cases[i].rule), "\"%s\": %s", cases[i].f,
				  why ? why : "accepted");
	}
}

/* Repeated filters are kept, in order, each borrowed. */
Test(config, filters_accumulate)
{
	struct mqttdump_config c;
	char names[40][8];

	mqttdump_config_init(&c);
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof names[i], "t%d", i);
		cr_assert_eq(mqttdump_config_add_topic(&c, names[i]), 0);
		cr_assert_eq(mqttdump_config_add_client(&c, names[i]), 0);
	}
	cr_assert_eq(c.select.ntopics, 40);
	cr_assert_eq(c.select.nclients, 40);
	for (int i = 0; i < 40; i++)
		cr_assert(c.select.topics[i] == names[i] && c.select.clients[i] == names[i]);
	mqttdump_config_free(&c);
	cr_assert_eq(c.select.ntopics + c.select.nclients, 0);
}

/* One budget: --serve's history (64 MiB, or a quarter of --max-memory when less) is taken
 * from --max-memory, the engine's stages get the rest; 0 (no limit) stays 0. */
Test(pipeline, serve_history_is_part_of_the_budget)
{
	static const struct { unsigned outputs; size_t max, want; } cases[] = {
		{ OUTPUT_BIT(OUTPUT_SUMMARY), (size_t)256 << 20, (size_t)256 << 20 },
		{ OUTPUT_BIT(OUTPUT_SERVE), (size_t)256 << 20, (size_t)192 << 20 },
		{ OUTPUT_BIT(OUTPUT_SERVE), (size_t)100 << 20, (size_t)75 << 20 },
		{ OUTPUT_BIT(OUTPUT_SERVE), (size_t)1 << 30, ((size_t)1 << 30) - ((size_t)64 << 20) },
		{ OUTPUT_BIT(OUTPUT_SERVE), 0, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mqttdump_config c;
		struct run r;

		config(&c, cases[i].outputs);
		c.max_memory = cases[i].max;
		c.replay_speed = 0;
		run_capture("qos1", &c, NULL, &r);
		cr_assert_eq(r.st.mem_limit, cases[i].want, "case %zu: %" PRIu64, i, r.st.mem_limit);
		free(r.buf);
		mqttdump_config_free(&c);
	}
}
