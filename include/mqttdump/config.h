/*
 * config.h - one run of mqttdump: what to read, what to follow, what to print.
 *
 * main.c fills it from the command line; pipeline_new() (pipeline.h) builds the stages
 * and the outputs from it; tests and fuzz/fuzz_pcap.c fill one by hand. Strings are
 * borrowed (argv, literals) and must outlive the pipeline; the port sets are owned
 * (mqttdump_config_free).
 */
#ifndef MQTTDUMP_CONFIG_H
#define MQTTDUMP_CONFIG_H

#include "mqttdump/ports.h"
#include "mqttdump/session.h"

#include <stddef.h>
#include <stdint.h>

/* The outputs, in the order they are called and print (the registry in pipeline.c). */
enum mqttdump_output {
	OUTPUT_SUMMARY,      /* one line per frame (the default) */
	OUTPUT_JSON,         /* --json */
	OUTPUT_TREE,         /* -V */
	OUTPUT_EXPLAIN,      /* --explain */
	OUTPUT_HEX,          /* -x */
	OUTPUT_DIAGRAM_TEXT, /* --diagram: after the frames' text (-V, --explain, -x) */
	OUTPUT_DIAGRAM_SVG,  /* --diagram-svg FILE (--diagram=svg FILE) */
	OUTPUT_DIAGRAM_HTML, /* --diagram-html FILE (--diagram=html FILE) */
	OUTPUT_TIMELINE,     /* --timeline FILE */
	OUTPUT_STATS,        /* --stats[=json] */
	OUTPUT_SELECT,       /* -w: the frames that carry the messages, to a pcap writer */
	OUTPUT_EVE,          /* --eve */
	OUTPUT_SERVE,        /* --serve: the records live to browsers (serve.h) */
	OUTPUT_INTERVAL,     /* --stats-interval */
	OUTPUT_COUNT
};

#define OUTPUT_BIT(o) (1u << (o))

struct mqttdump_config {
	/* input */
	const char *file;           /* -r (- for standard input), or NULL */
	const char *iface;          /* -i, or NULL */
	int list_interfaces;        /* -D */
	const char *filter;         /* -f: BPF, or NULL for the default */
	const char *user;           /* -Z, or NULL */
	/* what is followed */
	struct port_set ports;      /* -p */
	struct port_set tls_ports;  /* --tls-port */
	struct port_set ws_ports;   /* --ws-port */
	int no_default_ports;       /* --no-default-ports: follow only the ports given */
	int detect;                 /* --detect */
	const char *keylog_path;    /* --keylog, or NULL */
	/* limits */
	uint32_t max_buffer;        /* --max-buffer: also the bytes held out of order */
	size_t max_memory;          /* --max-memory: all the stages together (0: no limit) */
	size_t max_flows;           /* --max-flows */
	double flow_timeout;        /* --flow-timeout (seconds; 0: never) */
	double reorder_time;        /* --reorder-time (seconds a hole is waited for; 0: no bound) */
	uint64_t max_messages;      /* -c (0: no limit) */
	/* which messages every output sees: --topic, --client, --type (select.topics and
	 * select.clients are owned: mqttdump_config_add_topic / _add_client) */
	struct session_config select;
	size_t topics_cap, clients_cap;
	/* outputs: OUTPUT_BIT()s of enum mqttdump_output, and what they are told */
	unsigned outputs;
	uint32_t payload_max;       /* --payload-max */
	int show_secrets;           /* --show-secrets */
	const char *lang;           /* --explain's: "en" or "fr" */
	int diagram_color;          /* --diagram on a colour terminal */
	const char *diagram_svg;    /* --diagram-svg FILE */
	const char *diagram_html;   /* --diagram-html FILE */
	uint32_t diagram_max;       /* --diagram-max */
	uint32_t width;             /* --width: columns of the text outputs (0: the terminal's
				     * when the standard output is one, else not bounded) */
	const char *timeline_file;  /* --timeline FILE (- for the standard output) */
	int stats_json;             /* --stats=json */
	uint32_t eve_max_msg_len;   /* --eve-max-msg-length */
	uint32_t eve_string_limit;  /* --eve-string-log-limit (0: none) */
	uint32_t eve_max_tx;        /* --eve-max-tx */
	uint64_t stats_interval_ns; /* --stats-interval (with OUTPUT_INTERVAL) */
	const char *write_file;     /* -w OUT ("-": the standard output) */
	uint64_t write_max_bytes;   /* -C: bytes (millions on the command line); 0: none */
	uint32_t write_seconds;     /* -G */
	uint32_t write_count;       /* -W */
	uint32_t snaplen;           /* -s: live capture (0: whole packets) */
	int line_buffered;          /* -l: flush the standard output after each line */
	int time_format;            /* -t: enum report_time_format (report.h) */
	const char *serve_addr;     /* --serve [ADDR:]PORT */
	uint32_t serve_history;     /* --serve-history: records kept for the viewers */
	double replay_speed;        /* --replay-speed (-1: unset: 1 when serving a file) */
};

/* The defaults of every option (as --help tells them), no output chosen, the port sets
 * empty. */
void mqttdump_config_init(struct mqttdump_config *c);
/* The default ports join the sets, unless no_default_ports: 1883 to ports, 8883 to
 * tls_ports, 8080 and 9001 to ws_ports, each only where no set holds it already (so
 * "--tls-port 1883" keeps 1883 TLS). Returns 0, or -1 out of memory. */
int mqttdump_config_default_ports(struct mqttdump_config *c);
/* One more --topic FILTER or --client ID (borrowed: it must outlive c). Returns 0, or -1
 * out of memory. */
int mqttdump_config_add_topic(struct mqttdump_config *c, const char *filter);
int mqttdump_config_add_client(struct mqttdump_config *c, const char *id);
/* NULL when filter is a valid MQTT topic filter, else the rule it breaks, as a sentence
 * with its normative id ("'#' must be the last character ... [MQTT-4.7.1-1]"). */
const char *mqttdump_topic_filter_error(const char *filter);
/* Release the port sets and the filter lists. Accepts NULL. */
void mqttdump_config_free(struct mqttdump_config *c);

#endif
