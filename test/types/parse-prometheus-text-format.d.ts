// The package ships no types; this is the shape of what it returns for gauges and counters (prom2json's).
declare module 'parse-prometheus-text-format' {
  /** One metric family: its samples with their labels, values as the text wrote them. */
  interface MetricFamily {
    name: string;
    help: string;
    type: string;
    metrics: { value: string; labels?: Record<string, string> }[];
  }
  /** Parses the Prometheus text exposition format. */
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
