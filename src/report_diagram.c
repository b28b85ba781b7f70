#include "mqttdump/report.h"
int report_diagram_new(const struct report_opts *o, const struct diagram_opts *d, struct reporter *r) { (void)o; (void)d; (void)r; return -1; }
