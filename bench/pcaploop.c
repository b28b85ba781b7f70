/* \summary: the floor for benchmarks: read every packet of a capture with libpcap, nothing else */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0, bytes = 0, sum = 0;
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: pcaploop FILE\n");
		return 2;
	}
	if (!(p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err))) {
		fprintf(stderr, "pcaploop: %s\n", err);
		return 1;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		bytes += h->caplen;
		sum += d[h->caplen - 1]; /* touch the packet, as any reader must */
	}
	printf("%llu packets, %llu bytes (%llu)\n", (unsigned long long)n,
	       (unsigned long long)bytes, (unsigned long long)(sum & 1));
	pcap_close(p);
	return 0;
}
